package io.agentprovision.benchmarks.flow;

import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.spi.ProvisioningListener;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Which step the current thread works for, so each recorded exchange can be charged to the step
 * that made it. The engine tells listeners {@code StepStarted} and {@code StepFinished} on the
 * thread that runs the step; {@link #listener()} marks that thread in between. Work a step hands to
 * the step executor (concurrent calls inside a step) carries the mark along through
 * {@link #propagating}, the executor the benchmark gives the provisioner.
 */
public final class StepAttribution {
  /** What exchanges made outside any step are charged to. */
  public static final String OUTSIDE = "(engine)";

  private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

  private StepAttribution() {}

  /** The step of this thread, or {@link #OUTSIDE}. */
  public static String current() {
    String s = CURRENT.get();
    return s == null ? OUTSIDE : s;
  }

  /** Marks this thread as working for {@code step} until {@link #clear()}. */
  public static void set(String step) {
    CURRENT.set(step);
  }

  public static void clear() {
    CURRENT.remove();
  }

  /** A listener marking the thread of each step while it runs. */
  public static ProvisioningListener listener() {
    return event -> {
      if (event instanceof ProvisioningEvent.StepStarted s) {
        CURRENT.set(s.step().value());
      } else if (event instanceof ProvisioningEvent.StepFinished f && f.step().value().equals(CURRENT.get())) {
        CURRENT.remove();
      }
    };
  }

  /** {@code delegate}, with each task running under the mark of the thread that submitted it. */
  public static ExecutorService propagating(ExecutorService delegate) {
    return new Propagating(delegate);
  }

  private static final class Propagating extends AbstractExecutorService {
    private final ExecutorService delegate;

    Propagating(ExecutorService delegate) {
      this.delegate = delegate;
    }

    @Override
    public void execute(Runnable task) {
      String mark = CURRENT.get();
      delegate.execute(() -> {
        String before = CURRENT.get();
        if (mark == null) {
          CURRENT.remove();
        } else {
          CURRENT.set(mark);
        }
        try {
          task.run();
        } finally {
          if (before == null) {
            CURRENT.remove();
          } else {
            CURRENT.set(before);
          }
        }
      });
    }

    @Override
    public void shutdown() {
      delegate.shutdown();
    }

    @Override
    public List<Runnable> shutdownNow() {
      return delegate.shutdownNow();
    }

    @Override
    public boolean isShutdown() {
      return delegate.isShutdown();
    }

    @Override
    public boolean isTerminated() {
      return delegate.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      return delegate.awaitTermination(timeout, unit);
    }
  }
}
