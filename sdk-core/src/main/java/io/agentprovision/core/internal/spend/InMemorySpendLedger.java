package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
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
import java.util.Set;
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
 * queries), so what one costs to keep is what a long-lived ledger costs the collector. A kept
 * reservation is no object at all ({@link EntryColumns}): its numbers sit side by side in slabs of
 * {@code long}s, its id's characters in a byte array, and its agent, provider, run, step,
 * description and amount as codes into dictionaries of distinct values; the {@link Reservation} a
 * caller sees is built from them when asked for. Measured with 500,000 kept reservations made as
 * an engine makes them (fresh objects each), about 250 bytes of heap per reservation (330 with a
 * run per four reservations: a run's id and its list are kept once per run), nearly all in large
 * arrays the collector neither scans nor copies, where round 6's entries took 460 (570) as
 * objects that every young collection copied: the collector was half of a busy ledger's time, and
 * is now under one percent ({@code benchmarks/baseline.md}, round 7).
 *
 * <p>One lock makes each reserve atomic against all its limits, which is what keeps concurrent runs
 * from overspending; with constant work under it, the lock is not the bottleneck (see
 * {@code benchmarks/baseline.md}, "Ledger"). What does not need the lock is done outside it: the
 * clock is read and the id hashed before it, and the reservation a reserve or an accepted commit
 * returns is built after it from what was read under it. So is what a read by id or by run returns
 * (round 15), when its reserve's answer is at hand: under the lock only its status and committed
 * amount are read; in a fleet of concurrent flows those reads were most of the ledger's waits. A {@code ReentrantLock} measured the same
 * as {@code synchronized} with sixteen threads on two cores (round 4 and round 6), so the simpler
 * one stays.
 *
 * <p>What a reserve and its commit repeat is done once (round 8). A reserve's limits are resolved
 * to their buckets' calendars and labels once per policy and spender, and kept with the spender's
 * buckets for its next reserve under the same limits ({@code Resolved}), where each reserve made a
 * {@link SpendBucket} and looked up its bucket, calendar and label per limit. A commit answers from
 * its reserve's answer while that is at hand (the last 256 reserves' answers are kept), sharing its
 * instants and usage list, where it rebuilt them from the columns. A reservation settled while it is
 * the last in the expiry queue (a commit that follows its reserve) leaves the queue at once, so the
 * queue holds what may still expire, not every reservation made in the last hour; and the queue
 * head's expiry is kept as numbers, so looking for expired reservations reads no row.
 *
 * <p>A reserve's look for its new id reads no reservation (round 9). The id table keeps, per slot,
 * a summary of its ids' hashes, and beside each reservation its hash and the next in its chain,
 * apart from the rows ({@link EntryColumns}): a new id is nearly always found absent from its slot
 * alone, where before it met about 0.4 older reservations on average and read the row of each, a
 * miss in the cache (at 100,000 held, rows spread over 20 MB). A kept reservation takes the same
 * memory as before: its link moved out of its row, and the table's slots, twice as wide, hold an id
 * each on average where they held half of one.
 */
public final class InMemorySpendLedger implements SpendLedger {
  private static final RunningTotals.Bucket[] NO_BUCKETS = new RunningTotals.Bucket[0];
  /** How many recent reserve answers are kept for their commits (a power of two). */
  private static final int RECENT = 256;

