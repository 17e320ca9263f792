package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityRequest;
import io.agentprovision.core.spi.VelocityStore;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@link VelocityStore} in a directory: an append-only log ({@code velocity.jsonl}) of the actions
 * counted (with the buckets each was counted in) and released, replayed on open into an
 * {@link InMemoryVelocityStore}, as {@link FileSpendLedger} keeps the spend ledger.
 *
 * <p>Every operation runs under an exclusive lock on the log (this JVM's lock for the path and an
 * OS file lock, so processes on one machine may share the directory): it first reads what others
 * appended, then decides on the up-to-date counts, then appends and forces its own line before it
 * returns. So an admitted action survives a crash and a restart, and two processes never admit
 * together what a limit holds room for once. A refused action writes nothing. A line cut short by a
 * writer that died mid-append is cut off by the next writer.
 */
public final class FileVelocityStore implements VelocityStore {
  static final String FILE_NAME = "velocity.jsonl";
  private static final String FORMAT = "agentprovision-velocity";
  private static final long VERSION = 1;

  private final Path file;
  private final FileChannel channel;
  private InMemoryVelocityStore memory = new InMemoryVelocityStore();
  /** How many bytes of the log {@link #memory} holds. */
  private long replayed;

  private FileVelocityStore(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /** Opens (creating when missing) the store in {@code dir} and replays its log. */
  public static FileVelocityStore open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    Path d = dir.toAbsolutePath().normalize();
    Path f = d.resolve(FILE_NAME);
    try {
      Files.createDirectories(d);
      FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileVelocityStore store = new FileVelocityStore(f, ch);
      store.locked(() -> null);
      return store;
    } catch (IOException e) {
      throw new AgentProvisionException("cannot open the velocity counts " + f + ": " + e, e, true);
    }
  }

  /** The log file. */
  public Path file() {
    return file;
  }

  @Override
  public void record(VelocityRequest request) {
    Objects.requireNonNull(request, "request");
    locked(() -> {
      if (memory.isCounted(request.id())) {
        return null;
      }
      memory.record(request); // refuses before anything is written
      List<String> keys = memory.countedKeys(request.id());
      Duration window = Duration.ZERO;
      for (VelocityLimit l : request.limits()) {
        if (l.action() == request.action() && l.window().compareTo(window) > 0) {
          window = l.window();
        }
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("op", "record");
      m.put("id", request.id());
      m.put("at", request.at().toString());
      m.put("window_seconds", window.toSeconds());
      m.put("buckets", keys == null ? List.of() : keys);
      append(m);
      return null;
    });
  }

  @Override
  public void release(String id) {
    Objects.requireNonNull(id, "id");
    locked(() -> {
      if (!memory.isCounted(id)) {
        return null;
      }
      memory.release(id);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("op", "release");
      m.put("id", id);
      append(m);
      return null;
    });
  }

  @Override
  public int count(VelocityLimit limit, AgentId agent, @Nullable String principal, Instant at) {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(at, "at");
    return locked(() -> memory.count(limit, agent, principal, at));
  }

  @Override
  public String toString() {
    return "FileVelocityStore{" + file + "}";
  }

  private <T> T locked(Supplier<T> action) {
    try {
      return AtomicFiles.withLock(file, channel, ch -> {
        catchUp();
        return action.get();
      });
    } catch (IOException e) {
      throw new AgentProvisionException("cannot use the velocity counts " + file + ": " + e, e, true);
    }
  }

  /** Replays the lines appended since {@link #replayed}; cuts off a line a crashed writer left unfinished. */
  private void catchUp() throws IOException {
    replayed = AppendedLines.catchUp(channel, file, "the velocity counts file", replayed, this::apply);
  }

  private void apply(String line, long offset) {
    if (line.isBlank()) {
      return;
    }
    try {
      Map<String, Object> m = Json.parseObject(line);
      String op = string(m, "op");
      switch (op) {
        case "open" -> {
          AppendedLines.requireHeader(m, FORMAT, VERSION);
        }
        case "record" -> {
          List<String> keys = new ArrayList<>();
          if (m.get("buckets") instanceof List<?> l) {
            for (Object o : l) {
              keys.add(String.valueOf(o));
            }
          }
          Object seconds = m.get("window_seconds");
          memory.restore(string(m, "id"), Instant.parse(string(m, "at")), keys,
              Duration.ofSeconds(seconds instanceof Number n ? n.longValue() : 0));
        }
        case "release" -> memory.release(string(m, "id"));
        default -> throw new IllegalArgumentException("unknown event '" + op + "'");
      }
    } catch (RuntimeException e) {
      throw new AgentProvisionException("the velocity counts " + file + " have an unreadable line at byte " + offset
          + ": " + e.getMessage() + "; restore the file from a backup", e);
    }
  }

  /** Appends {@code event} as one line and forces it; on failure, forgets what was decided in memory. */
  private void append(Map<String, Object> event) {
    try {
      replayed = AppendedLines.append(channel, replayed, FORMAT, VERSION, event);
    } catch (IOException | RuntimeException e) {
      memory = new InMemoryVelocityStore();
      replayed = 0;
      throw new AgentProvisionException("cannot write to the velocity counts " + file + ": " + e
          + "; the action was not counted", e, true);
    }
  }


  private static String string(Map<String, Object> m, String key) {
    if (m.get(key) instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException("'" + key + "' is missing");
  }
}
