package io.agentprovision.core.approval;

import static io.agentprovision.core.approval.ApprovalRequests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision.Outcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gate a host UI answers later: a run's thread waits in {@code decide} while another thread (the
 * host's web handler) decides. Waiting is on latches and on the decision itself, never on sleeps;
 * deadlines move on a manual clock.
 */
class CallbackApprovalGateTest {
  /** A bound on every wait, so a broken gate fails the test instead of hanging it. */
  private static final long WAIT_SECONDS = 10;

  private final ManualTime time = ManualTime.at("2026-11-22T10:00:00Z");
  private final CallbackApprovalGate gate = CallbackApprovalGate.create(time);
  private final List<ApprovalRequest> told = new CopyOnWriteArrayList<>();
  private final ExecutorService runs = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    runs.shutdownNow();
  }

  /** Starts {@code decide} on a run thread and returns once the gate has told the host of the requests. */
  private List<Future<ApprovalDecision>> waitingFor(ApprovalRequest... requests) throws InterruptedException {
    CountDownLatch arrived = new CountDownLatch(requests.length);
    gate.onRequest(r -> {
      told.add(r);
      arrived.countDown();
    });
    List<Future<ApprovalDecision>> decisions = new ArrayList<>();
    for (ApprovalRequest r : requests) {
      decisions.add(runs.submit(() -> gate.decide(r)));
    }
    assertThat(arrived.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("the gate tells the host of each request").isTrue();
    return decisions;
  }

  private static ApprovalDecision decided(Future<ApprovalDecision> f) throws Exception {
    return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void approve_fromAnotherThread_completesTheWaitingDecide() throws Exception {
    ApprovalRequest r = request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44"), time.instant());
    Future<ApprovalDecision> waiting = waitingFor(r).get(0);
    time.advance(Duration.ofMinutes(2));

    assertThat(gate.approve("apr_1", "ada@example.com", "looks right")).isTrue();

    ApprovalDecision d = decided(waiting);
    assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
    assertThat(d.approver()).isEqualTo("ada@example.com");
    assertThat(d.reason()).isEqualTo("looks right");
    assertThat(d.decidedAt()).isEqualTo(time.instant());
    assertThat(gate.pending()).isEmpty();
  }

  @Test
  void deny_fromAnotherThread_completesTheWaitingDecideAsDenied() throws Exception {
    Future<ApprovalDecision> waiting = waitingFor(request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant())).get(0);

    assertThat(gate.deny("apr_1", "ada@example.com", "not this month")).isTrue();

    ApprovalDecision d = decided(waiting);
    assertThat(d.outcome()).isEqualTo(Outcome.DENIED);
    assertThat(d.approver()).isEqualTo("ada@example.com");
    assertThat(d.reason()).isEqualTo("not this month");
  }

  @Test
  void respond_toAccountConsent_returnsTheCallbackDataWithTheApproval() throws Exception {
    Future<ApprovalDecision> waiting = waitingFor(request(CheckpointKind.ACCOUNT_CONSENT, null, time.instant())).get(0);

    assertThat(gate.respond("apr_1", "ada@example.com", Map.of("code", "c-123", "state", "st-1"))).isTrue();

    ApprovalDecision d = decided(waiting);
    assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
    assertThat(d.response()).containsExactlyInAnyOrderEntriesOf(Map.of("code", "c-123", "state", "st-1"));
    assertThat(d.credential()).isNull();
  }

  @Test
  void stepUp_handsTheFreshCredentialToTheWaitingDecide() throws Exception {
    Future<ApprovalDecision> waiting = waitingFor(request(CheckpointKind.STEP_UP, null, time.instant())).get(0);
    Secret fresh = Secret.of("fresh-id-token-with-otp");

    assertThat(gate.stepUp("apr_1", "ada@example.com", fresh)).isTrue();

    ApprovalDecision d = decided(waiting);
    assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
    assertThat(d.reason()).isEqualTo("stepped up");
    assertThat(d.credential()).isSameAs(fresh);
    assertThat(d.toString()).doesNotContain("fresh-id-token-with-otp");
  }

  @Test
  void pending_listsWaitingRequestsOldestFirst_andDropsEachOnceDecided() throws Exception {
    ApprovalRequest newer = request("apr_new", CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44"), null,
        time.instant().plusSeconds(30));
    ApprovalRequest older = request("apr_old", CheckpointKind.PAID_PLAN, Money.usd("5.00"), null, time.instant());
    List<Future<ApprovalDecision>> waiting = waitingFor(newer, older);

    assertThat(gate.pending()).extracting(ApprovalRequest::id).containsExactly("apr_old", "apr_new");

    gate.approve("apr_old", "ada@example.com", "ok");
    decided(waiting.get(1));
    assertThat(gate.pending()).extracting(ApprovalRequest::id).containsExactly("apr_new");

    gate.deny("apr_new", "ada@example.com", "no");
    decided(waiting.get(0));
    assertThat(gate.pending()).isEmpty();
  }

  @Test
  void onRequest_isToldOfEachRequestAsItArrives() throws Exception {
    ApprovalRequest r = request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44"), time.instant());

    Future<ApprovalDecision> waiting = waitingFor(r).get(0);

    assertThat(told).containsExactly(r);
    gate.approve("apr_1", "ada@example.com", "ok");
    decided(waiting);
  }

  @Test
  void onRequest_hostDecidingInsideTheListener_isHonoured() throws Exception {
    gate.onRequest(r -> gate.approve(r.id(), "auto-responder", "answered at once"));

    ApprovalDecision d = gate.decide(request(CheckpointKind.PLAN_APPROVAL, Money.usd("15.44"), time.instant()));

    assertThat(d.outcome()).isEqualTo(Outcome.APPROVED);
    assertThat(d.approver()).isEqualTo("auto-responder");
  }

  @Test
  void approve_unknownId_returnsFalse() {
    assertThat(gate.approve("apr_nope", "ada@example.com", "ok")).isFalse();
    assertThat(gate.deny("apr_nope", "ada@example.com", "no")).isFalse();
    assertThat(gate.respond("apr_nope", "ada@example.com", Map.of("code", "c"))).isFalse();
    assertThat(gate.stepUp("apr_nope", "ada@example.com", Secret.of("t"))).isFalse();
  }

  @Test
  void approve_afterTheRequestWasDecided_returnsFalseAndChangesNothing() throws Exception {
    Future<ApprovalDecision> waiting = waitingFor(request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant())).get(0);
    assertThat(gate.deny("apr_1", "ada@example.com", "no")).isTrue();
    ApprovalDecision d = decided(waiting);

    assertThat(gate.approve("apr_1", "mallory@example.com", "overrule")).isFalse();
    assertThat(d.outcome()).isEqualTo(Outcome.DENIED);
  }

  @Test
  void expireOverdue_afterTheDeadlinePassesOnTheClock_timesTheRequestOut() throws Exception {
    // The waiting thread re-reads the clock about once a second and could notice the deadline by
    // itself; the gate here runs on a clock that stands still for every thread but this one, so
    // that it is expireOverdue that times the request out, and the count it returns is exact.
    Thread host = Thread.currentThread();
    Instant start = time.instant();
    CallbackApprovalGate held = CallbackApprovalGate.create(new Clock() {
      @Override
      public Instant instant() {
        return Thread.currentThread() == host ? time.instant() : start;
      }

      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
      }
    });
    CountDownLatch arrived = new CountDownLatch(1);
    held.onRequest(req -> arrived.countDown());
    ApprovalRequest r = request(CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44"), start);
    Future<ApprovalDecision> waiting = runs.submit(() -> held.decide(r));
    assertThat(arrived.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

    time.advance(ApprovalRequests.TIMEOUT.minusSeconds(1));
    assertThat(held.expireOverdue()).as("not yet due").isZero();
    assertThat(waiting.isDone()).isFalse();

    time.advance(Duration.ofSeconds(1));
    assertThat(held.expireOverdue()).isEqualTo(1);

    ApprovalDecision d = decided(waiting);
    assertThat(d.outcome()).isEqualTo(Outcome.TIMED_OUT);
    assertThat(d.approved()).isFalse();
    assertThat(d.approver()).isEqualTo("timeout");
    assertThat(d.decidedAt()).isEqualTo(r.deadline());
    assertThat(held.expireOverdue()).as("each request times out once").isZero();
    assertThat(held.approve("apr_1", "ada@example.com", "too late")).isFalse();
  }

  @Test
  void decide_onTheManualClock_noticesAPassedDeadlineByItself() throws Exception {
    ApprovalRequest r = request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant());
    Future<ApprovalDecision> waiting = waitingFor(r).get(0);

    time.advance(ApprovalRequests.TIMEOUT);

    // no expireOverdue: the waiting thread re-reads the clock within a second
    assertThat(decided(waiting).outcome()).isEqualTo(Outcome.TIMED_OUT);
  }

  @Test
  void decide_requestAlreadyPastItsDeadline_timesOutAtOnce() throws Exception {
    ApprovalRequest r = request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant());
    time.advance(ApprovalRequests.TIMEOUT.plusMinutes(1));

    ApprovalDecision d = gate.decide(r);

    assertThat(d.outcome()).isEqualTo(Outcome.TIMED_OUT);
    assertThat(d.decidedAt()).isEqualTo(time.instant());
    assertThat(gate.pending()).isEmpty();
  }

  @Test
  void decide_whenTheRunIsCancelled_throwsInterruptedAndStopsListingTheRequest() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    gate.onRequest(r -> arrived.countDown());
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread run = new Thread(() -> {
      try {
        gate.decide(request(CheckpointKind.PAID_PLAN, Money.usd("5.00"), time.instant()));
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    run.start();
    assertThat(arrived.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

    run.interrupt();
    run.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));

    assertThat(run.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    assertThat(gate.pending()).isEmpty();
    assertThat(gate.approve("apr_1", "ada@example.com", "ok")).isFalse();
  }
}
