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
import java.util.LinkedHashMap;
import java.util.Map;
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

  Checkpoints(EngineConfig config, Events events, Auditor auditor) {
    this.config = config;
    this.events = events;
    this.auditor = auditor;
  }

  ApprovalDecision ask(@Nullable RunId run, @Nullable StepId step, AgentId agent, @Nullable Principal principal,
      CheckpointRequest c) {
    java.time.Instant now = config.clock().instant();
    ApprovalRequest request = new ApprovalRequest(config.ids().next("apr"), c.kind(), c.title(), c.reason(), c.cost(),
        agent, principal, run, step, now, now.plus(c.timeout() != null ? c.timeout() : config.approvalTimeout()), c.url(),
        c.details());
    events.emit(new ProvisioningEvent.ApprovalRequested(now, run, request));
    Map<String, String> details = new LinkedHashMap<>(c.details());
    details.put("approval_id", request.id());
    details.put("kind", c.kind().name());
    details.put("title", c.title());
    if (c.url() != null) {
      details.put("url", c.url().toString());
    }
    auditor.record(run, step, "approval.requested", agent, principal, null, c.cost(), "asked", null, details);

    ApprovalDecision decision;
    try {
      decision = config.approvals().decide(request);
      if (decision == null) {
        decision = ApprovalDecision.error("the gate returned no decision", config.clock().instant());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      decision = ApprovalDecision.error("interrupted while waiting for the human", config.clock().instant());
      record(run, step, agent, principal, request, decision);
      throw new AgentProvisionException("the run was interrupted while waiting for approval '" + c.title() + "'", e, true);
    } catch (RuntimeException e) {
      decision = ApprovalDecision.error("the approval gate failed: " + e.getClass().getSimpleName(), config.clock().instant());
    }
    if (decision.approved() && decision.decidedAt().isAfter(request.deadline())) {
      decision = ApprovalDecision.timedOut(decision.decidedAt());
    }
    record(run, step, agent, principal, request, decision);
    switch (decision.outcome()) {
      case APPROVED:
        return decision;
      case TIMED_OUT:
        throw new ApprovalTimeoutException(c.title(), "no decision before " + request.deadline());
      case ERROR:
        throw new ApprovalDeniedException(c.title(), decision.approver(), decision.reason());
      default:
        throw new ApprovalDeniedException(c.title(), decision.approver(), decision.reason());
    }
  }

  private void record(@Nullable RunId run, @Nullable StepId step, AgentId agent, @Nullable Principal principal,
      ApprovalRequest request, ApprovalDecision decision) {
    events.emit(new ProvisioningEvent.ApprovalDecided(config.clock().instant(), run, request, decision));
    Map<String, String> details = new LinkedHashMap<>();
    details.put("approval_id", request.id());
    details.put("kind", request.kind().name());
    details.put("reason", decision.reason());
    if (!decision.response().isEmpty()) {
      // the keys only: values such as an OAuth code are credentials
      details.put("response_fields", String.join(",", new java.util.TreeSet<>(decision.response().keySet())));
    }
    auditor.record(run, step, "approval.decided", agent, principal, decision.approver(), request.cost(),
        decision.outcome().name().toLowerCase(java.util.Locale.ROOT), null, details);
  }
}
