package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.LifecycleRequest;
import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.approval.ApprovalReceipt;
import io.agentprovision.core.approval.ApprovalReceipts;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.approval.ReceiptExpectation;
import io.agentprovision.core.approval.ReceiptKey;
import io.agentprovision.core.approval.ReceiptVerification;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.Reaper;
import io.agentprovision.core.RunId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalGates;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.AwaitingApprovalException;
import io.agentprovision.core.approval.CallbackApprovalGate;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.VirtualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Approvals that wait in the journal, not on a thread: a gate that answers later parks the run; the
 * person decides from any host; a deadline passes with nobody waiting; the step pool stays free.
 */
class ParkedApprovalsTest {
  /** A bound on every wait for work done on other threads, so that a broken engine fails the test instead of hanging it. */
  private static final long WAIT_SECONDS = 60;
  private static final AgentId WAITING = AgentId.of("agent-waiting");
  private static final AgentId FREE = AgentId.of("agent-free");

  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private static ApprovalDecision approvedBy(String who, Instant at) {
    return ApprovalDecision.approved(who, "looks right", at);
  }

  /** The ends of runs one host saw, to wait for a run resumed in the background. */
  private static final class Ends {
    final BlockingQueue<ProvisioningEvent.RunFinished> finished = new LinkedBlockingQueue<>();

    void hear(ProvisioningEvent e) {
      if (e instanceof ProvisioningEvent.RunFinished f) {
        finished.add(f);
      }
    }

    ProvisioningEvent.RunFinished next(RunId run, RunStatus status) throws InterruptedException {
      while (true) {
        ProvisioningEvent.RunFinished f = finished.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(f).as("run " + run + " ends " + status).isNotNull();
        if (f.run().equals(run) && f.status() == status) {
          return f;
        }
      }
    }
  }

  private List<Reservation> reservations() {
    return h.ledger.reservations(null, null, Instant.EPOCH, Instant.MAX);
  }

