package io.agentprovision.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * {@link SpendPolicy#loosens} as properties: a policy loosens nothing against itself; tightening
 * never counts as loosening; each kind of loosening is reported with its aspect; and, the property
 * that matters, a change that reports no loosening admits no spend the policy in force refuses and
 * asks a person for everything it asks for, whatever the spend already recorded. Spends are judged
 * by an in-memory ledger through the public SPI, as the engine reserves them.
 */
class SpendPolicyLoosensPropertiesTest {
  private static final int TRIES = 300;
  /** A fixed seed: the same inputs on every run, so a failure is reproducible. */
  private static final String SEED = "20261130";
  private static final Instant NOW = Instant.parse("2026-11-30T09:30:00Z");
  private static final List<String> PROVIDERS = List.of("cloudflare", "other");
  private static final List<AgentId> AGENTS = List.of(AgentId.of("agent-1"), AgentId.of("agent-2"));
  private static final List<ZoneId> ZONES = List.of(ZoneId.of("UTC"), ZoneId.of("Europe/Berlin"),
      ZoneId.of("Pacific/Kiritimati"), ZoneId.of("America/New_York"));
  private static final List<Duration> TTLS = List.of(Duration.ofMinutes(1), Duration.ofMinutes(30),
      Duration.ofHours(1), Duration.ofHours(6), Duration.ofDays(1));
  private static final List<Duration> MAX_AGES = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5),
      Duration.ofMinutes(15), Duration.ofHours(1));
  private static final List<Integer> PERCENTS = List.of(25, 50, 80, 100);

  /** A spend: how much, by whom, with whom, when. */
  record Spend(Money amount, AgentId agent, String provider, Instant at) {}

  // ---------------------------------------------------------------- generators

  private static Arbitrary<Money> money(int maxMinor) {
    return Combinators.combine(Arbitraries.longs().between(0, maxMinor), Arbitraries.of("USD", "EUR"))
        .as(Money::ofMinor);
  }

  private static Arbitrary<SpendLimit> limit() {
    return Combinators.combine(money(3000), Arbitraries.of(SpendInterval.class), Arbitraries.of(SpendLimit.Scope.class),
        Arbitraries.of("", "cloudflare", "other"), Arbitraries.integers().between(0, 2)).as((m, interval, scope, p, a) -> {
          SpendLimit l = SpendLimit.of(m, interval);
          l = switch (scope) {
            case GLOBAL -> l;
            case PER_PROVIDER -> l.perProvider();
            case PER_AGENT -> l.perAgent();
            case PER_AGENT_AND_PROVIDER -> l.perAgent().perProvider();
          };
          if (!p.isEmpty()) {
            l = l.forProvider(p);
          }
          if (a > 0) {
            l = l.forAgent(AGENTS.get(a - 1));
          }
          return l;
        });
  }

  @Provide
  Arbitrary<SpendPolicy> policies() {
    Arbitrary<List<SpendLimit>> limits = limit().list().ofMinSize(1).ofMaxSize(4);
    Arbitrary<Set<CheckpointKind>> mfa = Arbitraries.of(EnumSet.complementOf(EnumSet.of(CheckpointKind.STEP_UP)))
        .set().ofMaxSize(4);
    Arbitrary<Set<Integer>> alerts = Arbitraries.of(PERCENTS).set().ofMaxSize(4);
    return Combinators.combine(limits, money(2500), alerts, Arbitraries.of(ZONES), Arbitraries.of(TTLS), mfa,
        Arbitraries.of(MAX_AGES)).as((ls, threshold, al, zone, ttl, kinds, maxAge) -> {
          Map<String, SpendLimit> unique = new LinkedHashMap<>();
          for (SpendLimit l : ls) {
            unique.putIfAbsent(l.key() + "|" + l.amount().currencyCode(), l);
          }
          return SpendPolicy.builder().replaceLimits(new ArrayList<>(unique.values())).requireApprovalAbove(threshold)
              .alertAt(al.stream().mapToInt(Integer::intValue).toArray()).zone(zone).reservationTtl(ttl)
              .requireMfaFor(kinds.toArray(new CheckpointKind[0])).stepUpMaxAge(maxAge).build();
        });
  }

  private static Arbitrary<Spend> spend(int maxDaysAgo) {
    return Combinators.combine(money(2000), Arbitraries.of(AGENTS), Arbitraries.of(PROVIDERS),
        Arbitraries.integers().between(0, maxDaysAgo * 24 * 60))
        .as((m, a, p, minutesAgo) -> new Spend(m, a, p, NOW.minus(Duration.ofMinutes(minutesAgo))));
  }

  @Provide
  Arbitrary<List<Spend>> histories() {
    return spend(45).list().ofMaxSize(6);
  }

  @Provide
  Arbitrary<Spend> spendsNow() {
    return spend(0);
  }

  /** A tightening: the same or stricter in one respect. */
  @Provide
  Arbitrary<Tightening> tightenings() {
    return Arbitraries.of(Tightening.class);
  }

  /** Ways to make a policy stricter; none may count as a loosening. */
  enum Tightening {
    LOWER_A_LIMIT, ADD_A_LIMIT, LOWER_THRESHOLD, MORE_MFA, SHORTER_MAX_AGE, MORE_ALERTS, SHORTER_TTL, NOTHING;

    SpendPolicy apply(SpendPolicy p, long seed) {
      SpendPolicy.Builder b = p.toBuilder();
      switch (this) {
        case LOWER_A_LIMIT: {
          List<SpendLimit> ls = new ArrayList<>(p.limits());
          int i = (int) Math.floorMod(seed, ls.size());
          SpendLimit l = ls.get(i);
          ls.set(i, l.withAmount(Money.ofMinor(l.amount().minorUnits() / 2, l.amount().currency())));
          return b.replaceLimits(ls).build();
        }
        case ADD_A_LIMIT: {
          SpendLimit extra = SpendLimit.daily(Money.ofMinor(Math.floorMod(seed, 1500), "USD")).perAgent()
              .forProvider("cloudflare");
          List<SpendLimit> ls = new ArrayList<>(p.limits());
          if (ls.stream().noneMatch(l -> l.key().equals(extra.key()) && l.amount().sameCurrency(extra.amount()))) {
            ls.add(extra);
          }
          return b.replaceLimits(ls).build();
        }
        case LOWER_THRESHOLD:
          return b.requireApprovalAbove(Money.ofMinor(p.approvalThreshold().minorUnits() / 3,
              p.approvalThreshold().currency())).build();
        case MORE_MFA: {
          Set<CheckpointKind> kinds = EnumSet.of(CheckpointKind.DOMAIN_PURCHASE, CheckpointKind.RAISE_LIMIT);
          kinds.addAll(p.mfaRequiredFor());
          return b.requireMfaFor(kinds.toArray(new CheckpointKind[0])).build();
        }
        case SHORTER_MAX_AGE:
          return b.stepUpMaxAge(SpendPolicy.MIN_STEP_UP_MAX_AGE).build();
        case MORE_ALERTS: {
          List<Integer> more = new ArrayList<>(p.alertPercents());
          more.add(90);
          return b.alertAt(more.stream().mapToInt(Integer::intValue).toArray()).build();
        }
        case SHORTER_TTL:
          return b.reservationTtl(Duration.ofMinutes(1)).build();
        default:
          return p;
      }
    }
  }

  /** Ways to loosen a policy, each with the aspect {@code loosens} must report. */
  enum Loosen {
    RAISE_A_LIMIT(Loosening.Aspect.LIMIT_RAISED),
    REMOVE_A_LIMIT(Loosening.Aspect.LIMIT_REMOVED),
    CHANGE_AN_INTERVAL(Loosening.Aspect.LIMIT_REMOVED),
    CHANGE_A_SCOPE(Loosening.Aspect.LIMIT_REMOVED),
    RAISE_THRESHOLD(Loosening.Aspect.APPROVAL_THRESHOLD_RAISED),
    DROP_MFA(Loosening.Aspect.MFA_DROPPED),
    LONGER_MAX_AGE(Loosening.Aspect.STEP_UP_MAX_AGE_LONGER),
    DROP_AN_ALERT(Loosening.Aspect.ALERT_DROPPED),
    CHANGE_ZONE(Loosening.Aspect.ZONE_CHANGED),
    LONGER_TTL(Loosening.Aspect.RESERVATION_TTL_LONGER);

    final Loosening.Aspect aspect;

    Loosen(Loosening.Aspect aspect) {
      this.aspect = aspect;
    }

    /** The loosened policy; {@code p} itself when this loosening does not apply to it. */
    SpendPolicy apply(SpendPolicy p) {
      SpendPolicy.Builder b = p.toBuilder();
      List<SpendLimit> ls = new ArrayList<>(p.limits());
      SpendLimit first = ls.get(0);
      switch (this) {
        case RAISE_A_LIMIT:
          ls.set(0, first.withAmount(first.amount().plus(Money.ofMinor(1, first.amount().currency()))));
          return b.replaceLimits(ls).build();
        case REMOVE_A_LIMIT:
          if (ls.size() < 2) {
            return p; // a policy keeps at least one limit (the default when none is given)
          }
          ls.remove(0);
          return b.replaceLimits(ls).build();
        case CHANGE_AN_INTERVAL: {
          SpendInterval other = first.interval() == SpendInterval.MONTHLY ? SpendInterval.YEARLY : SpendInterval.MONTHLY;
          SpendLimit moved = SpendLimit.of(first.amount(), other);
          if (ls.stream().anyMatch(l -> l.key().equals(moved.key()) && l.amount().sameCurrency(moved.amount()))) {
            return p;
          }
          ls.set(0, moved);
          return b.replaceLimits(ls).build();
        }
        case CHANGE_A_SCOPE: {
          SpendLimit global = SpendLimit.of(first.amount(), first.interval());
          SpendLimit moved = first.scope() == SpendLimit.Scope.GLOBAL && first.provider() == null
              && first.agent() == null ? global.perAgent() : global;
          if (ls.stream().anyMatch(l -> l.key().equals(moved.key()) && l.amount().sameCurrency(moved.amount()))) {
            return p;
          }
          ls.set(0, moved);
          return b.replaceLimits(ls).build();
        }
        case RAISE_THRESHOLD:
          return b.requireApprovalAbove(p.approvalThreshold().plus(Money.ofMinor(100, p.approvalThreshold().currency())))
              .build();
        case DROP_MFA:
          if (p.mfaRequiredFor().isEmpty()) {
            return p;
          }
          return b.requireMfaFor().build();
        case LONGER_MAX_AGE:
          return p.stepUpMaxAge().equals(SpendPolicy.MAX_STEP_UP_MAX_AGE) ? p
              : b.stepUpMaxAge(SpendPolicy.MAX_STEP_UP_MAX_AGE).build();
        case DROP_AN_ALERT:
          if (p.alertPercents().isEmpty()) {
            return p;
          }
          return b.alertAt(p.alertPercents().subList(1, p.alertPercents().size()).stream().mapToInt(Integer::intValue)
              .toArray()).build();
        case CHANGE_ZONE:
          return b.zone(p.zone().equals(ZoneId.of("Asia/Tokyo")) ? ZoneId.of("UTC") : ZoneId.of("Asia/Tokyo")).build();
        case LONGER_TTL:
          return p.reservationTtl().equals(Duration.ofDays(1)) ? p : b.reservationTtl(Duration.ofDays(1)).build();
        default:
          throw new AssertionError(this);
      }
    }
  }

  // ---------------------------------------------------------------- judging spends as the engine does

  /** Whether {@code policy} admits {@code spend} after {@code history} was spent: reserved in a ledger. */
  private static boolean admits(SpendPolicy policy, List<Spend> history, Spend spend) {
    SpendLedger ledger = SpendLedger.inMemory(ManualTime.at(NOW.toString()));
    int n = 0;
    for (Spend h : history) {
      String id = "h" + (++n);
      ledger.reserve(ReservationRequest.builder(id, h.agent(), h.provider(), h.amount()).at(h.at())
          .expiresAt(NOW.plus(Duration.ofDays(365))).limits(List.of()).zone(policy.zone()).description("earlier")
          .build());
      ledger.commit(id, h.amount());
    }
    try {
      ledger.reserve(ReservationRequest.builder("now", spend.agent(), spend.provider(), spend.amount()).at(spend.at())
          .expiresAt(NOW.plus(policy.reservationTtl())).limits(policy.limitsFor(spend.agent(), spend.provider()))
          .zone(policy.zone()).description("the spend").build());
      return true;
    } catch (PolicyViolationException refused) {
      return false;
    }
  }

  // ---------------------------------------------------------------- properties

  @Property(tries = TRIES, seed = SEED)
  void aPolicy_loosensNothingAgainstItselfOrItsCopy(@ForAll("policies") SpendPolicy p) {
    SpendPolicy copy = p.toBuilder().build();

    assertThat(p.loosens(p)).isEmpty();
    assertThat(copy.loosens(p)).isEmpty();
    assertThat(p.loosens(copy)).isEmpty();
    assertThat(copy.canonical()).isEqualTo(p.canonical());
  }

  @Property(tries = TRIES, seed = SEED)
  void tightening_isNeverALoosening(@ForAll("policies") SpendPolicy p, @ForAll("tightenings") Tightening t1,
      @ForAll("tightenings") Tightening t2, @ForAll long seed) {
    SpendPolicy tighter = t2.apply(t1.apply(p, seed), seed >>> 7);

    assertThat(tighter.loosens(p)).as("%s then %s", t1, t2).isEmpty();
  }

  @Property(tries = TRIES, seed = SEED)
  void eachLoosening_isReportedWithItsAspect(@ForAll("policies") SpendPolicy p, @ForAll Loosen how) {
    SpendPolicy looser = how.apply(p);
    Statistics.collect(looser == p ? "not applicable" : "applied");
    Statistics.coverage(c -> c.check("applied").count(n -> n >= TRIES / 2));
    if (looser == p) {
      return;
    }

    assertThat(looser.loosens(p)).extracting(Loosening::aspect).as(how.name()).contains(how.aspect);
    if (how.aspect != Loosening.Aspect.LIMIT_REMOVED && how.aspect != Loosening.Aspect.ZONE_CHANGED
        || how == Loosen.REMOVE_A_LIMIT) {
      // undoing it is a tightening, except where the change is symmetric (another interval, scope or zone)
      assertThat(p.loosens(looser)).extracting(Loosening::aspect).doesNotContain(how.aspect);
    }
  }

  @Property(tries = TRIES * 2, seed = SEED)
  void aChangeThatLoosensNothing_admitsNoSpendTheCurrentPolicyRefuses_andAsksAPersonNoLess(
      @ForAll("policies") SpendPolicy current, @ForAll("tightenings") Tightening t1,
      @ForAll("tightenings") Tightening t2, @ForAll Loosen maybe, @ForAll boolean loosen, @ForAll long seed,
      @ForAll("histories") List<Spend> history, @ForAll("spendsNow") Spend spend) {
    SpendPolicy proposed = t2.apply(t1.apply(current, seed), seed >>> 7);
    if (loosen) {
      proposed = maybe.apply(proposed);
    }
    boolean loosens = !proposed.loosens(current).isEmpty();
    boolean currentAdmits = admits(current, history, spend);
    boolean proposedAdmits = admits(proposed, history, spend);
    Statistics.collect(loosens ? "reported loosening" : currentAdmits ? "no loosening, admitted" : "no loosening, refused");
    Statistics.coverage(c -> {
      c.check("no loosening, refused").count(n -> n >= 20);
      c.check("no loosening, admitted").count(n -> n >= 20);
    });
    if (loosens) {
      return;
    }

    assertThat(proposedAdmits && !currentAdmits).as("the unreported change admits a spend the policy refused").isFalse();
    if (current.requiresApproval(spend.amount())) {
      assertThat(proposed.requiresApproval(spend.amount())).as("a person is still asked").isTrue();
    }
    for (CheckpointKind k : current.mfaRequiredFor()) {
      assertThat(proposed.requiresMfa(k)).isTrue();
    }
  }
}
