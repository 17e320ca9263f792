package io.agentprovision.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The principal a run's steps audit and ask for is made once per run from its identity step's
 * output: each run of one engine still names its own person on every entry, never an earlier run's.
 */
class PrincipalPerRunTest {
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

  /** An engine whose identity provider attests a different person for each run: the run's id names them. */
  private Engine engine() {
    AtomicInteger ids = new AtomicInteger();
    EngineConfig config = EngineConfig.builder().orchestrator(cloud).deployer(cloud)
        .identity(r -> {
          String who = Objects.requireNonNull(r.run()).value();
          return Principal.builder("sub-" + who, "https://issuer.test").email(who + "@example.com", true)
              .amr(List.of("pwd")).build();
        })
        .ledger(SpendLedger.inMemory(time)).approvals(r -> ApprovalDecision.approved("ada@example.com", "go ahead",
            time.instant())).audit(audit).vault(CredentialVault.inMemory()).journal(RunJournal.inMemory())
        .clock(time).sleeper(time).ids(prefix -> prefix + "_" + ids.incrementAndGet()).stepExecutor(steps)
        .runExecutor(runs).build();
    return new Engine(config, ProvisioningFlow.INSTANCE);
  }

  private static ProvisionRequest request(String run) {
    return ProvisionRequest.builder().agent(AgentId.of("coding-agent-7")).provider(StubCloud.PROVIDER)
        .plan(StubCloud.PAID_PLAN).runId(RunId.of(run))
        .app(WorkerApp.builder("app-" + run.replace('_', '-')).module("index.js", "export default {};").build()).build();
  }

  /** The principals named by the entries of {@code run}'s steps after the identity step. */
  private List<String> principalsAuditedIn(String run) {
    return audit.entries().stream().map(AuditEntry::record)
        .filter(r -> r.run() != null && r.run().value().equals(run) && r.step() != null
            && !r.step().equals(IdentityStep.ID) && r.principal() != null)
        .map(r -> r.principal()).distinct().toList();
  }

  @Test
  void eachRunsEntries_nameItsOwnPerson() {
    Engine engine = engine();

    engine.execute(engine.plan(request("run_one")));
    engine.execute(engine.plan(request("run_two")));

    assertThat(principalsAuditedIn("run_one")).containsExactly("sub-run_one <run_one@example.com> @https://issuer.test");
    assertThat(principalsAuditedIn("run_two")).containsExactly("sub-run_two <run_two@example.com> @https://issuer.test");
  }
}
