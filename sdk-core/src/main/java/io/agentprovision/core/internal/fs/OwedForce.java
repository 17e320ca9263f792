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

  /** A write was made and is owed. */
  public synchronized void wrote() {
    written++;
  }

  @Override
  public void settle() throws IOException {
    long target;
    boolean interrupted = false;
    synchronized (this) {
      long ticket = written;
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

  @Override
  public synchronized boolean settled() {
    return forced >= written;
  }
}
