package io.agentprovision.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code execute} does not trust the plan it is handed: the steps and the checkpoints are derived
 * again from the request and the policy in force, so a plan whose graph lacks the plan approval
 * (made by another flow, or under another policy) still asks a person.
 */
class ExecuteRederivesCheckpointsTest {
  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private final StubCloud cloud = new StubCloud();
  private final RunJournal journal = RunJournal.inMemory();
  private final AuditLog audit = AuditLog.inMemory();
  private final CredentialVault vault = CredentialVault.inMemory();
  private final SpendLedger ledger = SpendLedger.inMemory(time);
  private final List<ApprovalRequest> asked = new CopyOnWriteArrayList<>();
  private final ApprovalGate person = r -> {
    asked.add(r);
    return ApprovalDecision.approved("ada@example.com", "go ahead", time.instant());
  };
  private final ExecutorService steps = Executors.newSingleThreadExecutor();
  private final ExecutorService runs = Executors.newSingleThreadExecutor();

  @AfterEach
  void close() {
    steps.shutdownNow();
    runs.shutdownNow();
  }

  private Engine engine(Flow flow) {
    AtomicInteger ids = new AtomicInteger();
    EngineConfig config = EngineConfig.builder().orchestrator(cloud).deployer(cloud).identity(cloud).ledger(ledger)
        .approvals(person).audit(audit).vault(vault).journal(journal).clock(time).sleeper(time)
        .ids(prefix -> prefix + "_" + ids.incrementAndGet()).stepExecutor(steps).runExecutor(runs).build();
    return new Engine(config, flow);
  }

  /** The first-day flow with the plan approval taken out: a plan no person was meant to see. */
  private static StepGraph withoutPlanApproval(Flow.Inputs in) {
    StepGraph full = ProvisioningFlow.INSTANCE.graph(in);
    StepGraph.Builder b = StepGraph.builder();
    for (Step<?> s : full.steps()) {
      if (s instanceof PlanApprovalStep) {
        continue;
      }
      if (s instanceof AccountStep) {
        b.add(new AccountStep(in.request().provider(), null, List.of(IdentityStep.ID)));
        continue;
      }
      if (s instanceof PaymentMethodStep) {
        // made ready beside the account: it too waited for the approval taken out
        b.add(new PaymentMethodStep(List.of(IdentityStep.ID)));
        continue;
      }
      b.add(s);
    }
    return b.build();
  }

  @Test
  void execute_aHandBuiltPlanWithoutThePlanApprovalStep_stillAsksAPersonForThePlan() {
    ProvisionRequest request = ProvisionRequest.builder().agent(AgentId.of("coding-agent-7"))
        .provider(StubCloud.PROVIDER).plan(StubCloud.PAID_PLAN).runId(RunId.of("run_handmade"))
        .app(WorkerApp.builder("my-app").module("index.js", "export default {};").build()).build();
    RunPlan handBuilt = engine(ExecuteRederivesCheckpointsTest::withoutPlanApproval).plan(request);
    assertThat(handBuilt.steps()).noneMatch(s -> s.id().equals(PlanApprovalStep.ID));

    engine(ProvisioningFlow.INSTANCE).execute(handBuilt);

    assertThat(asked).extracting(ApprovalRequest::kind).contains(CheckpointKind.PLAN_APPROVAL);
    assertThat(audit.entries()).map(e -> e.record().action()).contains("approval.decided");
  }
}
