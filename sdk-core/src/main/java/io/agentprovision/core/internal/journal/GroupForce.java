package io.agentprovision.core.internal.journal;

import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.agentprovision.core.internal.fs.OwedForce;
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

  private final OwedForce owed;
  private DurabilityBarrier.@Nullable Debt debt;

  /** The group of {@code file}'s appends, forced with {@code forcer} (the journal's, for every call). */
  GroupForce(Path file, Forcer forcer) {
    this.owed = new OwedForce(() -> forcer.force(file));
  }

  /** An append was written; returns its ticket. Call under the store's lock, after the write. */
  long appended() {
    return owed.wrote();
  }

  /**
   * The file was replaced by a forced copy holding every earlier append (a rewrite): everything up
   * to now is durable. Returns a ticket that needs no wait.
   */
  long replaced() {
    return owed.replaced();
  }

  /** Returns once the append of {@code ticket} is on disk, leading a force when none covers it. */
  void awaitForced(long ticket) throws IOException {
    owed.awaitForced(ticket);
  }

  /** Whether no append waits for a force, so the group may be forgotten. */
  boolean idle() {
    return owed.idle();
  }

  /**
   * What a barrier is owed for this file: forcing every append made so far, then running
   * {@code settled} (the journal forgets the group once idle). One per group, so that a barrier
   * holds it once.
   */
  synchronized DurabilityBarrier.Debt debt(Runnable settled) {
    DurabilityBarrier.Debt d = debt;
    if (d == null) {
      d = newDebt(settled);
      debt = d;
    }
    return d;
  }

  private DurabilityBarrier.Debt newDebt(Runnable after) {
    return new DurabilityBarrier.Debt() {
      @Override
      public void settle() throws IOException {
        owed.settle();
        after.run();
      }

      @Override
      public boolean settled() {
        return owed.settled();
      }

      @Override
      public int phase() {
        return 1; // after what the run's steps wrote to the other stores
      }
    };
  }
}
