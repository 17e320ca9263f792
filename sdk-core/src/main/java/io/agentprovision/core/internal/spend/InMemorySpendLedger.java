package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * {@link SpendLedger} in memory, whose cost per operation does not grow with what it holds.
 *
 * <p>Each limit is judged against a running total ({@link RunningTotals}) per bucket and window,
 * kept up to date on reserve, commit, release and expiry, so a reserve costs a few steps per limit
 * whether the ledger holds ten reservations or a million. Reservations are indexed by id, by the
 * time they were made (for {@link #reservations(AgentId, String, Instant, Instant)} and for the one
 * recount that creates a total) and by run. Unsettled reservations wait in a queue ordered by expiry;
 * each operation first reaps those whose expiry has passed on the ledger's clock, so expiry costs
 * once per reservation, never a scan. Expiry is final: a clock set back afterwards does not make a
 * reaped reservation count again (it keeps its {@code RESERVED} status, and may still be committed).
 * An {@link Reservation.Status#UNCERTAIN uncertain} reservation is never reaped: it counts as held
 * until a commit or a reconcile settles it, and marking a reaped one uncertain counts it again.
 *
 * <p>One lock makes each reserve atomic against all its limits, which is what keeps concurrent runs
 * from overspending; with constant work under it, the lock is not the bottleneck (see
 * {@code benchmarks/baseline.md}, "Ledger").
 */
public final class InMemorySpendLedger implements SpendLedger {
  private static final RunningTotals.Bucket[] NO_BUCKETS = new RunningTotals.Bucket[0];

  private final Clock clock;
  private final Map<String, LedgerEntry> byId = new HashMap<>();
  /** Every entry, ordered by {@code createdAt}, then by arrival. Nearly always appended to. */
  private final ArrayList<LedgerEntry> byTime = new ArrayList<>();
  private final Map<RunId, List<LedgerEntry>> byRun = new HashMap<>();
  /** Entries that may still be held, soonest expiry first; settled ones leave it when they reach the head. */
  private final PriorityQueue<LedgerEntry> expiries = new PriorityQueue<>();
  private final RunningTotals totals = new RunningTotals();
  private final Function<SpendInterval.Window, Iterable<LedgerEntry>> madeWithin = this::madeWithin;
  private final Set<String> alerts = new HashSet<>();
  private long sequence;

  public InMemorySpendLedger(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public synchronized Reservation reserve(ReservationRequest request) {
    LedgerEntry existing = byId.get(request.id());
    if (existing != null) {
      return existing.reservation;
    }
    reap(clock.instant());
    RunningTotals.Bucket[] fed = totals.bucketsFed(request.amount().currency(), request.agent(), request.provider());
    List<SpendLimit> limits = request.limits();
    List<LimitUsage> before = new ArrayList<>(limits.size());
    for (SpendLimit limit : limits) {
      before.add(usageAt(limit, request.agent(), request.provider(), request.at(), request.zone(), fed));
    }
    List<LimitUsage> after = LimitMath.admit(request, before);
    Reservation r = new Reservation(request.id(), request.agent(), request.provider(), request.run(), request.step(),
        request.amount(), null, Reservation.Status.RESERVED, request.at(), request.expiresAt(), after,
        request.description());
    insert(r, fed);
    return r;
  }

  /**
   * Takes in {@code r}, a reservation admitted before (by this ledger in another life, or by another
   * process), as it was when made: held, without judging it against any limit again. What a durable
   * store calls to replay its record of reservations into these running totals. A reservation whose
   * id is already held is left as it is.
   */
  synchronized void restore(Reservation r) {
    if (r.status() != Reservation.Status.RESERVED) {
      throw new IllegalArgumentException("restore takes a reservation as it was made (RESERVED), not " + r.status());
    }
    if (byId.containsKey(r.id())) {
      return;
    }
    insert(r, totals.bucketsFed(r.amount().currency(), r.agent(), r.provider()));
  }

  private void insert(Reservation r, RunningTotals.Bucket[] fed) {
    LedgerEntry e = new LedgerEntry(r, fed, sequence++);
    byId.put(r.id(), e);
    insertOrdered(byTime, e);
    if (r.run() != null) {
      insertOrdered(byRun.computeIfAbsent(r.run(), k -> new ArrayList<>(2)), e);
    }
    expiries.add(e);
    RunningTotals.apply(e, r.amount().minorUnits(), 0);
  }

  /**
   * The use of {@code limit}'s bucket for this spender in the window containing {@code at}, from its
   * running total; {@code fed} are the spender's four buckets (where the limit's usually is).
   */
  private LimitUsage usageAt(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone,
      RunningTotals.Bucket[] fed) {
    SpendInterval interval = limit.interval();
    SpendBucket selector = interval == SpendInterval.PER_TRANSACTION ? null : LimitMath.bucketOf(limit, agent, provider);
    if (selector == null) {
      // Per transaction: nothing accumulates. Otherwise a filter that selects nobody: nothing counts.
      return new LimitUsage(limit, limit.bucket(agent, provider), interval.windowAt(at, zone),
          Money.zero(limit.amount().currency()));
    }
    RunningTotals.Bucket bucket = totals.bucket(selector, fed);
    RunningTotals.Total t = bucket.totalAt(interval, zone, at, madeWithin);
    return new LimitUsage(limit, bucket.label(limit, agent, provider), t.window,
        Money.ofMinor(t.used(), limit.amount().currency()));
  }

  @Override
  public synchronized Reservation commit(String reservationId, Money actual) {
    reap(clock.instant());
    LedgerEntry e = find(reservationId);
    return Settlement.commit(e.reservation, actual, committed -> settle(e, committed));
  }

  @Override
  public synchronized Reservation release(String reservationId) {
    reap(clock.instant());
    LedgerEntry e = find(reservationId);
    return Settlement.release(e.reservation, released -> settle(e, released));
  }

  @Override
  public synchronized Reservation markUncertain(String reservationId) {
    reap(clock.instant());
    LedgerEntry e = find(reservationId);
    return Settlement.markUncertain(e.reservation, uncertain -> holdForGood(e, uncertain));
  }

  @Override
  public synchronized Reservation reconcile(String reservationId, Money charged) {
    Objects.requireNonNull(charged, "charged");
    reap(clock.instant());
    LedgerEntry e = find(reservationId);
    return Settlement.reconcile(e.reservation, charged, settled -> settle(e, settled));
  }

  /**
   * Stores {@code e} as uncertain: held in the totals again if its expiry had reaped it, and from
   * now on never reaped (only a commit or a reconcile settles it).
   */
  private Reservation holdForGood(LedgerEntry e, Reservation uncertain) {
    e.reservation = uncertain;
    if (!e.held) {
      e.held = true;
      RunningTotals.apply(e, e.heldMinor(), 0);
    }
    return uncertain;
  }

  /** Stores {@code e}'s commit or release and moves its amounts in the totals. */
  private Reservation settle(LedgerEntry e, Reservation settled) {
    long committedBefore = e.committedMinor();
    long heldBefore = e.heldMinor();
    e.reservation = settled;
    e.held = false;
    RunningTotals.apply(e, -heldBefore, e.committedMinor() - committedBefore);
    return settled;
  }

  /** Stops counting, in the totals, every held reservation whose expiry is not after {@code now}. */
  private void reap(Instant now) {
    LedgerEntry head;
    while ((head = expiries.peek()) != null && !now.isBefore(head.expiresAt)) {
      expiries.poll();
      if (head.held && head.reservation.status() != Reservation.Status.UNCERTAIN) {
        // an uncertain reservation outlives its expiry: the provider may have charged it
        long held = head.heldMinor();
        head.held = false;
        RunningTotals.apply(head, -held, 0);
      }
    }
  }

  private LedgerEntry find(String id) {
    LedgerEntry e = byId.get(Objects.requireNonNull(id, "reservationId"));
    if (e == null) {
      throw new InvalidRequestException("reservationId", "no reservation '" + id + "'", "reserve before you commit or release");
    }
    return e;
  }

  /**
   * Adds {@code e} to {@code list}, ordered by {@code createdAt} and then by arrival: nearly always
   * at the end; before later ones when its caller read the clock before another caller that got
   * the lock first.
   */
  private static void insertOrdered(List<LedgerEntry> list, LedgerEntry e) {
    int n = list.size();
    if (n == 0 || !e.createdAt.isBefore(list.get(n - 1).createdAt)) {
      list.add(e);
    } else {
      list.add(firstIndexAfter(list, e.createdAt, true), e);
    }
  }

  /** The index of the first entry of {@code list} made at or after {@code t} ({@code after}: strictly after). */
  private static int firstIndexAfter(List<LedgerEntry> list, Instant t, boolean after) {
    int lo = 0;
    int hi = list.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      int c = list.get(mid).createdAt.compareTo(t);
      if (c < 0 || (after && c == 0)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The entries made in {@code window}, oldest first (a view: read it under the lock). */
  private List<LedgerEntry> madeWithin(SpendInterval.Window window) {
    if (!window.start().isBefore(window.end())) {
      return List.of();
    }
    return byTime.subList(firstIndexAfter(byTime, window.start(), false), firstIndexAfter(byTime, window.end(), false));
  }

  @Override
  public synchronized Optional<Reservation> reservation(String reservationId) {
    LedgerEntry e = byId.get(reservationId);
    return e == null ? Optional.empty() : Optional.of(e.reservation);
  }

  @Override
  public synchronized LimitUsage usage(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone) {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(zone, "zone");
    reap(clock.instant());
    return usageAt(limit, agent, provider, at, zone, NO_BUCKETS);
  }

  @Override
  public synchronized List<Reservation> reservations(@Nullable AgentId agent, @Nullable String provider, Instant from,
      Instant to) {
    List<Reservation> out = new ArrayList<>();
    for (LedgerEntry e : madeWithin(new SpendInterval.Window(from, to))) {
      Reservation r = e.reservation;
      if ((agent == null || agent.equals(r.agent())) && (provider == null || provider.equals(r.provider()))) {
        out.add(r);
      }
    }
    return out;
  }

  @Override
  public synchronized List<Reservation> reservations(RunId run) {
    List<LedgerEntry> entries = byRun.get(Objects.requireNonNull(run, "run"));
    if (entries == null) {
      return List.of();
    }
    List<Reservation> out = new ArrayList<>(entries.size());
    for (LedgerEntry e : entries) {
      out.add(e.reservation);
    }
    return out;
  }

  @Override
  public synchronized boolean markAlert(String alertKey) {
    return alerts.add(Objects.requireNonNull(alertKey, "alertKey"));
  }

  @Override
  public synchronized String toString() {
    return "InMemorySpendLedger{reservations=" + byId.size() + "}";
  }
}
