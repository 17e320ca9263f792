package io.agentprovision.core.spi;

import io.agentprovision.core.internal.audit.InMemoryAuditLog;
import java.io.IOException;
import java.io.Writer;
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


  /** Appends a record and returns it with its sequence number and hashes. */
  AuditEntry append(AuditRecord record);

  /** Every entry, in order. */
  List<AuditEntry> entries();

  /** The last entry, if any. */
  Optional<AuditEntry> head();

  /** Checks the whole chain and the recorded head. */
  AuditVerification verify();

  /** Writes every entry as one JSON object per line, in the same form the JSONL log stores. */
  void export(Writer out) throws IOException;
}
