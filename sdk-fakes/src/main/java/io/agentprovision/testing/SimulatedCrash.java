package io.agentprovision.testing;

/**
 * Thrown by a fake to simulate the process dying in the middle of a step, as armed with
 * {@link FaultInjector#crashBefore} or {@link FaultInjector#crashAfter}.
 *
 * <p>It is an {@link Error}, not an exception, on purpose: an engine catches
 * {@link RuntimeException}s to retry, to mark the step failed and to compensate, but a real crash
 * gives it no chance to do any of that. An {@code Error} passes through those handlers, so the
 * journal, the ledger and the fake's state are left exactly as a killed process would leave them,
 * and a test can then build a fresh engine over the same stores and check that
 * {@code resume(runId)} finishes the run without repeating a purchase. Engine code that catches
 * {@code Throwable} would defeat the simulation; that is itself worth a test.
 *
 * <pre>{@code
 * orchestrator.crashAfter("provision", 1);          // the plan is bought, then the "process dies"
 * assertThatThrownBy(() -> provisioner.execute(plan)).isInstanceOf(SimulatedCrash.class);
 * newProvisioner().resume(runId);
 * assertThat(orchestrator.charges()).hasSize(1);   // not bought twice
 * }</pre>
 */
public final class SimulatedCrash extends Error {
  private static final long serialVersionUID = 1L;

  private final String method;
  private final int call;
  private final boolean effectApplied;

  /**
   * @param method the faked method that "crashed"
   * @param call the number of that method's call (1 for its first call)
   * @param effectApplied whether the call's effect had happened before the crash
   */
  public SimulatedCrash(String method, int call, boolean effectApplied) {
    super("simulated crash " + (effectApplied ? "after" : "before") + " the effect of " + method + " (call " + call + ")");
    this.method = method;
    this.call = call;
    this.effectApplied = effectApplied;
  }

  /** The faked method that crashed, such as {@code "provision"}. */
  public String method() {
    return method;
  }

  /** Which call of that method crashed (1 for its first call since the fake was built). */
  public int call() {
    return call;
  }

  /** Whether the call's effect (the purchase, the upload) happened before the crash. */
  public boolean effectApplied() {
    return effectApplied;
  }
}
