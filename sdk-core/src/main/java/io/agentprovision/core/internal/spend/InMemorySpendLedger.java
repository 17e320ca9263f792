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
import io.agentprovision.core.policy.PolicyViolationException;
import java.util.ArrayList;
import java.util.Arrays;
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
 * <p>The ledger keeps every reservation it made, settled ones too (for idempotent repeats and the
 * queries), so what one costs to keep is what a long-lived ledger costs the collector: each is one
 * {@link LedgerEntry} beside its id (about 180 bytes in all, where a {@link Reservation} record, its
 * usage list and a map node took about 320), and the {@link Reservation} a caller sees is built from
 * it when asked for.
 *
 * <p>One lock makes each reserve atomic against all its limits, which is what keeps concurrent runs
 * from overspending; with constant work under it, the lock is not the bottleneck (see
 * {@code benchmarks/baseline.md}, "Ledger"). A {@code ReentrantLock} measured the same as
 * {@code synchronized} with sixteen threads on two cores (round 4 and round 6), so the simpler one
 * stays.
 */
public final class InMemorySpendLedger implements SpendLedger {
  private static final RunningTotals.Bucket[] NO_BUCKETS = new RunningTotals.Bucket[0];

  private final Clock clock;
  private final IdTable byId = new IdTable();
  /** Every entry, ordered by {@code createdAt}, then by arrival. Nearly always appended to. */
  private final ArrayList<LedgerEntry> byTime = new ArrayList<>();
  private final Map<RunId, List<LedgerEntry>> byRun = new HashMap<>();
  /** Entries that may still be held, soonest expiry first; settled ones leave it when they reach the head. */
  private final PriorityQueue<LedgerEntry> expiries = new PriorityQueue<>();
  private final RunningTotals totals = new RunningTotals();
  private final Function<SpendInterval.Window, Iterable<LedgerEntry>> madeWithin = this::madeWithin;
  private final Set<String> alerts = new HashSet<>();
  private int sequence;
  /** The usage shape of the last reserve: the next one, under the same limits in the same windows, shares it. */
  private LedgerEntry.Shape lastShape = new LedgerEntry.Shape(List.of(), new String[0], new SpendInterval.Window[0]);
  // A reserve's per-limit figures, reused from one reserve to the next (under the lock).
  private long[] scratchUsed = new long[4];
  private String[] scratchLabels = new String[4];
  private SpendInterval.Window[] scratchWindows = new SpendInterval.Window[4];

