package io.agentprovision.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.SpendLimit.Scope;
import org.junit.jupiter.api.Test;

class SpendLimitTest {
  static final AgentId A = AgentId.of("agent-a");
  static final AgentId B = AgentId.of("agent-b");
  static final Money HUNDRED = Money.usd("100.00");

  @Test
  void key_namesIntervalScopeAndFilters() {
    assertThat(SpendLimit.monthly(HUNDRED).perProvider().key()).isEqualTo("monthly/per-provider");
    assertThat(SpendLimit.perTransaction(HUNDRED).key()).isEqualTo("per-transaction/global");
    assertThat(SpendLimit.allTime(HUNDRED).key()).isEqualTo("all-time/global");
    assertThat(SpendLimit.daily(HUNDRED).perAgent().forProvider("cloudflare").key())
        .isEqualTo("daily/per-agent/provider=cloudflare");
    assertThat(SpendLimit.weekly(HUNDRED).perAgent().perProvider().key()).isEqualTo("weekly/per-agent-and-provider");
    assertThat(SpendLimit.weekly(HUNDRED).perProvider().perAgent().scope()).isEqualTo(Scope.PER_AGENT_AND_PROVIDER);
    assertThat(SpendLimit.yearly(HUNDRED).forAgent(A).key()).isEqualTo("yearly/global/agent=agent-a");
    assertThat(SpendLimit.monthly(HUNDRED).key()).as("the amount is not part of the key")
        .isEqualTo(SpendLimit.monthly(Money.usd("5.00")).key());
  }

  @Test
  void bucket_followsTheScope() {
    assertThat(SpendLimit.monthly(HUNDRED).bucket(A, "cloudflare")).isEqualTo("all");
    assertThat(SpendLimit.monthly(HUNDRED).perProvider().bucket(A, "cloudflare")).isEqualTo("provider=cloudflare");
    assertThat(SpendLimit.monthly(HUNDRED).perAgent().bucket(A, "cloudflare")).isEqualTo("agent=agent-a");
    assertThat(SpendLimit.monthly(HUNDRED).perAgent().perProvider().bucket(A, "cloudflare"))
        .isEqualTo("agent=agent-a,provider=cloudflare");
  }

  @Test
  void sameBucket_followsTheScope() {
    SpendLimit global = SpendLimit.monthly(HUNDRED);
    SpendLimit perProvider = global.perProvider();
    SpendLimit perAgent = global.perAgent();
    SpendLimit perBoth = perAgent.perProvider();

    assertThat(global.sameBucket(A, "cloudflare", B, "stripe")).isTrue();
    assertThat(perProvider.sameBucket(A, "cloudflare", B, "cloudflare")).isTrue();
    assertThat(perProvider.sameBucket(A, "cloudflare", A, "stripe")).isFalse();
    assertThat(perAgent.sameBucket(A, "cloudflare", A, "stripe")).isTrue();
    assertThat(perAgent.sameBucket(A, "cloudflare", B, "cloudflare")).isFalse();
    assertThat(perBoth.sameBucket(A, "cloudflare", A, "cloudflare")).isTrue();
    assertThat(perBoth.sameBucket(A, "cloudflare", B, "cloudflare")).isFalse();
    assertThat(perBoth.sameBucket(A, "cloudflare", A, "stripe")).isFalse();
  }

  @Test
  void appliesTo_honoursProviderAndAgentFilters() {
    SpendLimit cf = SpendLimit.monthly(HUNDRED).forProvider("cloudflare");
    SpendLimit agentA = SpendLimit.monthly(HUNDRED).forAgent(A);

    assertThat(cf.appliesTo(A, "cloudflare")).isTrue();
    assertThat(cf.appliesTo(A, "stripe")).isFalse();
    assertThat(agentA.appliesTo(A, "stripe")).isTrue();
    assertThat(agentA.appliesTo(B, "stripe")).isFalse();
    assertThat(SpendLimit.monthly(HUNDRED).appliesTo(B, "anything")).isTrue();
    assertThat(cf.provider()).isEqualTo("cloudflare");
    assertThat(agentA.agent()).isEqualTo(A);
  }

  @Test
  void forProvider_whenBlank_refuses() {
    assertThatThrownBy(() -> SpendLimit.monthly(HUNDRED).forProvider(" "))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("provider"));
  }

  @Test
  void withAmount_keepsEverythingElse() {
    SpendLimit l = SpendLimit.daily(HUNDRED).perAgent().forProvider("cloudflare");
    SpendLimit raised = l.withAmount(Money.usd("200.00"));

    assertThat(raised.key()).isEqualTo(l.key());
    assertThat(raised.amount()).isEqualTo(Money.usd("200.00"));
    assertThat(raised).isNotEqualTo(l);
    assertThat(l.withAmount(HUNDRED)).isEqualTo(l).hasSameHashCodeAs(l);
  }

  @Test
  void toString_showsAmountAndKey() {
    assertThat(SpendLimit.monthly(HUNDRED).perProvider()).hasToString("USD 100.00 monthly/per-provider");
  }
}
