package io.agentprovision.core;

import io.agentprovision.core.journal.Lease;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * This host does not hold the run's lease, so it does not execute the run: another host does
 * (it holds the lease until {@link #until()}), or took the run over after this host's lease
 * expired. A host that loses the lease mid-run stops before its next side effect and leaves the
 * journal and the ledger as they are, for the holder. Retryable: once the holder's lease expires
 * without being renewed (the holder died), {@code resume} or {@code resumeAbandoned} takes the run.
 */
public final class RunLeasedException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final RunId run;
  private final @Nullable String holder;
  private final @Nullable Instant until;

  public RunLeasedException(RunId run, @Nullable Lease held, String what) {
    super("run " + run + " " + what + (held == null ? "" : ": host '" + held.owner() + "' holds its lease until "
        + held.expiresAt()), null, true);
    this.run = Objects.requireNonNull(run, "run");
    this.holder = held == null ? null : held.owner();
    this.until = held == null ? null : held.expiresAt();
  }

  /** The run. */
  public RunId run() {
    return run;
  }

  /** The lease owner that holds the run, when known. */
  public @Nullable String holder() {
    return holder;
  }

  /** Until when it holds the run unless it renews the lease, when known. */
  public @Nullable Instant until() {
    return until;
  }
}
