package io.agentprovision.core.audit;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An appended {@link AuditRecord} with its place in the hash chain.
 *
 * @param sequence 1 for the first entry, then consecutive
 * @param record what happened
 * @param previousHash the hash of the entry before ({@link AuditChain#GENESIS} for the first)
 * @param hash {@link AuditChain#hash} of this entry, or, when {@code keyId} is set, its HMAC under
 *     that key (see {@link AuditKey})
 * @param keyId the id of the {@link AuditKey} whose HMAC {@code hash} is, or null for a plain SHA-256
 */
public record AuditEntry(long sequence, AuditRecord record, String previousHash, String hash, @Nullable String keyId) {
  public AuditEntry {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(previousHash, "previousHash");
    Objects.requireNonNull(hash, "hash");
  }

  /** An entry of a plain (unkeyed) chain. */
  public AuditEntry(long sequence, AuditRecord record, String previousHash, String hash) {
    this(sequence, record, previousHash, hash, null);
  }
}
