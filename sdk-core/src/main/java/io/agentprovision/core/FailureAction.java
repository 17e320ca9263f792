package io.agentprovision.core;

/** What a run does when a step fails. */
public enum FailureAction {
  /**
   * Undo what can be undone (release reservations, revoke tokens, undeploy, cancel plans), report
   * what cannot, and mark the run failed. The default.
   */
  COMPENSATE,
  /** Leave everything as it is and mark the run suspended, for a later {@link AgentProvisioner#resume}. */
  SUSPEND
}
