package io.agentprovision.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ScheduledExecutorService} on {@link VirtualTime}: nothing runs on its own. Tasks run, on
 * the calling thread and in order of their due time, when the test {@link #advance advances} time
 * past them, so a schedule of hours is tested in microseconds and the same way every time.
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.create();
 * VirtualScheduler scheduler = VirtualScheduler.on(time);
 * AgentProvisioner p = AgentProvisioner.builder()...clock(time).scheduler(scheduler).build();
 * try (RotationSchedule rotation = p.startRotation(Duration.ofDays(2), Duration.ofHours(1))) {
 *   scheduler.advance(Duration.ofDays(6)); // runs every hourly look in those six days, in order
 * }
 * }</pre>
 *
 * <p>{@code execute} and {@code submit} schedule with no delay: the task runs at the next
 * {@link #advance} or {@link #runDue()}. A periodic task that throws is not run again, as in the
 * JDK's scheduler. Thread-safe, though meant to be driven from the test's thread.
 */
public final class VirtualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final VirtualTime time;
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private final AtomicLong sequence = new AtomicLong();
  private volatile boolean shutdown;

  private VirtualScheduler(VirtualTime time) {
    this.time = Objects.requireNonNull(time, "time");
  }

  /** A scheduler timed by {@code time}. */
  public static VirtualScheduler on(VirtualTime time) {
    return new VirtualScheduler(time);
  }

  /**
   * Moves time forward by {@code d}, stopping at each task's due time to run it (so a task sees the
   * clock at the time it was due); returns the time reached.
   */
  public Instant advance(Duration d) {
    Objects.requireNonNull(d, "d");
    if (d.isNegative()) {
      throw new IllegalArgumentException("time does not go back: " + d);
    }
    Instant end = time.instant().plus(d);
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due.isAfter(end)) {
          break;
        }
        queue.poll();
      }
      if (next.due.isAfter(time.instant())) {
        time.advance(Duration.between(time.instant(), next.due));
      }
      next.runNow();
    }
    if (end.isAfter(time.instant())) {
      time.advance(Duration.between(time.instant(), end));
    }
    return time.instant();
  }

  /** Runs the tasks due now, without moving time. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** How many tasks wait to run (a periodic task counts once). */
  public synchronized int pending() {
    return queue.size();
  }

  private synchronized <V> Task<V> enqueue(Task<V> t) {
    if (shutdown) {
      throw new RejectedExecutionException("the scheduler is shut down");
    }
    queue.add(t);
    return t;
  }

  private synchronized void requeue(Task<?> t) {
    if (!shutdown) {
      queue.add(t);
    }
  }

  private Instant after(long delay, TimeUnit unit) {
    return time.instant().plus(Duration.ofNanos(Math.max(0, unit.toNanos(delay))));
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    Objects.requireNonNull(command, "command");
    return enqueue(new Task<>(new FutureTask<>(command, null), after(delay, unit), null, false));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    Objects.requireNonNull(callable, "callable");
    return enqueue(new Task<>(new FutureTask<>(callable), after(delay, unit), null, false));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    return periodic(command, initialDelay, period, unit, true);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return periodic(command, initialDelay, delay, unit, false);
  }

  private ScheduledFuture<?> periodic(Runnable command, long initialDelay, long period, TimeUnit unit, boolean rate) {
    Objects.requireNonNull(command, "command");
    if (period <= 0) {
      throw new IllegalArgumentException("the period must be positive: " + period);
    }
    return enqueue(new Task<Object>(command, after(initialDelay, unit), Duration.ofNanos(unit.toNanos(period)), rate));
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> left = new ArrayList<>(queue);
    for (Task<?> t : queue) {
      t.cancel(false);
    }
    queue.clear();
    return left;
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown && queue.isEmpty();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  @Override
  public String toString() {
    return "VirtualScheduler{now=" + time.instant() + ", pending=" + pending() + (shutdown ? ", shut down" : "") + "}";
  }

  /** One scheduled task: a one-shot {@link FutureTask}, or a periodic runnable. */
  private final class Task<V> implements ScheduledFuture<V>, Runnable {
    private final @org.jspecify.annotations.Nullable FutureTask<V> once;
    private final @org.jspecify.annotations.Nullable Runnable repeated;
    private final @org.jspecify.annotations.Nullable Duration period;
    private final boolean fixedRate;
    private final long seq = sequence.incrementAndGet();
    private volatile Instant due;
    private volatile boolean cancelled;
    private volatile boolean failed;

    Task(FutureTask<V> once, Instant due, @org.jspecify.annotations.Nullable Duration period, boolean fixedRate) {
      this.once = once;
      this.repeated = null;
      this.due = due;
      this.period = period;
      this.fixedRate = fixedRate;
    }

    Task(Runnable repeated, Instant due, Duration period, boolean fixedRate) {
      this.once = null;
      this.repeated = repeated;
      this.due = due;
      this.period = period;
      this.fixedRate = fixedRate;
    }

    void runNow() {
      if (cancelled) {
        return;
      }
      if (once != null) {
        once.run();
        return;
      }
      Instant started = time.instant();
      try {
        Objects.requireNonNull(repeated).run();
      } catch (RuntimeException | Error e) {
        failed = true; // as the JDK's scheduler: a periodic task that throws is not run again
        return;
      }
      if (!cancelled) {
        due = (fixedRate ? due : started).plus(Objects.requireNonNull(period));
        if (!due.isAfter(time.instant()) && !fixedRate) {
          due = time.instant().plus(Objects.requireNonNull(period));
        }
        requeue(this);
      }
    }

    @Override
    public void run() {
      runNow();
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(time.instant(), due).toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      if (o instanceof Task<?> t) {
        int c = due.compareTo(t.due);
        return c != 0 ? c : Long.compare(seq, t.seq);
      }
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      cancelled = true;
      synchronized (VirtualScheduler.this) {
        queue.remove(this);
      }
      return once == null || once.cancel(mayInterruptIfRunning);
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return cancelled || failed || (once != null && once.isDone());
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
      if (once != null) {
        if (!once.isDone()) {
          throw new IllegalStateException("the task is due at " + due + "; advance the scheduler to run it");
        }
        return once.get();
      }
      if (cancelled) {
        throw new CancellationException();
      }
      throw new IllegalStateException("a periodic task has no result");
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
      if (once != null && !once.isDone()) {
        throw new TimeoutException("the task is due at " + due + "; advance the scheduler to run it");
      }
      return get();
    }
  }
}
