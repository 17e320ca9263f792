package io.agentprovision.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.approval.CheckpointKind;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpendPolicyTest {
  static final AgentId AGENT = AgentId.of("agent-a");

  @Test
  void defaults_capEachProviderAtUsd100AMonthAskForEverySpendAndAlertAt50_80_100() {
    SpendPolicy p = SpendPolicy.defaults();

    assertThat(p.limits()).containsExactly(SpendLimit.monthly(Money.usd("100.00")).perProvider());
    assertThat(p.limits().get(0).key()).isEqualTo("monthly/per-provider");
    assertThat(p.approvalThreshold()).isEqualTo(Money.usd("0.00"));
    assertThat(p.requiresApproval(Money.usd("0.01"))).isTrue();
    assertThat(p.requiresApproval(Money.usd("0.00"))).isFalse();
    assertThat(p.alertPercents()).containsExactly(50, 80, 100);
    assertThat(p.zone()).isEqualTo(ZoneOffset.UTC);
    assertThat(p.reservationTtl()).isEqualTo(Duration.ofHours(1));
    assertThat(p.mfaRequiredFor()).isEmpty();
  }

  @Test
  void requiresApproval_isStrictlyAboveTheThreshold() {
    SpendPolicy p = SpendPolicy.builder().requireApprovalAbove(Money.usd("20.00")).build();

    assertThat(p.requiresApproval(Money.usd("20.00"))).isFalse();
    assertThat(p.requiresApproval(Money.usd("20.01"))).isTrue();
    assertThat(p.requiresApproval(Money.eur("1.00"))).as("another currency is never waved through").isTrue();
  }

  @Test
  void limit_whenTheSameKeyAndCurrencyIsSetTwice_refuses() {
    SpendPolicy.Builder b = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("100.00")).perProvider());

    assertThatThrownBy(() -> b.limit(SpendLimit.monthly(Money.usd("50.00")).perProvider()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("limit");
          assertThat(e.problem()).contains("monthly/per-provider").contains("already set");
          assertThat(e.fix()).contains("replaceLimits");
        });
    b.limit(SpendLimit.monthly(Money.eur("90.00")).perProvider()); // another currency is another cap
    b.limit(SpendLimit.monthly(Money.usd("100.00")).perAgent());
    assertThat(b.build().limits()).hasSize(3);
  }

  @Test
  void limits_whenGiven_replaceTheDefault() {
    SpendPolicy p = SpendPolicy.builder().limit(SpendLimit.perTransaction(Money.usd("25.00"))).build();

    assertThat(p.limits()).containsExactly(SpendLimit.perTransaction(Money.usd("25.00")));
  }

  @Test
  void limitsFor_keepsOnlyLimitsThatApply() {
    SpendLimit cf = SpendLimit.daily(Money.usd("10.00")).forProvider("cloudflare");
    SpendLimit all = SpendLimit.monthly(Money.usd("100.00"));
    SpendPolicy p = SpendPolicy.builder().limit(cf).limit(all).build();

    assertThat(p.limitsFor(AGENT, "cloudflare")).containsExactly(cf, all);
    assertThat(p.limitsFor(AGENT, "stripe")).containsExactly(all);
  }

  @Test
  void builder_rejectsBadSettingsNamingTheField() {
    assertThatThrownBy(() -> SpendPolicy.builder().alertAt(50, 0)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("alertAt"));
    assertThatThrownBy(() -> SpendPolicy.builder().alertAt(101)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> SpendPolicy.builder().requireApprovalAbove(Money.usd("-1.00")))
        .isInstanceOfSatisfying(InvalidRequestException.class,
            e -> assertThat(e.field()).isEqualTo("requireApprovalAbove"));
    assertThatThrownBy(() -> SpendPolicy.builder().reservationTtl(Duration.ofSeconds(59)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("reservationTtl"));
    assertThatThrownBy(() -> SpendPolicy.builder().reservationTtl(Duration.ofDays(1).plusSeconds(1)))
        .isInstanceOf(InvalidRequestException.class);
    assertThat(SpendPolicy.builder().alertAt(100, 80, 80).build().alertPercents()).containsExactly(80, 100);
  }

  @Test
  void toBuilder_roundTrips() {
    SpendPolicy p = SpendPolicy.builder()
        .limit(SpendLimit.monthly(Money.usd("100.00")).perProvider())
        .limit(SpendLimit.perTransaction(Money.usd("25.00")))
        .requireApprovalAbove(Money.usd("20.00"))
        .alertAt(90)
        .zone(ZoneId.of("Europe/Berlin"))
        .reservationTtl(Duration.ofMinutes(30))
        .requireMfaFor(CheckpointKind.DOMAIN_PURCHASE)
        .build();

    SpendPolicy copy = p.toBuilder().build();

    assertThat(copy.toString()).isEqualTo(p.toString());
    assertThat(copy.reservationTtl()).isEqualTo(Duration.ofMinutes(30));
    assertThat(p.loosens(copy)).isEmpty();
    assertThat(copy.loosens(p)).isEmpty();
    assertThat(copy.canonical()).isEqualTo(p.canonical());
  }

  @Test
  void loosens_findRaisesRemovalsThresholdAndMfa() {
    SpendPolicy current = SpendPolicy.builder()
        .limit(SpendLimit.monthly(Money.usd("100.00")).perProvider())
        .limit(SpendLimit.perTransaction(Money.usd("25.00")))
        .requireApprovalAbove(Money.usd("20.00"))
        .requireMfaFor(CheckpointKind.DOMAIN_PURCHASE, CheckpointKind.RAISE_LIMIT)
        .build();
    SpendPolicy proposed = current.toBuilder()
        .replaceLimits(List.of(SpendLimit.monthly(Money.usd("500.00")).perProvider()))
        .requireApprovalAbove(Money.usd("50.00"))
        .requireMfaFor(CheckpointKind.RAISE_LIMIT)
        .build();

    List<String> l = proposed.loosens(current).stream().map(Loosening::description).toList();

    assertThat(l).containsExactlyInAnyOrder(
        "raises limit monthly/per-provider from USD 100.00 to USD 500.00",
        "removes limit USD 25.00 per-transaction/global",
        "raises the approval threshold from USD 20.00 to USD 50.00",
        "no longer requires MFA for DOMAIN_PURCHASE");
  }

  @Test
  void loosens_whenOnlyTightening_isEmpty() {
    SpendPolicy current = SpendPolicy.defaults();
    SpendPolicy tighter = current.toBuilder()
        .replaceLimits(List.of(SpendLimit.monthly(Money.usd("50.00")).perProvider(),
            SpendLimit.daily(Money.usd("10.00"))))
        .requireMfaFor(CheckpointKind.DOMAIN_PURCHASE)
        .build();

    assertThat(tighter.loosens(current)).isEmpty();
    assertThat(current.loosens(tighter)).isNotEmpty();
  }

  @Test
  void loosens_whenALimitChangesCurrency_countsAsARemoval() {
    SpendPolicy current = SpendPolicy.defaults();
    SpendPolicy proposed = SpendPolicy.builder().limit(SpendLimit.monthly(Money.eur("1.00")).perProvider()).build();

    assertThat(proposed.loosens(current)).extracting(Loosening::description)
        .containsExactly("removes limit USD 100.00 monthly/per-provider");
  }

  @Test
  void requireMfaFor_stepUpItself_isRefusedWhenThePolicyIsBuilt_withTheFix() {
    assertThatThrownBy(() -> SpendPolicy.builder().requireMfaFor(CheckpointKind.PAID_PLAN, CheckpointKind.STEP_UP))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("requireMfaFor");
          assertThat(e.problem()).contains("STEP_UP");
          assertThat(e.fix()).contains("PAID_PLAN");
        });
  }

  @Test
  void requireMfaFor_everyOtherKind_isAccepted() {
    CheckpointKind[] all = java.util.Arrays.stream(CheckpointKind.values()).filter(k -> k != CheckpointKind.STEP_UP)
        .toArray(CheckpointKind[]::new);

    assertThat(SpendPolicy.builder().requireMfaFor(all).build().mfaRequiredFor()).containsExactlyInAnyOrder(all);
  }

  @Test
  void stepUpMaxAge_isFiveMinutesByDefault_andRefusedOutsideItsBounds() {
    assertThat(SpendPolicy.defaults().stepUpMaxAge()).isEqualTo(Duration.ofMinutes(5));
    assertThat(SpendPolicy.builder().stepUpMaxAge(Duration.ofMinutes(10)).build().stepUpMaxAge())
        .isEqualTo(Duration.ofMinutes(10));
    assertThatThrownBy(() -> SpendPolicy.builder().stepUpMaxAge(Duration.ofSeconds(5)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("stepUpMaxAge"));
    assertThatThrownBy(() -> SpendPolicy.builder().stepUpMaxAge(Duration.ofDays(3)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("stepUpMaxAge"));
  }

  @Test
  void loosens_reportsAZoneChangeALongerTtlADroppedAlertAndALongerStepUpAge() {
    SpendPolicy current = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("20.00"))).alertAt(50, 80, 100)
        .build();
    SpendPolicy proposed = current.toBuilder().zone(ZoneId.of("Pacific/Kiritimati")).reservationTtl(Duration.ofHours(6))
        .alertAt(100).stepUpMaxAge(Duration.ofHours(1)).build();

    assertThat(proposed.loosens(current)).extracting(Loosening::aspect).containsExactly(
        Loosening.Aspect.STEP_UP_MAX_AGE_LONGER, Loosening.Aspect.ALERT_DROPPED, Loosening.Aspect.ALERT_DROPPED,
        Loosening.Aspect.ZONE_CHANGED, Loosening.Aspect.RESERVATION_TTL_LONGER);
    // moving the zone back is a change of zone too: windows shift either way
    assertThat(current.loosens(proposed)).extracting(Loosening::aspect).containsExactly(Loosening.Aspect.ZONE_CHANGED);
  }

  @Test
  void loosens_sameZoneUnderAnotherName_isNoChange() {
    SpendPolicy utc = SpendPolicy.builder().zone(ZoneOffset.UTC).build();

    assertThat(utc.toBuilder().zone(ZoneId.of("UTC")).build().loosens(utc)).isEmpty();
  }

  @Test
  void canonical_isSortedJsonOfEveryPart_withoutSecrets() {
    SpendPolicy p = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("20.00")).forAgent(AgentId.of("a-1")))
        .requireApprovalAbove(Money.usd("5.00")).requireMfaFor(CheckpointKind.RAISE_LIMIT, CheckpointKind.PAID_PLAN)
        .build();

    assertThat(p.canonical()).isEqualTo("{\"alert_percents\":[50,80,100],\"approval_above\":{\"amount\":\"5.00\","
        + "\"currency\":\"USD\"},\"limits\":[{\"agent\":\"a-1\",\"amount\":\"20.00\",\"currency\":\"USD\","
        + "\"interval\":\"monthly\",\"provider\":null,\"scope\":\"global\"}],\"mfa_required_for\":[\"PAID_PLAN\","
        + "\"RAISE_LIMIT\"],\"reservation_ttl\":\"PT1H\",\"step_up_max_age\":\"PT5M\",\"zone\":\"Z\"}");
  }
}
