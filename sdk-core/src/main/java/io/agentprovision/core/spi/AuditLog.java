package io.agentprovision.core.spi;

import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.internal.audit.InMemoryAuditLog;
import io.agentprovision.core.internal.audit.JsonlAuditLog;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An append-only, hash-chained record of every side effect: each entry carries the hash of its
 * predecessor, so that {@link #verify()} detects an edited, deleted, reordered or (against the
 * recorded head) truncated entry. Thread-safe; appends are serialized so the chain stays single.
 *
 * <pre>{@code
 * AuditLog audit = AuditLog.jsonl(Path.of("audit.jsonl"));
 * AuditVerification v = audit.verify();
 * if (!v.valid()) alarm(v.problems());
 * }</pre>
 */
public interface AuditLog {
  /** An in-memory log, for tests and short-lived hosts. */
  static AuditLog inMemory() {
    return new InMemoryAuditLog();
  }

  /**
   * A log in a JSON-lines file, one {@link #export} line per entry, with its head in
   * {@code <file>.head} (replaced atomically after each append, so a cut-off tail is detected).
   * Opens an existing file and continues its chain, creating the file and its directories when
   * missing. Appends are forced to disk, and serialized across threads and, by a file lock, across
   * processes, so several hosts on one machine may share one file. Keep the file on a local disk.
   *
   * <pre>{@code
   * AuditLog audit = AuditLog.jsonl(Path.of("/var/lib/myapp/audit.jsonl"));
   * }</pre>
   *
   * @throws io.agentprovision.core.AgentProvisionException when the existing file does not verify
   *     (the message names the first bad entry); such a file is never appended to
   */
  static AuditLog jsonl(Path file) {
    return JsonlAuditLog.open(file);
  }

  /** Appends a record and returns it with its sequence number and hashes. */
  AuditEntry append(AuditRecord record);

  /** Every entry, in order. */
  List<AuditEntry> entries();

  /** The last entry, if any. */
  Optional<AuditEntry> head();

  /** Checks the whole chain and the recorded head. */
  AuditVerification verify();

  /**
   * Checks only what was appended after entry {@code sequence}, whose hash an earlier verification
   * accepted as {@code hash}: that the entry is still there unchanged, that every later one follows
   * it link by link, and that the last is the recorded head. Much cheaper than {@link #verify()} on
   * a long log, and says nothing more of the entries before {@code sequence}. A {@code sequence} of
   * 0 verifies everything.
   */
  default AuditVerification verifyAfter(long sequence, String hash) {
    if (sequence <= 0) {
      return verify();
    }
    List<AuditEntry> all = entries();
    if (all.size() < sequence) {
      return new AuditVerification(false, all.size(), all.isEmpty() ? null : all.get(all.size() - 1).hash(),
          all.size() + 1L, List.of("the log holds " + all.size() + " entries, fewer than the " + sequence
              + " verified before (truncated)"));
    }
    AuditEntry at = all.get((int) (sequence - 1));
    if (at.sequence() != sequence || !at.hash().equals(hash)
        || !AuditChain.hash(at.sequence(), at.previousHash(), at.record()).equals(hash)) {
      return new AuditVerification(false, all.size(), all.get(all.size() - 1).hash(), sequence,
          List.of("entry " + sequence + " is no longer the one verified before (edited or replaced)"));
    }
    String head = head().map(AuditEntry::hash).orElse(null);
    return AuditChain.verifyFrom(sequence + 1, hash, all.subList((int) sequence, all.size()), head, null);
  }

  /** Writes every entry as one JSON object per line, in the same form the JSONL log stores. */
  void export(Writer out) throws IOException;
}