  @Test
  void fiftyRunsWaitingForPeople_onFourStepThreads_doNotStallARunThatNeedsNoApproval_andAreDecidedOnEitherHostOrExpire() throws Exception {
    h.steps.shutdown();
    ThreadPoolExecutor steps = (ThreadPoolExecutor) Executors.newFixedThreadPool(4);
    h.steps = steps;
    h.people(51);
    h.policy = io.agentprovision.core.policy.SpendPolicy.builder()
        .limit(io.agentprovision.core.policy.SpendLimit.monthly(Money.usd("1000.00")).perProvider()).build();
    h.gate.on(CheckpointKind.PLAN_APPROVAL, r -> r.agent().equals(WAITING)
        ? ApprovalDecision.pending("a person will look at it", h.time.instant())
        : approvedBy("policy-bot", h.time.instant()));
    CountDownLatch parked = new CountDownLatch(50);
    AgentProvisioner p = h.provisioner(b -> b.listener(e -> {
      if (e instanceof ProvisioningEvent.RunFinished f && f.status() == RunStatus.AWAITING_APPROVAL) {
        parked.countDown();
      }
    }));
    List<CompletableFuture<Deployment>> waiting = new ArrayList<>();
    for (int i = 1; i <= 50; i++) {
      waiting.add(p.provisionAndDeployAsync(EngineHarness.request().agent(WAITING).domain(null)
          .identityToken(EngineHarness.personToken(i)).build()));
    }
    assertThat(parked.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("all fifty runs parked").isTrue();
    assertThat(p.pendingApprovals(WAITING)).hasSize(50)
        .allSatisfy(a -> assertThat(a.kind()).isEqualTo(CheckpointKind.PLAN_APPROVAL));
    assertThat(h.journal.runs(RunStatus.AWAITING_APPROVAL)).hasSize(50);
    awaitIdle(steps);
    assertThat(waiting).noneMatch(CompletableFuture::isDone);

    Deployment free = p.provisionAndDeploy(EngineHarness.request().agent(FREE).domain(null)
        .identityToken(EngineHarness.personToken(51)).build());

    assertThat(free.verification().live()).as("the run that needs no person finishes while fifty wait").isTrue();
    assertThat(p.pendingApprovals(WAITING)).hasSize(50);
    assertThat(h.orchestrator.charges()).as("only the free run bought its plan").hasSize(1);

    // three people answer on another host sharing the stores: their runs resume and finish there
    StepPool bSteps = new StepPool(Executors.newFixedThreadPool(4));
    AgentProvisioner hostB = h.provisioner(b -> b.leaseOwner("host-b").stepExecutor(bSteps.executor));
    List<ApprovalRecord> pending = p.pendingApprovals(WAITING);
    for (ApprovalRecord a : pending.subList(0, 3)) {
      assertThat(hostB.decide(a.id(), approvedBy("reviewer@example.com", h.time.instant())).outcome())
          .isEqualTo(ApprovalDecision.Outcome.APPROVED);
    }
    for (ApprovalRecord a : pending.subList(0, 3)) {
      assertThat(hostB.whenFinished(WAITING, a.run()).get(WAIT_SECONDS, TimeUnit.SECONDS).verification().live())
          .as("decided on host B, finished there").isTrue();
      assertThat(h.journal.run(a.run()).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
    }
    assertThat(p.pendingApprovals(WAITING)).as("the others still wait").hasSize(47);
    assertThat(h.orchestrator.charges()).hasSize(4);

    // the rest but one answer on host A
    ApprovalRecord late = pending.get(49);
    for (ApprovalRecord a : pending.subList(3, 49)) {
      p.decide(a.id(), approvedBy("reviewer@example.com", h.time.instant()));
    }
    for (ApprovalRecord a : pending.subList(3, 49)) {
      assertThat(p.whenFinished(WAITING, a.run()).get(WAIT_SECONDS, TimeUnit.SECONDS).verification().live()).isTrue();
    }

    // nobody answers the last one: once its deadline has passed, it is a denial, with nothing charged
    h.time.advance(AgentProvisioner.DEFAULT_APPROVAL_TIMEOUT.plusMinutes(1));
    assertThat(hostB.expireApprovals()).extracting(ApprovalRecord::id).containsExactly(late.id());
    CompletableFuture<Deployment> denied = hostB.whenFinished(WAITING, late.run());
    assertThatThrownBy(() -> denied.get(WAIT_SECONDS, TimeUnit.SECONDS))
        .isInstanceOf(java.util.concurrent.ExecutionException.class).hasMessageContaining("not given by timeout");
    assertThat(h.journal.run(late.run()).orElseThrow().status()).isEqualTo(RunStatus.FAILED);
    assertThat(h.journal.approval(late.id()).orElseThrow().outcome()).isEqualTo(ApprovalDecision.Outcome.TIMED_OUT);
    assertThat(reservations()).as("nothing of the denied run is held or spent (it parked before its plan step "
        + "reserved anything)").filteredOn(r -> late.run().equals(r.run()))
        .allSatisfy(r -> assertThat(r.status()).isIn(Reservation.Status.RELEASED, Reservation.Status.EXPIRED));
    assertThat(reservations()).as("nothing held anywhere").noneMatch(r -> r.status() == Reservation.Status.RESERVED);
    assertThat(h.orchestrator.charges()).as("49 approved and the free run, each bought its plan once").hasSize(50);
    Money committed = Money.usd("0.00");
    for (Reservation r : reservations()) {
      if (r.status() == Reservation.Status.COMMITTED) {
        committed = committed.plus(r.committed());
      }
    }
    assertThat(committed).isEqualTo(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("250.00"));
    assertThat(p.pendingApprovals(WAITING)).isEmpty();
    assertThat(h.audit.verify().valid()).isTrue();
    bSteps.close();
  }

  /** A step pool of a second host, shut down at the end of the test. */
  private record StepPool(java.util.concurrent.ExecutorService executor) implements AutoCloseable {
    @Override
    public void close() {
      executor.shutdownNow();
    }
  }

  @Test
  void anApprovalDecidedOnAnotherHost_resumesTheRun_andItFinishesThere() throws Exception {
    h.gate.defer(CheckpointKind.DOMAIN_PURCHASE);
    Ends onA = new Ends();
    Ends onB = new Ends();
    AgentProvisioner hostA = h.provisioner(b -> b.leaseOwner("host-a").listener(onA::hear));
    AgentProvisioner hostB = h.provisioner(b -> b.leaseOwner("host-b").listener(onB::hear)
        .stepExecutor(Executors.newSingleThreadExecutor()));
    ProvisionRequest request = EngineHarness.request().build();

    AwaitingApprovalException waiting = assertThrows(
        AwaitingApprovalException.class, () -> hostA.provisionAndDeploy(request));

    RunId run = waiting.run();
    assertThat(waiting.approvals()).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo(CheckpointKind.DOMAIN_PURCHASE);
      assertThat(a.cost()).isEqualTo(Money.usd("10.44"));
      assertThat(a.title()).contains("my-app.com");
      assertThat(a.deadline()).isEqualTo(a.requestedAt().plus(AgentProvisioner.DEFAULT_APPROVAL_TIMEOUT));
      assertThat(a.status()).isEqualTo(ApprovalRecord.Status.PENDING);
    });
    assertThat(h.journal.run(run).orElseThrow().status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
    assertThat(h.journal.lease(Lease.runName(run))).as("a parked run holds no lease").isEmpty();
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId).containsExactly("workers:paid");
    assertThat(reservations()).as("no money is held for the domain while the person thinks")
        .noneMatch(r -> r.status() == Reservation.Status.RESERVED);
    List<ApprovalRecord> seenOnB = hostB.pendingApprovals(request.agent());
    assertThat(seenOnB).extracting(ApprovalRecord::id).containsExactlyElementsOf(waiting.approvalIds());

    ApprovalRecord decided = hostB.decide(seenOnB.get(0).id(), approvedBy("ada@example.com", h.time.instant()));

    assertThat(decided.status()).isEqualTo(ApprovalRecord.Status.DECIDED);
    assertThat(decided.outcome()).isEqualTo(ApprovalDecision.Outcome.APPROVED);
    onB.next(run, RunStatus.SUCCEEDED);
    Deployment onHostB = hostB.whenFinished(request.agent(), run).get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(onHostB.spent()).containsExactly(Money.usd("15.44"));
    assertThat(onA.finished).as("host A did nothing more").noneMatch(f -> f.status() == RunStatus.SUCCEEDED);
    assertThat(h.journal.run(run).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .containsExactly("workers:paid", "registrar:domain");
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).as("the person was asked once").hasSize(1);
    assertThat(h.journal.approval(decided.id()).orElseThrow().status()).isEqualTo(ApprovalRecord.Status.APPLIED);
    assertThat(h.audit.entries()).filteredOn(e -> e.record().action().equals("approval.decided"))
        .anySatisfy(e -> {
          assertThat(e.record().approver()).isEqualTo("ada@example.com");
          assertThat(e.record().details()).containsEntry("approval_id", decided.id()).containsEntry("decided_via",
              "decide");
        });
    assertThat(h.auditActions()).contains("approval.parked", "run.parked", "run.resumed", "run.finished");
    assertThat(h.journal.lease(Lease.runName(run))).as("host B gave the lease up when the run ended").isEmpty();
    Deployment d = hostA.resume(request.agent(), run); // the finished run's result, on either host
    assertThat(d.spent()).containsExactly(Money.usd("15.44"));
    assertThat(h.audit.verify().valid()).isTrue();
  }

