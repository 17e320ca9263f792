package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SpendLedger} against a reference model written here: random interleavings of reserves,
 * commits, releases, clock advances (across midnights, month and year ends, DST changes, in several
 * zones), policy changes (limits added, removed, raised, lowered; the zone changed) and restarts of
 * the ledger (a new instance over the same store). After every operation the ledger's answers must
 * equal what the model computes by recounting every reservation it holds, so the running totals are
 * exactly a naive recount; a refused reservation changes nothing; and no operation but a late commit
 * (a charge recorded after its reservation expired, which the ledger must show anyway) takes a
 * limit's use above the limit.
 *
 * <p>The model is deliberately naive: a list of reservations, and {@link SpendLimit#appliesTo},
 * {@link SpendLimit#sameBucket} and {@link SpendInterval#windowAt} applied to each of them on every
 * question.
 *
 * <p>Every store's model test extends this: it says how to make a fresh, empty ledger on a clock
 * ({@link #newLedger}) and how to reopen one over the same store ({@link #restart}), and declares
 * its own {@code @Property} (with as many tries as the store's speed allows) that calls
 * {@link #check} and then {@link #requireCoverage} scaled to those tries.
 */
public abstract class SpendLedgerModelContract {
  public static final List<AgentId> AGENTS = List.of(AgentId.of("agent-a"), AgentId.of("agent-b"));
  public static final List<String> PROVIDERS = List.of("cloudflare", "stripe");
  public static final List<ZoneId> ZONES = List.of(ZoneOffset.UTC, ZoneId.of("America/Los_Angeles"),
      ZoneId.of("Pacific/Kiritimati"), ZoneId.of("Asia/Kolkata"), ZoneId.of("Europe/London"));
  /** Starts just before a year end, a DST change in London and in Los Angeles, a leap day, a month end. */
  public static final List<Instant> STARTS = List.of(Instant.parse("2026-12-31T20:00:00Z"),
      Instant.parse("2026-03-28T22:30:00Z"), Instant.parse("2026-10-31T23:00:00Z"),
      Instant.parse("2028-02-28T12:00:00Z"), Instant.parse("2026-06-30T23:59:00Z"));

  // ---- operations ----

  public sealed interface Op {}

  /** A reservation by AGENTS[agent] with PROVIDERS[provider], made {@code skew} before now (a clock read earlier). */
  public record Reserve(int agent, int provider, long cents, boolean euros, Duration ttl, Duration skew, boolean allLimits,
      int run) implements Op {}

  /** Commits {@code percent}% of a reservation's amount; above 100, one cent more than reserved. */
  public record Commit(int pick, int percent) implements Op {}

  public record Release(int pick) implements Op {}

  public record Advance(Duration by) implements Op {}

  /** Moves the clock exactly to a reservation's expiry, where it stops counting. */
  public record AdvanceToExpiry(int pick) implements Op {}

  public record AddLimit(Shape shape, long cents) implements Op {}

  public record RemoveLimit(int pick) implements Op {}

  /** Raises or lowers a limit in force. */
  public record SetAmount(int pick, long cents) implements Op {}

  public record SetZone(int zone) implements Op {}

  /** Reopens the ledger over the same store: whatever it keeps must come back. */
  public record Restart() implements Op {}

  /** A limit without its amount: interval, scope, optional filters (-1 for none), currency. */
  public record Shape(SpendInterval interval, SpendLimit.Scope scope, int agentFilter, int providerFilter, boolean euros) {
    SpendLimit limit(long cents) {
      SpendLimit l = SpendLimit.of(Money.ofMinor(cents, euros ? "EUR" : "USD"), interval);
      if (scope == SpendLimit.Scope.PER_AGENT || scope == SpendLimit.Scope.PER_AGENT_AND_PROVIDER) {
        l = l.perAgent();
      }
      if (scope == SpendLimit.Scope.PER_PROVIDER || scope == SpendLimit.Scope.PER_AGENT_AND_PROVIDER) {
        l = l.perProvider();
      }
      if (agentFilter >= 0) {
        l = l.forAgent(AGENTS.get(agentFilter));
      }
      if (providerFilter >= 0) {
        l = l.forProvider(PROVIDERS.get(providerFilter));
      }
      return l;
    }
  }

  /** A fresh, empty ledger whose reservations expire on {@code clock}. */
  protected abstract SpendLedger newLedger(Clock clock);

  /**
   * The same store reopened as a new instance (a restarted host), on {@code clock}; {@code ledger}
   * is the instance in use until now.
   */
  protected abstract SpendLedger restart(SpendLedger ledger, Clock clock);

  @Provide
  public Arbitrary<Shape> shapes() {
    return Combinators.combine(Arbitraries.of(SpendInterval.class), Arbitraries.of(SpendLimit.Scope.class),
        Arbitraries.frequency(Tuple.of(4, -1), Tuple.of(1, 0), Tuple.of(1, 1)),
        Arbitraries.frequency(Tuple.of(4, -1), Tuple.of(1, 0), Tuple.of(1, 1)),
        Arbitraries.frequency(Tuple.of(30, false), Tuple.of(1, true))).as(Shape::new);
  }

  @Provide
  public Arbitrary<List<Tuple.Tuple2<Shape, Long>>> policies() {
    return Combinators.combine(shapes(), Arbitraries.longs().between(0, 10_000)).as(Tuple::of).list().ofMinSize(1)
        .ofMaxSize(4);
  }

  @Provide
  public Arbitrary<List<Op>> operations() {
    Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1_000);
    Arbitrary<Op> reserve = Combinators.combine(Arbitraries.integers().between(0, 1),
        Arbitraries.integers().between(0, 1), Arbitraries.longs().between(0, 3_000),
        Arbitraries.frequency(Tuple.of(40, false), Tuple.of(1, true)),
        Arbitraries.of(Duration.ZERO, Duration.ofMinutes(1), Duration.ofMinutes(30), Duration.ofHours(1),
            Duration.ofDays(1), Duration.ofDays(3)),
        Arbitraries.frequency(Tuple.of(4, Duration.ZERO), Tuple.of(1, Duration.ofSeconds(90)),
            Tuple.of(1, Duration.ofHours(3))),
        Arbitraries.frequency(Tuple.of(5, false), Tuple.of(1, true)),
        Arbitraries.integers().between(0, 3)).as(Reserve::new);
    Arbitrary<Op> commit = Combinators.combine(pick,
        Arbitraries.frequency(Tuple.of(3, 100), Tuple.of(1, 0), Tuple.of(1, 101))).as(Commit::new);
    Arbitrary<Op> commitAny = Combinators.combine(pick, Arbitraries.integers().between(0, 101)).as(Commit::new);
    Arbitrary<Op> release = pick.map(Release::new);
    Arbitrary<Op> advance = Arbitraries.of(Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofMinutes(20),
        Duration.ofHours(1), Duration.ofHours(6), Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(31),
        Duration.ofDays(366)).map(Advance::new);
    Arbitrary<Op> toExpiry = pick.map(AdvanceToExpiry::new);
    Arbitrary<Op> add = Combinators.combine(shapes(), Arbitraries.longs().between(0, 10_000)).as(AddLimit::new);
    Arbitrary<Op> remove = pick.map(RemoveLimit::new);
    Arbitrary<Op> setAmount = Combinators.combine(pick, Arbitraries.longs().between(0, 10_000)).as(SetAmount::new);
    Arbitrary<Op> zone = Arbitraries.integers().between(0, ZONES.size() - 1).map(SetZone::new);
    Arbitrary<Op> restart = Arbitraries.just(new Restart());
    return Arbitraries.frequencyOf(Tuple.of(8, reserve), Tuple.of(2, commit), Tuple.of(2, commitAny),
        Tuple.of(2, release), Tuple.of(3, advance), Tuple.of(1, toExpiry), Tuple.of(1, add), Tuple.of(1, remove),
        Tuple.of(1, setAmount), Tuple.of(1, zone), Tuple.of(1, restart)).list().ofMinSize(5).ofMaxSize(80)
        .withSizeDistribution(RandomDistribution.uniform());
  }

  // ---- the reference model ----

  /** One reservation as the model sees it. */
  static final class Held {
    final String id;
    final AgentId agent;
    final String provider;
    final @Nullable RunId run;
    final Money amount;
    final Instant createdAt;
    final Instant expiresAt;
    Reservation.Status status = Reservation.Status.RESERVED;
    @Nullable Money committed;

    Held(String id, AgentId agent, String provider, @Nullable RunId run, Money amount, Instant createdAt,
        Instant expiresAt) {
      this.id = id;
      this.agent = agent;
      this.provider = provider;
      this.run = run;
      this.amount = amount;
      this.createdAt = createdAt;
      this.expiresAt = expiresAt;
    }

    long counted(Instant now) {
      return switch (status) {
        case COMMITTED -> committed.minorUnits();
        case RESERVED -> now.isBefore(expiresAt) ? amount.minorUnits() : 0;
        default -> 0;
      };
    }
  }

  /** The naive ledger: every question answered by looking at every reservation. */
  static final class Model {
    final List<Held> all = new ArrayList<>();

    long used(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone, Instant now) {
      if (limit.interval() == SpendInterval.PER_TRANSACTION) {
        return 0;
      }
      SpendInterval.Window w = limit.interval().windowAt(at, zone);
      long used = 0;
      for (Held h : all) {
        if (limit.appliesTo(h.agent, h.provider) && limit.sameBucket(agent, provider, h.agent, h.provider)
            && w.contains(h.createdAt) && h.amount.currency().equals(limit.amount().currency())) {
          used += h.counted(now);
        }
      }
      return used;
    }

    @Nullable Held pick(int n) {
      return all.isEmpty() ? null : all.get(n % all.size());
    }
  }

  // ---- the property ----

  /**
   * Runs {@code ops} from {@code start} against a {@link #newLedger} and the model, checking after
   * every operation; a subclass's {@code @Property} calls it with its generated arguments
   * ({@code @ForAll("policies")}, {@code @ForAll("operations")}, {@code @ForAll("starts")},
   * {@code @ForAll("zones")}).
   */
  protected void check(List<Tuple.Tuple2<Shape, Long>> initial, List<Op> ops, Instant start, ZoneId startZone) {
    ManualTime time = new ManualTime(start);
    SpendLedger ledger = newLedger(time);
    Model model = new Model();
    Map<String, SpendLimit> policy = new LinkedHashMap<>();
    Map<String, SpendLimit> everInForce = new LinkedHashMap<>();
    for (Tuple.Tuple2<Shape, Long> t : initial) {
      SpendLimit l = t.get1().limit(t.get2());
      policy.put(l.key(), l);
    }
    ZoneId zone = startZone;
    int n = 0;
    for (Op op : ops) {
      everInForce.putAll(policy);
      Instant now = time.instant();
      Instant probe = now;
      if (op instanceof Reserve r) {
        probe = reserve(ledger, model, policy, zone, time, r, "r" + (n++));
      } else if (op instanceof Commit c) {
        Held h = model.pick(c.pick());
        if (h != null) {
          probe = h.createdAt;
          commit(ledger, model, policy, zone, now, h, c.percent());
        }
      } else if (op instanceof Release r) {
        Held h = model.pick(r.pick());
        if (h != null) {
          probe = h.createdAt;
          release(ledger, model, policy, zone, now, h);
        }
      } else if (op instanceof Advance a) {
        time.advance(a.by());
        collectCrossings(model, zone, now, time.instant());
      } else if (op instanceof AdvanceToExpiry a) {
        Held h = model.pick(a.pick());
        if (h != null && h.expiresAt.isAfter(now)) {
          time.set(h.expiresAt);
          collectCrossings(model, zone, now, time.instant());
        }
      } else if (op instanceof AddLimit a) {
        SpendLimit l = a.shape().limit(a.cents());
        policy.put(l.key(), l);
      } else if (op instanceof RemoveLimit r) {
        if (!policy.isEmpty()) {
          policy.remove(new ArrayList<>(policy.keySet()).get(r.pick() % policy.size()));
        }
      } else if (op instanceof SetAmount set) {
        if (!policy.isEmpty()) {
          SpendLimit l = new ArrayList<>(policy.values()).get(set.pick() % policy.size());
          policy.put(l.key(), l.withAmount(Money.ofMinor(set.cents(), l.amount().currencyCode())));
        }
      } else if (op instanceof SetZone z) {
        zone = ZONES.get(z.zone());
      } else if (op instanceof Restart) {
        ledger = restart(ledger, time);
      }
      everInForce.putAll(policy);
      assertAgrees(ledger, model, everInForce.values(), zone, time.instant(), probe);
    }
  }

  /**
   * The cases that matter must actually come up, or the property proves little: counts over all
   * tries, set for 300 tries and scaled by {@code scale} (a store that runs fewer tries passes
   * {@code tries / 300.0}). Call it from the property after {@link #check}.
   */
  protected static void requireCoverage(double scale) {
    Statistics.label("events").coverage(c -> {
      c.check("reserve admitted").count(k -> k > 1_000 * scale);
      c.check("reserve refused by a limit").count(k -> k > 300 * scale);
      c.check("reserve refused: another currency").count(k -> k > 10 * scale);
      c.check("late commit").count(k -> k > 30 * scale);
      c.check("held reservation expired").count(k -> k > 100 * scale);
      c.check("crossed a month").count(k -> k > 100 * scale);
      c.check("crossed a year").count(k -> k > 20 * scale);
      c.check("crossed a day with a reservation held over it").count(k -> k > 30 * scale);
    });
  }

  /** Records which calendar boundaries an advance of the clock crossed, and what expired. */
  private static void collectCrossings(Model model, ZoneId zone, Instant from, Instant to) {
    if (!SpendInterval.MONTHLY.windowAt(from, zone).equals(SpendInterval.MONTHLY.windowAt(to, zone))) {
      Statistics.label("events").collect("crossed a month");
    }
    if (!SpendInterval.YEARLY.windowAt(from, zone).equals(SpendInterval.YEARLY.windowAt(to, zone))) {
      Statistics.label("events").collect("crossed a year");
    }
    for (Held h : model.all) {
      if (h.status == Reservation.Status.RESERVED && h.expiresAt.isAfter(from) && !h.expiresAt.isAfter(to)) {
        Statistics.label("events").collect("held reservation expired");
        if (!SpendInterval.DAILY.windowAt(h.createdAt, zone).contains(to)) {
          Statistics.label("events").collect("crossed a day with a reservation held over it");
        }
      }
    }
  }

  @Provide
  public Arbitrary<Instant> starts() {
    return Arbitraries.of(STARTS);
  }

  @Provide
  public Arbitrary<ZoneId> zones() {
    return Arbitraries.of(ZONES);
  }

  /** The limits the engine would pass: those that apply to the spender (or, sometimes, all of them). */
  static List<SpendLimit> limitsFor(Map<String, SpendLimit> policy, AgentId agent, String provider, boolean all) {
    List<SpendLimit> out = new ArrayList<>();
    for (SpendLimit l : policy.values()) {
      if (all || l.appliesTo(agent, provider)) {
        out.add(l);
      }
    }
    return out;
  }

  private static Instant reserve(SpendLedger ledger, Model model, Map<String, SpendLimit> policy, ZoneId zone,
      ManualTime time, Reserve op, String id) {
    Instant now = time.instant();
    AgentId agent = AGENTS.get(op.agent());
    String provider = PROVIDERS.get(op.provider());
    Money amount = Money.ofMinor(op.cents(), op.euros() ? "EUR" : "USD");
    Instant at = now.minus(op.skew());
    RunId run = op.run() < 3 ? RunId.of("run_" + op.run()) : null;
    List<SpendLimit> limits = limitsFor(policy, agent, provider, op.allLimits());

    // What the model says: the first limit that refuses, or the use of each limit before.
    String refusedBy = null;
    List<Long> before = new ArrayList<>();
    for (SpendLimit l : limits) {
      if (!l.amount().sameCurrency(amount)) {
        refusedBy = l.key();
        break;
      }
      long used = model.used(l, agent, provider, at, zone, now);
      if (used + amount.minorUnits() > l.amount().minorUnits()) {
        refusedBy = l.key() + " [" + l.bucket(agent, provider) + "]";
        break;
      }
      before.add(used);
    }
    Map<String, Long> windowsBefore = usesAround(model, policy, zone, now, at);

    ReservationRequest request = new ReservationRequest(id, agent, provider, run, StepId.of("step"), amount, at,
        at.plus(op.ttl()), limits, zone, "property spend " + id);
    if (refusedBy != null) {
      Statistics.label("events").collect(refusedBy.contains("[") ? "reserve refused by a limit"
          : "reserve refused: another currency");
      String expected = refusedBy;
      assertThatThrownBy(() -> ledger.reserve(request)).as("reserve %s", op)
          .isInstanceOfSatisfying(PolicyViolationException.class, e -> assertThat(e.limit()).isEqualTo(expected));
      assertThat(ledger.reservation(id)).as("a refused reservation is not recorded").isEmpty();
      return at;
    }
    Reservation r;
    try {
      r = ledger.reserve(request);
    } catch (PolicyViolationException e) {
      return fail("the model admits %s but the ledger refused: %s", op, e.getMessage());
    }
    Statistics.label("events").collect("reserve admitted");
    assertThat(r.status()).isEqualTo(Reservation.Status.RESERVED);
    assertThat(r.usage()).hasSize(limits.size());
    for (int i = 0; i < limits.size(); i++) {
      LimitUsage u = r.usage().get(i);
      assertThat(u.used().minorUnits()).as("use of %s after %s", limits.get(i), op)
          .isEqualTo(before.get(i) + amount.minorUnits());
      assertThat(u.used()).as("admitted within %s", limits.get(i)).isLessThanOrEqualTo(limits.get(i).amount());
    }
    model.all.add(new Held(id, agent, provider, run, amount, at, at.plus(op.ttl())));
    assertNoLimitPushedOver(windowsBefore, usesAround(model, policy, zone, now, at), policy, op);
    return at;
  }

  private static void commit(SpendLedger ledger, Model model, Map<String, SpendLimit> policy, ZoneId zone,
      Instant now, Held h, int percent) {
    Money actual = percent > 100 ? h.amount.plus(Money.ofMinor(1, h.amount.currency()))
        : Money.ofMinor(h.amount.minorUnits() * percent / 100, h.amount.currency());
    boolean late = h.status == Reservation.Status.RESERVED && !now.isBefore(h.expiresAt);
    Map<String, Long> windowsBefore = usesAround(model, policy, zone, now, h.createdAt);
    boolean allowed = percent <= 100 && (h.status == Reservation.Status.RESERVED
        || (h.status == Reservation.Status.COMMITTED && actual.equals(h.committed)));
    if (!allowed) {
      assertThatThrownBy(() -> ledger.commit(h.id, actual)).isInstanceOf(InvalidRequestException.class);
      return;
    }
    Reservation r = ledger.commit(h.id, actual);
    h.status = Reservation.Status.COMMITTED;
    h.committed = actual;
    assertThat(r.status()).isEqualTo(Reservation.Status.COMMITTED);
    assertThat(r.committed()).isEqualTo(actual);
    if (late) {
      Statistics.label("events").collect("late commit");
    } else {
      assertNoLimitPushedOver(windowsBefore, usesAround(model, policy, zone, now, h.createdAt), policy, "commit");
    }
  }

  private static void release(SpendLedger ledger, Model model, Map<String, SpendLimit> policy, ZoneId zone,
      Instant now, Held h) {
    if (h.status == Reservation.Status.COMMITTED) {
      assertThatThrownBy(() -> ledger.release(h.id)).isInstanceOf(InvalidRequestException.class);
      return;
    }
    Map<String, Long> windowsBefore = usesAround(model, policy, zone, now, h.createdAt);
    Reservation r = ledger.release(h.id);
    h.status = Reservation.Status.RELEASED;
    assertThat(r.status()).isEqualTo(Reservation.Status.RELEASED);
    assertNoLimitPushedOver(windowsBefore, usesAround(model, policy, zone, now, h.createdAt), policy, "release");
  }

  /** The model's use of every limit in force, for every spender, in the window containing {@code at}. */
  private static Map<String, Long> usesAround(Model model, Map<String, SpendLimit> policy, ZoneId zone, Instant now,
      Instant at) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (SpendLimit l : policy.values()) {
      for (AgentId a : AGENTS) {
        for (String p : PROVIDERS) {
          out.put(l.key() + "|" + a + "|" + p, model.used(l, a, p, at, zone, now));
        }
      }
    }
    return out;
  }

  /**
   * The safety property: an operation may leave a limit's use above the limit only where it was at
   * least as high before (the limit was lowered or added below what was already spent); it never
   * pushes a use above a limit in force, or further above it.
   */
  private static void assertNoLimitPushedOver(Map<String, Long> before, Map<String, Long> after,
      Map<String, SpendLimit> policy, Object op) {
    for (SpendLimit l : policy.values()) {
      for (AgentId a : AGENTS) {
        for (String p : PROVIDERS) {
          String k = l.key() + "|" + a + "|" + p;
          long now = after.get(k);
          if (now > l.amount().minorUnits()) {
            assertThat(now).as("%s took %s for %s/%s above its limit", op, l, a, p).isLessThanOrEqualTo(before.get(k));
          }
        }
      }
    }
  }

  /**
   * The ledger's totals equal the model's recount for every limit ever in force, every spender, in
   * the current window and in the one {@code probe} (the instant the last operation touched) falls
   * in, in the policy's zone and in UTC; and every reservation reads back as the model has it.
   */
  private static void assertAgrees(SpendLedger ledger, Model model, Iterable<SpendLimit> limits, ZoneId zone,
      Instant now, Instant probe) {
    for (SpendLimit l : limits) {
      for (AgentId a : AGENTS) {
        for (String p : PROVIDERS) {
          for (Instant at : List.of(now, probe)) {
            for (ZoneId z : zone.equals(ZoneOffset.UTC) ? List.of(zone) : List.of(zone, ZoneOffset.UTC)) {
              LimitUsage u = ledger.usage(l, a, p, at, z);
              assertThat(u.used().minorUnits()).as("use of %s for %s/%s at %s in %s", l, a, p, at, z)
                  .isEqualTo(model.used(l, a, p, at, z, now));
              assertThat(u.window()).isEqualTo(l.interval().windowAt(at, z));
              assertThat(u.bucket()).isEqualTo(l.bucket(a, p));
            }
          }
        }
      }
    }
    List<Held> byTime = new ArrayList<>(model.all);
    byTime.sort(Comparator.comparing(h -> h.createdAt)); // stable: ties stay in arrival order
    assertThat(ledger.reservations(null, null, Instant.EPOCH, Instant.MAX)).extracting(Reservation::id)
        .containsExactlyElementsOf(byTime.stream().map(h -> h.id).toList());
    for (Held h : model.all) {
      Reservation r = ledger.reservation(h.id).orElseThrow();
      assertThat(r.status()).as(h.id).isEqualTo(h.status);
      assertThat(r.committed()).as(h.id).isEqualTo(h.committed);
    }
    for (int i = 0; i < 3; i++) {
      RunId run = RunId.of("run_" + i);
      assertThat(ledger.reservations(run)).extracting(Reservation::id)
          .containsExactlyElementsOf(byTime.stream().filter(h -> run.equals(h.run)).map(h -> h.id).toList());
    }
  }
}
