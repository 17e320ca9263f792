package io.agentprovision.core.internal.audit;

import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import java.io.IOException;
import java.io.Writer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * {@link AuditLog} in memory. Appends are linearized; reads see a snapshot. {@link #verifyAfter}
 * checks the entries after the checkpoint where they lie, so its cost is that of the new entries,
 * however long the log has grown.
 *
 * <p>The log is a chain of nodes from the newest entry back to the first, its head swapped by
 * compare-and-set, without a lock. Every audited step of every run appends here: with a lock, a
 * fleet of concurrent runs on a busy machine queued on it whenever its holder was descheduled
 * (JFR on 1,000 flows: step threads blocked 410 s on it over a 32 s fleet). An append encodes its
 * record once, then hashes it after the head it read and swaps it in; when another append got there
 * first, it hashes again after the new head (a digest of a few hundred bytes). A reader takes the head
 * and walks back as far as it needs: the entries after a checkpoint, or all of them.
 */
public final class InMemoryAuditLog implements AuditLog {
  /** A hasher per thread: appends hash outside any lock, and looking up SHA-256 each time costs as much as the digest. */
  private static final ThreadLocal<ChainHasher> HASHER = ThreadLocal.withInitial(() -> new ChainHasher(null));

  /**
   * An entry and the node of the one before it (null for the first). Not a record: a record's
   * equals, hashCode and toString would follow the whole chain.
   */
  private static final class Node {
    private final AuditEntry entry;
    private final @Nullable Node previous;

    Node(AuditEntry entry, @Nullable Node previous) {
      this.entry = entry;
      this.previous = previous;
    }

    AuditEntry entry() {
      return entry;
    }

    @Nullable Node previous() {
      return previous;
    }
  }

  private final AtomicReference<@Nullable Node> head = new AtomicReference<>();

  @Override
  public AuditEntry append(AuditRecord record) {
    Objects.requireNonNull(record, "record");
    AuditCodec.Unplaced parts = AuditCodec.unplaced(record);
    while (true) {
      Node h = head.get();
      long seq = h == null ? 1 : h.entry().sequence() + 1;
      String prev = h == null ? AuditChain.GENESIS : h.entry().hash();
      // a detail that is not text: the generic body
      String hash = parts == null ? AuditChain.hash(seq, prev, record) : HASHER.get().hash(parts, prev, seq);
      AuditEntry e = new AuditEntry(seq, record, prev, hash);
      if (head.compareAndSet(h, new Node(e, h))) {
        return e;
      }
    }
  }

  @Override
  public List<AuditEntry> entries() {
    Node h = head.get();
    return h == null ? List.of() : all(h);
  }

  /** The entries of the chain ending at {@code h}, in order. */
  private static List<AuditEntry> all(Node h) {
    AuditEntry[] out = new AuditEntry[(int) h.entry().sequence()];
    @Nullable Node n = h;
    for (int i = out.length - 1; i >= 0 && n != null; i--) {
      out[i] = n.entry();
      n = n.previous();
    }
    return Arrays.asList(out);
  }

  @Override
  public Optional<AuditEntry> head() {
    Node h = head.get();
    return h == null ? Optional.empty() : Optional.of(h.entry());
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
    Node h = head.get();
    long n = h == null ? 0 : h.entry().sequence();
    String headHash = h == null ? null : h.entry().hash();
    if (h == null || n < sequence) {
      return new AuditVerification(false, n, headHash, n + 1L, List.of("the log holds " + n + " entries, fewer than "
          + "the " + sequence + " verified before (truncated)"));
    }
    // only the new entries are walked and hashed: a long-lived host checks each run's few entries
    // without copying the log
    AuditEntry[] newer = new AuditEntry[(int) (n - sequence)];
    Node node = h;
    for (int i = newer.length - 1; i >= 0; i--) {
      newer[i] = node.entry();
      node = Objects.requireNonNull(node.previous());
    }
    AuditEntry at = node.entry();
    if (at.sequence() != sequence || !at.hash().equals(hash)
        || !AuditChain.hash(at.sequence(), at.previousHash(), at.record()).equals(hash)) {
      return new AuditVerification(false, n, headHash, sequence,
          List.of("entry " + sequence + " is no longer the one verified before (edited or replaced)"));
    }
    return AuditChain.verifyFrom(sequence + 1, hash, Arrays.asList(newer), headHash, null);
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
    Node h = head.get();
    return "InMemoryAuditLog{entries=" + (h == null ? 0 : h.entry().sequence()) + "}";
  }
}
