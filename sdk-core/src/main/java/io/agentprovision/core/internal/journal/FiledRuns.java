package io.agentprovision.core.internal.journal;

import io.agentprovision.core.RunId;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The runs a journal filed under one key ({@link io.agentprovision.core.spi.RunJournal#fileRun}),
 * each once, in the order filed, answered without copying them: the array only grows at its end,
 * and a full one is replaced by a longer copy, so the first {@code size} slots a snapshot sees never
 * change. A person's account and plan steps read this list on every run; a copy made each time cost
 * as much as the person's history. Not thread-safe: the journal adds and takes snapshots under its
 * lock, and a snapshot may then be read by any thread.
 */
final class FiledRuns {
  private final Set<RunId> seen = new HashSet<>();
  private RunId[] ids = new RunId[4];
  private int size;

  /** Adds {@code run} at the end; returns false when it was filed already. */
  boolean add(RunId run) {
    if (!seen.add(run)) {
      return false;
    }
    if (size == ids.length) {
      ids = Arrays.copyOf(ids, size * 2);
    }
    ids[size++] = run;
    return true;
  }

  boolean contains(RunId run) {
    return seen.contains(run);
  }

  /** The runs filed so far, as a list that does not change when more are filed. */
  List<RunId> snapshot() {
    RunId[] a = ids;
    int n = size;
    return new AbstractList<>() {
      @Override
      public RunId get(int i) {
        Objects.checkIndex(i, n);
        return a[i];
      }

      @Override
      public int size() {
        return n;
      }
    };
  }
}
