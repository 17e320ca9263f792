package io.agentprovision.core.internal.engine;

import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * What the finished steps of a run produced, as records. Outputs of steps that finished before a
 * resume arrive as journal JSON and are decoded, with the type the reader asks for, when first read.
 */
final class RunOutputs {
  private final RunId run;
  private final Map<StepId, Record> values = new ConcurrentHashMap<>();
  private final Map<StepId, String> journaled = new ConcurrentHashMap<>();

  RunOutputs(RunId run) {
    this.run = run;
  }

  void put(StepId step, Record output) {
    values.put(step, output);
  }

  /** An output as the journal keeps it, decoded when first read. */
  void putJournaled(StepId step, String json) {
    journaled.put(step, json);
  }

  boolean has(StepId step) {
    return values.containsKey(step) || journaled.containsKey(step);
  }

  /**
   * What {@code step} produced.
   *
   * @throws IllegalStateException when it has not finished
   * @throws io.agentprovision.core.journal.JournalEntryException when its journal entry is not a {@code type}
   */
  <T extends Record> T get(StepId step, Class<T> type) {
    T v = find(step, type);
    if (v == null) {
      throw new IllegalStateException("step " + step + " of run " + run + " has not finished");
    }
    return v;
  }

  /** What {@code step} produced, or null when it has not finished. */
  <T extends Record> @Nullable T find(StepId step, Class<T> type) {
    Record v = values.get(step);
    if (v == null) {
      String json = journaled.get(step);
      if (json == null) {
        return null;
      }
      v = values.computeIfAbsent(step, s -> OutputCodec.decode(json, type, run, s));
    }
    if (!type.isInstance(v)) {
      throw new IllegalStateException("step " + step + " of run " + run + " produced a " + v.getClass().getSimpleName()
          + ", not a " + type.getSimpleName());
    }
    return type.cast(v);
  }

  /** The steps that have an output. */
  Set<StepId> finished() {
    Set<StepId> out = new java.util.HashSet<>(values.keySet());
    out.addAll(journaled.keySet());
    return out;
  }
}
