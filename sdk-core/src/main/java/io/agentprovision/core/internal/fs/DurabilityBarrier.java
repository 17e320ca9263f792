package io.agentprovision.core.internal.fs;

import io.agentprovision.core.DurabilityException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Where a provisioner's file stores put off their disk syncs until something outside the process
 * could depend on what they wrote. A store attached to a barrier ({@link Deferring#deferTo}) writes
 * without forcing and {@linkplain #owe owes} the force; {@link #cross()} forces everything owed, the
 * files concurrently, and returns once it is all on disk. The stores' forces are group commits
 * ({@link Debt#settle}): concurrent crossings, and a force already under way, share one force per
 * file.
 *
 * <p><b>When it is crossed.</b> Before every HTTP request that may change something (any method
 * but {@code GET}, {@code HEAD} and {@code OPTIONS}) that goes through an
 * {@link io.agentprovision.core.http.HttpStack} client ({@link #beforeSideEffect}, from the
 * resilience layer); and by the engine before a step asks the approval gate, and before a run gives
 * its lease up (it finished, failed, was suspended or parked: the call that ran it returns after
 * that). A read lost in a crash is simply read again on resume, so a {@code GET} waits for nothing.
 *
 * <p><b>Which barrier.</b> One per provisioner, as its stores are. A request crosses only the
 * barrier of the provisioner whose run makes it: the one {@linkplain #enter entered} on the calling
 * thread (the engine enters its provisioner's barrier around every step and every task of its
 * executors), or one given as the request's tag ({@code DurabilityBarrier.class}), which wins. A
 * request made outside any provisioner's run crosses none. So a provisioner whose files cannot be
 * forced (its directory deleted, its disk full) fails its own runs with a
 * {@link DurabilityException}, and no other provisioner's.
 */
public final class DurabilityBarrier implements AutoCloseable {
  /** What a store owes: forcing what it wrote, shared with concurrent callers (a group commit). */
  public interface Debt {
    /** Returns once everything written before the call is on disk. */
    void settle() throws IOException;

    /** Whether nothing written waits for a force. */
    boolean settled();

    /**
     * Debts of a later phase are settled after every debt of an earlier one, within a crossing: the
     * run journal's (1) after the other stores' (0). That order alone would not keep a journal line
     * (a step ended, and is not run again) from reaching the disk before what the step wrote
     * elsewhere (its audit entries, its reservation's commit): the kernel writes a file's pages back
     * whenever it likes, forced or not. So the journal also {@linkplain #settleBefore settles} the
     * earlier phases before it writes a line at all, and a machine that stops keeps a journal line only
     * with everything written to the other stores before it.
     */
    default int phase() {
      return 0;
    }
  }

  /** A store that can put its forces off to a barrier. */
  public interface Deferring {
    /**
     * From now on, writes owe their force to {@code barrier} instead of forcing before they
     * return. A store may be attached to several barriers (shared by provisioners); it owes to each.
     */
    void deferTo(DurabilityBarrier barrier);
  }

  /** Threads for forcing several files at once; daemon, idle ones end after a minute. */
  private static final ExecutorService FORCERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "agentprovision-force");
    t.setDaemon(true);
    return t;
  });

  /** The barrier entered on each thread: the provisioner whose run the thread works for now. */
  private static final ThreadLocal<@Nullable DurabilityBarrier> CURRENT = new ThreadLocal<>();

  private final Set<Debt> owed = ConcurrentHashMap.newKeySet();
  private final boolean eager;
  /** Whether a background crossing is queued and not yet started (eager: one at a time is enough). */
  private final AtomicBoolean queued = new AtomicBoolean();
  private final String owner;

  /**
   * A barrier that owes nothing yet.
   *
   * @param eager whether a debt starts being forced in the background as soon as it is owed, so
   *     that a crossing usually finds it done
   * @param owner what the error of a failed force names as the files' owner (a provisioner's stores)
   */
  public DurabilityBarrier(boolean eager, String owner) {
    this.eager = eager;
    this.owner = owner;
  }

  /** A barrier whose failed forces name "the provisioner's file stores". */
  public DurabilityBarrier(boolean eager) {
    this(eager, "the provisioner's file stores");
  }

  /** What {@link #enter} returns: leaving restores the barrier entered before. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Makes this the barrier that requests from the calling thread cross, until the scope is closed
   * (then the one entered before is again, usually none).
   */
  public Scope enter() {
    DurabilityBarrier before = CURRENT.get();
    CURRENT.set(this);
    return () -> {
      if (before == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(before);
      }
    };
  }

  /** {@code task} run with this barrier {@linkplain #enter entered}. */
  public Runnable scoped(Runnable task) {
    return () -> {
      try (Scope s = enter()) {
        task.run();
      }
    };
  }

  /**
   * {@code executor} with this barrier {@linkplain #enter entered} around each of its tasks (the
   * provisioner's step, run and approval executors, which a host may share between provisioners);
   * shutting it down shuts {@code executor} down.
   */
  public ExecutorService scoped(ExecutorService executor) {
    return new Scoped(executor, this);
  }

  /** An executor whose tasks run with a barrier entered. */
  private static final class Scoped extends AbstractExecutorService {
    private final ExecutorService delegate;
    private final DurabilityBarrier barrier;

    Scoped(ExecutorService delegate, DurabilityBarrier barrier) {
      this.delegate = delegate;
      this.barrier = barrier;
    }

    @Override
    public void execute(Runnable command) {
      delegate.execute(barrier.scoped(command));
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

  /** The barrier entered on the calling thread, if any. */
  public static @Nullable DurabilityBarrier current() {
    return CURRENT.get();
  }

  /** Records that {@code debt} must be settled before the next crossing returns. */
  public void owe(Debt debt) {
    owed.add(debt);
    if (eager && queued.compareAndSet(false, true)) {
      FORCERS.execute(() -> {
        queued.set(false); // a debt owed from now on queues another crossing
        try {
          cross(); // in phases, as a crossing: a journal line is never forced before what it follows
        } catch (RuntimeException e) {
          // the next crossing forces it again and reports the failure to the caller that waits
        }
      });
    }
  }

  /** Whether anything is owed. */
  public boolean owes() {
    for (Debt d : owed) {
      if (!d.settled()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Forces every debt owed of a phase before {@code phase}, several at once, and returns once it is
   * all on disk: a store of {@code phase} calls it before it writes, so that nothing it writes can
   * reach the disk before what was written earlier to the stores it follows (see
   * {@link Debt#phase}). Costs a look at the debts when nothing of those phases is owed.
   *
   * @throws DurabilityException when a force fails: the write that waited must not be made
   */
  public void settleBefore(int phase) {
    List<Debt> due = null;
    for (Debt d : owed) {
      if (d.phase() < phase && !d.settled()) {
        if (due == null) {
          due = new ArrayList<>();
        }
        due.add(d);
      }
    }
    if (due != null) {
      settleAll(due, owner);
    }
  }

  /**
   * Forces everything owed when this was called, each file once (shared with any crossing or force
   * under way), several at once; returns when all of it is on disk.
   *
   * @throws DurabilityException when a force fails: what was written may not be durable, and
   *     the side effect that waited must not go ahead
   */
  public void cross() {
    List<Debt> due = new ArrayList<>();
    for (Debt d : owed) {
      if (d.settled()) {
        owed.remove(d);
        if (!d.settled()) {
          owed.add(d); // written to meanwhile: kept for the next crossing (and forced by this one)
          due.add(d);
        }
      } else {
        due.add(d);
      }
    }
    if (due.isEmpty()) {
      return;
    }
    List<Debt> later = new ArrayList<>();
    due.removeIf(d -> d.phase() > 0 && later.add(d));
    if (!due.isEmpty()) {
      settleAll(due, owner);
    }
    if (!later.isEmpty()) {
      settleAll(later, owner);
    }
  }

  /** Settles every one of {@code due}, several at once; returns when all of it is on disk. */
  private static void settleAll(List<Debt> due, String owner) {
    List<Future<?>> others = new ArrayList<>(due.size() - 1);
    for (int i = 1; i < due.size(); i++) {
      Debt d = due.get(i);
      others.add(CompletableFuture.runAsync(() -> {
        try {
          d.settle();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, FORCERS));
    }
    @Nullable Throwable failed = null;
    try {
      due.get(0).settle();
    } catch (IOException | RuntimeException e) {
      failed = e;
    }
    boolean interrupted = false;
    for (Future<?> f : others) {
      while (true) {
        try {
          f.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // what was written must still be known durable before a side effect
        } catch (ExecutionException e) {
          if (failed == null) {
            failed = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
          }
          break;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (failed != null) {
      throw new DurabilityException(owner, failed);
    }
  }

  /**
   * Crosses the barrier of the provisioner whose run makes a request that may change something
   * outside the process: {@code tagged} (the request's tag) when given, else the one entered on the
   * calling thread, else none. Costs nothing when that barrier owes no force.
   *
   * @throws DurabilityException when that barrier's files cannot be forced
   */
  public static void beforeSideEffect(@Nullable DurabilityBarrier tagged) {
    DurabilityBarrier b = tagged != null ? tagged : CURRENT.get();
    if (b != null) {
      b.cross();
    }
  }

  /** Whether an HTTP request of {@code method} may change something, so that a barrier must be crossed before it. */
  public static boolean changes(String method) {
    return !(method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS"));
  }

  /** Crosses a last time: what the stores wrote is on disk when the provisioner closes. */
  @Override
  public void close() {
    cross();
  }
}
