package io.agentprovision.core;

import java.util.Objects;

/**
 * The calling agent has no run with this id: it was never recorded, or it is another agent's run.
 * The two are told apart nowhere (same type, same message), so an agent cannot learn whether
 * another agent's run exists, let alone read it. Runs of other agents are reached only through
 * {@link AgentProvisioner#admin}, which audits who did it and why.
 *
 * <pre>{@code
 * try {
 *   provisioner.resume(agent, runId);
 * } catch (RunNotFoundException e) {
 *   e.agent(); // the caller
 *   e.run();   // the id it asked for
 * }
 * }</pre>
 */
public final class RunNotFoundException extends InvalidRequestException {
  private static final long serialVersionUID = 1L;

  private final AgentId agent;
  private final RunId run;

  public RunNotFoundException(AgentId agent, RunId run) {
    super("runId", "agent " + Objects.requireNonNull(agent, "agent") + " has no run "
        + Objects.requireNonNull(run, "run"), "pass the id of a run this agent started (AgentProvisioner.runs(agent))");
    this.agent = agent;
    this.run = run;
  }

  /** The agent that asked. */
  public AgentId agent() {
    return agent;
  }

  /** The run id it asked for. */
  public RunId run() {
    return run;
  }
}
