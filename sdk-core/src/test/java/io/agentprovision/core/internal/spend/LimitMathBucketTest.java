package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The bucket rule a store keys its running totals by ({@link LimitMath#bucketOf},
 * {@link LimitMath#bucketsFed}) says exactly what the one-by-one rule ({@link LimitMath#counts})
 * says, for every limit shape, spender and reservation: so a store may keep totals per bucket and
 * window instead of adding reservations up, and count the same.
 */
class LimitMathBucketTest {
  static final List<AgentId> AGENTS = List.of(AgentId.of("agent-a"), AgentId.of("agent-b"), AgentId.of("agent-c"));
  static final List<String> PROVIDERS = List.of("cloudflare", "stripe", "namecheap");
  static final Instant AT = Instant.parse("2026-11-02T09:00:00Z");

  @Provide
  Arbitrary<SpendLimit> limits() {
    Arbitrary<SpendLimit> base = Arbitraries.of(SpendInterval.class).flatMap(interval -> Arbitraries.of("USD", "EUR")
        .map(currency -> SpendLimit.of(Money.ofMinor(10_000, currency), interval)));
    return base.flatMap(l -> Arbitraries.of(SpendLimit.Scope.class).map(scope -> switch (scope) {
      case GLOBAL -> l;
      case PER_PROVIDER -> l.perProvider();
      case PER_AGENT -> l.perAgent();
      case PER_AGENT_AND_PROVIDER -> l.perAgent().perProvider();
    })).flatMap(l -> Arbitraries.integers().between(-1, AGENTS.size() - 1)
        .map(a -> a < 0 ? l : l.forAgent(AGENTS.get(a))))
        .flatMap(l -> Arbitraries.integers().between(-1, PROVIDERS.size() - 1)
            .map(p -> p < 0 ? l : l.forProvider(PROVIDERS.get(p))));
  }

  @Property(tries = 2_000)
  void theBucketOfALimitCountsExactlyWhatTheLimitCounts(@ForAll("limits") SpendLimit limit,
      @ForAll("agentIndex") int agent, @ForAll("providerIndex") int provider, @ForAll("agentIndex") int byAgent,
      @ForAll("providerIndex") int withProvider, @ForAll boolean euros, @ForAll("minutes") int minutesFromAt) {
    AgentId a = AGENTS.get(agent);
    String p = PROVIDERS.get(provider);
    Reservation r = new Reservation("r", AGENTS.get(byAgent), PROVIDERS.get(withProvider), null, null,
        Money.ofMinor(100, euros ? "EUR" : "USD"), null, Reservation.Status.RESERVED,
        AT.plusSeconds(60L * minutesFromAt), AT.plusSeconds(60L * minutesFromAt + 3600), List.of(), "spend");
    SpendInterval.Window window = limit.interval().windowAt(AT, ZoneOffset.UTC);

    SpendBucket bucket = LimitMath.bucketOf(limit, a, p);
    boolean byBucket = bucket != null && bucket.holds(r) && window.contains(r.createdAt());

    assertThat(byBucket).as("%s for %s/%s counting %s/%s", limit, a, p, r.agent(), r.provider())
        .isEqualTo(LimitMath.counts(limit, window, a, p, r));
    // A bucket that holds the reservation is one of the four it feeds, and no other bucket holds it.
    if (bucket != null) {
      assertThat(LimitMath.bucketsFed(r.amount().currency(), r.agent(), r.provider()).contains(bucket))
          .isEqualTo(bucket.holds(r));
    }
  }

  @Provide
  Arbitrary<Integer> agentIndex() {
    return Arbitraries.integers().between(0, AGENTS.size() - 1);
  }

  @Provide
  Arbitrary<Integer> providerIndex() {
    return Arbitraries.integers().between(0, PROVIDERS.size() - 1);
  }

  /** Up to two months either side, so that the reservation lies inside and outside the windows. */
  @Provide
  Arbitrary<Integer> minutes() {
    return Arbitraries.integers().between(-90_000, 90_000);
  }
}
