package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Money;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Changes to the spend policy: anything that can admit more spend or less oversight is a raise (a
 * person approves it), and every change is audited with the policy before and after.
 */
class PolicyChangeTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void updateSpendPolicy_aZoneChange_isARaise_soWithTheRaiseDeniedNovemberStaysWithinItsTwentyDollars() {
    SpendPolicy twentyAMonth = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("20.00"))).build();
    h.policy = twentyAMonth;
    h.gate.deny(CheckpointKind.RAISE_LIMIT, "no");
    AgentProvisioner p = h.provisioner();
    h.time.advance(Duration.between(h.time.instant(), Instant.parse("2026-11-30T09:00:00Z")));
    p.provisionAndDeploy(EngineHarness.request().build()); // USD 15.44 on 30 November (UTC)

    // UTC+14: 09:00Z on 30 November is already 23:00 local, and 10:30Z is 1 December there
    SpendPolicy kiritimati = twentyAMonth.toBuilder().zone(ZoneId.of("Pacific/Kiritimati")).build();
    assertThatThrownBy(() -> p.updateSpendPolicy(AGENT, kiritimati, "my timezone", null))
        .isInstanceOf(ApprovalDeniedException.class);
    h.time.advance(Duration.ofMinutes(90));

    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().project("second").build()))
        .isInstanceOf(PolicyViolationException.class);
    assertThat(p.spendPolicy()).isSameAs(twentyAMonth);
    assertThat(h.gate.requests(CheckpointKind.RAISE_LIMIT)).singleElement()
        .satisfies(r -> assertThat(r.title()).contains("zone"));
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("15.44"));
  }

  @Test
  void updateSpendPolicy_droppingAnAlertOrHoldingReservationsLonger_isARaise() {
    SpendPolicy current = SpendPolicy.builder().alertAt(50, 80, 100).build();
    h.policy = current;
    h.gate.deny(CheckpointKind.RAISE_LIMIT, "no");
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.updateSpendPolicy(AGENT, current.toBuilder().alertAt(100).build(), "quiet", null))
        .isInstanceOf(ApprovalDeniedException.class);
    assertThatThrownBy(() -> p.updateSpendPolicy(AGENT, current.toBuilder().reservationTtl(Duration.ofHours(6)).build(),
        "slow provider", null)).isInstanceOf(ApprovalDeniedException.class);

    assertThat(p.spendPolicy()).isSameAs(current);
    assertThat(h.gate.requests(CheckpointKind.RAISE_LIMIT)).hasSize(2);
  }

  @Test
  void updateSpendPolicy_everyChange_isAuditedWithThePolicyBeforeAndAfter() {
    SpendPolicy current = SpendPolicy.defaults();
    h.policy = current;
    AgentProvisioner p = h.provisioner();
    SpendPolicy lower = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("50.00")).perProvider()).build();
    SpendPolicy higher = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("80.00")).perProvider()).build();

    p.updateSpendPolicy(AGENT, lower, "be careful", null);
    p.updateSpendPolicy(AGENT, higher, "a bit more", null);

    List<AuditRecord> changes = h.audit.entries().stream().map(e -> e.record())
        .filter(r -> r.action().startsWith("policy.")).toList();
    assertThat(changes).extracting(AuditRecord::action).containsExactly("policy.tightened", "policy.loosened");
    assertThat(changes.get(0).details()).containsKeys("before", "after", "reason");
    assertThat(changes.get(0).details().get("before")).contains("\"100.00\"").contains("monthly");
    assertThat(changes.get(0).details().get("after")).contains("\"50.00\"");
    assertThat(changes.get(1).details().get("before")).isEqualTo(changes.get(0).details().get("after"));
    assertThat(changes.get(1).details().get("after")).contains("\"80.00\"");
    assertThat(changes.get(1).approver()).isEqualTo(io.agentprovision.testing.ScriptedApprovalGate.APPROVER);
  }
}
