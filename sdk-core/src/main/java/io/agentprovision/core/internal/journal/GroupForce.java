package io.agentprovision.core.internal.journal;

import io.agentprovision.core.internal.fs.DurabilityBarrier;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;

/**
 * Group commit for one append-only file: writers append under the store's lock and take a ticket,
 * then wait outside the lock until a force that started after their append has finished. Whoever
 * finds no force under way leads one, which covers every append made before it began; the others
 * wait for it and, when it did not cover them, lead the next. So the saves of concurrent steps share
 * one disk sync, and none returns before its own bytes are on disk.
 */
final class GroupForce {
  /** Syncs a file's data to disk; replaceable in tests, which watch what was durable when. */
  @FunctionalInterface
  interface Forcer {
    /** {@link FileChannel#force}{@code (false)}: the data and what reading it needs (its length). */
    Forcer DISK = file -> {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.force(false);
      }
    };

    void force(Path file) throws IOException;
  }

  private final Path file;
  private long written;
  private long forced;
  private boolean forcing;
  private DurabilityBarrier.@Nullable Debt debt;

  GroupForce(Path file) {
    this.file = file;
  }

  /** An append was written; returns its ticket. Call under the store's lock, after the write. */
  synchronized long appended() {
    return ++written;
  }

  /**
   * The file was replaced by a forced copy holding every earlier append (a rewrite): everything up
   * to now is durable. Returns a ticket that needs no wait.
   */
  synchronized long replaced() {
    forced = Math.max(forced, ++written);
    return written;
  }

  /** Returns once the append of {@code ticket} is on disk, leading a force when none covers it. */
  void awaitForced(long ticket, Forcer forcer) throws IOException {
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
          interrupted = true; // a save already written must still learn whether it is durable
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    boolean done = false;
    try {
      forcer.force(file);
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

  /** Whether no append waits for a force, so the group may be forgotten. */
  synchronized boolean idle() {
    return !forcing && forced >= written;
  }

  /**
   * What a barrier is owed for this file: forcing every append made so far, with {@code forcer}
   * (the journal's, the same for every call), then running {@code settled} (the journal forgets the
   * group once idle). One per group, so that a barrier holds it once.
   */
  synchronized DurabilityBarrier.Debt debt(Forcer forcer, Runnable settled) {
    DurabilityBarrier.Debt d = debt;
    if (d == null) {
      d = newDebt(forcer, settled);
      debt = d;
    }
    return d;
  }

  private DurabilityBarrier.Debt newDebt(Forcer forcer, Runnable after) {
    return new DurabilityBarrier.Debt() {
      @Override
      public void settle() throws IOException {
        long ticket;
        synchronized (GroupForce.this) {
          ticket = written;
        }
        awaitForced(ticket, forcer);
        after.run();
      }

      @Override
      public boolean settled() {
        synchronized (GroupForce.this) {
          return forced >= written;
        }
      }

      @Override
      public int phase() {
        return 1; // after what the run's steps wrote to the other stores
      }
    };
  }
}
