package io.agentprovision.core;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A run stopped on a failure. Says which step failed and why (the cause), what was undone
 * (compensated) and what could not be undone (a registered domain, an account), so the human knows
 * where things stand. {@link #retryable()} follows the cause; a run left {@code SUSPENDED} can be
 * resumed with {@link AgentProvisioner#resume}.
 */
public class RunFailedException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final RunId runId;
  private final @Nullable StepId failedStep;
  private final List<String> undone;
  private final List<String> notUndone;
  private final boolean resumable;

  public RunFailedException(RunId runId, @Nullable StepId failedStep, Throwable cause, List<String> undone,
      List<String> notUndone, boolean resumable) {
    super("run " + runId + " failed" + (failedStep != null ? " at step " + failedStep : "") + ": " + cause.getMessage()
        + (undone.isEmpty() ? "" : "; undone: " + undone) + (notUndone.isEmpty() ? "" : "; not undone: " + notUndone)
        + (resumable ? "; resume it with AgentProvisioner.resume(agent, " + runId + ")" : ""),
        cause, cause instanceof AgentProvisionException a && a.retryable());
    this.runId = Objects.requireNonNull(runId, "runId");
    this.failedStep = failedStep;
    this.undone = List.copyOf(undone);
    this.notUndone = List.copyOf(notUndone);
    this.resumable = resumable;
  }

  public RunId runId() {
    return runId;
  }

  /** The step that failed, when a step failed (not, say, the plan approval). */
  public @Nullable StepId failedStep() {
    return failedStep;
  }

  /** What was undone after the failure, such as "cancelled plan workers:paid (res_…)". */
  public List<String> undone() {
    return undone;
  }

  /** What stays as it is, such as "domain my-app.com is registered (not refundable)". */
  public List<String> notUndone() {
    return notUndone;
  }

  /** Whether the run was left for {@link AgentProvisioner#resume}. */
  public boolean resumable() {
    return resumable;
  }
}
