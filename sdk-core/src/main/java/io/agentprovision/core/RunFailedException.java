package io.agentprovision.core;

import io.agentprovision.core.policy.Reservation;
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
  private final List<Reservation> uncertain;

  public RunFailedException(RunId runId, @Nullable StepId failedStep, Throwable cause, List<String> undone,
      List<String> notUndone, boolean resumable) {
    this(runId, failedStep, cause, undone, notUndone, resumable, List.of());
  }

  /**
   * A failed run that also holds {@code uncertain} money: paid calls that may have charged, kept
   * held until a resume reconciles them (such a run is always left resumable).
   */
  public RunFailedException(RunId runId, @Nullable StepId failedStep, Throwable cause, List<String> undone,
      List<String> notUndone, boolean resumable, List<Reservation> uncertain) {
    super("run " + runId + " failed" + (failedStep != null ? " at step " + failedStep : "") + ": " + cause.getMessage()
        + (undone.isEmpty() ? "" : "; undone: " + undone) + (notUndone.isEmpty() ? "" : "; not undone: " + notUndone)
        + (uncertain.isEmpty() ? "" : "; held until reconciled, because the provider may have charged it: "
            + describe(uncertain))
        + (resumable ? "; resume it with AgentProvisioner.resume(agent, " + runId + ")"
            + (uncertain.isEmpty() ? "" : ", which reconciles what is held") : ""),
        cause, cause instanceof AgentProvisionException a && a.retryable());
    this.runId = Objects.requireNonNull(runId, "runId");
    this.failedStep = failedStep;
    this.undone = List.copyOf(undone);
    this.notUndone = List.copyOf(notUndone);
    this.resumable = resumable;
    this.uncertain = List.copyOf(uncertain);
  }

  private static String describe(List<Reservation> held) {
    StringBuilder sb = new StringBuilder();
    for (Reservation r : held) {
      sb.append(sb.length() == 0 ? "" : ", ").append(r.amount()).append(" for ").append(r.description());
    }
    return sb.toString();
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

  /**
   * The money held as {@link Reservation.Status#UNCERTAIN uncertain} when the run stopped: paid
   * calls whose answer was lost, so the provider may have charged them. Empty when every paid call
   * is settled. A run holding any is suspended, not compensated, whatever the failure action, and
   * {@link AgentProvisioner#resume} reconciles them.
   */
  public List<Reservation> uncertain() {
    return uncertain;
  }
}
