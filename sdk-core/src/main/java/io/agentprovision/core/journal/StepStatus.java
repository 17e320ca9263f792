package io.agentprovision.core.journal;

/** Where a step stands. */
public enum StepStatus {
  /** Not started. */
  PENDING,
  /** Started: its idempotency key is journaled; a resume repeats it with the same key. */
  RUNNING,
  SUCCEEDED,
  FAILED,
  /** Undone after the run failed. */
  COMPENSATED,
  /** Not needed by this request. */
  SKIPPED
}
