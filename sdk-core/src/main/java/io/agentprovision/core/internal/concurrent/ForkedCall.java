package io.agentprovision.core.internal.concurrent;

import io.agentprovision.core.spi.StepContext;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A call a step runs beside its own work ({@link StepContext#fork}). It is handed to an executor,
 * and whichever comes first runs it: a thread of the executor, or the step's own thread when it
 * {@link #join joins} a call no thread has picked up. So a step never waits for a call that has not
 * started, and a bounded pool whose threads all run steps that fork cannot deadlock: at worst the
 * calls run one after another on the steps' own threads.
 *
 * <p>A call forked {@link #beforeNextWait before the forking thread's next wait} is handed to the
 * executor only when that thread is about to wait: when it sends a request ({@link #startPending},
 * called by the HTTP stack), joins a call, asks a person, or its step or call ends. A step forks its
 * reads and then sends the request the run waits for; handed on at once, the woken threads take
 * the cores while that request is still being built (on two busy cores, 0.2–0.3 ms of the run's
 * chain at each such step). Handed on at the wait, they start as the request leaves.
 */
public final class ForkedCall<T> implements StepContext.Forked<T>, Runnable {
  /** The calls this thread forked that wait for it to wait (see {@link #beforeNextWait}), oldest first. */
  private static final ThreadLocal<@Nullable ArrayDeque<ForkedCall<?>>> PENDING = new ThreadLocal<>();

  private final Callable<T> call;
  private final @Nullable Executor executor;
  private final AtomicBoolean claimed = new AtomicBoolean();
  private final CompletableFuture<T> result = new CompletableFuture<>();

  private ForkedCall(Callable<T> call, @Nullable Executor executor) {
    this.call = Objects.requireNonNull(call, "call");
    this.executor = executor;
  }

  /** A call run at its {@link #join}, on the joining thread. */
  public static <T> ForkedCall<T> atJoin(Callable<T> call) {
    return new ForkedCall<>(call, null);
  }

  /** A call handed to {@code executor} now; run at its join instead if the executor has not started it by then. */
  public static <T> ForkedCall<T> submit(Callable<T> call, Executor executor) {
    ForkedCall<T> f = new ForkedCall<>(call, Objects.requireNonNull(executor, "executor"));
    f.handOn();
    return f;
  }

  /**
   * A call handed to {@code executor} when the calling thread next waits ({@link #startPending}):
   * before a request it sends, a join, a person's answer, or the end of its step or call. Run at
   * its join instead if no thread has started it by then.
   */
  public static <T> ForkedCall<T> beforeNextWait(Callable<T> call, Executor executor) {
    ForkedCall<T> f = new ForkedCall<>(call, Objects.requireNonNull(executor, "executor"));
    ArrayDeque<ForkedCall<?>> pending = PENDING.get();
    if (pending == null) {
      pending = new ArrayDeque<>();
      PENDING.set(pending);
    }
    pending.add(f);
    return f;
  }

  /**
   * Hands the calls this thread forked {@link #beforeNextWait before its next wait} to their
   * executors, in the order they were forked: the thread is about to wait (a request, a person, a
   * join) or its step or call has ended. Cheap when there are none.
   */
  public static void startPending() {
    ArrayDeque<ForkedCall<?>> pending = PENDING.get();
    if (pending == null) {
      return;
    }
    ForkedCall<?> f;
    while ((f = pending.poll()) != null) {
      f.handOn();
    }
  }

  private void handOn() {
    try {
      Objects.requireNonNull(executor).execute(this);
    } catch (RejectedExecutionException e) {
      // the executor is shutting down: the join runs it
    }
  }

  @Override
  public void run() {
    if (!claimed.compareAndSet(false, true)) {
      return; // the joining thread took it
    }
    try {
      result.complete(call.call());
    } catch (Throwable t) {
      result.completeExceptionally(t);
    } finally {
      // what the call forked and did not wait for still runs
      startPending();
    }
  }

  @Override
  public T join() {
    ArrayDeque<ForkedCall<?>> pending = PENDING.get();
    if (pending != null) {
      pending.remove(this); // run here below, unless a thread has it: no thread is woken for it
    }
    // the others this thread forked go to their threads before it runs this one
    startPending();
    run();
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while waiting for a forked call of the step");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new CompletionException(cause);
    }
  }
}
