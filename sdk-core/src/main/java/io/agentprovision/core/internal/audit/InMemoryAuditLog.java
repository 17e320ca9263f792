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
 *
 * <p>Every audited step of every run appends here, so the lock is held for as little as the chain
 * allows: an append encodes its record before taking it and only hashes the encoded parts with the
 * previous hash under it, and a verification copies the entries it checks under the lock and hashes
 * them after letting it go. (With the encoding and the re-hashing of a verification under the lock,
 * a fleet of concurrent runs spent a fifth of its step threads' time waiting here.)
 */
public final class InMemoryAuditLog implements AuditLog {
  private final List<AuditEntry> entries = new ArrayList<>();
  /** Used under the lock only. */
  private final ChainHasher hasher = new ChainHasher(null);

  @Override
  public AuditEntry append(AuditRecord record) {
    Objects.requireNonNull(record, "record");
    AuditCodec.Unplaced parts = AuditCodec.unplaced(record);
    synchronized (this) {
      AuditEntry previous = entries.isEmpty() ? null : entries.get(entries.size() - 1);
      AuditEntry e;
      if (parts == null) {
        e = AuditChain.link(previous, record); // a detail that is not text: the generic body
      } else {
        long seq = previous == null ? 1 : previous.sequence() + 1;
        String prev = previous == null ? AuditChain.GENESIS : previous.hash();
        e = new AuditEntry(seq, record, prev, hasher.hash(parts, prev, seq));
      }
      entries.add(e);
      return e;
    }
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
  public AuditVerification verify() {
    return AuditChain.verify(entries(), null, null);
  }

  @Override
  public AuditVerification verifyAfter(long sequence, String hash) {
    Objects.requireNonNull(hash, "hash");
    if (sequence <= 0) {
      return verify();
    }
    int n;
    String head;
    AuditEntry at;
    List<AuditEntry> after;
    synchronized (this) {
      n = entries.size();
      head = n == 0 ? null : entries.get(n - 1).hash();
      if (n < sequence) {
        return new AuditVerification(false, n, head, n + 1L, List.of("the log holds " + n + " entries, fewer than "
            + "the " + sequence + " verified before (truncated)"));
      }
      at = entries.get((int) (sequence - 1));
      // a copy of the new entries' references, not the log: a long-lived host checks each run's few
      // entries without copying the log, and hashes them without holding the appenders up
      after = new ArrayList<>(entries.subList((int) sequence, n));
    }
    if (at.sequence() != sequence || !at.hash().equals(hash)
        || !AuditChain.hash(at.sequence(), at.previousHash(), at.record()).equals(hash)) {
      return new AuditVerification(false, n, head, sequence,
          List.of("entry " + sequence + " is no longer the one verified before (edited or replaced)"));
    }
    return AuditChain.verifyFrom(sequence + 1, hash, after, head, null);
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
