package io.agentprovision.core.audit;

import java.util.Objects;

/**
 * An appended {@link AuditRecord} with its place in the hash chain.
 *
 * @param sequence 1 for the first entry, then consecutive
 * @param record what happened
 * @param previousHash the hash of the entry before ({@link AuditChain#GENESIS} for the first)
 * @param hash {@link AuditChain#hash} of this entry
 */
public record AuditEntry(long sequence, AuditRecord record, String previousHash, String hash) {
  public AuditEntry {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(previousHash, "previousHash");
    Objects.requireNonNull(hash, "hash");
  }
}
