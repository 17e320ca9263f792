package io.agentprovision.core.internal.fs;

import io.agentprovision.core.AgentProvisionException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * <p><b>Which barrier.</b> One per provisioner, as its stores are; an {@code HttpStack} may be
 * shared by several provisioners and adapters built apart from any of them, so a request does not
 * know whose run it serves. A request crosses every live barrier: those of other provisioners in
 * the JVM cost a force only when they owe one. A barrier stops being live when its provisioner
 * closes ({@link #close}), after a last crossing.
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
     * run journal's (1) after the other stores' (0), so that a machine stopping mid-crossing never
     * keeps a journal line (a step ended, and is not run again) and loses what the step wrote
     * elsewhere (its audit entries, its reservation, its token).
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

  /**
   * The live barriers, weakly: a provisioner dropped without being closed takes its barrier with it
   * (its stores hold it as long as they live, and a store given to another provisioner owes that
   * one's barrier as well).
   */
  private static final Set<DurabilityBarrier> LIVE =
      java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
  /** Threads for forcing several files at once; daemon, idle ones end after a minute. */
  private static final ExecutorService FORCERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "agentprovision-force");
    t.setDaemon(true);
    return t;
  });

  private final Set<Debt> owed = ConcurrentHashMap.newKeySet();
  private final boolean eager;

  /**
   * A live barrier.
   *
   * @param eager whether a debt starts being forced in the background as soon as it is owed, so
   *     that a crossing usually finds it done
   */
  public DurabilityBarrier(boolean eager) {
    this.eager = eager;
    LIVE.add(this);
  }

  /** Records that {@code debt} must be settled before the next crossing returns. */
  public void owe(Debt debt) {
    owed.add(debt);
    if (eager) {
      FORCERS.execute(() -> {
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
   * Forces everything owed when this was called, each file once (shared with any crossing or force
   * under way), several at once; returns when all of it is on disk.
   *
   * @throws AgentProvisionException when a force fails: what was written may not be durable, and
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
      settleAll(due);
    }
    if (!later.isEmpty()) {
      settleAll(later);
    }
  }

  /** Settles every one of {@code due}, several at once; returns when all of it is on disk. */
  private static void settleAll(List<Debt> due) {
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
      throw new AgentProvisionException("cannot force the provisioner's files to disk before going on: " + failed,
          failed);
    }
  }

  /**
   * Crosses every live barrier: called before each request that may change something outside the
   * process. Costs nothing when no barrier owes a force.
   */
  public static void beforeSideEffect() {
    DurabilityBarrier[] live;
    synchronized (LIVE) {
      live = LIVE.toArray(new DurabilityBarrier[0]);
    }
    for (DurabilityBarrier b : live) {
      b.cross();
    }
  }

  /**
   * Whether any live barrier owes a force: never, as a request that may change something goes out
   * from a thread that alone writes to the stores (what tests of the barrier check on the wire).
   */
  public static boolean anyOwes() {
    DurabilityBarrier[] live;
    synchronized (LIVE) {
      live = LIVE.toArray(new DurabilityBarrier[0]);
    }
    for (DurabilityBarrier b : live) {
      if (b.owes()) {
        return true;
      }
    }
    return false;
  }

  /** Whether an HTTP request of {@code method} may change something, so that a barrier must be crossed before it. */
  public static boolean changes(String method) {
    return !(method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS"));
  }

  /** Crosses a last time and stops being live: requests no longer wait for it. */
  @Override
  public void close() {
    try {
      cross();
    } finally {
      LIVE.remove(this);
    }
  }
}
