package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalReceipts;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.ApprovalTimeoutException;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.approval.IntentMandate;
import io.agentprovision.core.approval.MandateTrust;
import io.agentprovision.core.identity.Principal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Puts human checkpoints to the approval gate, failing closed: an exception from the gate, a gate
 * that has not answered by the deadline (it is called on a thread the engine abandons then), an
 * approval made after the deadline by the engine's clock (whatever the gate says its time was), or
 * anything but {@code APPROVED} stops the caller. Every request and decision is an event and an
 * audit entry (without the data the human handed back), dated by the engine's clock. Each request
 * carries the spend policy in force when it is asked.
 */
final class Checkpoints {
  /** How often a wait for a gate looks at the engine's clock for the deadline. */
  static final java.time.Duration POLL = java.time.Duration.ofMillis(100);

  private final EngineConfig config;
  private final Events events;
  private final Auditor auditor;

  /**
   * Who asks: the run and step (null outside a run), the agent and the principal; in a run, the hash
   * of its plan (bound into the decision's receipt) and what an intent mandate would be asked to cover.
   */
  record Asker(@Nullable RunId run, @Nullable StepId step, AgentId agent, @Nullable Principal principal,
      @Nullable String planHash, MandateBook.@Nullable Scope scope) {
    Asker(@Nullable RunId run, @Nullable StepId step, AgentId agent, @Nullable Principal principal) {
      this(run, step, agent, principal, null, null);
    }
  }

  /** Hears each decision, with its signed receipt when there is one, before the caller acts on it, such as to journal it. */
  interface Recorder {
    Recorder NONE = (request, decision, receipt) -> {};

    void decided(ApprovalRequest request, ApprovalDecision decision, @Nullable String receipt);

    /**
     * The gate said it asked a person who answers later ({@link ApprovalDecision.Outcome#PENDING}): a
     * step's recorder parks the run here (it throws {@link Parking.Parked}). Returning means the
     * caller cannot wait, and the answer counts as an error.
     */
    default void deferred(ApprovalRequest request) {}
  }

  private final ReceiptBook receipts;
  private final MandateBook mandates;

  Checkpoints(EngineConfig config, Events events, Auditor auditor, ReceiptBook receipts, MandateBook mandates) {
    this.config = config;
    this.events = events;
    this.auditor = auditor;
    this.receipts = receipts;
    this.mandates = mandates;
  }

  ReceiptBook receipts() {
    return receipts;
  }

  /**
   * What identifies a checkpoint's question: its kind, words, cost, link and details, hashed; the
   * request hash a receipt binds ({@link ApprovalReceipts#requestHash}).
   */
  static String fingerprint(CheckpointRequest c) {
    return ApprovalReceipts.requestHash(c);
  }

