package io.agentprovision.core.journal;

/** Where a run stands. */
public enum RunStatus {
  /** Planned and journaled; nothing executed yet. */
  PLANNED,
  /** Executing, or interrupted while executing (a crash): resumable. */
  RUNNING,
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
