package io.agentprovision.core.journal;

/** Where a run stands. */
public enum RunStatus {
  /** Planned and journaled; nothing executed yet. */
  PLANNED,
  /**
   * Executing, or interrupted while executing (a crash): resumable. Executed by the host holding
   * the run's {@link Lease}; when that lease expires, another host may take the run over.
   */
  RUNNING,
  /**
   * Parked: a step waits for a person's answer in the journal ({@link ApprovalRecord}), and no host
   * executes the run or holds a thread for it. Deciding the approval (from any host sharing the
   * journal), or its deadline passing, resumes it.
   */
  AWAITING_APPROVAL,
  /** Finished: the app is live (or was deployed where nothing could run it to check). */
  SUCCEEDED,
  /**
   * Finished but not a success: everything was provisioned and deployed, and the app did not
   * answer when checked. {@code AgentProvisioner.resume} checks again.
   */
  DEPLOYED_UNVERIFIED,
  /** Failed; compensation has run (what could be undone was). Not resumable. */
  FAILED,
  /** Failed and left as it was for a later resume (no compensation). */
  SUSPENDED
}
