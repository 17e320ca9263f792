package io.agentprovision.core.journal;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;

/**
 * A step's journal entry could not be read back as what the step produced: the journal was written
 * by an incompatible version of the SDK, or edited. Names the run and the step; the run cannot be
 * resumed from it (start a new run with the same request).
 */
public final class JournalEntryException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final RunId run;
  private final StepId step;

  public JournalEntryException(RunId run, StepId step, String problem, Throwable cause) {
    super("the journal entry of step " + step + " of run " + run + " cannot be read: " + problem
        + "; it was written by an incompatible version or edited. Start a new run with the same request", cause, false);
    this.run = run;
    this.step = step;
  }

  public RunId run() {
    return run;
  }

  public StepId step() {
    return step;
  }
}
