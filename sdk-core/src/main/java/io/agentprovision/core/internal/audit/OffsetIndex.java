package io.agentprovision.core.internal.audit;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Where every {@value #EVERY}th entry's line starts in a JSONL audit file (entries 1, 65, 129, …),
 * so that a check from a given entry seeks close to it instead of reading the file from the start:
 * about 8 bytes of memory per {@value #EVERY} entries. Filled only with entries that verified.
 * Not thread-safe; used under the log's lock.
 */
final class OffsetIndex {
  static final int EVERY = 64;

  private long[] starts = new long[16];
  /** How many slots are filled: slot i holds entry i * EVERY + 1. */
  private int size;

  /** Records that entry {@code seq} starts at {@code offset}, when it is the next indexed entry. */
  void add(long seq, long offset) {
    if ((seq - 1) % EVERY != 0 || (seq - 1) / EVERY != size) {
      return;
    }
    if (size == starts.length) {
      starts = Arrays.copyOf(starts, size * 2);
    }
    starts[size++] = offset;
  }

  /** Forgets every entry after {@code seq} (the file was cut back to it). */
  void truncateAfter(long seq) {
    size = (int) Math.min(size, seq <= 0 ? 0 : (seq - 1) / EVERY + 1);
  }

  /** The indexed entry at or before {@code seq}, as {@code {sequence, offset}}, or null when none is. */
  long @Nullable [] floor(long seq) {
    int slot = (int) Math.min(size - 1, (seq - 1) / EVERY);
    if (slot < 0) {
      return null;
    }
    return new long[] {slot * (long) EVERY + 1, starts[slot]};
  }
}
