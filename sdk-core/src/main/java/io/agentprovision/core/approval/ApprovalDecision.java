package io.agentprovision.core.approval;

import io.agentprovision.core.Secret;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The answer to an {@link ApprovalRequest}. Anything but {@link Outcome#APPROVED} stops what was
 * asked for.
 *
 * @param outcome approved, denied, timed out, or the gate failed
 * @param approver who decided: a person's identity, {@code "policy"}, {@code "cli --yes"}, {@code "timeout"}
 * @param reason why
 * @param decidedAt when
 * @param response data the human's action returned, such as the OAuth callback's {@code code} and {@code state}
 * @param credential a fresh credential from a step-up (a new ID token), when the checkpoint asked for one
 */
public record ApprovalDecision(Outcome outcome, String approver, String reason, Instant decidedAt,
    Map<String, String> response, @Nullable Secret credential) {
  /** Decision outcomes. */
  public enum Outcome {
    APPROVED,
    DENIED,
    TIMED_OUT,
    ERROR,
    /**
     * Not a decision yet: the gate asked a person, who answers later through
     * {@code AgentProvisioner.decide}. A step's checkpoint then parks its run without holding a
     * thread; a checkpoint outside a run cannot wait and counts it as an error (a denial).
     */
    PENDING
  }

  public ApprovalDecision {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(approver, "approver");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(decidedAt, "decidedAt");
    response = Map.copyOf(response);
  }

  public static ApprovalDecision approved(String approver, String reason, Instant at) {
    return new ApprovalDecision(Outcome.APPROVED, approver, reason, at, Map.of(), null);
  }

  public static ApprovalDecision denied(String approver, String reason, Instant at) {
    return new ApprovalDecision(Outcome.DENIED, approver, reason, at, Map.of(), null);
  }

  public static ApprovalDecision timedOut(Instant at) {
    return new ApprovalDecision(Outcome.TIMED_OUT, "timeout", "no decision before the deadline", at, Map.of(), null);
  }

  /**
   * "Asked; the answer comes later": what a gate returns when it has put the request to a person
   * and will not wait for them on this thread (see {@link Outcome#PENDING}).
   */
  public static ApprovalDecision pending(String reason, Instant at) {
    return new ApprovalDecision(Outcome.PENDING, "gate", reason, at, Map.of(), null);
  }

  public static ApprovalDecision error(String reason, Instant at) {
    return new ApprovalDecision(Outcome.ERROR, "gate", reason, at, Map.of(), null);
  }

  /** This decision with the data the human's action returned. */
  public ApprovalDecision withResponse(Map<String, String> data) {
    return new ApprovalDecision(outcome, approver, reason, decidedAt, data, credential);
  }

  /** This decision with a fresh credential (step-up). */
  public ApprovalDecision withCredential(@Nullable Secret fresh) {
    return new ApprovalDecision(outcome, approver, reason, decidedAt, response, fresh);
  }

  public boolean approved() {
    return outcome == Outcome.APPROVED;
  }
}
