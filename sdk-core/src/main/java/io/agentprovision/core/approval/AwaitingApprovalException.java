package io.agentprovision.core.approval;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.journal.ApprovalRecord;
import java.util.List;
import java.util.Objects;

/**
 * The run is parked, waiting for a person: the approval gate put a checkpoint to someone who
 * answers later, so the step stopped without holding a thread and the run waits in the journal
 * ({@code AWAITING_APPROVAL}). Nothing is held for it but the reservations its finished steps
 * journaled. Not a failure: decide each approval with {@code AgentProvisioner.decide(id, decision)}
 * from any host sharing the journal, and the run resumes there; past its deadline an approval counts
 * as a denial.
 *
 * <pre>{@code
 * try {
 *   return provisioner.provisionAndDeploy(request);
 * } catch (AwaitingApprovalException waiting) {
 *   ui.show(waiting.approvals());        // later: provisioner.decide(id, ApprovalDecision.approved(...))
 * }
 * }</pre>
 *
 * <p>{@code provisionAndDeployAsync} does not complete with it: its future completes when the run
 * finishes after the approvals are decided.
 */
public final class AwaitingApprovalException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final RunId run;
  private final transient List<ApprovalRecord> approvals;

  public AwaitingApprovalException(RunId run, List<ApprovalRecord> approvals) {
    super("run " + run + " waits for " + (approvals.size() == 1 ? "an approval" : approvals.size() + " approvals")
        + ": " + String.join("; ", approvals.stream().map(a -> a.id() + " (" + a.title() + ", until " + a.deadline()
        + ")").toList()) + "; decide with AgentProvisioner.decide(approvalId, decision) and the run resumes", null,
        false);
    this.run = Objects.requireNonNull(run, "run");
    this.approvals = List.copyOf(approvals);
  }

  /** The parked run. */
  public RunId run() {
    return run;
  }

  /** What it waits for, oldest first. */
  public List<ApprovalRecord> approvals() {
    return approvals;
  }

  /** The ids of what it waits for, for {@code AgentProvisioner.decide}. */
  public List<String> approvalIds() {
    return approvals.stream().map(ApprovalRecord::id).toList();
  }
}
