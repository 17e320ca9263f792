package io.agentprovision.core.journal;

import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A human checkpoint's answer as a step's journal entry keeps it: which checkpoint of the step it
 * answered (its sequence, counted from 1 in the order the step asks), what was asked (the kind and
 * a fingerprint of the request), and the outcome. A step run again after an interruption finds an
 * approval here instead of asking the person again, provided it asks the same thing at the same
 * place and the first answer handed nothing back that the step needs again (an OAuth code, a fresh
 * sign-in), which the journal never holds.
 *
 * <p>Made by {@link #of}; the canonical constructor is public because records require it.
 *
 * @param sequence which checkpoint of the step, from 1
 * @param approvalId the id the approval gate saw
 * @param kind what was asked
 * @param fingerprint a hash of the request (kind, title, reason, cost, link, details)
 * @param outcome the answer
 * @param approver who answered
 * @param decidedAt when
 * @param handedBack whether the answer carried data or a credential for the step (never journaled)
 * @param receipt the signed receipt of the decision (a compact JWS), when the provisioner signs them:
 *     a step run again reuses the approval only when it verifies for the same run, question and plan
 */
public record CheckpointDecision(int sequence, String approvalId, CheckpointKind kind, String fingerprint,
    ApprovalDecision.Outcome outcome, String approver, Instant decidedAt, boolean handedBack,
    @Nullable String receipt) {
  /** A decision without a receipt (the provisioner signs none, or it was journaled before it did). */
  public CheckpointDecision(int sequence, String approvalId, CheckpointKind kind, String fingerprint,
      ApprovalDecision.Outcome outcome, String approver, Instant decidedAt, boolean handedBack) {
    this(sequence, approvalId, kind, fingerprint, outcome, approver, decidedAt, handedBack, null);
  }

  public CheckpointDecision {
    if (sequence < 1) {
      throw new IllegalArgumentException("sequence counts from 1: " + sequence);
    }
    Objects.requireNonNull(approvalId, "approvalId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(approver, "approver");
    Objects.requireNonNull(decidedAt, "decidedAt");
  }

  /** The record of {@code decision}, the answer to {@code request}, the step's {@code sequence}-th checkpoint. */
  public static CheckpointDecision of(int sequence, ApprovalRequest request, String fingerprint,
      ApprovalDecision decision) {
    return of(sequence, request, fingerprint, decision, null);
  }

  /** {@link #of(int, ApprovalRequest, String, ApprovalDecision)} with the decision's signed receipt. */
  public static CheckpointDecision of(int sequence, ApprovalRequest request, String fingerprint,
      ApprovalDecision decision, @Nullable String receipt) {
    return new CheckpointDecision(sequence, request.id(), request.kind(), fingerprint, decision.outcome(),
        decision.approver(), decision.decidedAt(), !decision.response().isEmpty() || decision.credential() != null,
        receipt);
  }

  /** Whether this answer stands for the same request asked again: approved, same fingerprint, nothing handed back. */
  public boolean answers(String requestFingerprint) {
    return outcome == ApprovalDecision.Outcome.APPROVED && !handedBack && fingerprint.equals(requestFingerprint);
  }
}
