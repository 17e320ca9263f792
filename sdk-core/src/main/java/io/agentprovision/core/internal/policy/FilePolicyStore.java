package io.agentprovision.core.internal.policy;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.internal.fs.FileStamp;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.SpendPolicyCodec;
import io.agentprovision.core.spi.PolicyStore;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * {@link PolicyStore} in one JSON-lines file: one change per line (version, the policy before and
 * after as {@link SpendPolicyCodec} documents, who, who approved, why, when). An append reads the
 * file under an exclusive lock (this JVM's and an OS file lock on the file itself), checks the
 * version, appends its line and forces it before returning. Reads take the same lock, so they never
 * see half a line. A line cut short by a crash (its writer never returned) is cut off by the next
 * writer.
 *
 * <p>A store keeps what it last parsed of the file with the file's {@link FileStamp} (its inode,
 * length and modification time) and answers {@link #current} and {@link #history} from it, without
 * opening or locking the file, while the file still has that stamp: a host reads the policy in
 * force at every plan and every spend (17 reads in a Quickstart flow). Any change by another store
 * or process (an append, a cut line, an edit) changes the stamp and is read under the lock as
 * before; a file modified less than {@value FileStamp#SETTLED_MILLIS} ms before it was read is
 * read again at the next read.
 */
public final class FilePolicyStore implements PolicyStore {
  private static final String FORMAT = "agentprovision-policy-change";

  private final Path file;

  private FilePolicyStore(Path file) {
    this.file = file;
  }

  /** Opens the store in {@code file} and reads it once, so that an unreadable file is refused now. */
  public static FilePolicyStore open(Path file) {
    FilePolicyStore s = new FilePolicyStore(Objects.requireNonNull(file, "file").toAbsolutePath().normalize());
    s.history();
    return s;
  }

  @Override
  public Optional<PolicyChange> current() {
    List<PolicyChange> all = unchanged();
    if (all == null) {
      all = history();
    }
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  @Override
  public boolean append(PolicyChange change) {
    Objects.requireNonNull(change, "change");
    return locked(true, opened -> {
      FileChannel ch = Objects.requireNonNull(opened, "the store's file (locked(true, ...) creates it)");
      List<PolicyChange> all = read(ch, true);
      if (change.version() != all.size() + 1L) {
        return false;
      }
      ByteBuffer buf = ByteBuffer.wrap((line(change) + "\n").getBytes(StandardCharsets.UTF_8));
      long at = ch.size();
      while (buf.hasRemaining()) {
        at += ch.write(buf, at);
      }
      ch.force(false);
      return true;
    });
  }

  @Override
  public List<PolicyChange> history() {
    List<PolicyChange> all = unchanged();
    if (all != null) {
      return new ArrayList<>(all);
    }
    return locked(false, ch -> ch == null ? List.of() : read(ch, false));
  }

  /** The changes as last parsed, when the file still has the stamp it had then; else null (read it). */
  private @Nullable List<PolicyChange> unchanged() {
    Known k = known;
    if (k == null) {
      return null;
    }
    FileStamp stamp = k.stamp();
    return stamp != null && stamp.matches(file) ? k.changes() : null;
  }

  @Override
  public String toString() {
    return "FilePolicyStore{" + file + "}";
  }

  private interface Action<T> {
    T run(@Nullable FileChannel channel) throws IOException;
  }

  private <T> T locked(boolean create, Action<T> action) {
    try {
      if (!create && !Files.exists(file)) {
        return action.run(null);
      }
      Path dir = file.getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      try (FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
        return AtomicFiles.withLock(file, ch, action::run);
      }
    } catch (NoSuchFileException e) {
      return locked(create, action);
    } catch (IOException e) {
      throw new AgentProvisionException("cannot use the policy store " + file + ": " + e, e, true);
    }
  }

  /**
   * The file's bytes as last read, the changes they hold and where their last whole line ends: a
   * read whose bytes are the same skips parsing them (a host reads the policy in force at every
   * plan and every spend).
   */
  private record Known(byte[] bytes, List<PolicyChange> changes, int start, @Nullable FileStamp stamp) {}

  private volatile @Nullable Known known;

  /** Every change in the file; with {@code repair}, an unfinished last line is cut off first. */
  private List<PolicyChange> read(FileChannel ch, boolean repair) throws IOException {
    FileStamp before = FileStamp.settled(file); // kept only if the file did not change while read
    long size = ch.size();
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(size));
    while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) {
      // read it all
    }
    byte[] bytes = buf.array();
    Known k = known;
    List<PolicyChange> out;
    int start;
    if (k != null && Arrays.equals(k.bytes(), bytes)) {
      out = new ArrayList<>(k.changes()); // the file as last read: not parsed again
      start = k.start();
    } else {
      out = new ArrayList<>();
      start = 0;
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == '\n') {
          String line = new String(bytes, start, i - start, StandardCharsets.UTF_8);
          if (!line.isBlank()) {
            PolicyChange c = parse(line, out.size() + 1);
            out.add(c);
          }
          start = i + 1;
        }
      }
    }
    FileStamp stamp = before != null && before.size() == bytes.length && before.matches(file) ? before : null;
    known = new Known(bytes, List.copyOf(out), start, stamp);
    if (start < bytes.length && repair) {
      known = new Known(bytes, List.copyOf(out), start, null); // the stamp is the file's before the cut
      ch.truncate(start); // a writer that died mid-line never returned: its change never happened
      ch.force(true);
    }
    return out;
  }

  private static String line(PolicyChange c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("version", c.version());
    m.put("before", c.before() == null ? null : Json.parse(SpendPolicyCodec.toJson(c.before())));
    m.put("after", Json.parse(SpendPolicyCodec.toJson(c.after())));
    m.put("changed_by", c.changedBy());
    m.put("approved_by", c.approvedBy());
    m.put("reason", c.reason());
    m.put("at", c.at().toString());
    return Json.canonical(m);
  }

  private PolicyChange parse(String line, long expectedVersion) {
    try {
      Map<String, Object> m = Json.parseObject(line);
      if (!FORMAT.equals(m.get("format"))) {
        throw new IllegalArgumentException("it is not a policy change");
      }
      if (!Long.valueOf(expectedVersion).equals(m.get("version"))) {
        throw new IllegalArgumentException("it has version " + m.get("version") + " where " + expectedVersion
            + " belongs (lines deleted or reordered)");
      }
      Object before = m.get("before");
      SpendPolicy b = before == null ? null : SpendPolicyCodec.fromJson(Json.canonical(before));
      SpendPolicy a = SpendPolicyCodec.fromJson(Json.canonical(m.get("after")));
      String by = Json.string(m, "changed_by");
      String reason = Json.string(m, "reason");
      String at = Json.string(m, "at");
      if (by == null || reason == null || at == null) {
        throw new IllegalArgumentException("it lacks who, why or when");
      }
      return new PolicyChange(expectedVersion, b, a, by, Json.string(m, "approved_by"), reason, Instant.parse(at));
    } catch (RuntimeException e) {
      throw new AgentProvisionException("the policy store " + file + " has an unreadable change " + expectedVersion
          + ": " + e.getMessage() + "; restore the file from a backup", e);
    }
  }
}
