package io.agentprovision.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running schedule of deploy-token rotation, started by {@link AgentProvisioner#startRotation}:
 * every {@link #every()} it rotates each token that expires within {@link #window()}. Closing it
 * stops the schedule (a rotation under way finishes); closing twice does nothing more. Both are
 * audited ({@code rotation.started}, {@code rotation.stopped}).
 *
 * <pre>{@code
 * try (RotationSchedule rotation = provisioner.startRotation(Duration.ofDays(2), Duration.ofHours(1))) {
 *   serveRequests();
 * }
 * }</pre>
 */
public final class RotationSchedule implements AutoCloseable {
  private final Duration window;
  private final Duration every;
  private final ScheduledFuture<?> task;
  private final Runnable onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  RotationSchedule(Duration window, Duration every, ScheduledFuture<?> task, Runnable onClose) {
    this.window = Objects.requireNonNull(window, "window");
    this.every = Objects.requireNonNull(every, "every");
    this.task = Objects.requireNonNull(task, "task");
    this.onClose = Objects.requireNonNull(onClose, "onClose");
  }

  /** Tokens expiring within this long are rotated. */
  public Duration window() {
    return window;
  }

  /** How often the schedule looks for tokens due. */
  public Duration every() {
    return every;
  }

  /** Whether {@link #close()} was called. */
  public boolean closed() {
    return closed.get();
  }

  /** Stops the schedule. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      task.cancel(false);
      onClose.run();
    }
  }

  @Override
  public String toString() {
    return "RotationSchedule{window=" + window + ", every=" + every + (closed() ? ", closed" : "") + "}";
  }
}
