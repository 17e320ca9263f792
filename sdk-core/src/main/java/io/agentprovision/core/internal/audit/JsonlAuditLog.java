package io.agentprovision.core.internal.audit;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link AuditLog} in a JSON-lines file: one {@link AuditCodec#toLine} line per entry, and beside
 * it {@code <file>.head} holding the number of entries, the last hash and the byte length they
 * occupy. The head is replaced atomically after every append, so {@link #verify()} tells a log
 * whose tail was cut off from one that is merely short.
 *
 * <p>Each append is written at the recorded end of the file and forced to disk before the head
 * moves, under a lock that holds across the threads of this JVM and across processes
 * ({@link FileChannel#lock}): several hosts on one machine, or one host restarted while another
 * instance still runs, may share a file and still write one chain. Every operation reads the head
 * from disk, so instances see each other's appends. Network file systems whose locks are not
 * reliable are not supported.
 *
 * <p>Opening a file reads and verifies the whole chain and refuses to continue one that does not
 * verify. Two states a crash can leave are repaired on open (and when an append finds them): a
 * torn last line, which is cut off, and one complete entry written whose head was not, which is
 * recorded. Nothing that is counted by the head is ever cut.
 */
public final class JsonlAuditLog implements AuditLog {
  private static final Logger LOG = LoggerFactory.getLogger(JsonlAuditLog.class);
  private static final int CHUNK = 64 * 1024;

  private final Path file;
  private final Path headFile;
  private volatile @Nullable AuditEntry last;

  private JsonlAuditLog(Path file) {
    this.file = file;
    this.headFile = file.resolveSibling(file.getFileName() + ".head");
  }

  /**
   * Opens {@code file}, creating it (and its directories) when missing, and continues its chain.
   *
   * @throws AgentProvisionException when the file does not verify; the message names the first
   *     bad entry
   */
  public static JsonlAuditLog open(Path file) {
    Objects.requireNonNull(file, "file");
    JsonlAuditLog log = new JsonlAuditLog(file.toAbsolutePath().normalize());
    log.locked(ch -> {
      log.reconcile(ch, log.readHead());
      return null;
    });
    return log;
  }

  /** The log file. */
  public Path file() {
    return file;
  }

  /** The file holding the head: {@code <file>.head}. */
  public Path headFile() {
    return headFile;
  }

  @Override
  public AuditEntry append(AuditRecord record) {
    Objects.requireNonNull(record, "record");
    return locked(ch -> {
      Head head = readHead();
      if (head == null || ch.size() != head.bytes()) {
        head = reconcile(ch, head);
      }
      long seq = head.entries() + 1;
      String prev = head.entries() == 0 ? AuditChain.GENESIS : Objects.requireNonNull(head.hash());
      AuditEntry e = new AuditEntry(seq, record, prev, AuditChain.hash(seq, prev, record));
      byte[] line = (AuditCodec.toLine(e) + "\n").getBytes(StandardCharsets.UTF_8);
      ByteBuffer buf = ByteBuffer.wrap(line);
      long at = head.bytes();
      while (buf.hasRemaining()) {
        at += ch.write(buf, at);
      }
      ch.force(true);
      writeHead(new Head(seq, e.hash(), head.bytes() + line.length));
      last = e;
      return e;
    });
  }

  @Override
  public List<AuditEntry> entries() {
    return locked(ch -> {
      Head head = readHead();
      Scan scan = scan(ch, head == null ? ch.size() : Math.min(head.bytes(), ch.size()));
      if (!scan.lineProblems.isEmpty()) {
        throw new AgentProvisionException("audit log " + file + " has unreadable lines: " + scan.lineProblems
            + "; run verify() for the full report");
      }
      return List.copyOf(scan.entries);
    });
  }

  @Override
  public Optional<AuditEntry> head() {
    return locked(ch -> {
      Head head = readHead();
      if (head == null || head.entries() == 0) {
        return Optional.empty();
      }
      AuditEntry cached = last;
      if (cached != null && cached.sequence() == head.entries() && cached.hash().equals(head.hash())
          && ch.size() >= head.bytes()) {
        return Optional.of(cached);
      }
      AuditEntry e = null;
      String problem = null;
      if (ch.size() < head.bytes()) {
        problem = "the file is shorter than its head records (cut off)";
      } else {
        try {
          e = AuditCodec.fromLine(lastLine(ch, head.bytes()));
          if (e.sequence() != head.entries() || !e.hash().equals(head.hash())) {
            problem = "the last entry is not the recorded head";
          }
        } catch (RuntimeException bad) {
          problem = "the entry at the recorded head is unreadable (" + bad.getMessage() + ")";
        }
      }
      if (problem != null || e == null) {
        throw new AgentProvisionException("audit log " + file + ": " + problem + "; run verify() for the full report");
      }
      last = e;
      return Optional.of(e);
    });
  }

  /** Like {@link AuditLog#verifyAfter}, but parses and hashes only the entries from {@code sequence} on. */
  @Override
  public AuditVerification verifyAfter(long sequence, String hash) {
    if (sequence <= 0) {
      return verify();
    }
    return locked(ch -> {
      Head head;
      try {
        head = readHead();
      } catch (AgentProvisionException e) {
        return verify();
      }
      Scan scan = scan(ch, ch.size(), sequence);
      if (!scan.lineProblems.isEmpty() || scan.partialStart >= 0 || head == null || scan.entries.isEmpty()) {
        return verify(); // anything unusual gets the full report
      }
      AuditEntry at = scan.entries.get(0);
      if (at.sequence() != sequence || !at.hash().equals(hash)
        || !AuditChain.hash(at.sequence(), at.previousHash(), at.record()).equals(hash)) {
        return new AuditVerification(false, sequence - 1 + scan.entries.size(), null, sequence,
            List.of("entry " + sequence + " is no longer the one verified before (edited or replaced)"));
      }
      return AuditChain.verifyFrom(sequence + 1, hash, scan.entries.subList(1, scan.entries.size()), head.hash(),
          head.entries());
    });
  }

  @Override
  public AuditVerification verify() {
    return locked(ch -> {
      List<String> problems = new ArrayList<>();
      Head head = null;
      String headProblem = null;
      try {
        head = readHead();
      } catch (AgentProvisionException e) {
        headProblem = e.getMessage();
      }
      Scan scan = scan(ch, ch.size());
      long afterLast = scan.entries.size() + 1L;
      long firstBad = 0;
      if (headProblem != null) {
        problems.add(headProblem);
        firstBad = afterLast;
      }
      problems.addAll(scan.lineProblems);
      firstBad = earliest(firstBad, scan.firstBadLine);
      if (scan.partialStart >= 0) {
        problems.add("the file ends with an incomplete line at byte " + scan.partialStart + " (an interrupted write)");
        firstBad = earliest(firstBad, afterLast);
      }
      if (head == null && headProblem == null && !scan.entries.isEmpty()) {
        problems.add("the head file " + headFile + " is missing, so a cut-off tail cannot be ruled out");
        firstBad = earliest(firstBad, afterLast);
      }
      AuditVerification chain = AuditChain.verify(scan.entries, head == null ? null : head.hash(),
          head == null ? null : head.entries());
      problems.addAll(chain.problems());
      firstBad = earliest(firstBad, chain.firstBadSequence());
      return new AuditVerification(problems.isEmpty(), scan.entries.size(), chain.head(), firstBad, problems);
    });
  }

  private static long earliest(long a, long b) {
    return a == 0 ? b : b == 0 ? a : Math.min(a, b);
  }

  /** Writes the stored lines as they are on disk, up to the recorded head. */
  @Override
  public void export(Writer out) throws IOException {
    Objects.requireNonNull(out, "out");
    byte[] bytes = locked(ch -> {
      Head head = readHead();
      long end = head == null ? 0 : Math.min(head.bytes(), ch.size());
      if (end > Integer.MAX_VALUE - 8) {
        throw new IOException("audit log " + file + " is too large to export in one piece");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) end);
      readFully(ch, buf, 0);
      return buf.array();
    });
    out.write(new String(bytes, StandardCharsets.UTF_8));
    out.flush();
  }

  @Override
  public String toString() {
    return "JsonlAuditLog{" + file + "}";
  }

  // ---------------------------------------------------------------------------------------------

  /** The head as recorded beside the log. */
  private record Head(long entries, @Nullable String hash, long bytes) {}

  /** What a pass over the file found. */
  private static final class Scan {
    final List<AuditEntry> entries = new ArrayList<>();
    /** For each entry, the byte offset just past its newline. */
    final List<Long> ends = new ArrayList<>();
    final List<String> lineProblems = new ArrayList<>();
    long firstBadLine;
    /** Where an unterminated last line starts, or -1. */
    long partialStart = -1;
  }

  private interface IoAction<T> {
    T run(FileChannel ch) throws IOException;
  }

  private <T> T locked(IoAction<T> action) {
    try {
      return AtomicFiles.withLock(file, action::run);
    } catch (IOException e) {
      throw new AgentProvisionException("cannot use audit log " + file + ": " + e, e);
    }
  }

  private @Nullable Head readHead() throws IOException {
    String text;
    try {
      text = Files.readString(headFile, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    }
    try {
      Map<String, Object> m = Json.parseObject(text);
      if (!(m.get("entries") instanceof Long n) || !(m.get("bytes") instanceof Long b) || n < 0 || b < 0) {
        throw new IllegalArgumentException("entries or bytes missing");
      }
      String hash = Json.string(m, "hash");
      if (n > 0 && hash == null) {
        throw new IllegalArgumentException("hash missing");
      }
      return new Head(n, hash, b);
    } catch (IllegalArgumentException e) {
      throw new AgentProvisionException("the audit head file " + headFile + " is unreadable (" + e.getMessage() + ")");
    }
  }

  private void writeHead(Head h) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("entries", h.entries());
    m.put("hash", h.hash());
    m.put("bytes", h.bytes());
    AtomicFiles.replace(headFile, (Json.canonical(m) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Reads the lines in {@code [0, end)} and parses each as an entry. */
  private static Scan scan(FileChannel ch, long end) throws IOException {
    return scan(ch, end, 1);
  }

  /** Reads the file up to {@code end}, parsing only lines from number {@code parseFrom} on (the rest are counted). */
  private static Scan scan(FileChannel ch, long end, long parseFrom) throws IOException {
    Scan s = new Scan();
    ByteBuffer buf = ByteBuffer.allocate(CHUNK);
    ByteArrayOutputStream line = new ByteArrayOutputStream(512);
    long pos = 0;
    long lineNo = 0;
    while (pos < end) {
      buf.clear();
      buf.limit((int) Math.min(CHUNK, end - pos));
      int n = ch.read(buf, pos);
      if (n <= 0) {
        break;
      }
      for (int i = 0; i < n; i++) {
        byte b = buf.get(i);
        if (b != '\n') {
          if (lineNo + 1 >= parseFrom) {
            line.write(b);
          }
          continue;
        }
        lineNo++;
        if (lineNo < parseFrom) {
          continue;
        }
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        try {
          if (text.isBlank()) {
            throw new IllegalArgumentException("the line is empty");
          }
          s.entries.add(AuditCodec.fromLine(text));
          s.ends.add(pos + i + 1);
        } catch (RuntimeException e) { // anything the file holds may be wrong: report, never crash
          s.lineProblems.add("line " + lineNo + " is not an audit entry (" + e.getMessage() + ")");
          if (s.firstBadLine == 0) {
            s.firstBadLine = lineNo;
          }
        }
      }
      pos += n;
    }
    if (line.size() > 0) {
      s.partialStart = pos - line.size();
    }
    return s;
  }

  /** The last complete line ending at {@code end} (which is just past its newline). */
  private static String lastLine(FileChannel ch, long end) throws IOException {
    long stop = end - 1;
    long start = 0;
    ByteBuffer buf = ByteBuffer.allocate(4096);
    long pos = stop;
    search:
    while (pos > 0) {
      int len = (int) Math.min(buf.capacity(), pos);
      buf.clear();
      buf.limit(len);
      readFully(ch, buf, pos - len);
      for (int i = len - 1; i >= 0; i--) {
        if (buf.get(i) == '\n') {
          start = pos - len + i + 1;
          break search;
        }
      }
      pos -= len;
    }
    ByteBuffer line = ByteBuffer.allocate((int) (stop - start));
    readFully(ch, line, start);
    return new String(line.array(), StandardCharsets.UTF_8);
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
    long base = at - buf.position();
    while (buf.hasRemaining()) {
      if (ch.read(buf, base + buf.position()) < 0) {
        throw new EOFException("the file ended before byte " + (base + buf.limit()));
      }
    }
  }

  /**
   * Brings the file and its head into agreement, or refuses: verifies the whole chain, accepts the
   * states a crash leaves (see the class comment), and returns the head now recorded.
   */
  private Head reconcile(FileChannel ch, @Nullable Head head) throws IOException {
    Scan scan = scan(ch, ch.size());
    if (!scan.lineProblems.isEmpty()) {
      throw refuse(scan.firstBadLine, scan.lineProblems.get(0));
    }
    AuditVerification chain = AuditChain.verify(scan.entries, null, null);
    if (!chain.valid()) {
      throw refuse(chain.firstBadSequence(), chain.problems().get(0));
    }
    int n = scan.entries.size();
    int accepted;
    if (head == null) {
      if (n > 1) {
        throw refuse(n + 1L, "the head file " + headFile + " is missing, so a cut-off tail cannot be ruled out");
      }
      accepted = n;
    } else if (n == head.entries() && (n == 0 || scan.entries.get(n - 1).hash().equals(head.hash()))) {
      accepted = n;
    } else if (n == head.entries() + 1
        && (head.entries() == 0 || scan.entries.get(n - 2).hash().equals(head.hash()))) {
      LOG.warn("audit log {}: recording entry {}, whose append was interrupted before its head was written", file, n);
      accepted = n;
    } else {
      AuditVerification v = AuditChain.verify(scan.entries, head.hash(), head.entries());
      throw refuse(v.firstBadSequence(), String.join("; ", v.problems()));
    }
    long end = accepted == 0 ? 0 : scan.ends.get(accepted - 1);
    if (ch.size() > end) {
      LOG.warn("audit log {}: cutting off {} bytes of an interrupted write after entry {}", file, ch.size() - end,
          accepted);
      ch.truncate(end);
      ch.force(true);
    }
    Head now = new Head(accepted, accepted == 0 ? null : scan.entries.get(accepted - 1).hash(), end);
    if (!now.equals(head)) {
      writeHead(now);
    }
    last = accepted == 0 ? null : scan.entries.get(accepted - 1);
    return now;
  }

  private AgentProvisionException refuse(long firstBad, String problem) {
    return new AgentProvisionException("audit log " + file + " does not verify, first bad entry " + firstBad + ": "
        + problem + "; it will not be continued. Keep it as evidence, move it and " + headFile.getFileName()
        + " aside, and start a new log (or restore both from a backup)");
  }

}