  public InMemorySpendLedger(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Reservation reserve(ReservationRequest request) {
    Objects.requireNonNull(request, "request");
    LedgerEntry e;
    synchronized (this) {
      LedgerEntry existing = byId.get(request.id());
      if (existing != null) {
        return existing.view();
      }
      e = admit(request);
    }
    // Built outside the lock: the entry's usage is fixed once made, and what a reserve returns is
    // the reservation as it was made, whatever has happened to it since.
    return new Reservation(e.id, e.agent, e.provider, e.run, e.step, e.amount, null, Reservation.Status.RESERVED,
        request.at(), request.expiresAt(), e.usages.list(e), e.description);
  }

  /**
   * Judges {@code request} against each of its limits' running totals and, when every limit admits
   * it, records it. The same rule as {@link LimitMath#admit} (every limit's use read first, then
   * each limit checked in order; the first that refuses is what the caller is told), without a
   * {@link LimitUsage} per limit unless one refuses.
   */
  private LedgerEntry admit(ReservationRequest request) {
    reap(clock.instant());
    AgentId agent = request.agent();
    String provider = request.provider();
    Money amount = request.amount();
    RunningTotals.Bucket[] fed = totals.bucketsFed(amount.currency(), agent, provider);
    List<SpendLimit> limits = request.limits();
    int n = limits.size();
    if (scratchUsed.length < n) {
      scratchUsed = new long[n];
      scratchLabels = new String[n];
      scratchWindows = new SpendInterval.Window[n];
    }
    long[] used = scratchUsed;
    String[] labels = scratchLabels;
    SpendInterval.Window[] windows = scratchWindows;
    for (int i = 0; i < n; i++) {
      used[i] = usedAt(limits.get(i), agent, provider, request.at(), request.zone(), fed, labels, windows, i);
    }
    long add = amount.minorUnits();
    for (int i = 0; i < n; i++) {
      SpendLimit limit = limits.get(i);
      Money max = limit.amount();
      long after = used[i] + add;
      boolean overflow = ((used[i] ^ after) & (add ^ after)) < 0;
      if (overflow || !amount.sameCurrency(max) || after > max.minorUnits()) {
        PolicyViolationException refused = LimitMath.refusal(
            new LimitUsage(limit, labels[i], windows[i], Money.ofMinor(used[i], max.currency())), amount);
        if (refused != null) {
          throw refused;
        }
      }
      used[i] = after;
    }
    LedgerEntry.Usages usages;
    if (n == 0) {
      usages = LedgerEntry.Usages.NONE;
    } else if (lastShape.matches(limits, labels, windows)) {
      usages = lastShape;
    } else {
      lastShape = LedgerEntry.Shape.of(limits, labels, windows);
      usages = lastShape;
    }
    long[] rest = n > 1 ? Arrays.copyOfRange(used, 1, n) : null;
    LedgerEntry e = new LedgerEntry(request.id(), agent, provider, request.run(), request.step(), amount, request.at(),
        request.expiresAt(), request.description(), usages, n == 0 ? 0 : used[0], rest, fed, sequence++);
    insert(e);
    return e;
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
    if (byId.get(r.id()) != null) {
      return;
    }
    RunningTotals.Bucket[] fed = totals.bucketsFed(r.amount().currency(), r.agent(), r.provider());
    insert(new LedgerEntry(r.id(), r.agent(), r.provider(), r.run(), r.step(), r.amount(), r.createdAt(),
        r.expiresAt(), r.description(), new LedgerEntry.Verbatim(r.usage()), 0, null, fed, sequence++));
  }

  private void insert(LedgerEntry e) {
    byId.add(e);
    insertOrdered(byTime, e);
    if (e.run != null) {
      insertOrdered(byRun.computeIfAbsent(e.run, k -> new ArrayList<>(2)), e);
    }
    expiries.add(e);
    RunningTotals.apply(e, e.amount.minorUnits(), 0);
  }

  /**
   * What {@code limit}'s bucket for this spender uses in the window containing {@code at}, from its
   * running total, in minor units of the limit's currency; the bucket's label and the window go to
   * {@code labels[i]} and {@code windows[i]}. {@code fed} are the spender's four buckets (where the
   * limit's usually is).
   */
  private long usedAt(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone,
      RunningTotals.Bucket[] fed, String[] labels, SpendInterval.Window[] windows, int i) {
    SpendInterval interval = limit.interval();
    SpendBucket selector = interval == SpendInterval.PER_TRANSACTION ? null : LimitMath.bucketOf(limit, agent, provider);
    if (selector == null) {
      // Per transaction: nothing accumulates. Otherwise a filter that selects nobody: nothing counts.
      labels[i] = limit.bucket(agent, provider);
      windows[i] = interval.windowAt(at, zone);
      return 0;
    }
    RunningTotals.Bucket bucket = totals.bucket(selector, fed);
    RunningTotals.Total t = bucket.totalAt(interval, zone, at, madeWithin);
    labels[i] = bucket.label(limit, agent, provider);
    windows[i] = t.window;
    return t.used();
  }

  /**
   * The use of {@code limit}'s bucket for this spender in the window containing {@code at}, from its
   * running total; {@code fed} are the spender's four buckets (where the limit's usually is).
   */
  private LimitUsage usageAt(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone,
      RunningTotals.Bucket[] fed) {
    String[] label = new String[1];
    SpendInterval.Window[] window = new SpendInterval.Window[1];
    long used = usedAt(limit, agent, provider, at, zone, fed, label, window, 0);
    return new LimitUsage(limit, label[0], window[0], Money.ofMinor(used, limit.amount().currency()));
  }

  @Override
  public synchronized Reservation commit(String reservationId, Money actual) {
    reap(clock.instant());
    LedgerEntry e = find(reservationId);
    return Settlement.commit(e.view(), actual, committed -> settle(e, committed));
  }

  @Override
  public synchronized Reservation release(String reservationId) {
    reap(clock.instant());
    LedgerEntry e = find(reservationId);
    return Settlement.release(e.view(), released -> settle(e, released));
  }

  @Override
  public synchronized Reservation markUncertain(String reservationId) {
    reap(clock.instant());
    LedgerEntry e = find(reservationId);
    return Settlement.markUncertain(e.view(), uncertain -> holdForGood(e, uncertain));
  }

  @Override
  public synchronized Reservation reconcile(String reservationId, Money charged) {
    Objects.requireNonNull(charged, "charged");
    reap(clock.instant());
    LedgerEntry e = find(reservationId);
    return Settlement.reconcile(e.view(), charged, settled -> settle(e, settled));
  }

  /**
   * Stores {@code e} as uncertain: held in the totals again if its expiry had reaped it, and from
   * now on never reaped (only a commit or a reconcile settles it).
   */
  private Reservation holdForGood(LedgerEntry e, Reservation uncertain) {
    e.take(uncertain);
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
    e.take(settled);
    e.held = false;
    RunningTotals.apply(e, -heldBefore, e.committedMinor() - committedBefore);
    return settled;
  }

  /** Stops counting, in the totals, every held reservation whose expiry is not after {@code now}. */
  private void reap(Instant now) {
    LedgerEntry head;
    while ((head = expiries.peek()) != null && head.expiredAt(now)) {
      expiries.poll();
      if (head.held && head.status != Reservation.Status.UNCERTAIN) {
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
    LedgerEntry e = byId.get(Objects.requireNonNull(reservationId, "reservationId"));
    return e == null ? Optional.empty() : Optional.of(e.view());
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
      if ((agent == null || agent.equals(e.agent)) && (provider == null || provider.equals(e.provider))) {
        out.add(e.view());
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
      out.add(e.view());
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

  /**
   * Entries by id: a hash table whose chains run through the entries themselves
   * ({@link LedgerEntry#nextById}; the ledger never forgets an entry, so nothing is ever removed),
   * so that an entry kept costs a field and a slot or so of the array rather than a map node. Slots
   * are chosen as {@link HashMap}'s are: numbered ids ({@code run:step:1}, {@code r-41}) then land
   * near one another, and a reserve and its commit find their slot's line of memory warm.
   */
  private static final class IdTable {
    private LedgerEntry[] heads = new LedgerEntry[16];
    private int size;

    int size() {
      return size;
    }

    @Nullable LedgerEntry get(String id) {
      int h = LedgerEntry.spread(id.hashCode());
      for (LedgerEntry e = heads[h & (heads.length - 1)]; e != null; e = e.nextById) {
        if (e.hash == h && (e.id == id || e.id.equals(id))) {
          return e;
        }
      }
      return null;
    }

    /** Adds {@code e}, whose id is not in the table. */
    void add(LedgerEntry e) {
      if (size >= heads.length - (heads.length >>> 2)) {
        grow();
      }
      int i = e.hash & (heads.length - 1);
      e.nextById = heads[i];
      heads[i] = e;
      size++;
    }

    private void grow() {
      if (heads.length >= 1 << 30) {
        throw new IllegalStateException("the in-memory ledger holds as many reservations as it can index");
      }
      LedgerEntry[] bigger = new LedgerEntry[heads.length * 2];
      int mask = bigger.length - 1;
      for (LedgerEntry head : heads) {
        LedgerEntry e = head;
        while (e != null) {
          LedgerEntry next = e.nextById;
          int i = e.hash & mask;
          e.nextById = bigger[i];
          bigger[i] = e;
          e = next;
        }
      }
      heads = bigger;
    }
  }
}
