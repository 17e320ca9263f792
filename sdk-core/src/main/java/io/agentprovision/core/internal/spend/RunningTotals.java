package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.Currency;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory ledger's running totals: for each {@link SpendBucket}, each calendar (an interval
 * in a zone) a limit over that bucket has asked about, and each window of that calendar, the sum of
 * what the bucket's reservations made in the window hold and have committed. The ledger's lock
 * guards it; it is not thread-safe on its own.
 *
 * <p>The invariant: a total that exists equals a recount, over every reservation in the ledger, of
 * what its bucket and window count ({@link LimitMath#counts}). It holds because a total is created
 * by such a recount, and every later change to a reservation's counted amount is applied to every
 * existing total whose bucket and window contain it ({@link #apply}), found through the four
 * buckets the reservation feeds ({@link LimitMath#bucketsFed}) and each of their calendars. A
 * bucket's totals are therefore independent of the limits that ask about it: a limit added, removed,
 * raised or lowered between operations finds the same totals, or creates them by one recount.
 *
 * <p>Costs: reading a total is one bucket lookup and, within the calendar's current window, no
 * hashing; creating one recounts the reservations made in its window, once. Applying a change costs
 * one step per calendar of the reservation's four buckets (a handful), not per reservation held.
 */
final class RunningTotals {
  /** Every bucket asked about or fed, by its selector. */
  private final Map<SpendBucket, Bucket> buckets = new HashMap<>();
  /** The four buckets a spend falls in, keyed by its pair bucket (currency, agent, provider). */
  private final Map<SpendBucket, Fed> fed = new HashMap<>();

  /** The spender {@link #bucketsFed} was last asked about, and its buckets: a run reserves again and again as one spender. */
  private @Nullable SpendBucket lastPair;
  private @Nullable Fed lastFed;

  /** The four buckets a spend of {@code currency} by {@code agent} with {@code provider} feeds, created if new. */
  Fed bucketsFed(Currency currency, AgentId agent, String provider, EntryColumns columns) {
    SpendBucket last = lastPair;
    Fed lf = lastFed;
    if (last != null && lf != null && last.currency().equals(currency) && agent.equals(last.agent())
        && provider.equals(last.provider())) {
      return lf;
    }
    SpendBucket pair = new SpendBucket(currency, agent, provider);
    Fed four = fed.get(pair);
    lastPair = pair;
    if (four == null) {
      List<SpendBucket> selectors = LimitMath.bucketsFed(currency, agent, provider);
      Bucket[] buckets = new Bucket[selectors.size()];
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = bucket(selectors.get(i));
      }
      four = new Fed(buckets);
      four.code = columns.addFed(four);
      fed.put(pair, four);
    }
    lastFed = four;
    return four;
  }

  /**
   * The buckets one spender's spends feed, their code in the ledger's columns, and their calendars
   * in one array (rebuilt when any bucket gains a calendar): what a reserve or a settlement updates.
   */
  static final class Fed {
    final Bucket[] buckets;
    int code;
    /** What this spender's last reserve's limits came to (the ledger's, kept here: one per spender). */
    InMemorySpendLedger.@Nullable Resolved resolved;
    private Calendar[] calendars = new Calendar[0];
    private int generation = -1;

    Fed(Bucket[] buckets) {
      this.buckets = buckets;
    }

    private Calendar[] calendars(int current) {
      if (generation != current) {
        int n = 0;
        for (Bucket b : buckets) {
          n += b.calendars.length;
        }
        Calendar[] all = new Calendar[n];
        int i = 0;
        for (Bucket b : buckets) {
          System.arraycopy(b.calendars, 0, all, i, b.calendars.length);
          i += b.calendars.length;
        }
        calendars = all;
        generation = current;
      }
      return calendars;
    }
  }

  /** Counts, into a new total, every reservation its bucket holds that was made in its window. */
  interface Recount {
    void into(Total total, SpendBucket selector);
  }

  /** The bucket for {@code selector}, created (with no calendars) if new. */
  Bucket bucket(SpendBucket selector) {
    return buckets.computeIfAbsent(selector, Bucket::new);
  }

  /**
   * The bucket for {@code selector}, looked for first among {@code four} (the buckets the spend
   * being reserved feeds, where nearly every limit's bucket is) before the map.
   */
  Bucket bucket(SpendBucket selector, Bucket[] four) {
    for (Bucket b : four) {
      if (b.selector.equals(selector)) {
        return b;
      }
    }
    return bucket(selector);
  }

  /**
   * Adds {@code heldDelta} and {@code committedDelta} to every existing total that counts a
   * reservation feeding {@code buckets} made at {@code second} and {@code nano}.
   */
  void apply(Fed fed, long second, int nano, long heldDelta, long committedDelta) {
    for (Calendar c : fed.calendars(calendarsAdded)) {
      Total t = c.existing(second, nano);
      if (t != null) {
        t.held = Math.addExact(t.held, heldDelta);
        t.committed = Math.addExact(t.committed, committedDelta);
      }
    }
  }

  /** How many calendars have been added to any bucket: a {@link Fed} whose count differs gathers its calendars again. */
  private int calendarsAdded;

  /** One bucket's calendars. */
  static final class Bucket {
    final SpendBucket selector;
    /** Few (one per interval and zone asked about), so a copied array beats a map. */
    Calendar[] calendars = new Calendar[0];
    /**
     * {@link io.agentprovision.core.policy.SpendLimit#bucket}'s label of this bucket, by scope: a limit's
     * label is decided by its scope and the agent and provider its bucket selects.
     */
    private final String[] labels = new String[SpendLimit.Scope.values().length];

    Bucket(SpendBucket selector) {
      this.selector = selector;
    }

    /** {@code limit.bucket(agent, provider)}, for a limit whose bucket for that spender is this one. */
    String label(SpendLimit limit, AgentId agent, String provider) {
      int i = limit.scope().ordinal();
      String label = labels[i];
      if (label == null) {
        label = limit.bucket(agent, provider);
        labels[i] = label;
      }
      return label;
    }

    /**
     * The total of the window of {@code interval} in {@code zone} that contains {@code at}, created by
     * a {@code recount} if it does not exist yet.
     */
    Total totalAt(SpendInterval interval, ZoneId zone, Instant at, Recount recount, RunningTotals owner) {
      return calendar(interval, zone, owner).totalAt(at, recount);
    }

    /**
     * This bucket's calendar of {@code interval} in {@code zone}, created (with no totals) if new. A
     * calendar once made is never dropped, so a caller may keep it and ask it for totals later.
     */
    Calendar calendar(SpendInterval interval, ZoneId zone, RunningTotals owner) {
      ZoneId z = LimitMath.calendarZone(interval, zone);
      for (Calendar c : calendars) {
        if (c.interval == interval && c.zone.equals(z)) {
          return c;
        }
      }
      Calendar cal = new Calendar(this, interval, z);
      calendars = Arrays.copyOf(calendars, calendars.length + 1);
      calendars[calendars.length - 1] = cal;
      owner.calendarsAdded++;
      return cal;
    }
  }

  /** One interval in one zone, for one bucket: its windows' totals by start. */
  static final class Calendar {
    final Bucket bucket;
    final SpendInterval interval;
    final ZoneId zone;
    final Map<Instant, Total> byStart = new HashMap<>();
    /** The window last asked about: nearly every operation is in it, so finding it needs no hashing. */
    @Nullable Total current;

    Calendar(Bucket bucket, SpendInterval interval, ZoneId zone) {
      this.bucket = bucket;
      this.interval = interval;
      this.zone = zone;
    }

    /**
     * The total of this calendar's window that contains {@code at}, created by a {@code recount} if
     * it does not exist yet.
     */
    Total totalAt(Instant at, Recount recount) {
      Total t = current;
      if (t != null && t.contains(at.getEpochSecond(), at.getNano())) {
        return t;
      }
      SpendInterval.Window w = interval.windowAt(at, zone);
      t = byStart.get(w.start());
      if (t == null) {
        t = new Total(w);
        recount.into(t, bucket.selector);
        byStart.put(w.start(), t);
      }
      current = t;
      return t;
    }

    /** The existing total whose window contains the instant {@code second}, {@code nano}, or null when that window has none yet. */
    @Nullable Total existing(long second, int nano) {
      Total cur = current;
      if (cur == null) {
        return null;
      }
      if (cur.contains(second, nano)) {
        return cur;
      }
      if (byStart.size() == 1) {
        return null; // the only window does not contain it
      }
      Instant t = Instant.ofEpochSecond(second, nano);
      SpendInterval.Window w = interval.windowAt(t, zone);
      return w.contains(t) ? byStart.get(w.start()) : null;
    }
  }

  /** What one bucket holds and has committed in one window, in minor units of its currency. */
  static final class Total {
    final SpendInterval.Window window;
    // The window's bounds as numbers: a settlement checks them without touching an Instant.
    private final long startSecond;
    private final int startNano;
    private final long endSecond;
    private final int endNano;
    long held;
    long committed;

    Total(SpendInterval.Window window) {
      this.window = window;
      this.startSecond = window.start().getEpochSecond();
      this.startNano = window.start().getNano();
      this.endSecond = window.end().getEpochSecond();
      this.endNano = window.end().getNano();
    }

    /** Whether the instant {@code second}, {@code nano} lies in the window, as {@link SpendInterval.Window#contains}. */
    boolean contains(long second, int nano) {
      boolean notBeforeStart = second > startSecond || (second == startSecond && nano >= startNano);
      boolean beforeEnd = second < endSecond || (second == endSecond && nano < endNano);
      return notBeforeStart && beforeEnd;
    }

    /** Adds what one reservation counts. */
    void add(long heldMinor, long committedMinor) {
      held = Math.addExact(held, heldMinor);
      committed = Math.addExact(committed, committedMinor);
    }

    /** Committed plus held: what the bucket uses in the window. */
    long used() {
      return Math.addExact(held, committed);
    }
  }
}
