package io.agentprovision.core;

/**
 * What a run does when the app was deployed but did not answer when checked (no answer, or no
 * success status, until the verification gave up): never a success either way.
 *
 * <pre>{@code
 * AgentProvisioner.builder()...onUnverified(UnverifiedAction.FAIL).build();
 * }</pre>
 */
public enum UnverifiedAction {
  /**
   * Finish the run as deployed but unverified: {@link Deployment#outcome()} is
   * {@link Deployment.Outcome#DEPLOYED_UNVERIFIED}, the journal says
   * {@link io.agentprovision.core.journal.RunStatus#DEPLOYED_UNVERIFIED}, and
   * {@link AgentProvisioner#resume} checks again. The default.
   */
  REPORT_UNVERIFIED,
  /** Fail the verify step, so the run is compensated (the app undeployed) or suspended as {@link FailureAction} says. */
  FAIL
}
