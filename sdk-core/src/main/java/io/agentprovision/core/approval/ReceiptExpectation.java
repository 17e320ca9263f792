package io.agentprovision.core.approval;

import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a receipt must say to stand for an approval: the run, the checkpoint kind, the amount, the
 * request's hash and the plan's hash (and, when known, the approval id). A receipt that differs in
 * any of them is refused with the {@link ReceiptRejectedException.Reason} naming it.
 *
 * @param approvalId the approval request's id, or null to accept any
 * @param run the run, or null for an approval outside any run
 * @param kind the checkpoint kind
 * @param amount the money at stake, or null for none
 * @param requestHash the hash of the checkpoint request ({@link ApprovalReceipts#requestHash})
 * @param planHash the hash of the run's plan ({@link ApprovalReceipts#planHash}), or null outside a run
 */
public record ReceiptExpectation(@Nullable String approvalId, @Nullable RunId run, CheckpointKind kind,
    @Nullable Money amount, String requestHash, @Nullable String planHash) {
  public ReceiptExpectation {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(requestHash, "requestHash");
  }

  /** What a receipt for {@code request}, asked in {@code run} under the plan hashed {@code planHash}, must say. */
  public static ReceiptExpectation of(@Nullable RunId run, CheckpointRequest request, @Nullable String planHash) {
    return new ReceiptExpectation(null, run, request.kind(), request.cost(), ApprovalReceipts.requestHash(request),
        planHash);
  }

  /** This expectation for approval {@code id} only. */
  public ReceiptExpectation forApproval(String id) {
    return new ReceiptExpectation(Objects.requireNonNull(id, "id"), run, kind, amount, requestHash, planHash);
  }
}
