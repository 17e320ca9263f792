package io.agentprovision.core.internal.concurrent;

import io.agentprovision.core.spi.StepContext;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A call a step runs beside its own work ({@link StepContext#fork}). It is handed to an executor,
 * and whichever comes first runs it: a thread of the executor, or the step's own thread when it
 * {@link #join joins} a call no thread has picked up. So a step never waits for a call that has not
 * started, and a bounded pool whose threads all run steps that fork cannot deadlock: at worst the
 * calls run one after another on the steps' own threads.
 */
public final class ForkedCall<T> implements StepContext.Forked<T>, Runnable {
  private final Callable<T> call;
  private final AtomicBoolean claimed = new AtomicBoolean();
  private final CompletableFuture<T> result = new CompletableFuture<>();

  private ForkedCall(Callable<T> call) {
    this.call = Objects.requireNonNull(call, "call");
  }

  /** A call run at its {@link #join}, on the joining thread. */
  public static <T> ForkedCall<T> atJoin(Callable<T> call) {
    return new ForkedCall<>(call);
  }

  /** A call handed to {@code executor} now; run at its join instead if the executor has not started it by then. */
  public static <T> ForkedCall<T> submit(Callable<T> call, Executor executor) {
    ForkedCall<T> f = new ForkedCall<>(call);
    try {
      executor.execute(f);
    } catch (RejectedExecutionException e) {
      // the executor is shutting down: the join runs it
    }
    return f;
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
    }
  }

  @Override
  public T join() {
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
