package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.spi.ProvisioningListener;
import io.agentprovision.core.RunId;
import io.agentprovision.core.RunLeasedException;
import io.agentprovision.core.StepId;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.VirtualScheduler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A run is executed by the host holding its lease: a heartbeat keeps it while the run executes; a
 * host that lost it (it stalled past its expiry and another host took the run over) stops before its
 * next side effect. Host death at every step boundary is {@code HostTakeoverContract} (sdk-fakes).
 */
class RunLeaseTest {
  private static final long WAIT_SECONDS = 60;
  private static final RunId RUN = RunId.of("run_lease");

  private final EngineHarness h = new EngineHarness();
  private final ExecutorService hostBSteps = Executors.newSingleThreadExecutor();
  private final ExecutorService callers = Executors.newSingleThreadExecutor();

  @AfterEach
  void close() {
    h.close();
    hostBSteps.shutdownNow();
    callers.shutdownNow();
  }

  /**
   * The host that lost its run's lease stops with {@link RunLeasedException} before its next side
   * effect: no call to a provider after the counts given, and the run's journal as it was.
   */
  private void assertStoppedWithoutSideEffects(Future<Deployment> onA, io.agentprovision.core.spi.RunJournal journal,
      int orchestratorCalls, int deployerCalls, RunRecord run, List<StepRecord> steps) {
    ExecutionException stopped = assertThrows(ExecutionException.class,
        () -> onA.get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertThat(stopped.getCause()).isInstanceOf(RunLeasedException.class)
        .hasMessageContaining("stopped before its next side effect");
    assertThat(h.orchestrator.calls()).as("A called nothing after it lost the run").hasSize(orchestratorCalls);
    assertThat(h.deployer.calls()).hasSize(deployerCalls);
    assertThat(journal.run(RUN).orElseThrow()).as("nor wrote to the journal").isEqualTo(run);
    assertThat(journal.steps(RUN)).isEqualTo(steps);
  }

  /**
   * A listener that stalls the host's run once its account step has succeeded (a long pause of its
   * process between two steps): it counts {@code stalled} down and waits for {@code goOn}.
   */
  private static ProvisioningListener stallAfterAccount(CountDownLatch stalled,
      CountDownLatch goOn) {
    return e -> {
      if (e instanceof ProvisioningEvent.StepFinished f && f.step().equals(StepId.of("account"))
          && f.status() == StepStatus.SUCCEEDED) {
        stalled.countDown();
        try {
          goOn.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  private static ProvisionRequest request() {
    return EngineHarness.request().runId(RUN).build();
  }

  @Test
  void aHostThatLostItsLease_stopsBeforeItsNextSideEffect_andTheHostThatTookItFinishesAlone() throws Exception {
    CountDownLatch aStalled = new CountDownLatch(1);
    CountDownLatch aGoesOn = new CountDownLatch(1);
    // host A stalls between two steps (a long pause of its process), with no heartbeat: its scheduler never runs
    AgentProvisioner hostA = h.provisioner(b -> b.leaseOwner("host-a").scheduler(VirtualScheduler.on(h.time))
        .listener(stallAfterAccount(aStalled, aGoesOn)));
    AgentProvisioner hostB = h.provisioner(b -> b.leaseOwner("host-b").stepExecutor(hostBSteps));
    Future<Deployment> onA = callers.submit(() -> hostA.provisionAndDeploy(request()));
    assertThat(aStalled.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(h.journal.lease(Lease.runName(RUN)).orElseThrow().owner()).isEqualTo("host-a");
    assertThat(hostB.resumeAbandoned()).as("A's lease is live").isEmpty();

    h.time.advance(AgentProvisioner.DEFAULT_LEASE_DURATION.plusSeconds(1));
    Map<RunId, CompletableFuture<Deployment>> taken = hostB.resumeAbandoned();
    Deployment d = taken.get(RUN).get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(d.verification().live()).isTrue();
    int orchestratorCalls = h.orchestrator.calls().size();
    int deployerCalls = h.deployer.calls().size();
    RunRecord finished = h.journal.run(RUN).orElseThrow();
    List<StepRecord> steps = h.journal.steps(RUN);

    aGoesOn.countDown();

    assertStoppedWithoutSideEffects(onA, h.journal, orchestratorCalls, deployerCalls, finished, steps);
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .containsExactly("workers:paid", "registrar:domain");
    assertThat(h.events(ProvisioningEvent.StepStarted.class)).as("payment-method ran once, at B")
        .filteredOn(s -> s.step().equals(StepId.of("payment-method"))).hasSize(1);
    assertThat(finished.status()).isEqualTo(RunStatus.SUCCEEDED);
  }

  /**
   * A host that stalled past its lease's expiry, while another process sharing the journal directory
   * leased and released its own runs (rewriting the lease file, which drops the expired lease), has
   * its lease dropped rather than taken over: it stops before its next side effect with the same
   * error as a host whose run was taken over, and writes nothing more.
   */
  @Test
  void aHostWhoseExpiredLeaseTheFileJournalDropped_stopsBeforeItsNextSideEffect_asAfterATakeover(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    io.agentprovision.core.spi.RunJournal journal = io.agentprovision.core.spi.RunJournal.directory(dir);
    CountDownLatch aStalled = new CountDownLatch(1);
    CountDownLatch aGoesOn = new CountDownLatch(1);
    AgentProvisioner hostA = h.provisioner(b -> b.journal(journal).leaseOwner("host-a")
        .scheduler(VirtualScheduler.on(h.time)).listener(stallAfterAccount(aStalled, aGoesOn)));
    Future<Deployment> onA = callers.submit(() -> hostA.provisionAndDeploy(request()));
    assertThat(aStalled.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    Lease held = journal.lease(Lease.runName(RUN)).orElseThrow();
    int orchestratorCalls = h.orchestrator.calls().size();
    int deployerCalls = h.deployer.calls().size();
    int charges = h.orchestrator.charges().size();
    RunRecord before = journal.run(RUN).orElseThrow();
    List<StepRecord> steps = journal.steps(RUN);

    h.time.advance(AgentProvisioner.DEFAULT_LEASE_DURATION.plusSeconds(1));
    io.agentprovision.core.spi.RunJournal other = io.agentprovision.core.spi.RunJournal.directory(dir);
    for (int i = 0; i < 600 && other.lease(held.name()).isPresent(); i++) {
      java.time.Instant now = h.time.instant();
      other.releaseLease(other.acquireLease("run:other_" + i, "host-b", now, now.plusSeconds(60)).orElseThrow());
    }
    assertThat(other.lease(held.name())).as("dropped, not taken over").isEmpty();

    aGoesOn.countDown();

    assertStoppedWithoutSideEffects(onA, journal, orchestratorCalls, deployerCalls, before, steps);
    assertThat(h.orchestrator.charges()).as("nothing bought after the stall").hasSize(charges);
  }

  @Test
  void theHeartbeat_keepsALongStepsLease_soNoOtherHostTakesTheRun() throws Exception {
    VirtualScheduler scheduler = VirtualScheduler.on(h.time);
    CountDownLatch inDeploy = new CountDownLatch(1);
    CountDownLatch deployGoesOn = new CountDownLatch(1);
    AgentProvisioner hostA = h.provisioner(b -> b.leaseOwner("host-a").scheduler(scheduler).listener(e -> {
      if (e instanceof ProvisioningEvent.StepStarted s && s.step().equals(StepId.of("deploy"))) {
        inDeploy.countDown();
        try {
          deployGoesOn.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
    }));
    AgentProvisioner hostB = h.provisioner(b -> b.leaseOwner("host-b").stepExecutor(hostBSteps));
    Future<Deployment> onA = callers.submit(() -> hostA.provisionAndDeploy(request()));
    assertThat(inDeploy.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

    scheduler.advance(Duration.ofMinutes(10)); // a step that takes ten minutes: the heartbeat renews the lease

    Lease held = h.journal.lease(Lease.runName(RUN)).orElseThrow();
    assertThat(held.owner()).isEqualTo("host-a");
    assertThat(held.expiresAt()).isAfter(h.time.instant());
    assertThat(hostB.resumeAbandoned()).as("a live host's run is not taken").isEmpty();
    deployGoesOn.countDown();
    assertThat(onA.get(WAIT_SECONDS, TimeUnit.SECONDS).verification().live()).isTrue();
    assertThat(h.journal.lease(Lease.runName(RUN))).as("released when the run finished").isEmpty();
    assertThat(scheduler.pending()).as("the heartbeat stopped with the run").isZero();
  }

  @Test
  void whileMoreThanHalfTheLeaseIsLeft_aStepWritesNoRenewal_andOnceLessIsLeftTheNextCheckRenews() throws Exception {
    Duration lease = AgentProvisioner.DEFAULT_LEASE_DURATION;
    assertThat(expiryBeforeDeploy(lease.dividedBy(4))).as("a quarter used: nothing written since it was taken")
        .isEqualTo(Phase.TAKEN);
    assertThat(expiryBeforeDeploy(lease.multipliedBy(3).dividedBy(4)))
        .as("three quarters used: renewed for a whole lease from then").isEqualTo(Phase.RENEWED);
  }

  private enum Phase { TAKEN, RENEWED, OTHER }

  /**
   * Runs a flow on a host without heartbeat whose clock moves by {@code used} once the account step
   * ends, and says where the run's lease stood when deploy started: still as taken, or renewed at the
   * moved clock.
   */
  private Phase expiryBeforeDeploy(Duration used) throws Exception {
    EngineHarness run = new EngineHarness();
    try {
      Duration lease = AgentProvisioner.DEFAULT_LEASE_DURATION;
      java.util.concurrent.atomic.AtomicReference<java.time.Instant> taken = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicReference<java.time.Instant> moved = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicReference<java.time.Instant> atDeploy = new java.util.concurrent.atomic.AtomicReference<>();
      AgentProvisioner host = run.provisioner(b -> b.leaseOwner("host-a").scheduler(VirtualScheduler.on(run.time))
          .listener(e -> {
            if (e instanceof ProvisioningEvent.RunStarted) {
              taken.set(run.time.instant());
            } else if (e instanceof ProvisioningEvent.StepFinished f && f.step().equals(StepId.of("account"))) {
              run.time.advance(used);
              moved.set(run.time.instant());
            } else if (e instanceof ProvisioningEvent.StepStarted s && s.step().equals(StepId.of("deploy"))) {
              atDeploy.set(run.journal.lease(Lease.runName(RUN)).orElseThrow().expiresAt());
            }
          }));
      assertThat(host.provisionAndDeploy(request()).verification().live()).isTrue();
      if (atDeploy.get().equals(taken.get().plus(lease))) {
        return Phase.TAKEN;
      }
      return atDeploy.get().equals(moved.get().plus(lease)) ? Phase.RENEWED : Phase.OTHER;
    } finally {
      run.close();
    }
  }
}
