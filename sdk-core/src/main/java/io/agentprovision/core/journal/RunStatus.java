package io.agentprovision.core.journal;

/** Where a run stands. */
public enum RunStatus {
  /** Planned and journaled; nothing executed yet. */
  PLANNED,
  /** Executing, or interrupted while executing (a crash): resumable. */
  RUNNING,
  /** Finished: the app is live. */
  SUCCEEDED,
  /** Failed; compensation has run (what could be undone was). Not resumable. */
  FAILED,
  /** Failed and left as it was for a later resume (no compensation). */
  SUSPENDED
}
