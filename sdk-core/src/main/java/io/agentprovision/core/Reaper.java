package io.agentprovision.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;

/**
 * A running reaper, started by {@link AgentProvisioner#startReaper}: every {@link #every()} on the
 * provisioner's scheduler it expires approvals past their deadline (as denials, resuming their runs
 * so that nothing is charged for them), resumes runs whose host died (their lease expired), and
 * completes the futures of runs that finished on another host. {@link #close()} stops it.
 *
 * <pre>{@code
 * try (Reaper reaper = provisioner.startReaper(Duration.ofSeconds(15))) {
 *   server.awaitShutdown();
 * }
 * }</pre>
 */
public final class Reaper implements AutoCloseable {
  private final Duration every;
  private final ScheduledFuture<?> task;

  Reaper(Duration every, ScheduledFuture<?> task) {
    this.every = Objects.requireNonNull(every, "every");
    this.task = Objects.requireNonNull(task, "task");
  }

  /** How often it looks. */
  public Duration every() {
    return every;
  }

  /** Whether it still runs. */
  public boolean running() {
    return !task.isDone();
  }

  /** Stops it; a round under way finishes. */
  @Override
  public void close() {
    task.cancel(false);
  }

  @Override
  public String toString() {
    return "Reaper{every=" + every + ", running=" + running() + "}";
  }
}
