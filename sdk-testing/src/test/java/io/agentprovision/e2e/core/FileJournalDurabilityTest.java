package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.RunId;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.SimulatedCrash;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file journal under the engine: a step's record, with its idempotency key, is saved (and so,
 * as {@code FileRunJournalTest} checks, forced to disk) before the step's side effect, so a host
 * that dies at the side effect leaves a journal on disk from which another host resumes the run
 * without paying twice.
 */
class FileJournalDurabilityTest {
  private static final RunId RUN = RunId.of("run_durable");
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  @TempDir
  Path dir;

  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aPaidStepsRecord_isSavedBeforeItsSideEffect_andAFreshHostOnTheFilesResumesWithoutPayingTwice() {
    RunJournal files = RunJournal.directory(dir);
    List<StepRecord> returned = new CopyOnWriteArrayList<>();
    RunJournal watched = (RunJournal) Proxy.newProxyInstance(RunJournal.class.getClassLoader(),
        new Class<?>[] {RunJournal.class}, (proxy, method, args) -> {
          Object result;
          try {
            result = method.invoke(files, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (method.getName().equals("saveStep") && Boolean.TRUE.equals(result)) {
            returned.add((StepRecord) args[0]); // its save returned: the line is on disk
          }
          return result;
        });
    h.orchestrator.crashBefore("provision", 1); // the host dies as the first paid call is made
    AgentProvisioner first = h.provisioner(b -> b.journal(watched));

    assertThatThrownBy(() -> first.provisionAndDeploy(EngineHarness.request().runId(RUN).build()))
        .isInstanceOf(SimulatedCrash.class);

    RunJournal onDisk = RunJournal.directory(dir);
    List<StepRecord> running = onDisk.steps(RUN).stream().filter(s -> s.status() == StepStatus.RUNNING).toList();
    assertThat(running).as("the step making the paid call").singleElement()
        .satisfies(s -> assertThat(s.idempotencyKey()).isNotBlank());
    assertThat(returned).as("its save had returned before the call").contains(running.get(0));
    assertThat(h.orchestrator.charges()).isEmpty();

    AgentProvisioner second = h.provisioner(b -> b.journal(RunJournal.directory(dir)));
    Deployment d = second.resume(AGENT, RUN);

    assertThat(d.verification().live()).isTrue();
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .containsExactlyInAnyOrder("workers:paid", "registrar:domain");
    assertThat(RunJournal.directory(dir).run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"plan", "domain", "credentials"})
  void aMachineCrashThatLosesAStepsResult_runsTheStepAgainOnResume_andNothingIsBoughtOrMintedTwice(String lost) {
    RunJournal files = RunJournal.directory(dir);
    // A step's end is written without a force of its own (RunJournal.saveStepResult): a machine crash
    // before the run's next save may lose it, after the step paid (the plan, the domain, which cannot be
    // undone) or minted a token (the credentials).
    RunJournal crashing = crashingOn(files, r -> r.step().value().equals(lost)); // the line never reached the disk
    AgentProvisioner first = h.provisioner(b -> b.journal(crashing));

    assertThatThrownBy(() -> first.provisionAndDeploy(EngineHarness.request().runId(RUN).build()))
        .isInstanceOf(SimulatedCrash.class);
    assertThat(RunJournal.directory(dir).step(RUN, io.agentprovision.core.StepId.of(lost)).orElseThrow().status())
        .as("the step's end was lost: journaled as running").isEqualTo(StepStatus.RUNNING);

    AgentProvisioner second = h.provisioner(b -> b.journal(RunJournal.directory(dir)));
    Deployment d = second.resume(AGENT, RUN);

    assertThat(d.verification().live()).isTrue();
    assertThat(h.deployer.tokens()).as("one deploy token minted").hasSize(1);
    assertThat(h.orchestrator.charges()).as("the step ran again under its key: nothing bought twice")
        .extracting(FakeOrchestrator.Charge::serviceId).containsExactlyInAnyOrder("workers:paid", "registrar:domain");
    io.agentprovision.core.Money committed = h.ledger.reservations(null, null, java.time.Instant.EPOCH,
        java.time.Instant.MAX).stream().filter(r -> r.status() == io.agentprovision.core.policy.Reservation.Status.COMMITTED)
        .map(r -> java.util.Objects.requireNonNull(r.committed())).reduce(io.agentprovision.core.Money::plus)
        .orElseThrow();
    assertThat(committed).as("the ledger holds what the provider charged, once")
        .isEqualTo(h.orchestrator.totalCharged("cloudflare"));
    assertThat(h.ledger.reservations(null, null, java.time.Instant.EPOCH, java.time.Instant.MAX))
        .as("nothing left held").allSatisfy(r -> assertThat(r.held()).isFalse());
  }

  /**
   * A step that changes nothing outside the SDK before it ends (identity, plan approval,
   * verification) is journaled as started without waiting for a disk sync; every other step's start,
   * with its key, returns only once it is on disk, before the step runs.
   */
  @Test
  void onlyStepsThatChangeNothingOutside_startWithoutASync() {
    RunJournal files = RunJournal.directory(dir);
    List<String> synced = new CopyOnWriteArrayList<>();
    List<String> notSynced = new CopyOnWriteArrayList<>();
    RunJournal watched = (RunJournal) Proxy.newProxyInstance(RunJournal.class.getClassLoader(),
        new Class<?>[] {RunJournal.class}, (proxy, method, args) -> {
          if ((method.getName().equals("saveStep") || method.getName().equals("saveStepResult"))
              && ((StepRecord) args[0]).status() == StepStatus.RUNNING && ((StepRecord) args[0]).attempts() == 1
              && ((StepRecord) args[0]).output() == null && ((StepRecord) args[0]).reservations().isEmpty()
              && ((StepRecord) args[0]).decisions().isEmpty()) {
            (method.getName().equals("saveStep") ? synced : notSynced).add(((StepRecord) args[0]).step().value());
          }
          try {
            return method.invoke(files, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    AgentProvisioner p = h.provisioner(b -> b.journal(watched));

    assertThat(p.provisionAndDeploy(EngineHarness.request().runId(RUN).build()).verification().live()).isTrue();

    assertThat(notSynced).containsExactlyInAnyOrder("identity", "plan-approval", "verify");
    assertThat(synced).contains("account", "plan", "domain", "credentials", "deploy").doesNotContainAnyElementsOf(notSynced);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"identity", "plan-approval", "verify"})
  void aMachineCrashThatLosesTheStartOfAStepThatChangesNothing_runsItOnResume(String lost) {
    RunJournal files = RunJournal.directory(dir);
    // the start never reached the disk
    RunJournal crashing = crashingOn(files, r -> r.step().value().equals(lost) && r.status() == StepStatus.RUNNING);
    AgentProvisioner first = h.provisioner(b -> b.journal(crashing));

    assertThatThrownBy(() -> first.provisionAndDeploy(EngineHarness.request().runId(RUN).build()))
        .isInstanceOf(SimulatedCrash.class);
    assertThat(RunJournal.directory(dir).step(RUN, io.agentprovision.core.StepId.of(lost))).as("not started").isEmpty();

    Deployment d = h.provisioner(b -> b.journal(RunJournal.directory(dir))).resume(AGENT, RUN);

    assertThat(d.verification().live()).isTrue();
    assertThat(h.deployer.tokens()).as("one deploy token minted").hasSize(1);
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .containsExactlyInAnyOrder("workers:paid", "registrar:domain");
  }

  /** {@code files}, whose process dies at the {@code saveStepResult} of a record {@code when} picks: its line is lost. */
  private static RunJournal crashingOn(RunJournal files, java.util.function.Predicate<StepRecord> when) {
    return (RunJournal) Proxy.newProxyInstance(RunJournal.class.getClassLoader(), new Class<?>[] {RunJournal.class},
        (proxy, method, args) -> {
          if (method.getName().equals("saveStepResult") && when.test((StepRecord) args[0])) {
            throw new SimulatedCrash("saveStepResult", 1, false);
          }
          try {
            return method.invoke(files, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
