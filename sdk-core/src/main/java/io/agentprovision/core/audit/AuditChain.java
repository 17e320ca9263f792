package io.agentprovision.core.audit;

import io.agentprovision.core.internal.audit.AuditCodec;
import io.agentprovision.core.internal.audit.ChainHasher;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The hash chain every {@link io.agentprovision.core.spi.AuditLog} implementation shares, so that logs written by one store
 * verify in another. An entry's hash covers every byte of the entry but the hash itself: it is the
 * SHA-256 (in a keyed chain, the HMAC-SHA256 under the {@link AuditKey} named by the entry's key id)
 * of the entry's canonical JSON without its hash, which holds the record, the sequence number, the
 * predecessor's hash and the key id; hex-encoded.
 *
 * <p>In a keyed chain every entry after the first keyed one must be keyed too, and a verification
 * given keys requires the last entry to be keyed: entries of a plain chain continued with a key
 * are then covered by the first keyed entry, which signs their last hash.
 *
 * <pre>{@code
 * AuditVerification v = AuditChain.verify(entries, recordedHeadHash, recordedCount);
 * }</pre>
 */
public final class AuditChain {
  /** The previous-hash of the first entry: 64 zeros. */
  public static final String GENESIS = "0".repeat(64);

  /** A plain hasher per thread: every appended entry is hashed, and looking up SHA-256 each time cost as much as the digest. */
  private static final ThreadLocal<ChainHasher> PLAIN = ThreadLocal.withInitial(() -> new ChainHasher(null));

  private AuditChain() {}

  /** The plain (SHA-256) hash of an entry with this sequence, predecessor hash and record. */
  public static String hash(long sequence, String previousHash, AuditRecord record) {
    return PLAIN.get().hash(null, AuditCodec.body(sequence, previousHash, null, record));
  }

  /** The HMAC-SHA256 under {@code key}'s current key of an entry signed with it. */
  public static String hash(long sequence, String previousHash, AuditRecord record, AuditKey key) {
    return new ChainHasher(key).hash(key.id(), AuditCodec.body(sequence, previousHash, key.id(), record));
  }

  /** Links {@code record} after {@code previous} (null for the first entry) in a plain chain. */
  public static AuditEntry link(@Nullable AuditEntry previous, AuditRecord record) {
    return link(previous, record, null);
  }

  /**
   * Links {@code record} after {@code previous} (null for the first entry), signed with
   * {@code key}'s current key, or plain when {@code key} is null.
   */
  public static AuditEntry link(@Nullable AuditEntry previous, AuditRecord record, @Nullable AuditKey key) {
    Objects.requireNonNull(record, "record");
    long seq = previous == null ? 1 : previous.sequence() + 1;
    String prev = previous == null ? GENESIS : previous.hash();
    return key == null ? new AuditEntry(seq, record, prev, hash(seq, prev, record))
        : new AuditEntry(seq, record, prev, hash(seq, prev, record, key), key.id());
  }

  /**
   * Verifies {@code entries} as a whole plain chain from the first entry; when {@code expectedHead}
   * is given (the head hash recorded apart from the entries), the last entry must carry it. Keyed
   * entries fail: they need {@link #verify(List, String, Long, AuditKey)}.
   */
  public static AuditVerification verify(List<AuditEntry> entries, @Nullable String expectedHead,
      @Nullable Long expectedCount) {
    return verifyFrom(1, GENESIS, entries, expectedHead, expectedCount, null);
  }

  /** Like {@link #verify(List, String, Long)}, checking keyed entries with {@code keys} (null: none). */
  public static AuditVerification verify(List<AuditEntry> entries, @Nullable String expectedHead,
      @Nullable Long expectedCount, @Nullable AuditKey keys) {
    return verifyFrom(1, GENESIS, entries, expectedHead, expectedCount, keys);
  }

  /**
   * Verifies {@code entries} as the part of a plain chain that starts at sequence
   * {@code firstSequence} right after an entry whose hash is {@code previousHash} (one an earlier
   * verification accepted); {@code expectedCount} is the whole log's count. The result counts every
   * entry up to the head.
   */
  public static AuditVerification verifyFrom(long firstSequence, String previousHash, List<AuditEntry> entries,
      @Nullable String expectedHead, @Nullable Long expectedCount) {
    return verifyFrom(firstSequence, previousHash, entries, expectedHead, expectedCount, null);
  }

  /** Like {@link #verifyFrom(long, String, List, String, Long)}, checking keyed entries with {@code keys}. */
  public static AuditVerification verifyFrom(long firstSequence, String previousHash, List<AuditEntry> entries,
      @Nullable String expectedHead, @Nullable Long expectedCount, @Nullable AuditKey keys) {
    Verifier v = verifier(firstSequence, previousHash, keys);
    for (AuditEntry e : entries) {
      v.accept(e);
    }
    return v.result(expectedHead, expectedCount);
  }

  /**
   * A verifier that takes the entries one at a time, for a store that streams a long chain instead of
   * holding it in memory: {@link Verifier#accept} each entry in order, then {@link Verifier#result}.
   * The result is what {@link #verifyFrom(long, String, List, String, Long, AuditKey)} gives for the
   * same entries.
   *
   * <pre>{@code
   * AuditChain.Verifier v = AuditChain.verifier(1, AuditChain.GENESIS, key);
   * try (Stream<AuditEntry> s = readInOrder()) { s.forEach(v::accept); }
   * AuditVerification result = v.result(recordedHeadHash, recordedCount);
   * }</pre>
   */
  public static Verifier verifier(long firstSequence, String previousHash, @Nullable AuditKey keys) {
    return new Verifier(firstSequence, previousHash, keys);
  }

  /**
   * The stored line of an entry: one JSON object, its body (every field but the hash, canonical) with
   * the hash as its last member, exactly as the JSON-lines log and {@code AuditLog.export} write it.
   * Stores that keep entries elsewhere keep this text, so their entries verify and export the same.
   */
  public static String toLine(AuditEntry entry) {
    return AuditCodec.toLine(Objects.requireNonNull(entry, "entry"));
  }

  /**
   * Reads a line written by {@link #toLine}, strictly: a field no entry has, or any byte that
   * {@link #toLine} would not write for the entry it reads as, is refused. It does not check the
   * hash (a {@link #verifier} does).
   *
   * @throws IllegalArgumentException when the line is not such an entry
   */
  public static AuditEntry fromLine(String line) {
    return AuditCodec.fromLine(Objects.requireNonNull(line, "line"));
  }

  /** Checks entries one at a time; see {@link AuditChain#verifier}. Not thread-safe. */
  public static final class Verifier {
    private final long firstSequence;
    private final String startHash;
    private final @Nullable AuditKey keys;
    /** A keyed chain's hasher (its MACs made once per key id); null for a plain chain, which uses the thread's. */
    private final @Nullable ChainHasher keyed;
    private final List<String> problems = new ArrayList<>();
    private long firstBad;
    private String prev;
    private long expectedSeq;
    private boolean keyedBefore;
    private long count;
    private @Nullable AuditEntry last;

    private Verifier(long firstSequence, String previousHash, @Nullable AuditKey keys) {
      this.firstSequence = firstSequence;
      this.startHash = Objects.requireNonNull(previousHash, "previousHash");
      this.keys = keys;
      // a plain chain's verifier takes the calling thread's hasher at each entry: looking SHA-256 up
      // costs as much as hashing a run's entries, and a verifier may be handed from thread to thread
      this.keyed = keys == null ? null : new ChainHasher(keys);
      this.prev = previousHash;
      this.expectedSeq = firstSequence;
    }

    private ChainHasher hasher() {
      return keyed != null ? keyed : PLAIN.get();
    }

    /** Checks the next entry of the chain. */
    public void accept(AuditEntry e) {
      String p = null;
      if (e.sequence() != expectedSeq) {
        p = "entry " + e.sequence() + " found where " + expectedSeq + " was expected (deleted or reordered)";
      } else if (!e.previousHash().equals(prev)) {
        p = "entry " + e.sequence() + " does not follow the entry before it (deleted, inserted or reordered)";
      } else {
        ChainHasher h = hasher();
        p = h.keyProblem(e.sequence(), e.keyId(), keyedBefore);
        if (p == null && !h.matches(e.keyId(), AuditCodec.body(e.sequence(), e.previousHash(), e.keyId(), e.record()),
            e.hash())) {
          p = "entry " + e.sequence() + " was edited: its " + (e.keyId() == null ? "hash" : "key signature")
              + " does not match its content";
        }
      }
      problem(p, e.sequence() > 0 ? e.sequence() : expectedSeq);
      keyedBefore |= e.keyId() != null;
      prev = e.hash();
      expectedSeq = e.sequence() + 1;
      count++;
      last = e;
    }

    /**
     * Records a problem found outside the entries themselves (a row that is not an entry at all), at
     * {@code sequence}: the chain is then invalid.
     */
    public void reject(long sequence, String problem) {
      problem(Objects.requireNonNull(problem, "problem"), sequence);
    }

    private void problem(@Nullable String p, long sequence) {
      if (p != null) {
        problems.add(p);
        if (firstBad == 0) {
          firstBad = sequence;
        }
      }
    }

    /**
     * The verification of every entry accepted; {@code expectedHead} and {@code expectedCount} are the
     * head recorded apart from the entries (null when none is), {@code expectedCount} counting the
     * whole log.
     */
    public AuditVerification result(@Nullable String expectedHead, @Nullable Long expectedCount) {
      List<String> out = new ArrayList<>(problems);
      long bad = firstBad;
      long total = firstSequence - 1 + count;
      AuditEntry l = last;
      if (keys != null && l != null && l.keyId() == null) {
        out.add("entries up to " + l.sequence() + " are not signed with a key, so anyone with access to the "
            + "log could have rewritten them");
        if (bad == 0) {
          bad = l.sequence();
        }
      }
      String head = l == null ? (firstSequence > 1 ? startHash : null) : l.hash();
      if (expectedCount != null && expectedCount != total) {
        out.add("the head records " + expectedCount + " entries but " + total + " were found (truncated or "
            + "extended)");
        if (bad == 0) {
          bad = Math.min(expectedCount, total) + 1;
        }
      }
      if (expectedHead != null && !expectedHead.equals(head)) {
        out.add("the last entry's hash is not the recorded head (truncated or replaced)");
        if (bad == 0) {
          bad = total + 1;
        }
      }
      return new AuditVerification(out.isEmpty(), total, head, bad, out);
    }
  }
}
