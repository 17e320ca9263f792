package io.agentprovision.core.approval;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a signed approval receipt says: one decision at one checkpoint, bound to its run, its kind,
 * its amount, a hash of the exact question asked and a hash of the plan it belongs to. The engine
 * signs one for every decision it records when the provisioner has a {@link ReceiptKey}; the audit
 * entry of the decision carries it ({@code approval.decided}, detail {@code receipt}).
 *
 * <p>Claims of the compact JWS ({@code typ} {@value ApprovalReceipts#TYPE}, {@code alg} ES256):
 * {@code iss}, {@code jti} (the approval id), {@code sub} (the approver), {@code iat},
 * {@code decided_at}, {@code run}, {@code step}, {@code agent}, {@code principal}, {@code kind},
 * {@code outcome}, {@code amount} ({@code {"minor": 500, "currency": "USD"}} or null),
 * {@code request_sha256}, {@code plan_sha256}, {@code mandate}.
 *
 * @param approvalId the approval request's id ({@code jti})
 * @param run the run it was asked in, or null outside a run (raising a limit)
 * @param step the step that asked, or null
 * @param agent the agent the run acts as
 * @param principal the human's subject, when known
 * @param kind what was asked
 * @param outcome the answer
 * @param approver who answered ({@code mandate:<id>} for an intent mandate)
 * @param amount the money at stake, when any
 * @param requestHash SHA-256 (hex) of the checkpoint request's canonical JSON ({@link ApprovalReceipts#requestHash})
 * @param planHash SHA-256 (hex) of the run's plan, its steps and prices ({@link ApprovalReceipts#planHash}), when in a run
 * @param mandate the intent mandate that approved it, when one did
 * @param decidedAt when, by the engine's clock
 * @param issuer who signed ({@code iss})
 * @param keyId the key that signed ({@code kid})
 */
public record ApprovalReceipt(String approvalId, @Nullable RunId run, @Nullable StepId step, AgentId agent,
    @Nullable String principal, CheckpointKind kind, ApprovalDecision.Outcome outcome, String approver,
    @Nullable Money amount, String requestHash, @Nullable String planHash, @Nullable String mandate, Instant decidedAt,
    String issuer, String keyId) {
  public ApprovalReceipt {
    Objects.requireNonNull(approvalId, "approvalId");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(approver, "approver");
    Objects.requireNonNull(requestHash, "requestHash");
    Objects.requireNonNull(decidedAt, "decidedAt");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(keyId, "keyId");
  }
}
