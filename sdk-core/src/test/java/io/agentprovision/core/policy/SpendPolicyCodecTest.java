package io.agentprovision.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.approval.CheckpointKind;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpendPolicyCodecTest {
  /** One limit of every interval and scope, with and without filters, in two currencies. */
  static List<SpendLimit> everyKindOfLimit() {
    List<SpendLimit> out = new ArrayList<>();
    long cents = 100;
    for (SpendInterval interval : SpendInterval.values()) {
      SpendLimit base = SpendLimit.of(Money.ofMinor(cents++, "USD"), interval);
      out.add(base);
      out.add(base.withAmount(Money.ofMinor(cents++, "USD")).perProvider());
      out.add(base.withAmount(Money.ofMinor(cents++, "USD")).perAgent());
      out.add(base.withAmount(Money.ofMinor(cents++, "USD")).perAgent().perProvider());
      out.add(base.withAmount(Money.ofMinor(cents++, "USD")).forProvider("cloudflare"));
      out.add(base.withAmount(Money.ofMinor(cents++, "USD")).perAgent().forAgent(AgentId.of("agent:7@team/a+b")));
      out.add(SpendLimit.of(Money.ofMinor(cents++, "EUR"), interval).perProvider().forProvider("stripe")
          .forAgent(AgentId.of("agent-b")));
    }
    return out;
  }

  /** Every checkpoint kind a step-up may precede (the step-up itself is not one of them). */
  private static final CheckpointKind[] MFA_KINDS = java.util.Arrays.stream(CheckpointKind.values())
      .filter(k -> k != CheckpointKind.STEP_UP).toArray(CheckpointKind[]::new);

  @Test
  void policy_withEveryKindOfLimitZoneAlertAndMfaKind_roundTripsExactly() {
    SpendPolicy p = SpendPolicy.builder()
        .replaceLimits(everyKindOfLimit())
        .requireApprovalAbove(Money.eur("12.34"))
        .alertAt(1, 33, 100)
        .zone(ZoneId.of("America/Los_Angeles"))
        .reservationTtl(Duration.ofMinutes(17))
        .requireMfaFor(MFA_KINDS)
        .stepUpMaxAge(Duration.ofMinutes(2))
        .velocity(VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 3).perAgent())
        .velocity(VelocityLimit.within(VelocityAction.CREATE_ACCOUNT, 2, Duration.ofHours(6)).perPrincipal())
        .velocity(VelocityLimit.perHour(VelocityAction.CREATE_ACCOUNT, 0))
        .build();

    String json = SpendPolicyCodec.toJson(p);
    SpendPolicy back = SpendPolicyCodec.fromJson(json);

    assertThat(back).isEqualTo(p);
    assertThat(back.limits()).containsExactlyElementsOf(p.limits());
    assertThat(back.mfaRequiredFor()).containsExactlyInAnyOrder(MFA_KINDS);
    assertThat(back.stepUpMaxAge()).isEqualTo(Duration.ofMinutes(2));
    assertThat(back.velocityLimits()).as("a stored policy keeps its velocity limits, in order")
        .containsExactlyElementsOf(p.velocityLimits());
    assertThat(back.zone()).isEqualTo(ZoneId.of("America/Los_Angeles"));
    assertThat(back.reservationTtl()).isEqualTo(Duration.ofMinutes(17));
    assertThat(back.approvalThreshold()).isEqualTo(Money.eur("12.34"));
    assertThat(back.alertPercents()).containsExactly(1, 33, 100);
    assertThat(SpendPolicyCodec.toJson(back)).as("canonical: the same policy, the same text").isEqualTo(json);
  }

  @Test
  void defaults_roundTripAndReadAsDocumented() {
    String json = SpendPolicyCodec.toJson(SpendPolicy.defaults());

    assertThat(json).isEqualTo("{\"alert_at\":[50,80,100],\"approval_above\":\"USD 0.00\","
        + "\"format\":\"agentprovision-spend-policy\",\"limits\":[{\"amount\":\"USD 100.00\",\"interval\":\"monthly\","
        + "\"scope\":\"per-provider\"}],\"mfa_for\":[],\"reservation_ttl\":\"PT1H\",\"step_up_max_age\":\"PT5M\","
        + "\"version\":1,\"zone\":\"Z\"}");
    assertThat(SpendPolicyCodec.fromJson(json)).isEqualTo(SpendPolicy.defaults());
  }

  @Test
  void mfaKinds_areWrittenInOneOrder_whateverOrderTheyWereGivenIn() {
    SpendPolicy a = SpendPolicy.builder().requireMfaFor(CheckpointKind.RAISE_LIMIT, CheckpointKind.DOMAIN_PURCHASE)
        .build();
    SpendPolicy b = SpendPolicy.builder().requireMfaFor(CheckpointKind.DOMAIN_PURCHASE, CheckpointKind.RAISE_LIMIT)
        .build();

    assertThat(SpendPolicyCodec.toJson(a)).isEqualTo(SpendPolicyCodec.toJson(b)).contains(
        "\"mfa_for\":[\"DOMAIN_PURCHASE\",\"RAISE_LIMIT\"]");
  }

  @Test
  void limitOrder_isKept_becauseTheFirstRefusingLimitIsTheOneNamed() {
    SpendPolicy p = SpendPolicy.builder().limit(SpendLimit.perTransaction(Money.usd("5.00")))
        .limit(SpendLimit.daily(Money.usd("9.00"))).build();
    SpendPolicy reversed = SpendPolicy.builder().limit(SpendLimit.daily(Money.usd("9.00")))
        .limit(SpendLimit.perTransaction(Money.usd("5.00"))).build();

    assertThat(SpendPolicyCodec.fromJson(SpendPolicyCodec.toJson(p)).limits()).containsExactlyElementsOf(p.limits());
    assertThat(SpendPolicyCodec.toJson(p)).isNotEqualTo(SpendPolicyCodec.toJson(reversed));
    assertThat(p).isNotEqualTo(reversed);
  }

  @Test
  void eachLimit_roundTripsOnItsOwn() {
    for (SpendLimit l : everyKindOfLimit()) {
      assertThat(SpendPolicyCodec.limitFromJson(SpendPolicyCodec.toJson(l))).isEqualTo(l);
    }
  }

  @Test
  void usages_roundTripIncludingAllTimeWindows() {
    Instant at = Instant.parse("2026-11-02T09:00:00Z");
    List<LimitUsage> usages = new ArrayList<>();
    for (SpendLimit l : everyKindOfLimit()) {
      usages.add(new LimitUsage(l, l.bucket(AgentId.of("agent-a"), "cloudflare"),
          l.interval().windowAt(at, ZoneId.of("Asia/Kolkata")), Money.ofMinor(42, l.amount().currency())));
    }

    assertThat(SpendPolicyCodec.usagesFromJson(SpendPolicyCodec.usagesToJson(usages))).isEqualTo(usages);
  }

  @Test
  void aDocumentThatIsNotAPolicy_isRefusedWithWhatIsWrong() {
    String good = SpendPolicyCodec.toJson(SpendPolicy.defaults());

    assertThatThrownBy(() -> SpendPolicyCodec.fromJson("{\"format\":\"something-else\"}"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("policy");
          assertThat(e.problem()).contains("not a spend policy");
        });
    assertThatThrownBy(() -> SpendPolicyCodec.fromJson(good.replace("\"version\":1", "\"version\":2")))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("version 2");
    assertThatThrownBy(() -> SpendPolicyCodec.fromJson(good.replace("monthly", "fortnightly")))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("unreadable");
    assertThatThrownBy(() -> SpendPolicyCodec.fromJson(good.replace("[50,80,100]", "[50,80,180]")))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("180");
    assertThatThrownBy(() -> SpendPolicyCodec.fromJson("not json")).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void membersALaterReleaseAdds_areIgnored() {
    String json = SpendPolicyCodec.toJson(SpendPolicy.defaults()).replace("{\"alert_at\"",
        "{\"added_later\":{\"x\":1},\"alert_at\"");

    assertThat(SpendPolicyCodec.fromJson(json)).isEqualTo(SpendPolicy.defaults());
  }
}