  ApprovalDecision ask(Asker who, CheckpointRequest c, Recorder recorder) {
    Instant now = config.clock().instant();
    java.time.Duration timeout = c.timeout();
    ApprovalRequest request = ApprovalRequest.builder(config.ids().next("apr"), c.kind(), c.title(), c.reason(),
        who.agent()).cost(c.cost()).principal(who.principal()).run(who.run()).step(who.step()).requestedAt(now)
        .deadline(now.plus(timeout != null ? timeout : config.approvalTimeout())).url(c.url()).details(c.details())
        .policy(config.spendPolicy()).build();
    events.emit(new ProvisioningEvent.ApprovalRequested(now, who.run(), request));
    Map<String, String> details = new LinkedHashMap<>(c.details());
    details.put("approval_id", request.id());
    details.put("kind", c.kind().name());
    details.put("title", c.title());
    if (c.url() != null) {
      details.put("url", c.url().toString());
    }
    String requestHash = fingerprint(c);
    details.put("request_sha256", requestHash);
    if (who.planHash() != null) {
      details.put("plan_sha256", who.planHash());
    }
    entry("approval.requested", who).amount(c.cost()).outcome("asked").details(details).record();

    MandateBook.Scope scope = who.scope();
    MandateBook.Verdict verdict = scope == null || who.run() == null || who.step() == null ? MandateBook.Verdict.NONE
        : mandates.judge(scope, who.run(), who.step(), request.id());
    if (verdict instanceof MandateBook.Verdict.Approved a) {
      // the person approved this in advance, within every bound: the gate is not asked
      IntentMandate m = a.mandate();
      entry("mandate.used", who).approver(m.approver()).amount(c.cost()).detail("mandate", m.id())
          .detail("approval_id", request.id()).detail("kind", c.kind().name()).detail("used", a.used().toString())
          .detail("total", m.total().toString()).detail("remaining", m.total().minus(a.used()).toString()).record();
      ApprovalDecision decision = ApprovalDecision.approved(m.approver(), "within intent mandate " + m.id() + " ("
          + a.used() + " of " + m.total() + " used)", config.clock().instant());
      record(who, request, decision, null, recorder, requestHash, m.id());
      return decision;
    }
    if (verdict instanceof MandateBook.Verdict.Exceeded x) {
      boolean refuse = x.then() == MandateTrust.Exceeded.REFUSE;
      entry("mandate.refused", who).amount(c.cost()).outcome(refuse ? "refused" : "asked_a_person")
          .detail("mandate", x.mandate().id()).detail("approval_id", request.id()).detail("bound", x.bound())
          .detail("why", x.why()).record();
      if (refuse) {
        ApprovalDecision decision = ApprovalDecision.denied(x.mandate().approver(), "beyond intent mandate "
            + x.mandate().id() + ": " + x.why(), config.clock().instant());
        record(who, request, decision, null, recorder, requestHash, x.mandate().id());
        throw new ApprovalDeniedException(c.title(), decision.approver(), decision.reason());
      }
    }

    Answer answer;
    try {
      answer = await(request);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ApprovalDecision decision = ApprovalDecision.error("interrupted while waiting for the human",
          config.clock().instant());
      // not journaled: the thread is interrupted (file channels refuse it), and an error is never reused anyway
      record(who, request, decision, null, Recorder.NONE, requestHash, null);
      throw new AgentProvisionException("the run was interrupted while waiting for approval '" + c.title() + "'", e, true);
    }
    ApprovalDecision given = answer.decision();
    if (given.outcome() == ApprovalDecision.Outcome.PENDING) {
      recorder.deferred(request); // a step's checkpoint parks its run here
      given = ApprovalDecision.error("the approval gate answered later, and this checkpoint cannot wait: it is "
          + "not part of a run's step", config.clock().instant());
    }
    // the engine's clock dates the decision: a gate's own decidedAt is only its claim (it may be backdated)
    Instant decidedAt = config.clock().instant();
    ApprovalDecision decision = new ApprovalDecision(given.outcome(), given.approver(), given.reason(), decidedAt,
        given.response(), given.credential());
    if (decision.approved() && decidedAt.isAfter(request.deadline())) {
      decision = ApprovalDecision.timedOut(decidedAt);
    }
    record(who, request, decision, answer.claimedAt(), recorder, requestHash, null);
    return verdict(c.title(), request.deadline(), decision);
  }

  /** Returns an approving decision; throws the denial or time-out any other is. */
  static ApprovalDecision verdict(String title, Instant deadline, ApprovalDecision decision) {
    switch (decision.outcome()) {
      case APPROVED:
        return decision;
      case TIMED_OUT:
        throw new ApprovalTimeoutException(title, "no decision before " + deadline);
      default:
        throw new ApprovalDeniedException(title, decision.approver(), decision.reason());
    }
  }

  /** What the gate answered, and when it said it decided (null when it did not answer). */
  private record Answer(ApprovalDecision decision, @Nullable Instant claimedAt) {}

