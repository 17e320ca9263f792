package io.agentprovision.core.approval;

import io.agentprovision.core.journal.ApprovalRecord;
import java.util.List;
import java.util.Optional;

/**
 * Where answers given after a gate said {@link ApprovalDecision.Outcome#PENDING} go: the
 * provisioner's journal-backed approvals, shared by every host using the same journal. A gate that
 * defers gets one through {@link io.agentprovision.core.spi.ApprovalGate#connect}; hosts usually
 * call {@code AgentProvisioner.decide} and {@code pendingApprovals} directly.
 */
public interface ApprovalInbox {
  /**
   * Decides the approval {@code approvalId} with {@code decision} (dated by the provisioner's
   * clock; after the deadline it counts as {@code TIMED_OUT}) and resumes its run when nothing else
   * keeps it waiting. Deciding an approval that is no longer pending changes nothing.
   *
   * @return the approval as it stands afterwards
   * @throws io.agentprovision.core.InvalidRequestException when there is no such approval, or the
   *     decision is itself {@code PENDING}
   */
  ApprovalRecord decide(String approvalId, ApprovalDecision decision);

  /** Every approval still waiting for a person, oldest first. */
  List<ApprovalRecord> pending();

  /** The approval with this id, whatever it stands at. */
  Optional<ApprovalRecord> approval(String approvalId);

  /**
   * Runs {@code then} once the approval {@code approvalId} is in the journal, at once when it is
   * already. A gate that answered {@code PENDING} tells the person with it, so that an answer given
   * at once finds the approval to decide (the run journals it just after the gate returned).
   */
  default void whenRecorded(String approvalId, Runnable then) {
    then.run();
  }
}
