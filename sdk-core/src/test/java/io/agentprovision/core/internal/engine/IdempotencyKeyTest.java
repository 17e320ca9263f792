package io.agentprovision.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.core.wire.Digests;
import io.agentprovision.core.wire.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The idempotency key a provider receives for each step: the canonical form of the request is made
 * once per execution, and every step's key must still be exactly the digest journals written by
 * earlier versions hold, so that a run resumed after an upgrade repeats a call under the key its
 * first attempt sent (a different key would let the provider charge twice).
 */
class IdempotencyKeyTest {
  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private final StubCloud cloud = new StubCloud();
  private final RunJournal journal = RunJournal.inMemory();
  private final ExecutorService steps = Executors.newFixedThreadPool(2);
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
            time.instant())).audit(AuditLog.inMemory()).vault(CredentialVault.inMemory()).journal(journal).clock(time)
        .sleeper(time).ids(prefix -> prefix + "_" + ids.incrementAndGet()).stepExecutor(steps).runExecutor(runs)
        .build();
    return new Engine(config);
  }

  private static ProvisionRequest request(RunId run, String app) {
    return ProvisionRequest.builder().agent(AgentId.of("coding-agent-7")).provider(StubCloud.PROVIDER).runId(run)
        .project("shop").environment("staging")
        .app(WorkerApp.builder(app).module("index.js", "export default {};").build()).build();
  }

  /** The key as the journals of earlier versions hold it, written out from the request's parts. */
  private static String keyOf(RunId run, String step, ProvisionRequest r) {
    Map<String, Object> intent = new LinkedHashMap<>();
    intent.put("provider", r.provider());
    intent.put("plan", r.plan());
    intent.put("project", r.project());
    intent.put("environment", r.environment());
    intent.put("domain", null);
    intent.put("app", r.app().name());
    return "ap_" + Digests.sha256Hex(run + "|" + step + "|" + Json.canonical(intent)).substring(0, 40);
  }

  @Test
  void everyStepsKey_isTheDigestOfTheRunTheStepAndTheCanonicalRequest_asBefore() {
    RunId run = RunId.of("run_keys");
    ProvisionRequest request = request(run, "my-app");
    Engine engine = engine();

    engine.execute(engine.plan(request));

    List<StepRecord> recs = journal.steps(run);
    assertThat(recs).extracting(s -> s.step().value()).contains("identity", "account", "credentials", "deploy");
    for (StepRecord s : recs) {
      assertThat(s.idempotencyKey()).as(s.step().value()).isEqualTo(keyOf(run, s.step().value(), request));
    }
    assertThat(recs).extracting(StepRecord::idempotencyKey).doesNotHaveDuplicates();
  }

  @Test
  void anotherRequest_underTheSameEngine_getsKeysOfItsOwn() {
    Engine engine = engine();
    RunId first = RunId.of("run_first");
    RunId second = RunId.of("run_second");
    engine.execute(engine.plan(request(first, "my-app")));

    engine.execute(engine.plan(request(second, "other-app")));

    StepRecord deploy = journal.steps(second).stream().filter(s -> s.step().value().equals("deploy")).findFirst()
        .orElseThrow();
    assertThat(deploy.idempotencyKey()).isEqualTo(keyOf(second, "deploy", request(second, "other-app")))
        .isNotEqualTo(keyOf(second, "deploy", request(second, "my-app")));
  }
}
