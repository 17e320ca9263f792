package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.ApprovalTimeoutException;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.wire.Json;
import io.agentprovision.core.wire.Digests;
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

  /** Who asks: the run and step (null outside a run), the agent and the principal. */
  record Asker(@Nullable RunId run, @Nullable StepId step, AgentId agent, @Nullable Principal principal) {}

  /** Hears each decision before the caller acts on it, such as to journal it. */
  interface Recorder {
    Recorder NONE = (request, decision) -> {};

    void decided(ApprovalRequest request, ApprovalDecision decision);
  }

  Checkpoints(EngineConfig config, Events events, Auditor auditor) {
    this.config = config;
    this.events = events;
    this.auditor = auditor;
  }

  /** What identifies a checkpoint's question: its kind, words, cost, link and details, hashed. */
  static String fingerprint(CheckpointRequest c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", c.kind().name());
    m.put("title", c.title());
    m.put("reason", c.reason());
    m.put("cost", c.cost() == null ? null : c.cost().toString());
    m.put("url", c.url() == null ? null : c.url().toString());
    m.put("details", c.details());
    return Digests.sha256Hex(Json.canonical(m));
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
    entry("approval.requested", who).amount(c.cost()).outcome("asked").details(details).record();

    Answer answer;
    try {
      answer = await(request);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ApprovalDecision decision = ApprovalDecision.error("interrupted while waiting for the human",
          config.clock().instant());
      // not journaled: the thread is interrupted (file channels refuse it), and an error is never reused anyway
      record(who, request, decision, null, Recorder.NONE);
      throw new AgentProvisionException("the run was interrupted while waiting for approval '" + c.title() + "'", e, true);
    }
    ApprovalDecision given = answer.decision();
    // the engine's clock dates the decision: a gate's own decidedAt is only its claim (it may be backdated)
    Instant decidedAt = config.clock().instant();
    ApprovalDecision decision = new ApprovalDecision(given.outcome(), given.approver(), given.reason(), decidedAt,
        given.response(), given.credential());
    if (decision.approved() && decidedAt.isAfter(request.deadline())) {
      decision = ApprovalDecision.timedOut(decidedAt);
    }
    record(who, request, decision, answer.claimedAt(), recorder);
    switch (decision.outcome()) {
      case APPROVED:
        return decision;
      case TIMED_OUT:
        throw new ApprovalTimeoutException(c.title(), "no decision before " + request.deadline());
      default:
        throw new ApprovalDeniedException(c.title(), decision.approver(), decision.reason());
    }
  }

  /** What the gate answered, and when it said it decided (null when it did not answer). */
  private record Answer(ApprovalDecision decision, @Nullable Instant claimedAt) {}

  /**
   * Calls the gate on a thread of the approval executor and waits for it until the request's
   * deadline on the engine's clock, looking at the clock at least every {@link #POLL}: a gate that
   * has not answered by then is interrupted and abandoned, and its answer is a time-out. An
   * exception from the gate is an error (a denial); an {@link Error} (a crashed host) goes on up.
   *
   * @throws InterruptedException when the run's own thread is interrupted (the run is cancelled)
   */
  private Answer await(ApprovalRequest request) throws InterruptedException {
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

  private static Answer failed(ExecutionException e) {
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    if (cause instanceof Error err) {
      throw err;
    }
    return new Answer(ApprovalDecision.error("the approval gate failed: " + cause.getClass().getSimpleName(),
        Instant.EPOCH), null);
  }

  private Auditor.Entry entry(String action, Asker who) {
    return auditor.entry(action).run(who.run()).step(who.step()).agent(who.agent()).principal(who.principal());
  }

  private void record(Asker who, ApprovalRequest request, ApprovalDecision decision, @Nullable Instant claimedAt,
      Recorder recorder) {
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
    e.record();
    recorder.decided(request, decision);
  }
}
