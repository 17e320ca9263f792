package io.agentprovision.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalReceipts;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.SpendLedger;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The plan hash every approval of a run is bound to is made once per plan: each run's approvals
 * still carry the hash of that run's own plan, never the one an earlier run of the same engine made.
 */
class PlanHashPerRunTest {
  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private final StubCloud cloud = new StubCloud();
  private final AuditLog audit = AuditLog.inMemory();
  private final ExecutorService steps = Executors.newSingleThreadExecutor();
  private final ExecutorService runs = Executors.newSingleThreadExecutor();

  @AfterEach
  void close() {
    steps.shutdownNow();
    runs.shutdownNow();
  }

  private Engine engine() {
    AtomicInteger ids = new AtomicInteger();
    EngineConfig config = EngineConfig.builder().orchestrator(cloud).deployer(cloud).identity(cloud)
        .ledger(SpendLedger.inMemory(time)).approvals(r -> ApprovalDecision.approved("ada@example.com", "go ahead",
            time.instant())).audit(audit).vault(CredentialVault.inMemory()).journal(RunJournal.inMemory())
        .clock(time).sleeper(time).ids(prefix -> prefix + "_" + ids.incrementAndGet()).stepExecutor(steps)
        .runExecutor(runs).build();
    return new Engine(config, ProvisioningFlow.INSTANCE);
  }

  /** A paid plan (so the person is asked), with an app or without: two plans with different steps. */
  private static ProvisionRequest request(String run, @Nullable String app) {
    return ProvisionRequest.builder().agent(AgentId.of("coding-agent-7")).provider(StubCloud.PROVIDER)
        .plan(StubCloud.PAID_PLAN).runId(RunId.of(run))
        .app(app == null ? null : WorkerApp.builder(app).module("index.js", "export default {};").build()).build();
  }

  private List<String> planHashesAskedIn(String run) {
    return audit.entries().stream().map(AuditEntry::record)
        .filter(r -> r.action().equals("approval.requested") && r.run() != null && r.run().value().equals(run))
        .map(r -> r.details().get("plan_sha256")).toList();
  }

  @Test
  void eachRunsApprovals_carryItsOwnPlansHash() {
    Engine engine = engine();
    RunPlan first = engine.plan(request("run_first", "first-app"));
    RunPlan second = engine.plan(request("run_second", null));
    String firstHash = ApprovalReceipts.planHash(first.steps());
    String secondHash = ApprovalReceipts.planHash(second.steps());

    engine.execute(first);
    engine.execute(second);

    assertThat(firstHash).isNotEqualTo(secondHash);
    assertThat(planHashesAskedIn("run_first")).isNotEmpty().containsOnly(firstHash);
    assertThat(planHashesAskedIn("run_second")).isNotEmpty().containsOnly(secondHash);
    assertThat(first.planHash()).isEqualTo(firstHash);
    assertThat(second.planHash()).isEqualTo(secondHash);
  }
}
