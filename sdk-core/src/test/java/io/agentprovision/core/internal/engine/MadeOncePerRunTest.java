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
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the engine makes once per run or per plan (the plan hash every approval is bound to, the
 * principal every audit entry names) never leaks into another run of the same engine.
 */
class MadeOncePerRunTest {
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

  private Engine engine(IdentityProvider identity) {
    AtomicInteger ids = new AtomicInteger();
    EngineConfig config = EngineConfig.builder().orchestrator(cloud).deployer(cloud).identity(identity)
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

  /** The principals named by the entries of {@code run}'s steps after the identity step. */
  private List<String> principalsAuditedIn(String run) {
    return audit.entries().stream().map(AuditEntry::record)
        .filter(r -> r.run() != null && r.run().value().equals(run) && r.step() != null
            && !r.step().equals(IdentityStep.ID) && r.principal() != null)
        .map(r -> r.principal()).distinct().toList();
  }

  @Test
  void eachRunsApprovals_carryItsOwnPlansHash() {
    Engine engine = engine(cloud);
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

  @Test
  void eachRunsEntries_nameItsOwnPerson() {
    // an identity provider that attests a different person for each run: the run's id names them
    Engine engine = engine(r -> {
      String who = Objects.requireNonNull(r.run()).value();
      return Principal.builder("sub-" + who, "https://issuer.test").email(who + "@example.com", true)
          .amr(List.of("pwd")).build();
    });

    engine.execute(engine.plan(request("run_one", "app-run-one")));
    engine.execute(engine.plan(request("run_two", "app-run-two")));

    assertThat(principalsAuditedIn("run_one")).containsExactly("sub-run_one <run_one@example.com> @https://issuer.test");
    assertThat(principalsAuditedIn("run_two")).containsExactly("sub-run_two <run_two@example.com> @https://issuer.test");
  }
}
