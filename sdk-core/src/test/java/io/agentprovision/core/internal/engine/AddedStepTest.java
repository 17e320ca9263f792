package io.agentprovision.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.journal.JournalEntryException;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.core.wire.Json;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A step written here, registered with one line on top of the first-day flow: it runs after the
 * deploy step, reads that step's output as a record, asks a person once, journals its own output,
 * and after a crash the run resumes it without repeating what finished or asking again.
 */
class AddedStepTest {
  private static final RunId RUN = RunId.of("run_added");

  /** Calls the app once it is deployed; crashes (as a killed host would) while {@code crashes} is positive. */
  static final class SmokeTestStep extends BaseStep<SmokeTestStep.Smoked> {
    static final StepId ID = StepId.of("smoke-test");

    record Smoked(URI url, String key, @Nullable String approver) {}

    private final AtomicInteger crashes;

    SmokeTestStep(List<StepId> dependsOn, AtomicInteger crashes) {
      super(ID, StepKind.VERIFY, dependsOn, "call the deployed app once", Smoked.class);
      this.crashes = crashes;
    }

    @Override
    public Smoked run(StepRun ctx) {
      URI url = ctx.output(DeployStep.class).app().url();
      ApprovalDecision ok = ctx.checkpoint(CheckpointRequest.confirm(CheckpointKind.ACTION_REQUIRED,
          "Call " + url + " once?", "the smoke test sends one request"));
      ctx.audit("smoke.tested").key(ctx.idempotencyKey()).detail("url", url.toString()).record();
      if (crashes.getAndDecrement() > 0) {
        throw new Error("the host died");
      }
      return new Smoked(url, ctx.idempotencyKey(), ok.approver());
    }

    @Override
    public String summary(Smoked out) {
      return "answered at " + out.url();
    }
  }

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
  private final List<ProvisioningEvent> events = new CopyOnWriteArrayList<>();
  private final ExecutorService steps = Executors.newSingleThreadExecutor();
  private final ExecutorService runs = Executors.newSingleThreadExecutor();
  private final AtomicInteger crashes = new AtomicInteger();

  @AfterEach
  void close() {
    steps.shutdownNow();
    runs.shutdownNow();
  }

  /** An engine on the shared stores, as a restarted host would have them, whose flow has the added step. */
  private Engine engine() {
    AtomicInteger ids = new AtomicInteger();
    EngineConfig config = EngineConfig.builder().orchestrator(cloud).deployer(cloud).identity(cloud).ledger(ledger)
        .approvals(person).audit(audit).vault(vault).journal(journal).listener(events::add).clock(time).sleeper(time)
        .ids(prefix -> prefix + "_" + ids.incrementAndGet()).stepExecutor(steps).runExecutor(runs).build();
    return new Engine(config, in -> ProvisioningFlow.INSTANCE.graph(in).toBuilder()
        .add(new SmokeTestStep(List.of(DeployStep.ID), crashes)) // the one registration line
        .build());
  }

  private static ProvisionRequest request() {
    return ProvisionRequest.builder().agent(AgentId.of("coding-agent-7")).provider(StubCloud.PROVIDER).runId(RUN)
        .app(WorkerApp.builder("my-app").module("index.js", "export default {};").build()).build();
  }

  private List<String> auditActions() {
    return audit.entries().stream().map(e -> e.record().action()).toList();
  }

