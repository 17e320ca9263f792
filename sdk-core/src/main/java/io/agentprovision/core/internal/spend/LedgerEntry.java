package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory ledger's record of one reservation: what a {@link Reservation} says, kept in one
 * object, and what it counts in the running totals. Guarded by the ledger's lock.
 *
 * <p>A ledger keeps every reservation it made for as long as it lives (it answers for settled ones
 * too: idempotent repeats, {@code reservation(id)}, the time and run queries), so what one costs to
 * keep is what a long-lived ledger costs the collector. An entry is therefore one object beside its
 * id: the reservation's fields are its own, the expiry is kept as numbers, and the usage after
 * reserving is a {@link Usages} shared by the reservations made under the same limits in the same
 * windows plus the one number per limit that differs (what the bucket used). The {@link Reservation}
 * a caller sees is built from it when asked for ({@link #view}), equal to the one the reserve
 * returned, with its new status and committed amount once settled.
 */
final class LedgerEntry implements Comparable<LedgerEntry> {
  final String id;
  /** {@code id.hashCode()}, {@linkplain #spread spread}: the id table places by it and compares it before touching the id. */
  final int hash;
  final AgentId agent;
  final String provider;
  final @Nullable RunId run;
  final @Nullable StepId step;
  final Money amount;
  final Instant createdAt;
  /** {@code expiresAt} as seconds and nanoseconds: one object less to keep per reservation. */
  final long expiresSecond;
  final int expiresNano;
  final String description;
  /** What the usage after reserving shares with other reservations: the limits, buckets and windows. */
  final Usages usages;
  /** What the first limit's bucket used right after this reservation, in minor units. */
  final long used0;
  /** The same for the limits after the first, or null when there is at most one. */
  final long @Nullable [] usedRest;
  /**
   * Orders entries made at the same instant by arrival, and breaks expiry ties. An int keeps the
   * entry within its size class; a ledger in memory never makes 2^31 reservations.
   */
  final int sequence;
  /** The four buckets it falls in (see {@link LimitMath#bucketsFed}). */
  final RunningTotals.Bucket[] buckets;

  Reservation.Status status = Reservation.Status.RESERVED;
  /** What was charged, in minor units of {@link #amount}'s currency; meaningful once committed. */
  long committedMinor;
  /**
   * Whether its amount is counted as held in the totals: from the reserve until it is committed,
   * released, or reaped at its expiry. The ledger's clock decides expiry once; a clock set back
   * later does not make a reaped reservation count again.
   */
  boolean held = true;
  /** The next entry in its chain of the ledger's id table. */
  @Nullable LedgerEntry nextById;

  LedgerEntry(String id, AgentId agent, String provider, @Nullable RunId run, @Nullable StepId step, Money amount,
      Instant createdAt, Instant expiresAt, String description, Usages usages, long used0, long @Nullable [] usedRest,
      RunningTotals.Bucket[] buckets, int sequence) {
    this.id = id;
    this.hash = spread(id.hashCode());
    this.agent = agent;
    this.provider = provider;
    this.run = run;
    this.step = step;
    this.amount = amount;
    this.createdAt = createdAt;
    this.expiresSecond = expiresAt.getEpochSecond();
    this.expiresNano = expiresAt.getNano();
    this.description = description;
    this.usages = usages;
    this.used0 = used0;
    this.usedRest = usedRest;
    this.buckets = buckets;
    this.sequence = sequence;
  }

  /** A string's hash as the id table uses it: the high bits folded into the low ones its mask keeps. */
  static int spread(int h) {
    return h ^ (h >>> 16);
  }

  Instant expiresAt() {
    return Instant.ofEpochSecond(expiresSecond, expiresNano);
  }

  /** Whether the reservation's expiry is not after {@code now}. */
  boolean expiredAt(Instant now) {
    long s = now.getEpochSecond();
    return s > expiresSecond || (s == expiresSecond && now.getNano() >= expiresNano);
  }

  /** Soonest expiry first; among equal expiries, the one made first. */
  @Override
  public int compareTo(LedgerEntry o) {
    int c = Long.compare(expiresSecond, o.expiresSecond);
    if (c == 0) {
      c = Integer.compare(expiresNano, o.expiresNano);
    }
    return c != 0 ? c : Integer.compare(sequence, o.sequence);
  }

  /** The amount it counts as held: its reserved amount while {@link #held}, else nothing. */
  long heldMinor() {
    return held ? amount.minorUnits() : 0;
  }

  /** The amount it counts as committed: what was charged once committed, else nothing. */
  long committedMinor() {
    return status == Reservation.Status.COMMITTED ? committedMinor : 0;
  }

  /** The reservation as it stands. */
  Reservation view() {
    return view(usages.list(this));
  }

  /** The reservation as it stands, with {@code usage} (this entry's {@link #usages}, built already). */
  Reservation view(List<LimitUsage> usage) {
    Money committed = status == Reservation.Status.COMMITTED ? Money.ofMinor(committedMinor, amount.currency()) : null;
    return new Reservation(id, agent, provider, run, step, amount, committed, status, createdAt, expiresAt(), usage,
        description);
  }

  /** Takes {@code settled}'s status and committed amount (its other fields are this entry's). */
  void take(Reservation settled) {
    status = settled.status();
    Money c = settled.committed();
    committedMinor = c == null ? 0 : c.minorUnits();
  }

  /** The usage after reserving, less what differs between reservations: how to rebuild it for an entry. */
  abstract static class Usages {
    /** Of a reservation made against no limit. */
    static final Usages NONE = new Verbatim(List.of());

    abstract List<LimitUsage> list(LedgerEntry e);
  }

  /**
   * The limits a reservation was judged against, the label and window of each limit's bucket, in
   * order; each limit's use comes from the entry. Shared by every reservation made under the same
   * limits in the same windows (the ledger reuses the last one while they match).
   */
  static final class Shape extends Usages {
    final List<SpendLimit> limits;
    final String[] labels;
    final SpendInterval.Window[] windows;

    Shape(List<SpendLimit> limits, String[] labels, SpendInterval.Window[] windows) {
      this.limits = limits;
      this.labels = labels;
      this.windows = windows;
    }

    /** Whether reservations judged against {@code others}, with {@code n} labels and windows given, share this shape. */
    boolean matches(List<SpendLimit> others, String[] otherLabels, SpendInterval.Window[] otherWindows) {
      int n = labels.length;
      if (others.size() != n || (others != limits && !others.equals(limits))) {
        return false;
      }
      for (int i = 0; i < n; i++) {
        if ((otherLabels[i] != labels[i] && !otherLabels[i].equals(labels[i]))
            || (otherWindows[i] != windows[i] && !otherWindows[i].equals(windows[i]))) {
          return false;
        }
      }
      return true;
    }

    /** A shape of the first {@code n} labels and windows given (copied). */
    static Shape of(List<SpendLimit> limits, String[] labels, SpendInterval.Window[] windows) {
      int n = limits.size();
      return new Shape(limits, Arrays.copyOf(labels, n), Arrays.copyOf(windows, n));
    }

    @Override
    List<LimitUsage> list(LedgerEntry e) {
      int n = labels.length;
      if (n == 1) {
        return List.of(usage(0, e.used0));
      }
      LimitUsage[] out = new LimitUsage[n];
      long[] rest = e.usedRest;
      for (int i = 0; i < n; i++) {
        out[i] = usage(i, i == 0 ? e.used0 : rest == null ? 0 : rest[i - 1]);
      }
      return List.of(out);
    }

    private LimitUsage usage(int i, long used) {
      SpendLimit limit = limits.get(i);
      return new LimitUsage(limit, labels[i], windows[i], Money.ofMinor(used, limit.amount().currency()));
    }
  }

  /** A usage list kept as it was given: for a reservation restored from a store's record. */
  static final class Verbatim extends Usages {
    private final List<LimitUsage> usage;

    Verbatim(List<LimitUsage> usage) {
      this.usage = usage;
    }

    @Override
    List<LimitUsage> list(LedgerEntry e) {
      return usage;
    }
  }
}
