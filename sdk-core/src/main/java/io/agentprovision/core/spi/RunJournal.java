package io.agentprovision.core.spi;

import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.internal.journal.InMemoryRunJournal;
import java.util.List;
import java.util.Optional;

/**
 * Records runs and the state of each step, so that a run interrupted at any point (a crash, a
 * cancel) can be resumed without repeating a purchase: a step's idempotency key is journaled
 * before its first side effect and reused on resume. Thread-safe.
 *
 * <p>Writes are compare-and-set on {@code version}: {@link #saveRun} and {@link #saveStep} store a
 * record only if the stored one has {@code version - 1} (or, for version 0, none exists), so two
 * hosts resuming the same run never both run one step.
 */
public interface RunJournal {
  /** A journal in memory, for tests and short-lived hosts. */
  static RunJournal inMemory() {
    return new InMemoryRunJournal();
  }


  /** Stores the run if the stored version is {@code record.version() - 1}; returns whether it did. */
  boolean saveRun(RunRecord record);

  Optional<RunRecord> run(RunId id);

  /** Runs with any of these statuses (all runs when none are given), oldest first. */
  List<RunRecord> runs(RunStatus... statuses);

  /** Stores the step if the stored version is {@code record.version() - 1}; returns whether it did. */
  boolean saveStep(StepRecord record);

  Optional<StepRecord> step(RunId run, StepId step);

  /** Every step of the run, in the order first saved. */
  List<StepRecord> steps(RunId run);
}
