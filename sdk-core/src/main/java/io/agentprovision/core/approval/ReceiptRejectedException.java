package io.agentprovision.core.approval;

import io.agentprovision.core.AgentProvisionException;
import java.util.Objects;

/**
 * A signed approval receipt that does not stand for what it is presented for: forged, signed by a
 * key the host does not trust, malformed, or bound to another run, checkpoint, amount, request or
 * plan. {@link #reason()} says which check failed; the message names it and never shows the receipt.
 *
 * <pre>{@code
 * try {
 *   receipts.verify(jws, ReceiptExpectation.of(run, request, planHash));
 * } catch (ReceiptRejectedException e) {
 *   if (e.reason() == ReceiptRejectedException.Reason.PLAN) { ... }   // approved for another plan
 * }
 * }</pre>
 */
public final class ReceiptRejectedException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  /** Which check refused the receipt. */
  public enum Reason {
    /** Not a compact JWS of a receipt, too long, or a claim missing or of the wrong type. */
    MALFORMED,
    /** Signed with an algorithm other than ES256 (or none). */
    ALGORITHM,
    /** Signed by a key the host does not hold (an unknown {@code kid}). */
    UNKNOWN_KEY,
    /** The signature does not verify: forged, or a claim edited after signing. */
    SIGNATURE,
    /** Issued for another approval request. */
    APPROVAL,
    /** Issued in another run. */
    RUN,
    /** Issued for another kind of checkpoint. */
    KIND,
    /** Issued for another amount. */
    AMOUNT,
    /** Issued for another question (the checkpoint request's hash differs). */
    REQUEST,
    /** Issued for another plan (the plan's hash differs). */
    PLAN,
    /** Not an approval (denied, timed out, failed). */
    OUTCOME,
    /** Presented a second time for a decision it was not issued for. */
    REPLAYED,
    /** An approval the host's key should have signed carries no receipt. */
    MISSING
  }

  private final Reason reason;

  public ReceiptRejectedException(Reason reason, String problem) {
    super("approval receipt refused (" + Objects.requireNonNull(reason, "reason").name().toLowerCase(
        java.util.Locale.ROOT) + "): " + Objects.requireNonNull(problem, "problem"));
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
