package io.agentprovision.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Money;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one rule for mirroring the policy's monthly cap to an orchestrator that keeps caps of its own. */
class CapMirrorTest {
  private static final SpendLimit STRIPE_DEFAULT = SpendLimit.monthly(Money.usd("100.00")).forProvider("cloudflare");

  private static SpendPolicy policy(SpendLimit... limits) {
    SpendPolicy.Builder b = SpendPolicy.builder();
    for (SpendLimit l : limits) {
      b.limit(l);
    }
    return b.build();
  }

  @Test
  void capToMirror_whenThePolicyIsTighter_lowersTheOrchestratorsCapToIt() {
    SpendPolicy p = policy(SpendLimit.monthly(Money.usd("40.00")).perProvider(),
        SpendLimit.monthly(Money.usd("10.00")).perAgent());

    SpendPolicy.CapChange change = p.capToMirror("cloudflare", List.of(STRIPE_DEFAULT)).orElseThrow();

    assertThat(change.from()).isEqualTo(STRIPE_DEFAULT);
    assertThat(change.to()).isEqualTo(SpendLimit.monthly(Money.usd("40.00")).forProvider("cloudflare"));
  }

  @Test
  void capToMirror_whenTheOrchestratorIsAlreadyTighter_changesNothing() {
    SpendPolicy p = policy(SpendLimit.monthly(Money.usd("40.00")).perProvider());

    assertThat(p.capToMirror("cloudflare", List.of(SpendLimit.monthly(Money.usd("20.00")).forProvider("cloudflare"))))
        .isEmpty();
  }

  @Test
  void capToMirror_comparesWithTheTightestComparableCapOnly() {
    SpendPolicy p = policy(SpendLimit.monthly(Money.usd("40.00")));
    List<SpendLimit> theirs = List.of(SpendLimit.monthly(Money.usd("500.00")), // overall
        SpendLimit.monthly(Money.usd("60.00")).forProvider("cloudflare"),
        SpendLimit.monthly(Money.usd("1.00")).forProvider("fly"), // another provider's
        SpendLimit.weekly(Money.usd("5.00")).forProvider("cloudflare"), // not monthly
        SpendLimit.monthly(Money.eur("5.00")).forProvider("cloudflare")); // another currency

    SpendPolicy.CapChange change = p.capToMirror("cloudflare", theirs).orElseThrow();

    assertThat(change.from().amount()).isEqualTo(Money.usd("60.00"));
    assertThat(change.to().amount()).isEqualTo(Money.usd("40.00"));
  }

  @Test
  void capToMirror_whenNothingIsComparableOrThePolicyHasNoMonthlyCap_changesNothing() {
    assertThat(policy(SpendLimit.monthly(Money.usd("40.00"))).capToMirror("cloudflare",
        List.of(SpendLimit.monthly(Money.eur("100.00")).forProvider("cloudflare")))).isEmpty();
    assertThat(policy(SpendLimit.monthly(Money.usd("40.00"))).capToMirror("cloudflare", List.of())).isEmpty();
    assertThat(policy(SpendLimit.weekly(Money.usd("1.00"))).capToMirror("cloudflare", List.of(STRIPE_DEFAULT)))
        .isEmpty();
    assertThat(policy(SpendLimit.monthly(Money.usd("1.00")).perAgent()).capToMirror("cloudflare",
        List.of(STRIPE_DEFAULT))).isEmpty();
  }
}
