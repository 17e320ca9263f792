package io.agentprovision.core.audit;

import io.agentprovision.core.internal.audit.AuditCodec;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.wire.Digests;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The hash chain every {@link AuditLog} implementation shares, so that logs written by one store
 * verify in another: {@code hash = SHA-256(previousHash + "\n" + canonical JSON of (sequence, record))},
 * hex-encoded.
 */
public final class AuditChain {
  /** The previous-hash of the first entry: 64 zeros. */
  public static final String GENESIS = "0".repeat(64);

  private AuditChain() {}

  /** The hash of an entry with this sequence, predecessor hash and record. */
  public static String hash(long sequence, String previousHash, AuditRecord record) {
    return HexFormat.of().formatHex(Digests.sha256(previousHash.getBytes(StandardCharsets.UTF_8), new byte[] {'\n'},
        AuditCodec.canonical(sequence, record).getBytes(StandardCharsets.UTF_8)));
  }

  /** Links {@code record} after {@code previous} (null for the first entry). */
  public static AuditEntry link(@Nullable AuditEntry previous, AuditRecord record) {
    long seq = previous == null ? 1 : previous.sequence() + 1;
    String prev = previous == null ? GENESIS : previous.hash();
    return new AuditEntry(seq, record, prev, hash(seq, prev, record));
  }

  /**
   * Verifies {@code entries} as a whole chain from the first entry; when {@code expectedHead} is
   * given (the head hash recorded apart from the entries), the last entry must carry it.
   */
  public static AuditVerification verify(List<AuditEntry> entries, @Nullable String expectedHead,
      @Nullable Long expectedCount) {
    return verifyFrom(1, GENESIS, entries, expectedHead, expectedCount);
  }

  /**
   * Verifies {@code entries} as the part of a chain that starts at sequence {@code firstSequence}
   * right after an entry whose hash is {@code previousHash} (one an earlier verification accepted);
   * {@code expectedCount} is the whole log's count. The result counts every entry up to the head.
   */
  public static AuditVerification verifyFrom(long firstSequence, String previousHash, List<AuditEntry> entries,
      @Nullable String expectedHead, @Nullable Long expectedCount) {
    List<String> problems = new ArrayList<>();
    long firstBad = 0;
    String prev = previousHash;
    long expectedSeq = firstSequence;
    for (AuditEntry e : entries) {
      String p = null;
      if (e.sequence() != expectedSeq) {
        p = "entry " + e.sequence() + " found where " + expectedSeq + " was expected (deleted or reordered)";
      } else if (!e.previousHash().equals(prev)) {
        p = "entry " + e.sequence() + " does not follow the entry before it (deleted, inserted or reordered)";
      } else if (!hash(e.sequence(), e.previousHash(), e.record()).equals(e.hash())) {
        p = "entry " + e.sequence() + " was edited: its hash does not match its content";
      }
      if (p != null) {
        problems.add(p);
        if (firstBad == 0) {
          firstBad = e.sequence() > 0 ? e.sequence() : expectedSeq;
        }
      }
      prev = e.hash();
      expectedSeq = e.sequence() + 1;
    }
    long total = firstSequence - 1 + entries.size();
    String head = entries.isEmpty() ? (firstSequence > 1 ? previousHash : null) : entries.get(entries.size() - 1).hash();
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
