package io.agentprovision.core.spi;

import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;

/**
 * The host application's human checkpoint. The SDK calls {@link #decide} before anything a human
 * must confirm: a plan and its price, a paid step, a domain purchase, terms of service, consent to
 * link an account, adding a payment method, raising a limit, a step-up to MFA.
 *
 * <p>Contract: implementations are thread-safe (steps run concurrently) and <b>fail closed</b>: a
 * request not decided by its {@link ApprovalRequest#deadline()} is {@code TIMED_OUT}, and a gate
 * that cannot reach its human answers {@code ERROR}. The engine also treats an exception thrown
 * from {@code decide}, or an approval dated after the deadline, as a denial.
 *
 * <p>Shipped gates: {@link io.agentprovision.core.approval.ApprovalGates#policyDriven auto-approval of what
 * policy allows}, a {@link io.agentprovision.core.approval.ApprovalGates#console console prompt}, and
 * {@link io.agentprovision.core.approval.CallbackApprovalGate} for a host UI that answers later.
 */
@FunctionalInterface
public interface ApprovalGate {
  /**
   * Blocks until the request is decided or its deadline passes.
   *
   * @throws InterruptedException when the run is cancelled while waiting
   */
  ApprovalDecision decide(ApprovalRequest request) throws InterruptedException;
}
