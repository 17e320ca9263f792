package io.agentprovision.core.internal.fs;

import java.io.IOException;

/**
 * A group commit for one file whose writes owe their force to a {@link DurabilityBarrier}: each
 * write is counted ({@link #wrote}); {@link #settle} forces unless a force that began after the
 * last write has finished, and concurrent settlers share one force (the first leads it, the others
 * wait for it and lead the next only when it began before their write).
 */
public final class OwedForce implements DurabilityBarrier.Debt {
  /** Forces the file. */
  @FunctionalInterface
  public interface Force {
    void force() throws IOException;
  }

  private final Force force;
  private long written;
  private long forced;
  private boolean forcing;

  public OwedForce(Force force) {
    this.force = force;
  }

  /** A write was made and is owed; returns its ticket for {@link #awaitForced}. */
  public synchronized long wrote() {
    return ++written;
  }

  /**
   * The file was replaced by a forced copy holding every earlier write (a rewrite): everything up
   * to now is durable. Returns a ticket that needs no wait.
   */
  public synchronized long replaced() {
    forced = Math.max(forced, ++written);
    return written;
  }

  @Override
  public void settle() throws IOException {
    long ticket;
    synchronized (this) {
      ticket = written;
    }
    awaitForced(ticket);
  }

  /**
   * Returns once the write of {@code ticket} is on disk, leading a force when none under way covers
   * it. The thread's interrupt is kept but does not cut the wait short: whoever waits must learn
   * whether what it wrote is durable.
   */
  public void awaitForced(long ticket) throws IOException {
    long target;
    boolean interrupted = false;
    synchronized (this) {
      while (true) {
        if (forced >= ticket) {
          if (interrupted) {
            Thread.currentThread().interrupt();
          }
          return;
        }
        if (!forcing) {
          forcing = true;
          target = written;
          break;
        }
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true; // the caller's side effect waits on this force, interrupted or not
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    boolean done = false;
    try {
      force.force();
      done = true;
    } finally {
      synchronized (this) {
        forcing = false;
        if (done) {
          forced = Math.max(forced, target);
        }
        notifyAll();
      }
    }
  }

  /** Whether no write waits for a force and none is under way. */
  public synchronized boolean idle() {
    return !forcing && forced >= written;
  }

  @Override
  public synchronized boolean settled() {
    return forced >= written;
  }
}