  @Test
  void theAddedStep_isPlanned_runsAfterItsDependency_andJournalsItsOutput() {
    Engine engine = engine();
    RunPlan plan = engine.plan(request());

    Deployment d = engine.execute(plan);

    assertThat(plan.steps()).last().satisfies(s -> {
      assertThat(s.id()).isEqualTo(SmokeTestStep.ID);
      assertThat(s.dependsOn()).containsExactly(DeployStep.ID);
      assertThat(s.description()).isEqualTo("call the deployed app once");
    });
    assertThat(d.url()).isEqualTo(URI.create("https://my-app.stub.example"));
    assertThat(events).filteredOn(ProvisioningEvent.StepFinished.class::isInstance)
        .map(e -> (ProvisioningEvent.StepFinished) e).filteredOn(e -> e.step().equals(SmokeTestStep.ID))
        .singleElement().satisfies(e -> {
          assertThat(e.status()).isEqualTo(StepStatus.SUCCEEDED);
          assertThat(e.summary()).isEqualTo("answered at https://my-app.stub.example");
        });
    StepRecord rec = journal.step(RUN, SmokeTestStep.ID).orElseThrow();
    assertThat(rec.status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(Json.parseObject(rec.output())).containsEntry("url", "https://my-app.stub.example")
        .containsEntry("key", rec.idempotencyKey()).containsEntry("approver", "ada@example.com");
    assertThat(rec.decisions()).singleElement().satisfies(dec -> {
      assertThat(dec.sequence()).isEqualTo(1);
      assertThat(dec.kind()).isEqualTo(CheckpointKind.ACTION_REQUIRED);
      assertThat(dec.outcome()).isEqualTo(ApprovalDecision.Outcome.APPROVED);
    });
    assertThat(auditActions()).contains("smoke.tested", "run.finished");
    assertThat(journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
  }

  @Test
  void afterACrashInTheAddedStep_aResumeOnAnotherHost_runsOnlyIt_withTheSameKey_andDoesNotAskAgain() {
    crashes.set(1);
    assertThatThrownBy(() -> engine().execute(engine().plan(request()))).isInstanceOf(Error.class)
        .hasMessage("the host died");
    StepRecord interrupted = journal.step(RUN, SmokeTestStep.ID).orElseThrow();
    assertThat(interrupted.status()).isEqualTo(StepStatus.RUNNING);
    assertThat(asked).hasSize(1);
    List<String> callsBefore = List.copyOf(cloud.calls);
    events.clear();

    Deployment d = engine().resume(RUN);

    assertThat(d.verification().live()).isTrue();
    assertThat(cloud.calls).as("nothing that finished ran again").isEqualTo(callsBefore);
    assertThat(events).filteredOn(ProvisioningEvent.StepFinished.class::isInstance)
        .map(e -> (ProvisioningEvent.StepFinished) e).filteredOn(e -> e.status() == StepStatus.SKIPPED)
        .extracting(e -> e.step().value())
        .containsExactly("identity", "plan-approval", "account", "resource", "credentials", "deploy", "verify");
    assertThat(events).filteredOn(ProvisioningEvent.StepStarted.class::isInstance)
        .map(e -> (ProvisioningEvent.StepStarted) e).singleElement().satisfies(e -> {
          assertThat(e.step()).isEqualTo(SmokeTestStep.ID);
          assertThat(e.attempt()).isEqualTo(2);
        });
    StepRecord done = journal.step(RUN, SmokeTestStep.ID).orElseThrow();
    assertThat(done.idempotencyKey()).isEqualTo(interrupted.idempotencyKey());
    assertThat(Json.parseObject(done.output())).containsEntry("key", interrupted.idempotencyKey());
    assertThat(asked).as("the person's answer was found in the journal").hasSize(1);
    assertThat(auditActions()).containsOnlyOnce("approval.reused");
  }

  @Test
  void aJournalEntryThatCannotBeRead_stopsTheResumeBeforeAnything_namingTheStep() {
    crashes.set(1);
    assertThatThrownBy(() -> engine().execute(engine().plan(request()))).isInstanceOf(Error.class);
    StepRecord deploy = journal.step(RUN, DeployStep.ID).orElseThrow();
    journal.saveStep(deploy.next(time.instant()).output("{\"app\":{\"scriptName\":\"my-app\"}}").build());
    List<String> callsBefore = List.copyOf(cloud.calls);
    int auditBefore = audit.entries().size();

    assertThatThrownBy(() -> engine().resume(RUN)).isInstanceOfSatisfying(JournalEntryException.class, e -> {
      assertThat(e.step()).isEqualTo(DeployStep.ID);
      assertThat(e.run()).isEqualTo(RUN);
      assertThat(e.getMessage()).contains("step deploy of run run_added").contains("Deployed");
    });
    assertThat(cloud.calls).isEqualTo(callsBefore);
    assertThat(audit.entries()).as("not even a run.resumed entry").hasSize(auditBefore);
    assertThat(journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
  }

  @Test
  void aRecordedDecision_answersOnlyTheSameQuestion_approved_withNothingHandedBack() {
    CheckpointRequest q = CheckpointRequest.confirm(CheckpointKind.ACTION_REQUIRED, "Call it?", "once");
    String fp = Checkpoints.fingerprint(q);
    CheckpointDecision approved = new CheckpointDecision(1, "apr_1", q.kind(), fp, ApprovalDecision.Outcome.APPROVED,
        "ada", time.instant(), false);

    assertThat(approved.answers(fp)).isTrue();
    assertThat(approved.answers(Checkpoints.fingerprint(q.withCost(io.agentprovision.core.Money.usd("1.00")))))
        .as("another price").isFalse();
    assertThat(approved.answers(Checkpoints.fingerprint(q.withDetails(Map.of("domain", "other.com"))))).isFalse();
    assertThat(new CheckpointDecision(1, "apr_1", q.kind(), fp, ApprovalDecision.Outcome.DENIED, "ada", time.instant(),
        false).answers(fp)).as("a denial is asked again").isFalse();
    assertThat(new CheckpointDecision(1, "apr_1", q.kind(), fp, ApprovalDecision.Outcome.APPROVED, "ada",
        time.instant(), true).answers(fp)).as("an OAuth code or a fresh sign-in is not journaled").isFalse();
  }
}
