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
import org.jspecify.annotations.Nullable;

/**
 * Puts human checkpoints to the approval gate, failing closed: an exception from the gate, an
 * approval dated after the deadline, or anything but {@code APPROVED} stops the caller. Every
 * request and decision is an event and an audit entry (without the data the human handed back).
 */
final class Checkpoints {
  private final EngineConfig config;
  private final Events events;
  private final Auditor auditor;

  /** Who asks: the run and step (null outside a run), the agent and the principal. */
  record Asker(@Nullable RunId run, @Nullable StepId step, AgentId agent, @Nullable Principal principal) {}

  /** Hears each decision before the caller acts on it, such as to journal it. */
  interface Recorder {
    Recorder NONE = (request, decision) -> {};

    void decided(ApprovalRequest request, ApprovalDecision decision);

    /**
     * The gate said it asked a person who answers later ({@link ApprovalDecision.Outcome#PENDING}): a
     * step's recorder parks the run here (it throws {@link Parking.Parked}). Returning means the
     * caller cannot wait, and the answer counts as an error.
     */
    default void deferred(ApprovalRequest request) {}
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
    Map<String, String> details = new LinkedHashMap<>(c.details());
    // the money held for a paid checkpoint is not part of the question: a step asking again after its
    // run was parked or interrupted holds a new reservation for the same payment
    details.remove("reservation");
    m.put("details", details);
    return Digests.sha256Hex(Json.canonical(m));
  }

  ApprovalDecision ask(Asker who, CheckpointRequest c, Recorder recorder) {
    Instant now = config.clock().instant();
    java.time.Duration timeout = c.timeout();
    ApprovalRequest request = ApprovalRequest.builder(config.ids().next("apr"), c.kind(), c.title(), c.reason(),
        who.agent()).cost(c.cost()).principal(who.principal()).run(who.run()).step(who.step()).requestedAt(now)
        .deadline(now.plus(timeout != null ? timeout : config.approvalTimeout())).url(c.url()).details(c.details())
        .build();
    events.emit(new ProvisioningEvent.ApprovalRequested(now, who.run(), request));
    Map<String, String> details = new LinkedHashMap<>(c.details());
    details.put("approval_id", request.id());
    details.put("kind", c.kind().name());
    details.put("title", c.title());
    if (c.url() != null) {
      details.put("url", c.url().toString());
    }
    entry("approval.requested", who).amount(c.cost()).outcome("asked").details(details).record();

    ApprovalDecision decision;
    try {
      decision = config.approvals().decide(request);
      if (decision == null) {
        decision = ApprovalDecision.error("the gate returned no decision", config.clock().instant());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      decision = ApprovalDecision.error("interrupted while waiting for the human", config.clock().instant());
      // not journaled: the thread is interrupted (file channels refuse it), and an error is never reused anyway
      record(who, request, decision, Recorder.NONE);
      throw new AgentProvisionException("the run was interrupted while waiting for approval '" + c.title() + "'", e, true);
    } catch (RuntimeException e) {
      decision = ApprovalDecision.error("the approval gate failed: " + e.getClass().getSimpleName(), config.clock().instant());
    }
    if (decision.outcome() == ApprovalDecision.Outcome.PENDING) {
      recorder.deferred(request); // a step's checkpoint parks its run here
      decision = ApprovalDecision.error("the approval gate answered later, and this checkpoint cannot wait: it is "
          + "not part of a run's step", config.clock().instant());
    }
    if (decision.approved() && decision.decidedAt().isAfter(request.deadline())) {
      decision = ApprovalDecision.timedOut(decision.decidedAt());
    }
    record(who, request, decision, recorder);
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

  private Auditor.Entry entry(String action, Asker who) {
    return auditor.entry(action).run(who.run()).step(who.step()).agent(who.agent()).principal(who.principal());
  }

  private void record(Asker who, ApprovalRequest request, ApprovalDecision decision, Recorder recorder) {
    events.emit(new ProvisioningEvent.ApprovalDecided(config.clock().instant(), who.run(), request, decision));
    Auditor.Entry e = entry("approval.decided", who).approver(decision.approver()).amount(request.cost())
        .outcome(decision.outcome().name().toLowerCase(Locale.ROOT))
        .detail("approval_id", request.id()).detail("kind", request.kind().name()).detail("reason", decision.reason());
    if (!decision.response().isEmpty()) {
      // the keys only: values such as an OAuth code are credentials
      e.detail("response_fields", String.join(",", new TreeSet<>(decision.response().keySet())));
    }
    e.record();
    recorder.decided(request, decision);
  }
}