  @Test
  void anApprovalPastItsDeadline_isADenial_withNothingCharged_andNoThreadWaiting() throws Exception {
    VirtualScheduler scheduler = VirtualScheduler.on(h.time);
    h.steps.shutdown();
    ThreadPoolExecutor steps = (ThreadPoolExecutor) Executors.newFixedThreadPool(1);
    h.steps = steps;
    // a domain and no plan: the domain is the one thing to pay for
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).noPlanRequired("workers").build();
    h.gate.defer(CheckpointKind.DOMAIN_PURCHASE);
    Ends ends = new Ends();
    AgentProvisioner p = h.provisioner(b -> b.scheduler(scheduler).listener(ends::hear));

    try (Reaper reaper = p.startReaper(Duration.ofSeconds(30))) {
      AwaitingApprovalException waiting = assertThrows(
          AwaitingApprovalException.class, () -> p.provisionAndDeploy(EngineHarness.request().plan(null).build()));
      RunId run = waiting.run();
      assertThat(waiting.approvals()).singleElement().satisfies(a -> assertThat(a.cost()).isEqualTo(Money.usd("10.44")));
      awaitIdle(steps);
      assertThat(reservations()).as("the domain's money was reserved, then given back when the run parked")
          .singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(Reservation.Status.RELEASED));

