package io.agentprovision.e2e.core;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.SimulatedCrash;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Crashes, cancels and failures: resume without buying twice, undo what can be undone. */
class ResumeAndFailureTest {
  private static final RunId RUN = RunId.of("run_resume");
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private static ProvisionRequest request() {
    return EngineHarness.request().runId(RUN).build();
  }

  private List<Reservation> reservations() {
    return h.ledger.reservations(null, null, Instant.EPOCH, Instant.MAX);
  }

  /**
   * Every call with a side effect, crashed just before it and just after it (the effect made, the
   * answer lost). With one step thread the calls come in a fixed order: the plan, then the Worker
   * resource, then the domain (which waits for the plan, since a registration cannot be undone).
   */
  static Stream<Arguments> crashPoints() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (String when : List.of("before", "after")) {
      b.add(Arguments.of("orchestrator", "linkAccount", 1, when));
      b.add(Arguments.of("orchestrator", "ensurePaymentMethod", 1, when));
      b.add(Arguments.of("orchestrator", "provision", 1, when)); // the plan
      b.add(Arguments.of("orchestrator", "provision", 2, when)); // the Worker resource
      b.add(Arguments.of("orchestrator", "provision", 3, when)); // the domain search
      b.add(Arguments.of("orchestrator", "submitInformation", 1, when)); // the domain purchase
      b.add(Arguments.of("orchestrator", "revealCredentials", 1, when));
      b.add(Arguments.of("deployer", "prepareCredentials", 1, when));
      b.add(Arguments.of("deployer", "deploy", 1, when));
      b.add(Arguments.of("deployer", "verify", 1, when));
    }
    return b.build();
  }

  @ParameterizedTest(name = "crash {3} {0}.{1} #{2}")
  @MethodSource("crashPoints")
  void crashAtAnyStepBoundary_thenResumeOnAFreshHost_completesWithoutBuyingTwice(String target, String method, int nth,
      String when) {
    if (target.equals("orchestrator")) {
      if (when.equals("before")) {
        h.orchestrator.crashBefore(method, nth);
      } else {
        h.orchestrator.crashAfter(method, nth);
      }
    } else if (when.equals("before")) {
      h.deployer.crashBefore(method, nth);
    } else {
      h.deployer.crashAfter(method, nth);
    }
    AgentProvisioner first = h.provisioner();
    assertThatThrownBy(() -> first.provisionAndDeploy(request())).isInstanceOf(SimulatedCrash.class);
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);

    // a new host with the same journal, ledger, vault and audit log picks the run up
    AgentProvisioner second = h.provisioner();
    Deployment d = second.resume(AGENT, RUN);

    assertThat(d.verification().live()).isTrue();
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .containsExactlyInAnyOrder("workers:paid", "registrar:domain");
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("15.44"));
    assertThat(d.spent()).containsExactly(Money.usd("15.44"));
    assertThat(reservations()).extracting(Reservation::status).containsOnly(Reservation.Status.COMMITTED);
    assertThat(h.orchestrator.resources()).filteredOn(r -> r.ref().serviceId().equals("workers:paid")).hasSize(1);
    assertThat(h.deployer.tokens()).hasSize(1);
    assertThat(h.deployer.liveScripts()).hasSize(1);
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(h.audit.verify().valid()).isTrue();
    assertThat(h.events(ProvisioningEvent.RunStarted.class)).extracting(ProvisioningEvent.RunStarted::resumed)
        .containsExactly(false, true);
  }

  @Test
  void crashAfterTheDomainWasApproved_resumeFindsThePersonsAnswer_insteadOfAskingAgain() {
    h.orchestrator.crashBefore("submitInformation", 1); // the human said yes to the price, then the host died
    assertThatThrownBy(() -> h.provisioner().provisionAndDeploy(request())).isInstanceOf(SimulatedCrash.class);
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).hasSize(1);
    assertThat(h.journal.step(RUN, StepId.of("domain")).orElseThrow().decisions()).singleElement()
        .satisfies(d -> assertThat(d.outcome()).isEqualTo(ApprovalDecision.Outcome.APPROVED));

    Deployment d = h.provisioner().resume(AGENT, RUN);

    assertThat(d.verification().live()).isTrue();
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).as("asked once, not twice").hasSize(1);
    assertThat(h.auditActions()).containsOnlyOnce("approval.reused");
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("15.44"));
  }

  @Test
  void aDomainPurchaseDeniedBeforeASuspend_isAskedAgainOnResume() {
    h.onFailure = FailureAction.SUSPEND;
    h.gate.on(CheckpointKind.DOMAIN_PURCHASE, r -> ApprovalDecision.denied("ada", "not now", h.time.instant()));
    AgentProvisioner p = h.provisioner();
    assertThatThrownBy(() -> p.provisionAndDeploy(request()))
        .isInstanceOf(io.agentprovision.core.approval.ApprovalDeniedException.class);

    h.gate.on(CheckpointKind.DOMAIN_PURCHASE, r -> ApprovalDecision.approved("ada", "ok now", h.time.instant()));
    Deployment d = p.resume(AGENT, RUN);

    assertThat(d.domain()).isEqualTo("my-app.com");
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).hasSize(2);
    assertThat(h.auditActions()).doesNotContain("approval.reused");
  }

  @Test
  void resume_ofAFinishedRun_returnsItsResultAndBuysNothing() {
    Deployment first = h.provisioner().provisionAndDeploy(request());

    Deployment again = h.provisioner().resume(AGENT, RUN);

    assertThat(again.url()).isEqualTo(first.url());
    assertThat(again.spent()).isEqualTo(first.spent());
    assertThat(h.orchestrator.charges()).hasSize(2);
  }

  @Test
  void resume_ofAnUnknownRun_isRefusedWithAClearMessage() {
    assertThatThrownBy(() -> h.provisioner().resume(AGENT, RunId.of("run_nope")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("runId");
          assertThat(e.problem()).contains("run_nope");
        });
  }

  @Test
  void failureAfterPurchases_undoesWhatItCan_andSaysWhatItCannot() {
    h.deployer.failOn("deploy", 1, new ProviderException("cloudflare", 400, "10021", "req-1", "metadata part missing",
        false));
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(request()))
        .isInstanceOfSatisfying(RunFailedException.class, e -> {
          assertThat(e.failedStep()).isEqualTo(StepId.of("deploy"));
          assertThat(e.getCause()).isInstanceOf(ProviderException.class);
          assertThat(e.resumable()).isFalse();
          assertThat(e.undone()).anySatisfy(s -> assertThat(s).startsWith("revoked deploy token"))
              .anySatisfy(s -> assertThat(s).startsWith("removed workers:paid"))
              .anySatisfy(s -> assertThat(s).startsWith("removed workers ("));
          assertThat(e.notUndone()).anySatisfy(s -> assertThat(s).contains("domain my-app.com is registered"))
              .anySatisfy(s -> assertThat(s).contains("account"));
        });
    assertThat(h.orchestrator.removals()).extracting(FakeOrchestrator.Removal::serviceId)
        .containsExactlyInAnyOrder("workers:paid", "workers");
    assertThat(h.deployer.tokens()).singleElement().satisfies(t -> assertThat(t.revoked()).isTrue());
    assertThat(h.vault.keys("runs/" + RUN + "/deploy-token")).isEmpty();
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.FAILED);
    assertThat(h.journal.step(RUN, StepId.of("plan")).orElseThrow().status()).isEqualTo(StepStatus.COMPENSATED);
    assertThat(h.events(ProvisioningEvent.Compensation.class)).hasSizeGreaterThanOrEqualTo(3);
    assertThatThrownBy(() -> p.resume(AGENT, RUN)).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void failureWithSuspend_leavesEverything_andResumeFinishesWithoutBuyingTwice() {
    h.onFailure = FailureAction.SUSPEND;
    h.deployer.failOn("deploy", 1, new ProviderException("cloudflare", 503, null, null, "unavailable", true));
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(request()))
        .isInstanceOfSatisfying(RunFailedException.class, e -> {
          assertThat(e.resumable()).isTrue();
          assertThat(e.retryable()).isTrue();
          assertThat(e.undone()).isEmpty();
        });
    assertThat(h.orchestrator.removals()).isEmpty();
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUSPENDED);

    Deployment d = p.resume(AGENT, RUN);

    assertThat(d.verification().live()).isTrue();
    assertThat(h.orchestrator.charges()).hasSize(2);
    assertThat(h.deployer.tokens()).hasSize(1);
  }

  @Test
  void aLostAnswerToAPaidCall_isReconciledWithinTheStep_byRepeatingItWithItsKey() {
    h.orchestrator.failOn("submitInformation", 1, new ProviderException("cloudflare", 0, null, null, "read timed out",
        true));

    Deployment d = h.provisioner().provisionAndDeploy(request());

    assertThat(d.verification().live()).isTrue();
    assertThat(reservations()).filteredOn(r -> StepId.of("domain").equals(r.step())).singleElement()
        .satisfies(r -> assertThat(r.status()).isEqualTo(Reservation.Status.COMMITTED));
    assertThat(h.auditActions()).containsSubsequence("spend.uncertain", "spend.reconciled");
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("15.44"));
  }

  @Test
  void aPaidCallWhoseAnswerStaysLost_suspendsTheRunWithTheMoneyHeld_evenWhenItWouldCompensate() {
    h.onFailure = FailureAction.COMPENSATE;
    for (int i = 1; i <= RECONCILE_ATTEMPTS; i++) {
      h.orchestrator.failOn("submitInformation", i, new ProviderException("cloudflare", 0, null, null, "read timed out",
          true));
    }
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(request())).isInstanceOfSatisfying(RunFailedException.class, e -> {
      assertThat(e.resumable()).isTrue();
      // held at the domain's cap (what the limit left), reserved from the search on; the token was capped at 10.44
      assertThat(e.uncertain()).singleElement().satisfies(r -> assertThat(r.amount()).isEqualTo(Money.usd("95.00")));
      assertThat(e.undone()).isEmpty();
      assertThat(e.getMessage()).contains("held until reconciled");
    });
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUSPENDED);
    assertThat(reservations()).filteredOn(r -> StepId.of("domain").equals(r.step())).singleElement()
        .satisfies(r -> assertThat(r.status()).isEqualTo(Reservation.Status.UNCERTAIN));
    assertThat(h.orchestrator.removals()).isEmpty();

    p.resume(AGENT, RUN);

    // the resumed step met the reservation it made for the search, and committed the name's price under it
    assertThat(reservations()).filteredOn(r -> StepId.of("domain").equals(r.step())).singleElement()
        .satisfies(r -> {
          assertThat(r.status()).isEqualTo(Reservation.Status.COMMITTED);
          assertThat(r.counted(h.time.instant())).isEqualTo(Money.usd("10.44"));
        });
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("15.44"));
  }

  /** How many times a paid call is made within one step execution before its money is left uncertain. */
  private static final int RECONCILE_ATTEMPTS = 3;

  @Test
  void failureOnResume_ofAStepThatMayHavePaidBefore_keepsItsReservation() {
    h.orchestrator.crashAfter("provision", 1); // the plan is bought, then the host dies
    assertThatThrownBy(() -> h.provisioner().provisionAndDeploy(request())).isInstanceOf(SimulatedCrash.class);
    h.orchestrator.failOn("provision", 1, new ProviderException("cloudflare", 400, "invalid", null, "refused", false));

    assertThatThrownBy(() -> h.provisioner().resume(AGENT, RUN)).isInstanceOfSatisfying(RunFailedException.class,
        e -> assertThat(e.resumable()).isTrue());

    // the charge before the crash is real: its reservation is not given back, and no expiry gives it back
    assertThat(reservations()).filteredOn(r -> StepId.of("plan").equals(r.step())).singleElement()
        .satisfies(r -> assertThat(r.status()).isEqualTo(Reservation.Status.UNCERTAIN));
    assertThat(h.auditActions()).contains("spend.uncertain");
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("5.00"));
  }

  @Test
  void cancellingAnAsyncRun_suspendsIt_andResumeCompletesIt() throws Exception {
    CountDownLatch waiting = new CountDownLatch(1);
    CountDownLatch released = new CountDownLatch(1);
    h.gate.on(CheckpointKind.DOMAIN_PURCHASE, r -> {
      waiting.countDown();
      try {
        released.await();
        return ApprovalDecision.approved("late", "too late", h.time.instant());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return ApprovalDecision.error("interrupted", h.time.instant());
      }
    });
    CountDownLatch suspended = new CountDownLatch(1);
    AgentProvisioner p = h.provisioner(b -> b.listener(e -> {
      if (e instanceof ProvisioningEvent.RunFinished rf && rf.status() == RunStatus.SUSPENDED) {
        suspended.countDown();
      }
    }));
    CompletableFuture<Deployment> f = p.provisionAndDeployAsync(request());
    assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();

    assertThat(f.cancel(true)).isTrue();

    assertThatThrownBy(f::get).isInstanceOf(CancellationException.class);
    // the cancelled run stops its steps on its own thread, then records itself suspended
    assertThat(suspended.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUSPENDED);
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId).doesNotContain("registrar:domain");

    h.gate.on(CheckpointKind.DOMAIN_PURCHASE, r -> ApprovalDecision.approved("ada", "ok now", h.time.instant()));
    Deployment d = p.resume(AGENT, RUN);

    assertThat(d.verification().live()).isTrue();
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .containsExactlyInAnyOrder("workers:paid", "registrar:domain");
  }

  @Test
  void whoHearsThatARunEnded_findsItLetGo_andMayResumeItAtOnce() throws Exception {
    // a listener that resumes a run the moment it hears the run ended must not find it still held here
    h.gate.on(CheckpointKind.DOMAIN_PURCHASE, r -> ApprovalDecision.denied("ada", "not this one", h.time.instant()));
    List<Optional<Lease>> leaseWhenHeard = new CopyOnWriteArrayList<>();
    AgentProvisioner p = h.provisioner(b -> b.listener(e -> {
      if (e instanceof ProvisioningEvent.RunFinished rf && rf.run().equals(RUN)) {
        leaseWhenHeard.add(h.journal.lease(Lease.runName(RUN)));
      }
    }));

    assertThatThrownBy(() -> p.provisionAndDeploy(request())).isInstanceOf(ApprovalDeniedException.class);

    assertThat(leaseWhenHeard).as("the run's end was heard once, with its lease already given up")
        .containsExactly(Optional.empty());
  }

  @Test
  void independentSteps_runConcurrently() {
    h.steps.shutdown();
    h.steps = Executors.newFixedThreadPool(4);
    CountDownLatch bothInside = new CountDownLatch(2);
    FakeOrchestrator fake = h.orchestrator;
    // the Worker resource and the domain search each wait inside provision until the other
    // arrives: only steps that really run at the same time get through
    io.agentprovision.core.spi.Orchestrator meeting = new DelegatingOrchestrator(fake) {
      @Override
      public io.agentprovision.core.orchestration.ResourceState provision(io.agentprovision.core.orchestration.ResourceRequest req,
          io.agentprovision.core.spi.StepContext ctx) {
        if (req.serviceId().equals("workers") || req.serviceId().equals("registrar:domain")) {
          bothInside.countDown();
          try {
            if (!bothInside.await(30, TimeUnit.SECONDS)) {
              throw new AssertionError("the Worker resource and the domain did not run at the same time");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
          }
        }
        return fake.provision(req, ctx);
      }
    };
    AgentProvisioner p = h.provisioner(b -> b.orchestrator(meeting));

    Deployment d = p.provisionAndDeploy(request());

    assertThat(bothInside.getCount()).isZero();
    assertThat(d.verification().live()).isTrue();
  }
}
