package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalGates;
import io.agentprovision.core.approval.ApprovalTimeoutException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.ApprovalGate;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Approvals that cannot be bypassed or go stale: the checkpoints of a run come from the policy in
 * force when it executes, the policy-driven gate reads the live policy, the engine's clock dates
 * each decision, and a gate that hangs is abandoned at the deadline.
 */
class ApprovalIntegrityTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  private final EngineHarness h = new EngineHarness();
  private final CountDownLatch never = new CountDownLatch(1);

  @AfterEach
  void close() {
    never.countDown();
    h.close();
  }

  @Test
  void execute_aPlanMadeUnderALenientPolicy_asksUnderThePolicyTightenedSince() {
    h.policy = SpendPolicy.builder().requireApprovalAbove(Money.usd("100.00")).build();
    AgentProvisioner p = h.provisioner();
    ProvisionPlan lenient = p.plan(EngineHarness.request().build());
    assertThat(lenient.approvalsNeeded()).doesNotContain(CheckpointKind.PLAN_APPROVAL);

    p.updateSpendPolicy(AGENT, SpendPolicy.defaults(), "every spend needs a person", null);
    p.execute(lenient);

    assertThat(h.gate.requests(CheckpointKind.PLAN_APPROVAL)).hasSize(1);
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).hasSize(1);
  }

  @Test
  void policyDrivenGate_afterTheHostTightensTheThreshold_asksAPersonForWhatItOnceWavedThrough() {
    SpendPolicy lenient = SpendPolicy.builder().requireApprovalAbove(Money.usd("100.00")).build();
    h.policy = lenient;
    ApprovalGate gate = ApprovalGates.policyDriven(EnumSet.allOf(CheckpointKind.class), h.gate);
    AgentProvisioner p = h.provisioner(b -> b.approvals(gate));
    p.updateSpendPolicy(AGENT, lenient.toBuilder().requireApprovalAbove(Money.usd("0.00")).build(), "tighter", null);

    p.provisionAndDeploy(EngineHarness.request().build());

    // the plan at the most it may cost: USD 5.00 for the plan, and the domain's cap (what the limit leaves)
    assertThat(h.gate.requests(CheckpointKind.PLAN_APPROVAL)).singleElement()
        .satisfies(r -> assertThat(r.cost()).isEqualTo(Money.usd("100.00")));
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).singleElement()
        .satisfies(r -> assertThat(r.cost()).isEqualTo(Money.usd("10.44")));
    assertThat(h.audit.entries()).map(e -> e.record())
        .filteredOn(r -> r.action().equals("approval.decided"))
        .noneSatisfy(r -> assertThat(r.approver()).isEqualTo(ApprovalGates.POLICY_APPROVER));
  }

  @Test
  void aGateThatBackdatesItsApproval_isJudgedByTheEnginesClock_asATimeOut_andNothingIsCharged() {
    h.gate.on(CheckpointKind.PLAN_APPROVAL, r -> {
      h.time.advance(Duration.ofMinutes(20)); // the person answered after the 15-minute deadline
      return ApprovalDecision.approved("ada", "fine", r.requestedAt()); // but the gate says "at once"
    });
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOf(ApprovalTimeoutException.class);

    assertThat(h.orchestrator.charges()).isEmpty();
    AuditRecord decided = h.audit.entries().stream().map(e -> e.record())
        .filter(r -> r.action().equals("approval.decided")).reduce((a, b) -> b).orElseThrow();
    assertThat(decided.outcome()).isEqualTo("timed_out");
    assertThat(decided.time()).isEqualTo(h.time.instant());
  }

  @Test
  void aGateThatHangs_isAbandonedAtTheDeadline_asAnAuditedTimeOut_andNothingIsCharged() {
    h.gate.on(CheckpointKind.PLAN_APPROVAL, r -> {
      h.time.advance(Duration.ofMinutes(16)); // the deadline passes while the gate waits
      try {
        never.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the engine gave up on this gate
      }
      return ApprovalDecision.approved("ada", "too late", h.time.instant());
    });
    AgentProvisioner p = h.provisioner();

    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThatThrownBy(
        () -> p.provisionAndDeploy(EngineHarness.request().build())).isInstanceOf(ApprovalTimeoutException.class));

    assertThat(h.orchestrator.charges()).isEmpty();
    List<AuditRecord> decided = h.audit.entries().stream().map(e -> e.record())
        .filter(r -> r.action().equals("approval.decided")).toList();
    assertThat(decided).last().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo("timed_out");
      assertThat(r.details()).containsEntry("kind", "PLAN_APPROVAL");
    });
  }

  /** {@code h.gate}, saying it answers at once (or not), noting the thread it was asked on by kind. */
  private ApprovalGate atOnce(boolean says, java.util.Map<CheckpointKind, String> askedOn) {
    return new ApprovalGate() {
      @Override
      public ApprovalDecision decide(io.agentprovision.core.approval.ApprovalRequest request) throws InterruptedException {
        askedOn.put(request.kind(), Thread.currentThread().getName());
        return h.gate.decide(request);
      }

      @Override
      public boolean answersAtOnce(io.agentprovision.core.approval.ApprovalRequest request) {
        return says;
      }
    };
  }

  @Test
  void aGateThatAnswersAtOnce_isAskedOnTheStepsOwnThread_andOneThatWaits_onAThreadOfItsOwn() {
    java.util.Map<CheckpointKind, String> atOnce = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.Map<CheckpointKind, String> waits = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.Map<String, String> stepThreads = new java.util.concurrent.ConcurrentHashMap<>();
    h.people(2);
    AgentProvisioner quick = h.provisioner(b -> b.approvals(atOnce(true, atOnce)).listener(e -> {
      if (e instanceof io.agentprovision.core.ProvisioningEvent.StepStarted st) {
        stepThreads.put(st.step().value(), Thread.currentThread().getName());
      }
    }));
    AgentProvisioner slow = h.provisioner(b -> b.approvals(atOnce(false, waits)));

    quick.provisionAndDeploy(EngineHarness.request().identityToken(EngineHarness.personToken(1)).build());
    slow.provisionAndDeploy(EngineHarness.request().identityToken(EngineHarness.personToken(2)).build());

    assertThat(atOnce).containsKeys(CheckpointKind.PLAN_APPROVAL, CheckpointKind.DOMAIN_PURCHASE);
    assertThat(atOnce.get(CheckpointKind.PLAN_APPROVAL)).isEqualTo(stepThreads.get("plan-approval"));
    assertThat(atOnce.get(CheckpointKind.DOMAIN_PURCHASE)).isEqualTo(stepThreads.get("domain"));
    assertThat(waits).containsKeys(CheckpointKind.PLAN_APPROVAL, CheckpointKind.DOMAIN_PURCHASE);
    assertThat(waits.values()).allSatisfy(t -> assertThat(t).startsWith("agentprovision-approval"));
  }

  @Test
  void aGateThatSaysItAnswersAtOnce_butAnswersAfterTheDeadline_isATimeOut_andNothingIsCharged() {
    h.gate.on(CheckpointKind.PLAN_APPROVAL, r -> {
      h.time.advance(Duration.ofMinutes(20)); // past the 15-minute deadline, on the step's own thread
      return ApprovalDecision.approved("ada", "fine", r.requestedAt());
    });
    AgentProvisioner p = h.provisioner(b -> b.approvals(atOnce(true, new java.util.concurrent.ConcurrentHashMap<>())));

    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOf(ApprovalTimeoutException.class);

    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(h.audit.entries()).map(e -> e.record()).filteredOn(r -> r.action().equals("approval.decided"))
        .last().satisfies(r -> assertThat(r.outcome()).isEqualTo("timed_out"));
  }

  @Test
  void aGateThatFailsToSayWhetherItAnswersAtOnce_isAskedOnAThreadOfItsOwn() {
    java.util.Map<CheckpointKind, String> askedOn = new java.util.concurrent.ConcurrentHashMap<>();
    ApprovalGate inner = atOnce(true, askedOn);
    ApprovalGate confused = new ApprovalGate() {
      @Override
      public ApprovalDecision decide(io.agentprovision.core.approval.ApprovalRequest request) throws InterruptedException {
        return inner.decide(request);
      }

      @Override
      public boolean answersAtOnce(io.agentprovision.core.approval.ApprovalRequest request) {
        throw new IllegalStateException("not configured");
      }
    };
    AgentProvisioner p = h.provisioner(b -> b.approvals(confused));

    p.provisionAndDeploy(EngineHarness.request().build());

    assertThat(askedOn.get(CheckpointKind.PLAN_APPROVAL)).startsWith("agentprovision-approval");
  }
}
