package io.agentprovision.core.internal.audit;

import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link AuditLog} in memory. Appends are serialized; reads see a snapshot. {@link #verifyAfter}
 * checks the entries after the checkpoint where they lie, so its cost is that of the new entries,
 * however long the log has grown.
 */
public final class InMemoryAuditLog implements AuditLog {
  private final List<AuditEntry> entries = new ArrayList<>();

  @Override
  public synchronized AuditEntry append(AuditRecord record) {
    Objects.requireNonNull(record, "record");
    AuditEntry e = AuditChain.link(entries.isEmpty() ? null : entries.get(entries.size() - 1), record);
    entries.add(e);
    return e;
  }

  @Override
  public synchronized List<AuditEntry> entries() {
    return List.copyOf(entries);
  }

  @Override
  public synchronized Optional<AuditEntry> head() {
    return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
  }

  @Override
  public synchronized AuditVerification verify() {
    return AuditChain.verify(entries, null, null);
  }

  @Override
  public synchronized AuditVerification verifyAfter(long sequence, String hash) {
    Objects.requireNonNull(hash, "hash");
    if (sequence <= 0) {
      return verify();
    }
    int n = entries.size();
    String head = n == 0 ? null : entries.get(n - 1).hash();
    if (n < sequence) {
      return new AuditVerification(false, n, head, n + 1L, List.of("the log holds " + n + " entries, fewer than the "
          + sequence + " verified before (truncated)"));
    }
    AuditEntry at = entries.get((int) (sequence - 1));
    if (at.sequence() != sequence || !at.hash().equals(hash)
        || !AuditChain.hash(at.sequence(), at.previousHash(), at.record()).equals(hash)) {
      return new AuditVerification(false, n, head, sequence,
          List.of("entry " + sequence + " is no longer the one verified before (edited or replaced)"));
    }
    // a view, not a copy: a long-lived host checks each run's few entries without copying the log
    return AuditChain.verifyFrom(sequence + 1, hash, entries.subList((int) sequence, n), head, null);
  }

  @Override
  public void export(Writer out) throws IOException {
    for (AuditEntry e : entries()) {
      out.write(AuditCodec.toLine(e));
      out.write('\n');
    }
    out.flush();
  }

  @Override
  public String toString() {
    return "InMemoryAuditLog{entries=" + entries().size() + "}";
  }
}