  /**
   * Calls the gate on this thread when it says it answers at once ({@link
   * io.agentprovision.core.spi.ApprovalGate#answersAtOnce}); otherwise on a thread of the approval
   * executor, waiting for it until the request's deadline on the engine's clock, looking at the
   * clock at least every {@link #POLL}: a gate that has not answered by then is interrupted and
   * abandoned, and its answer is a time-out. An exception from the gate is an error (a denial); an
   * {@link Error} (a crashed host) goes on up.
   *
   * @throws InterruptedException when the run's own thread is interrupted (the run is cancelled)
   */
  private Answer await(ApprovalRequest request) throws InterruptedException {
    if (answersAtOnce(request)) {
      // no one to wait for: asked here, without two hand-offs between threads; a late answer is
      // still judged against the deadline by the caller
      try {
        return of(config.approvals().decide(request));
      } catch (RuntimeException e) {
        return failed(e);
      }
    }
    Future<ApprovalDecision> f;
    try {
      f = config.approvalExecutor().submit(() -> config.approvals().decide(request));
    } catch (RejectedExecutionException e) {
      return new Answer(ApprovalDecision.error("the approval gate could not be called: the provisioner is closed",
          config.clock().instant()), null);
    }
    try {
      while (true) {
        Instant now = config.clock().instant();
        if (!now.isBefore(request.deadline())) {
          if (f.isDone()) {
            return answered(f); // answered just in time for the check; judged against the deadline by the caller
          }
          f.cancel(true);
          return new Answer(new ApprovalDecision(ApprovalDecision.Outcome.TIMED_OUT, "timeout",
              "the approval gate did not answer before the deadline; its call was abandoned", now, Map.of(), null), null);
        }
        long wait = Math.max(1, Math.min(POLL.toMillis(), java.time.Duration.between(now, request.deadline()).toMillis()));
        try {
          return answered(f, wait);
        } catch (TimeoutException e) {
          // look at the clock again: with an injected clock, the deadline may have passed in between
        }
      }
    } catch (InterruptedException e) {
      f.cancel(true);
      throw e;
    }
  }

  private static Answer answered(Future<ApprovalDecision> f, long waitMillis)
      throws InterruptedException, TimeoutException {
    try {
      return of(f.get(waitMillis, TimeUnit.MILLISECONDS));
    } catch (ExecutionException e) {
      return failed(e);
    }
  }

  private static Answer answered(Future<ApprovalDecision> f) throws InterruptedException {
    try {
      return of(f.get());
    } catch (ExecutionException e) {
      return failed(e);
    }
  }

  private static Answer of(@Nullable ApprovalDecision d) {
    if (d == null) {
      return new Answer(ApprovalDecision.error("the gate returned no decision", Instant.EPOCH), null);
    }
    return new Answer(d, d.decidedAt());
  }

  /** Whether the gate says it answers this request at once; a gate failing to say is asked on its own thread. */
  private boolean answersAtOnce(ApprovalRequest request) {
    try {
      return config.approvals().answersAtOnce(request);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Answer failed(ExecutionException e) {
    return failed(e.getCause() != null ? e.getCause() : e);
  }

  private static Answer failed(Throwable cause) {
    if (cause instanceof Error err) {
      throw err;
    }
    return new Answer(ApprovalDecision.error("the approval gate failed: " + cause.getClass().getSimpleName(),
        Instant.EPOCH), null);
  }

  private Auditor.Entry entry(String action, Asker who) {
    return auditor.entry(action).run(who.run()).step(who.step()).agent(who.agent()).principal(who.principal());
  }

  /**
   * Records a decision: an event, an audit entry carrying its signed receipt (when the provisioner
   * signs them), then the caller's recorder (which journals it with the receipt). The receipt is
   * made here, where every decision is recorded, whoever or whatever made it.
   */
  private void record(Asker who, ApprovalRequest request, ApprovalDecision decision, @Nullable Instant claimedAt,
      Recorder recorder, String requestHash, @Nullable String mandate) {
    events.emit(new ProvisioningEvent.ApprovalDecided(config.clock().instant(), who.run(), request, decision));
    Auditor.Entry e = entry("approval.decided", who).approver(decision.approver()).amount(request.cost())
        .outcome(decision.outcome().name().toLowerCase(Locale.ROOT))
        .detail("approval_id", request.id()).detail("kind", request.kind().name()).detail("reason", decision.reason())
        .detail("decided_at", decision.decidedAt().toString());
    if (claimedAt != null && !claimedAt.equals(decision.decidedAt())) {
      e.detail("gate_decided_at", claimedAt.toString()); // what the gate said; the entry's time is the engine's
    }
    if (!decision.response().isEmpty()) {
      // the keys only: values such as an OAuth code are credentials
      e.detail("response_fields", String.join(",", new TreeSet<>(decision.response().keySet())));
    }
    e.detailIfPresent("mandate", mandate);
    String receipt = receipts.sign(who, request, decision, requestHash, mandate);
    if (receipt != null) {
      // the JWS itself: it holds ids, an amount and hashes, never a secret, and stands on its own
      e.detail("receipt", receipt);
    }
    e.record();
    recorder.decided(request, decision, receipt);
  }
}