  private final Clock clock;
  /** Every reservation, one column per field; a reservation is its handle, an int. */
  private final EntryColumns entries = new EntryColumns();
  /** Every entry, ordered by {@code createdAt}, then by arrival. Nearly always appended to. */
  private final IntList byTime = new IntList(16);
  private final Map<RunId, IntList> byRun = new HashMap<>();
  /**
   * Entries that may still be held, soonest expiry first (a binary heap of handles); settled ones
   * leave it when they reach the head.
   */
  private int[] expiries = new int[16];
  private int expiryCount;
  /**
   * The expiry of the queue's head, as seconds and nanoseconds ({@link Long#MAX_VALUE} seconds when
   * the queue is empty), read from its row when the head changes: each operation's look for expired
   * reservations compares two numbers and touches no row.
   */
  private long headExpirySecond = Long.MAX_VALUE;
  private int headExpiryNano;
  private final RunningTotals totals = new RunningTotals();
  private final RunningTotals.Recount recount = this::recount;
  private final Set<String> alerts = new HashSet<>();
  /** The usage shape of the last reserve, and its code: the next one, under the same limits in the same windows, shares it. */
  private Usages.Shape lastShape = new Usages.Shape(List.of(), new String[0], new SpendInterval.Window[0]);
  private int lastShapeCode = entries.addShape(lastShape);
  private final int noneShapeCode = entries.addShape(Usages.NONE);
  /**
   * The reservations reserve returned lately, by handle modulo their number: the commit that follows
   * a reserve builds its answer from the reserve's (the same agent, amount, instants and usage list),
   * rather than from the columns. Written outside the lock, so a slot may be stale or another
   * entry's: a commit takes it only when its id is the one committed (an id is one entry for good),
   * and a {@link Reservation} is immutable, so one read without the lock is read whole.
   */
  private final Reservation[] recent = new Reservation[RECENT];
  /**
   * The id of the last reservation made, the very string its request gave, and its handle (both
   * under the lock): a commit given that same string object, as the commit that follows a reserve
   * is, is that reservation's without looking its id up.
   */
  private @Nullable String lastId;
  private int lastHandle;
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
    String id = request.id();
    int hash = EntryColumns.spread(id.hashCode());
    Instant now = clock.instant();
    Usages usages;
    long used0;
    long[] rest;
    int e;
    synchronized (this) {
      EntryColumns c = entries;
      int existing = c.find(id, hash);
      if (existing != EntryColumns.NONE) {
        return c.view(existing, id);
      }
      e = admit(request, hash, now);
      lastId = id;
      lastHandle = e;
      usages = c.usages(e);
      used0 = c.used0(e);
      rest = c.rest(e);
    }
    // Built outside the lock, from the request and what admission decided: what a reserve returns
    // is the reservation as it was made, whatever has happened to it since.
    // It shares the request's values: four references stored, in a constructor the JIT inlines.
    Reservation made = Reservation.madeFor(request, usages.list(used0, rest));
    recent[e & (RECENT - 1)] = made;
    return made;
  }

  /**
   * Judges {@code request} against each of its limits' running totals and, when every limit admits
   * it, records it. The same rule as {@link LimitMath#admit} (every limit's use read first, then
   * each limit checked in order; the first that refuses is what the caller is told), without a
   * {@link LimitUsage} per limit unless one refuses.
   */
  private int admit(ReservationRequest request, int hash, Instant now) {
    reap(now);
    AgentId agent = request.agent();
    String provider = request.provider();
    Money amount = request.amount();
    RunningTotals.Fed fed = totals.bucketsFed(amount.currency(), agent, provider, entries);
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
    if (n > 0) {
      Instant at = request.at();
      ZoneId zone = request.zone();
      // kept with the spender's buckets: spenders taking turns each keep their own
      Resolved r = fed.resolved;
      if (r == null || !r.matches(limits, agent, provider, zone)) {
        r = resolve(limits, agent, provider, zone, fed.buckets);
        fed.resolved = r;
      }
      for (int i = 0; i < n; i++) {
        RunningTotals.Calendar cal = r.calendars[i];
        labels[i] = r.labels[i];
        if (cal == null) {
          // Per transaction: nothing accumulates. Otherwise a filter that selects nobody: nothing counts.
          windows[i] = limits.get(i).interval().windowAt(at, zone);
          used[i] = 0;
        } else {
          RunningTotals.Total t = cal.totalAt(at, recount);
          windows[i] = t.window;
          used[i] = t.used();
        }
      }
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
    int usagesCode;
    if (n == 0) {
      usagesCode = noneShapeCode;
    } else if (lastShape.matches(limits, labels, windows)) {
      usagesCode = lastShapeCode;
    } else {
      lastShape = Usages.Shape.of(limits, labels, windows);
      lastShapeCode = entries.addShape(lastShape);
      usagesCode = lastShapeCode;
    }
    long used0 = n == 0 ? 0 : used[0];
    long[] rest = n > 1 ? Arrays.copyOfRange(used, 1, n) : null;
    EntryColumns c = entries;
    int e = c.add(request.id(), hash, c.lastAgent.of(c, agent), c.lastProvider.of(c, provider),
        c.lastRun.of(c, request.run()), c.lastStep.of(c, request.step()), c.lastDescription.of(c, request.description()),
        c.lastAmount.of(c, amount), add, request.at(), request.expiresAt(), usagesCode, used0, rest, fed.code);
    insert(e, request.run(), fed);
    return e;
  }

  /**
   * What {@code limits} come to for a spend by {@code agent} with {@code provider} in {@code zone}:
   * each limit's calendar in its bucket and its bucket's label. {@code fed} are the spender's four
   * buckets (where the limits' usually are).
   */
  private Resolved resolve(List<SpendLimit> limits, AgentId agent, String provider, ZoneId zone,
      RunningTotals.Bucket[] fed) {
    int n = limits.size();
    RunningTotals.Calendar[] calendars = new RunningTotals.Calendar[n];
    String[] labels = new String[n];
    for (int i = 0; i < n; i++) {
      SpendLimit limit = limits.get(i);
      SpendInterval interval = limit.interval();
      SpendBucket selector = interval == SpendInterval.PER_TRANSACTION ? null : LimitMath.bucketOf(limit, agent, provider);
      if (selector == null) {
        labels[i] = limit.bucket(agent, provider);
      } else {
        RunningTotals.Bucket bucket = totals.bucket(selector, fed);
        calendars[i] = bucket.calendar(interval, zone, totals);
        labels[i] = bucket.label(limit, agent, provider);
      }
    }
    return new Resolved(limits, agent, provider, zone, calendars, labels);
  }

  /**
   * What a reserve's limits come to for one spender in one zone: each limit's calendar in the bucket
   * it adds up (null when it adds nothing up: per transaction, or a filter that selects nobody) and
   * that bucket's label. Kept with the spender's buckets ({@link RunningTotals.Fed}) for its next
   * reserve under the same limits, as a run's reserves are: resolving is a bucket made and looked up,
   * a calendar searched and a label read per limit, where a kept one costs four comparisons. It stays true for good: a limit's bucket and
   * label depend only on the limit and the spender, and a calendar once made is never dropped (a
   * policy changed names other limits, which resolve anew).
   */
  static final class Resolved {
    final List<SpendLimit> limits;
    final AgentId agent;
    final String provider;
    final ZoneId zone;
    final RunningTotals.@Nullable Calendar[] calendars;
    final String[] labels;

    Resolved(List<SpendLimit> limits, AgentId agent, String provider, ZoneId zone,
        RunningTotals.@Nullable Calendar[] calendars, String[] labels) {
      this.limits = limits;
      this.agent = agent;
      this.provider = provider;
      this.zone = zone;
      this.calendars = calendars;
      this.labels = labels;
    }

    boolean matches(List<SpendLimit> l, AgentId a, String p, ZoneId z) {
      return (l == limits || l.equals(limits)) && (a == agent || a.equals(agent))
          && (p == provider || p.equals(provider)) && (z == zone || z.equals(zone));
    }
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
    int hash = EntryColumns.spread(r.id().hashCode());
    if (entries.find(r.id(), hash) != EntryColumns.NONE) {
      return;
    }
    RunningTotals.Fed fed = totals.bucketsFed(r.amount().currency(), r.agent(), r.provider(), entries);
    EntryColumns c = entries;
    int usagesCode = r.usage().isEmpty() ? noneShapeCode : c.addShape(new Usages.Verbatim(r.usage()));
    int e = c.add(r.id(), hash, c.lastAgent.of(c, r.agent()), c.lastProvider.of(c, r.provider()),
        c.lastRun.of(c, r.run()), c.lastStep.of(c, r.step()), c.lastDescription.of(c, r.description()),
        c.lastAmount.of(c, r.amount()), r.amount().minorUnits(), r.createdAt(), r.expiresAt(), usagesCode, 0, null,
        fed.code);
    insert(e, r.run(), fed);
  }

  private void insert(int e, @Nullable RunId run, RunningTotals.Fed fed) {
    insertOrdered(byTime, e);
    if (run != null) {
      IntList ofRun = byRun.get(run);
      if (ofRun == null) {
        ofRun = new IntList(2);
        byRun.put(run, ofRun);
      }
      insertOrdered(ofRun, e);
    }
    pushExpiry(e);
    totals.apply(fed, entries.createdSecond(e), entries.createdNano(e), entries.amountMinor(e), 0);
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
    RunningTotals.Total t = bucket.totalAt(interval, zone, at, recount, totals);
    labels[i] = bucket.label(limit, agent, provider);
    windows[i] = t.window;
    return t.used();
  }

  /** Counts into {@code total} every entry made in its window that {@code selector}'s bucket holds. */
  private void recount(RunningTotals.Total total, SpendBucket selector) {
    SpendInterval.Window w = total.window;
    if (!w.start().isBefore(w.end())) {
      return;
    }
    EntryColumns c = entries;
    int to = firstIndexAfter(byTime, w.end(), false);
    for (int i = firstIndexAfter(byTime, w.start(), false); i < to; i++) {
      int e = byTime.at(i);
      if (selector.holds(c.amount(e).currency(), c.agent(e), c.provider(e))) {
        total.add(c.heldMinor(e), c.committedMinor(e));
      }
    }
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
  public Reservation commit(String reservationId, Money actual) {
    Objects.requireNonNull(reservationId, "reservationId");
    int hash = EntryColumns.spread(reservationId.hashCode());
    Instant now = clock.instant();
    // What the answer shows besides its status and commit was fixed when the reservation was made: the
    // reserve's answer, when it is at hand, is built on outside the lock; otherwise (a commit long after
    // its reserve, a restored reservation) the answer is read from the entry under it.
    Reservation made;
    synchronized (this) {
      reap(now);
      // the same string object is the same id, and an id is one reservation for good
      int e = reservationId == lastId ? lastHandle : find(reservationId, hash);
      EntryColumns c = entries;
      Reservation.Status status = c.status(e);
      Money amount = c.amount(e);
      if (!actual.sameCurrency(amount) || actual.minorUnits() < 0 || actual.minorUnits() > c.amountMinor(e)
          || status == Reservation.Status.COMMITTED || status == Reservation.Status.RELEASED) {
        // refused, or a repeat: the rules say what the caller is told
        return Settlement.commit(c.view(e, reservationId), actual, committed -> settle(e, committed));
      }
      // What Settlement.commit does when it accepts.
      settle(e, Reservation.Status.COMMITTED, actual.minorUnits());
      made = recent[e & (RECENT - 1)];
      if (made == null || (made.id() != reservationId && !made.id().equals(reservationId))) {
        return c.view(e, reservationId, Reservation.Status.COMMITTED, actual);
      }
    }
    return made.withStatus(Reservation.Status.COMMITTED, actual);
  }

  @Override
  public synchronized Reservation release(String reservationId) {
    reap(clock.instant());
    int e = find(reservationId);
    return Settlement.release(entries.view(e, reservationId), released -> settle(e, released));
  }

  @Override
  public synchronized Reservation markUncertain(String reservationId) {
    reap(clock.instant());
    int e = find(reservationId);
    return Settlement.markUncertain(entries.view(e, reservationId), uncertain -> holdForGood(e, uncertain));
  }

  @Override
  public synchronized Reservation reconcile(String reservationId, Money charged) {
    Objects.requireNonNull(charged, "charged");
    reap(clock.instant());
    int e = find(reservationId);
    return Settlement.reconcile(entries.view(e, reservationId), charged, settled -> settle(e, settled));
  }

  /**
   * Stores {@code e} as uncertain: held in the totals again if its expiry had reaped it, and from
   * now on never reaped (only a commit or a reconcile settles it).
   */
  private Reservation holdForGood(int e, Reservation uncertain) {
    EntryColumns c = entries;
    c.take(e, uncertain);
    if (!c.held(e)) {
      c.held(e, true);
      totals.apply(c.fed(e), c.createdSecond(e), c.createdNano(e), c.heldMinor(e), 0);
    }
    return uncertain;
  }

  /** Stores {@code e}'s commit or release and moves its amounts in the totals. */
  private Reservation settle(int e, Reservation settled) {
    Money committed = settled.committed();
    settle(e, settled.status(), committed == null ? 0 : committed.minorUnits());
    return settled;
  }

  /** Stores {@code e} as settled with {@code status} ({@code committed}: what was charged, if committed). */
  private void settle(int e, Reservation.Status status, long committed) {
    EntryColumns c = entries;
    long committedBefore = c.committedMinor(e);
    long heldBefore = c.heldMinor(e);
    c.take(e, status, committed);
    c.held(e, false);
    totals.apply(c.fed(e), c.createdSecond(e), c.createdNano(e), -heldBefore,
        c.committedMinor(e) - committedBefore);
    if (expiryCount > 0 && expiries[expiryCount - 1] == e) {
      // Settled, it has nothing left to expire. Last in the queue (the reservation made last, when a
      // commit follows its reserve), it leaves at once, and the queue keeps its order; anywhere else
      // it leaves when it reaches the head.
      expiryCount--;
      if (expiryCount == 0) {
        headChanged();
      }
    }
  }

  /** Stops counting, in the totals, every held reservation whose expiry is not after {@code now}. */
  private void reap(Instant now) {
    EntryColumns c = entries;
    long second = now.getEpochSecond();
    int nano = now.getNano();
    while (second > headExpirySecond || (second == headExpirySecond && nano >= headExpiryNano)) {
      int head = pollExpiry();
      if (c.held(head) && c.status(head) != Reservation.Status.UNCERTAIN) {
        // an uncertain reservation outlives its expiry: the provider may have charged it
        long held = c.heldMinor(head);
        c.held(head, false);
        totals.apply(c.fed(head), c.createdSecond(head), c.createdNano(head), -held, 0);
      }
    }
  }

  private void pushExpiry(int e) {
    if (expiryCount == expiries.length) {
      expiries = Arrays.copyOf(expiries, expiries.length * 2);
    }
    int[] heap = expiries;
    int i = expiryCount++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (entries.compareExpiry(heap[parent], e) <= 0) {
        break;
      }
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = e;
    if (i == 0) {
      headChanged();
    }
  }

  /** Reads the expiry of the queue's head again, after the head changed. */
  private void headChanged() {
    if (expiryCount == 0) {
      headExpirySecond = Long.MAX_VALUE;
      headExpiryNano = 0;
    } else {
      int head = expiries[0];
      headExpirySecond = entries.expiresSecond(head);
      headExpiryNano = entries.expiresNano(head);
    }
  }

  private int pollExpiry() {
    int[] heap = expiries;
    int head = heap[0];
    int last = heap[--expiryCount];
    int n = expiryCount;
    int i = 0;
    while (true) {
      int child = 2 * i + 1;
      if (child >= n) {
        break;
      }
      if (child + 1 < n && entries.compareExpiry(heap[child + 1], heap[child]) < 0) {
        child++;
      }
      if (entries.compareExpiry(last, heap[child]) <= 0) {
        break;
      }
      heap[i] = heap[child];
      i = child;
    }
    if (n > 0) {
      heap[i] = last;
    }
    headChanged();
    return head;
  }

  private int find(String id) {
    Objects.requireNonNull(id, "reservationId");
    return find(id, EntryColumns.spread(id.hashCode()));
  }

  private int find(String id, int hash) {
    int e = entries.find(id, hash);
    if (e == EntryColumns.NONE) {
      throw new InvalidRequestException("reservationId", "no reservation '" + id + "'", "reserve before you commit or release");
    }
    return e;
  }

  /**
   * Adds {@code e} to {@code list}, ordered by {@code createdAt} and then by arrival: nearly always
   * at the end; before later ones when its caller read the clock before another caller that got
   * the lock first.
   */
  private void insertOrdered(IntList list, int e) {
    int n = list.size();
    long second = entries.createdSecond(e);
    int nano = entries.createdNano(e);
    if (n == 0 || entries.compareCreated(list.at(n - 1), second, nano) <= 0) {
      list.add(e);
    } else {
      list.insert(firstIndexAfter(list, second, nano, true), e);
    }
  }

  /** The index of the first entry of {@code list} made at or after {@code t} ({@code after}: strictly after). */
  private int firstIndexAfter(IntList list, Instant t, boolean after) {
    return firstIndexAfter(list, t.getEpochSecond(), t.getNano(), after);
  }

  private int firstIndexAfter(IntList list, long second, int nano, boolean after) {
    int lo = 0;
    int hi = list.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      int c = entries.compareCreated(list.at(mid), second, nano);
      if (c < 0 || (after && c == 0)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  @Override
  public Optional<Reservation> reservation(String reservationId) {
    Objects.requireNonNull(reservationId, "reservationId");
    int hash = EntryColumns.spread(reservationId.hashCode());
    Reservation made;
    Reservation.Status status;
    long committed;
    synchronized (this) {
      EntryColumns c = entries;
      int e = reservationId == lastId ? lastHandle : c.find(reservationId, hash);
      if (e == EntryColumns.NONE) {
        return Optional.empty();
      }
      made = recent[e & (RECENT - 1)];
      if (made == null || (made.id() != reservationId && !made.id().equals(reservationId))) {
        return Optional.of(c.view(e, reservationId));
      }
      status = c.status(e);
      committed = c.committedMinor(e);
    }
    return Optional.of(asItStands(made, status, committed));
  }

  /**
   * The reservation its reserve returned, {@code made}, as it stands now: with the {@code status} and
   * {@code committed} amount read under the lock. Built outside the lock, as a commit's answer is:
   * what else a reservation shows was fixed when it was made, and {@code made} is immutable. The
   * same reservation {@link EntryColumns#view} rebuilds from the columns.
   */
  private static Reservation asItStands(Reservation made, Reservation.Status status, long committed) {
    if (status == Reservation.Status.RESERVED) {
      return made;
    }
    Money c = status == Reservation.Status.COMMITTED ? Money.ofMinor(committed, made.amount().currency()) : null;
    return made.withStatus(status, c);
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
    if (!from.isBefore(to)) {
      return out;
    }
    EntryColumns c = entries;
    int end = firstIndexAfter(byTime, to, false);
    for (int i = firstIndexAfter(byTime, from, false); i < end; i++) {
      int e = byTime.at(i);
      if ((agent == null || agent.equals(c.agent(e))) && (provider == null || provider.equals(c.provider(e)))) {
        out.add(c.view(e, null));
      }
    }
    return out;
  }

  @Override
  public List<Reservation> reservations(RunId run) {
    Objects.requireNonNull(run, "run");
    Reservation[] out;
    Reservation.Status[] statuses;
    long[] committed;
    // Under the lock, what may change (status, committed) and, for a reservation whose reserve's
    // answer is at hand, that answer; everything else is built after it (asItStands).
    synchronized (this) {
      IntList ofRun = byRun.get(run);
      if (ofRun == null) {
        return List.of();
      }
      int n = ofRun.size();
      out = new Reservation[n];
      statuses = new Reservation.Status[n];
      committed = new long[n];
      EntryColumns c = entries;
      for (int i = 0; i < n; i++) {
        int e = ofRun.at(i);
        Reservation made = recent[e & (RECENT - 1)];
        if (made != null && run.equals(made.run()) && c.idIs(e, made.id())) {
          out[i] = made;
          statuses[i] = c.status(e);
          committed[i] = c.committedMinor(e);
        } else {
          out[i] = c.view(e, null);
        }
      }
    }
    for (int i = 0; i < out.length; i++) {
      if (statuses[i] != null) {
        out[i] = asItStands(out[i], statuses[i], committed[i]);
      }
    }
    return List.of(out);
  }

  @Override
  public synchronized boolean markAlert(String alertKey) {
    return alerts.add(Objects.requireNonNull(alertKey, "alertKey"));
  }

  @Override
  public synchronized String toString() {
    return "InMemorySpendLedger{reservations=" + entries.size() + "}";
  }

  /** A growable list of entry handles. */
  private static final class IntList {
    private int[] items;
    private int size;

    IntList(int capacity) {
      items = new int[capacity];
    }

    int size() {
      return size;
    }

    int at(int i) {
      return items[i];
    }

    void add(int e) {
      if (size == items.length) {
        items = Arrays.copyOf(items, items.length * 2);
      }
      items[size++] = e;
    }

    void insert(int index, int e) {
      add(e);
      System.arraycopy(items, index, items, index + 1, size - 1 - index);
      items[index] = e;
    }
  }
}
