package io.agentprovision.core.spi;

import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.internal.journal.FileRunJournal;
import io.agentprovision.core.internal.journal.InMemoryRunJournal;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import java.nio.file.Path;
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

  /**
   * A journal in a directory, one JSON file per run (the run record and its steps), each replaced
   * atomically on every save, with the compare-and-set above held across threads and processes by
   * a lock file in the directory. A journal opened on the same directory after a crash sees every
   * run saved before it, which is what resuming needs. Creates the directory when missing.
   *
   * <pre>{@code
   * RunJournal journal = RunJournal.directory(Path.of("/var/lib/myapp/runs"));
   * List<RunRecord> interrupted = journal.runs(RunStatus.RUNNING);
   * }</pre>
   */
  static RunJournal directory(Path dir) {
    return FileRunJournal.open(dir);
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
