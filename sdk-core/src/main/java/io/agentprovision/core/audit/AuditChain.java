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

  private AuditChain() {}

  /** The plain (SHA-256) hash of an entry with this sequence, predecessor hash and record. */
  public static String hash(long sequence, String previousHash, AuditRecord record) {
    return new ChainHasher(null).hash(null, AuditCodec.body(sequence, previousHash, null, record));
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
    ChainHasher hasher = new ChainHasher(keys);
    List<String> problems = new ArrayList<>();
    long firstBad = 0;
    String prev = previousHash;
    long expectedSeq = firstSequence;
    boolean keyedBefore = false;
    for (AuditEntry e : entries) {
      String p = null;
      if (e.sequence() != expectedSeq) {
        p = "entry " + e.sequence() + " found where " + expectedSeq + " was expected (deleted or reordered)";
      } else if (!e.previousHash().equals(prev)) {
        p = "entry " + e.sequence() + " does not follow the entry before it (deleted, inserted or reordered)";
      } else {
        p = hasher.keyProblem(e.sequence(), e.keyId(), keyedBefore);
        if (p == null && !hasher.hash(e.keyId(), AuditCodec.body(e.sequence(), e.previousHash(), e.keyId(), e.record()))
            .equals(e.hash())) {
          p = "entry " + e.sequence() + " was edited: its " + (e.keyId() == null ? "hash" : "key signature")
              + " does not match its content";
        }
      }
      if (p != null) {
        problems.add(p);
        if (firstBad == 0) {
          firstBad = e.sequence() > 0 ? e.sequence() : expectedSeq;
        }
      }
      keyedBefore |= e.keyId() != null;
      prev = e.hash();
      expectedSeq = e.sequence() + 1;
    }
    long total = firstSequence - 1 + entries.size();
    AuditEntry last = entries.isEmpty() ? null : entries.get(entries.size() - 1);
    if (keys != null && last != null && last.keyId() == null) {
      problems.add("entries up to " + last.sequence() + " are not signed with a key, so anyone with access to the "
          + "log could have rewritten them");
      if (firstBad == 0) {
        firstBad = last.sequence();
      }
    }
    String head = last == null ? (firstSequence > 1 ? previousHash : null) : last.hash();
    if (expectedCount != null && expectedCount != total) {
      problems.add("the head records " + expectedCount + " entries but " + total + " were found (truncated or "
          + "extended)");
      if (firstBad == 0) {
        firstBad = Math.min(expectedCount, total) + 1;
      }
    }
    if (expectedHead != null && !expectedHead.equals(head)) {
      problems.add("the last entry's hash is not the recorded head (truncated or replaced)");
      if (firstBad == 0) {
        firstBad = total + 1;
      }
    }
    return new AuditVerification(problems.isEmpty(), total, head, firstBad, problems);
  }
}
