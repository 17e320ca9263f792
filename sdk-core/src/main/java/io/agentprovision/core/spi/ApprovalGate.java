package io.agentprovision.core.spi;

import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalInbox;
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
 * <p>A gate answers at once, or says "asked, answer later": {@link ApprovalDecision#pending} for a
 * checkpoint of a run ({@link ApprovalRequest#run()} set) parks the run without holding a thread;
 * the person's answer comes through {@code AgentProvisioner.decide(request.id(), decision)} (or the
 * {@link ApprovalInbox} given to {@link #connect}) on any host sharing the journal, and the run
 * resumes there. A checkpoint outside a run (raising a limit) cannot wait: {@code PENDING} counts as
 * an error there.
 *
 * <p>Shipped gates: {@link io.agentprovision.core.approval.ApprovalGates#policyDriven auto-approval of what
 * policy allows}, a {@link io.agentprovision.core.approval.ApprovalGates#console console prompt},
 * {@link io.agentprovision.core.approval.CallbackApprovalGate} for a host UI that answers later, and
 * {@link io.agentprovision.core.approval.ApprovalGates#deferred()}, which parks every run checkpoint.
 */
@FunctionalInterface
public interface ApprovalGate {
  /**
   * Decides the request: blocks until it is decided or its deadline passes, or, for a checkpoint of
   * a run, may return {@link ApprovalDecision#pending} at once to answer later.
   *
   * @throws InterruptedException when the run is cancelled while waiting
   */
  ApprovalDecision decide(ApprovalRequest request) throws InterruptedException;

  /**
   * Called by each provisioner built with this gate, once, with where answers given after a
   * {@code PENDING} go. A gate that answers later keeps it (a gate shared by several provisioners
   * over one journal may keep any of them); gates that always answer at once ignore it, the default.
   * Wrapping gates pass it on to the gates they wrap.
   */
  default void connect(ApprovalInbox inbox) {}

  /**
   * Whether {@link #decide} answers {@code request} without waiting for anyone or anything: no
   * person, no I/O, no lock held for long (a policy that approves what is within it, a blanket
   * approval, a denial, a {@code PENDING} that only records the request). The engine then calls
   * {@code decide} on the step's own thread. Otherwise, the default, it calls it on a thread of the
   * approval executor and stops waiting at the request's deadline, which costs two hand-offs between
   * threads per checkpoint: on a busy machine, milliseconds on the run's chain for an answer that
   * took microseconds.
   *
   * <p>A gate that says so and then blocks holds the step until it answers: the run cannot stop
   * waiting for it at the deadline (an answer given after the deadline still counts as a time-out).
   * Gates that wrap others answer for what they would do with the request, asking the wrapped gate
   * where they pass it on.
   */
  default boolean answersAtOnce(ApprovalRequest request) {
    return false;
  }
}
