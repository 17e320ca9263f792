package io.agentprovision.core.internal.spend;

import io.agentprovision.core.policy.Reservation;
import java.time.Instant;

/**
 * The in-memory ledger's record of one reservation: its current state and what it counts in the
 * running totals. Guarded by the ledger's lock.
 */
final class LedgerEntry implements Comparable<LedgerEntry> {
  /** The reservation as the caller sees it; replaced on commit and release. */
  Reservation reservation;
  /**
   * Whether its amount is counted as held in the totals: from the reserve until it is committed,
   * released, or reaped at its expiry. The ledger's clock decides expiry once; a clock set back
   * later does not make a reaped reservation count again.
   */
  boolean held;
  /** The four buckets it falls in (see {@link LimitMath#bucketsFed}). */
  final RunningTotals.Bucket[] buckets;
  final Instant createdAt;
  final Instant expiresAt;
  /** Orders entries made at the same instant by arrival, and breaks expiry ties. */
  final long sequence;

  LedgerEntry(Reservation reservation, RunningTotals.Bucket[] buckets, long sequence) {
    this.reservation = reservation;
    this.held = true;
    this.buckets = buckets;
    this.createdAt = reservation.createdAt();
    this.expiresAt = reservation.expiresAt();
    this.sequence = sequence;
  }

  /** Soonest expiry first; among equal expiries, the one made first. */
  @Override
  public int compareTo(LedgerEntry o) {
    int c = expiresAt.compareTo(o.expiresAt);
    return c != 0 ? c : Long.compare(sequence, o.sequence);
  }

  /** The amount it counts as held: its reserved amount while {@link #held}, else nothing. */
  long heldMinor() {
    return held ? reservation.amount().minorUnits() : 0;
  }

  /** The amount it counts as committed: what was charged once committed, else nothing. */
  long committedMinor() {
    Reservation r = reservation;
    return r.status() == Reservation.Status.COMMITTED && r.committed() != null ? r.committed().minorUnits() : 0;
  }
}