      scheduler.advance(AgentProvisioner.DEFAULT_APPROVAL_TIMEOUT.minusMinutes(1));
      assertThat(p.pendingApprovals(EngineHarness.request().build().agent())).hasSize(1);

      scheduler.advance(Duration.ofMinutes(2)); // the reaper's next round after the deadline

      ends.next(run, RunStatus.FAILED);
      ApprovalRecord expired = h.journal.approval(waiting.approvalIds().get(0)).orElseThrow();
      assertThat(expired.outcome()).isEqualTo(ApprovalDecision.Outcome.TIMED_OUT);
      assertThat(expired.approver()).isEqualTo("timeout");
      assertThat(reaper.running()).isTrue();
    }
    assertThat(h.orchestrator.charges()).as("nothing was bought").isEmpty();
    assertThat(reservations()).as("nothing is held or spent").allSatisfy(r ->
        assertThat(r.status()).isIn(Reservation.Status.RELEASED, Reservation.Status.EXPIRED));
    assertThat(h.audit.entries()).filteredOn(e -> e.record().action().equals("approval.decided"))
        .anySatisfy(e -> {
          assertThat(e.record().outcome()).isEqualTo("timed_out");
          assertThat(e.record().details()).containsEntry("decided_via", "deadline");
        });
    assertThat(h.auditActions()).contains("run.failed");
    assertThat(h.orchestrator.removals()).as("the Worker resource was undone").isNotEmpty();
    assertThat(p.pendingApprovals(EngineHarness.request().build().agent())).isEmpty();
  }

  @Test
  void callbackGate_parksRunCheckpoints_andItsApproveResumesTheRun() throws Exception {
    CallbackApprovalGate gate = CallbackApprovalGate.create(h.time);
    List<ApprovalRequest> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    gate.onRequest(told::add);
    AgentProvisioner p = h.provisioner(b -> b.approvals(gate));

    CompletableFuture<Deployment> run = p.provisionAndDeployAsync(EngineHarness.request().build());

    List<CheckpointKind> asked = List.of(CheckpointKind.PLAN_APPROVAL, CheckpointKind.TERMS_OF_SERVICE,
        CheckpointKind.DOMAIN_PURCHASE);
    for (CheckpointKind expected : asked) {
      ApprovalRequest waiting = nextPending(gate, expected);
      assertThat(gate.approve(waiting.id(), "ada@example.com", "yes")).isTrue();
      assertThat(gate.approve(waiting.id(), "ada@example.com", "yes again")).as("decided once").isFalse();
    }
    Deployment d = run.get(WAIT_SECONDS, TimeUnit.SECONDS);

    assertThat(d.verification().live()).isTrue();
    assertThat(told).extracting(ApprovalRequest::kind).containsExactlyElementsOf(asked);
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("15.44"));
    assertThat(gate.pending()).isEmpty();
  }

  /**
   * Waits until no step thread is busy: a parked run's step has returned its thread (the pool's count
   * of active threads drops just after the step's task ends, so it is looked at until then).
   */
  private static void awaitIdle(ThreadPoolExecutor steps) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (steps.getActiveCount() > 0) {
      assertThat(System.nanoTime()).as("no step thread is held by a waiting run").isLessThan(end);
      Thread.onSpinWait();
    }
  }

  /** Waits until the gate lists a pending request of {@code kind} (the run parks on another thread). */
  private static ApprovalRequest nextPending(CallbackApprovalGate gate, CheckpointKind kind) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (System.nanoTime() < end) {
      for (ApprovalRequest r : gate.pending()) {
        if (r.kind() == kind) {
          return r;
        }
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("no pending " + kind + " within " + WAIT_SECONDS + " s");
  }

  @Test
  void consentParked_handsTheCallbackBackToTheStepOnce() throws Exception {
    h.orchestrator = FakeOrchestrator.builder().existingAccount("ada@example.com").paymentMethodOnFile(true).build();
    h.gate.defer(CheckpointKind.ACCOUNT_CONSENT);
    Ends ends = new Ends();
    AgentProvisioner p = h.provisioner(b -> b.listener(ends::hear));

    AwaitingApprovalException waiting = assertThrows(
        AwaitingApprovalException.class, () -> p.provisionAndDeploy(EngineHarness.request().domain(null).build()));
    ApprovalRecord consent = waiting.approvals().get(0);
    assertThat(consent.kind()).isEqualTo(CheckpointKind.ACCOUNT_CONSENT);
    String state = consent.details().get("state");

    p.decide(consent.id(), ApprovalDecision.approved("ada@example.com", "consented", h.time.instant())
        .withResponse(Map.of("code", "oauth-code-CANARY", "state", state)));
    ends.next(waiting.run(), RunStatus.SUCCEEDED);

    assertThat(h.orchestrator.accounts()).singleElement().satisfies(a ->
        assertThat(a.linkAction()).isEqualTo(ProviderAccount.LinkAction.LINKED_EXISTING));
    assertThat(h.vault.keys("approvals/")).as("the callback's code was taken once, then deleted").isEmpty();
    assertThat(h.journal.approval(consent.id()).orElseThrow().handedBack()).isNull();
    assertThat(h.audit.entries().toString()).doesNotContain("oauth-code-CANARY");
  }

  @Test
  void aParkedRunResumedBeforeItsDecision_parksAgain_withoutAskingThePersonTwice() {
    h.gate.defer(CheckpointKind.PLAN_APPROVAL);
    AgentProvisioner p = h.provisioner();
    AwaitingApprovalException first = assertThrows(
        AwaitingApprovalException.class, () -> p.provisionAndDeploy(EngineHarness.request().build()));

    AwaitingApprovalException again = assertThrows(
        AwaitingApprovalException.class, () -> p.resume(EngineHarness.request().build().agent(), first.run()));

    assertThat(again.approvalIds()).isEqualTo(first.approvalIds());
    assertThat(h.gate.requests(CheckpointKind.PLAN_APPROVAL)).hasSize(1);
    assertThat(p.pendingApprovals(EngineHarness.request().build().agent())).hasSize(1);
  }

  @Test
  void decide_afterTheDeadline_countsAsTimedOut_andADeniedApprovalFailsTheRunWithNothingBought() throws Exception {
    h.gate.defer(CheckpointKind.PLAN_APPROVAL);
    Ends ends = new Ends();
    AgentProvisioner p = h.provisioner(b -> b.listener(ends::hear));
    AwaitingApprovalException waiting = assertThrows(
        AwaitingApprovalException.class, () -> p.provisionAndDeploy(EngineHarness.request().build()));
    h.time.advance(AgentProvisioner.DEFAULT_APPROVAL_TIMEOUT.plusSeconds(1));

    ApprovalRecord late = p.decide(waiting.approvalIds().get(0), approvedBy("ada@example.com", h.time.instant()));

    assertThat(late.outcome()).as("too late is no").isEqualTo(ApprovalDecision.Outcome.TIMED_OUT);
    ends.next(waiting.run(), RunStatus.FAILED);
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(p.decide(late.id(), approvedBy("ada@example.com", h.time.instant())).outcome())
        .as("deciding again changes nothing").isEqualTo(ApprovalDecision.Outcome.TIMED_OUT);
    assertThatThrownBy(() -> p.decide("apr_nope", approvedBy("ada", h.time.instant())))
        .isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> p.decide(late.id(), ApprovalDecision.pending("later", h.time.instant())))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void deferredGate_deniesACheckpointOutsideARun_whichCannotWait() {
    AgentProvisioner p = h.provisioner(b -> b.approvals(ApprovalGates.deferred()));

    assertThatThrownBy(() -> p.updateSpendPolicy(AgentId.of("coding-agent-7"),
        io.agentprovision.core.policy.SpendPolicy.builder()
            .limit(io.agentprovision.core.policy.SpendLimit.monthly(Money.usd("500.00")).perProvider()).build(),
        "bigger launch", null))
        .isInstanceOf(ApprovalDeniedException.class).hasMessageContaining("cannot wait");
  }

  @Test
  void aDecisionGivenThroughDecide_carriesASignedReceipt_inTheAuditLogAndWithTheStepThatTookIt() throws Exception {
    ReceiptKey key = ReceiptKey.generate("host-2026");
    h.gate.on(CheckpointKind.PLAN_APPROVAL, r -> ApprovalDecision.pending("a person will look at it", h.time.instant()));
    Ends ends = new Ends();
    AgentProvisioner p = h.provisioner(b -> b.receiptKey(key).listener(ends::hear));
    ProvisionPlan plan = p.plan(EngineHarness.request().domain(null).build());

    AwaitingApprovalException waiting = assertThrows(AwaitingApprovalException.class, () -> p.execute(plan));
    ApprovalRecord parked = waiting.approvals().get(0);
    p.decide(parked.id(), approvedBy("reviewer@example.com", h.time.instant()));
    ends.next(waiting.run(), RunStatus.SUCCEEDED);

    String jws = h.audit.entries().stream().map(e -> e.record())
        .filter(a -> a.action().equals("approval.decided") && parked.id().equals(a.details().get("approval_id")))
        .findFirst().orElseThrow().details().get("receipt");
    assertThat(jws).as("the decision given through decide() is signed like any other").isNotNull();
    ApprovalRequest asked = h.gate.requests().stream().filter(r -> r.id().equals(parked.id())).findFirst()
        .orElseThrow();
    ApprovalReceipt receipt = ApprovalReceipts.of(ReceiptKey.fromPublicJwk(key.publicJwk())).verify(jws,
        ReceiptExpectation.of(waiting.run(), new CheckpointRequest(asked.kind(), asked.title(), asked.reason(),
            asked.cost(), asked.url(), asked.details(), null), ApprovalReceipts.planHash(plan.steps()))
            .forApproval(parked.id()));
    assertThat(receipt.approver()).isEqualTo("reviewer@example.com");
    assertThat(receipt.outcome()).isEqualTo(ApprovalDecision.Outcome.APPROVED);
    // the step that took the answer journals it with its own receipt, which a later resume checks before reuse
    List<CheckpointDecision> taken = h.journal.steps(waiting.run()).stream().flatMap(s -> s.decisions().stream())
        .filter(d -> d.approvalId().equals(parked.id())).toList();
    assertThat(taken).singleElement().satisfies(d -> assertThat(d.receipt()).isNotNull());
    ReceiptVerification v = p.receipts().verify();
    assertThat(v.valid()).as("%s", v.problems()).isTrue();
    assertThat(v.unsigned()).isZero();
  }

  @Test
  void aChangeThatWaitsForAPerson_parksWithoutItsLease_andFinishesOnceDecided() throws Exception {
    Ends ends = new Ends();
    AgentProvisioner p = h.provisioner(b -> b.listener(ends::hear));
    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).build());
    AgentId agent = EngineHarness.request().build().agent();
    h.gate.on(CheckpointKind.CHANGE_APPROVAL, r -> ApprovalDecision.pending("a person will look at it",
        h.time.instant()));

    AwaitingApprovalException waiting = assertThrows(AwaitingApprovalException.class,
        () -> p.change(LifecycleRequest.teardown(agent, d.runId()).build()));

    RunId change = waiting.run();
    assertThat(waiting.approvals()).singleElement()
        .satisfies(a -> assertThat(a.kind()).isEqualTo(CheckpointKind.CHANGE_APPROVAL));
    assertThat(h.journal.run(change).orElseThrow().status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
    assertThat(h.journal.lease(Lease.runName(change))).as("a parked change holds no lease").isEmpty();
    assertThat(h.orchestrator.accounts()).as("nothing torn down before the person answers").isNotEmpty();

    p.decide(waiting.approvals().get(0).id(), approvedBy("reviewer@example.com", h.time.instant()));
    ends.next(change, RunStatus.SUCCEEDED);

    LifecycleResult t = p.resumeChange(agent, change); // finished: its result read from the journal
    assertThat(t.runId()).isEqualTo(change);
    assertThat(t.changes()).as("the teardown went ahead once approved").isNotEmpty();
    assertThat(h.journal.run(change).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
  }
}
