package io.agentprovision.core.approval;

/**
 * The signed receipts of a provisioner's approvals ({@code AgentProvisioner.receipts()}), checked
 * against the audit log they are recorded in. The engine also checks a run's receipts when the run
 * ends, and an approval a resumed step would reuse before reusing it.
 *
 * <pre>{@code
 * ReceiptVerification v = provisioner.receipts().verify();
 * if (!v.valid()) {
 *   alertSecurity(v.problems());   // a forged, edited, moved or replayed receipt
 * }
 * }</pre>
 */
public interface Receipts {
  /**
   * Checks every receipt in the audit log: each {@code approval.decided} entry's receipt verifies
   * with the provisioner's key (current or retired), says exactly what the entry says (approval,
   * run, step, kind, outcome, approver, amount), binds the request hash its {@code approval.requested}
   * entry recorded, and is used for one decision only. Decisions recorded without a receipt are
   * counted, not refused (they may predate the key).
   */
  ReceiptVerification verify();

  /**
   * Checks one receipt against what it must stand for.
   *
   * @throws ReceiptRejectedException naming the check that failed
   * @throws io.agentprovision.core.InvalidRequestException when the provisioner has no receipt key
   */
  ApprovalReceipt verify(String jws, ReceiptExpectation expected);
}
