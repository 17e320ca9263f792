package io.agentprovision.core.spi;

import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.internal.journal.FileRunJournal;
import io.agentprovision.core.internal.journal.InMemoryRunJournal;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import java.nio.file.Path;
import java.time.Instant;
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
 *
 * <h2>Leases</h2>
 *
 * <p>A run is executed by one host at a time, the one holding its lease ({@link Lease#runName}); the
 * steps that link an account or buy a plan for a person hold a lease named after that person and
 * provider while they look for what another run already has and buy. A lease is a row keyed by its
 * name: owner, token, expiry. Every lease operation is atomic with respect to every other operation
 * on the same name, from every host sharing the store (a store shared by several JVMs makes them so
 * with its own transactions or locks). Times are the caller's ({@code now}, {@code until}): a store
 * never reads its own clock, so hosts' clocks must agree to well within half a lease's duration (the engine
 * skips renewing a run's lease while more than half of it is left), and tests
 * drive leases in virtual time.
 *
 * <ul>
 *   <li>{@link #acquireLease acquireLease(name, owner, now, until)} grants the lease when no lease on
 *       {@code name} is stored, the stored one was released, it has expired ({@code expiresAt <= now}),
 *       or it is held by the same {@code owner} (a host restarted under the same owner id takes its
 *       runs back at once). The granted lease has {@code expiresAt = until} and a token greater
 *       than every earlier token for {@code name}, released or expired ones included (1 for the
 *       first a new journal gives): tokens never repeat nor go back for a name, even after a
 *       release. A journal may count them per name (the JDBC journal: one more than the name's
 *       last) or across names (the directory journal: one more than the last given to any name, so
 *       that it need not remember released names). Otherwise nothing changes and the result is
 *       empty. {@code until} must be after {@code now}.
 *   <li>{@link #renewLease renewLease(held, until)} sets the stored lease's expiry to {@code until}
 *       when the stored lease on {@code held.name()} has {@code held}'s owner and token, whether or
 *       not it expired meanwhile (if nobody took it, nobody else acted under it); otherwise (taken
 *       over, released, or dropped after its expiry, below) nothing changes and the result is empty.
 *       The token stays.
 *   <li>{@link #releaseLease releaseLease(held)} gives the lease up when the stored one has
 *       {@code held}'s owner and token, and says whether it did. Afterwards {@link #lease} is empty
 *       and anyone may acquire it; the token keeps counting.
 *   <li>{@link #lease lease(name)} is the stored lease, expired or not; empty when there is none, it
 *       was released, or it was dropped.
 *   <li>A journal may <em>drop</em> a lease that has expired at a {@code now} a caller gave it (an
 *       acquire's, of any name), so that the leases of hosts that died holding them do not stay
 *       forever: the directory journal does when it rewrites its lease file. A dropped lease is as
 *       one taken over: its tenure cannot be renewed or released, and its token is never given again.
 *       A holder that renewed its expired lease before it was dropped keeps it.
 * </ul>
 *
 * <h2>Parked approvals</h2>
 *
 * <p>{@link ApprovalRecord}s are stored by id, compare-and-set on {@code version} like runs and
 * steps: {@link #saveApproval} stores a record only if the stored one has {@code version - 1} (or,
 * for version 0, none with that id exists), so an approval is decided once even when two hosts
 * decide it, or its deadline passes, at the same moment.
 *
 * <p>{@code RunJournalContract} in {@code sdk-fakes} is a JUnit test of this whole contract that any
 * implementation extends to check itself.
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
   * run saved before it, which is what resuming needs (given to a provisioner, a save is forced
   * before the provisioner's next request that may change something, approval question or run end:
   * a machine that stops first loses the saves since, which no side effect followed). Creates the directory when missing.
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

  /**
   * Files {@code run} under {@code key}, an opaque name (the engine files each run, once its
   * identity step has attested the person, under a hash of that person and the provider, and a run
   * about to pay for the person's plan under a second key), so that
   * {@link #runsFiledUnder} finds the run without reading every run in the journal. Filing the same
   * run under the same key again changes nothing.
   *
   * <p>A journal may keep no such index: it then returns false (the default), and answers
   * {@link #runsFiledUnder} with nothing, so that callers look through {@link #runs} instead. A journal
   * that keeps one must keep it as long as the runs and answer every filing it accepted.
   *
   * @return whether the journal keeps the index
   */
  default boolean fileRun(RunId run, String key) {
    return false;
  }

  /**
   * The runs filed under {@code key} by {@link #fileRun}, each once, in the order they were first
   * filed (oldest first); empty (the default) when this journal keeps no such index, so that the
   * caller looks through {@link #runs} instead. The engine reads the list from its end and usually
   * stops after a run or two, so a journal should answer without reading every run filed, and may
   * answer with a list that reads the runs as they are asked for.
   */
  default Optional<List<RunId>> runsFiledUnder(String key) {
    return Optional.empty();
  }

  /** Stores the step if the stored version is {@code record.version() - 1}; returns whether it did. */
  boolean saveStep(StepRecord record);

  /**
   * Stores a step's result as {@link #saveStep} does, except that a journal that syncs its writes to
   * disk need not have synced this one when it returns: only by the time a later save of the same
   * run returns (any of {@link #saveRun}, {@link #saveStep}, {@link #saveApproval}), so that one sync
   * serves a step's end and the next step's start.
   *
   * <p>The engine saves a step's end so (its status and output), and the start of a step that
   * changes nothing outside the SDK before it ends (identity, plan approval, verification); never a
   * record that must be on disk before a side effect. Losing a step's end in a crash leaves the step
   * as it was journaled before (running, with its idempotency key and saved progress), which a crash
   * just before the save would also have left: the step runs again on resume, repeating its calls
   * under the same key and meeting its own reservations. Losing such a start leaves the step not
   * started, and it runs on resume. Whatever the run does next that needs it first saves something of
   * the run, which makes it durable. A journal that commits each save on its own (the in-memory and
   * JDBC journals) stores it as {@link #saveStep} does, which is the default.
   */
  default boolean saveStepResult(StepRecord record) {
    return saveStep(record);
  }

  Optional<StepRecord> step(RunId run, StepId step);

  /** Every step of the run, in the order first saved. */
  List<StepRecord> steps(RunId run);

  /**
   * Acquires the lease on {@code name} for {@code owner} until {@code until}: granted when none is
   * held at {@code now} by another owner (see the class documentation for the exact rule).
   *
   * @return the lease now held, with a new token; empty when another owner holds it unexpired
   * @throws IllegalArgumentException when {@code until} is not after {@code now}
   */
  Optional<Lease> acquireLease(String name, String owner, Instant now, Instant until);

  /**
   * Extends {@code held} to {@code until} if it is still the stored tenure (same owner and token),
   * expired or not.
   *
   * @return the lease as now stored; empty when it was taken over or released
   */
  Optional<Lease> renewLease(Lease held, Instant until);

  /** Gives {@code held} up if it is still the stored tenure; returns whether it was. */
  boolean releaseLease(Lease held);

  /** The lease stored on {@code name}, expired or not; empty when there is none or it was released. */
  Optional<Lease> lease(String name);

  /** Stores the approval if the stored version is {@code record.version() - 1}; returns whether it did. */
  boolean saveApproval(ApprovalRecord record);

  /** The approval with this id. */
  Optional<ApprovalRecord> approval(String id);

  /** The approvals of one run, oldest first (by {@code requestedAt}, then id). */
  List<ApprovalRecord> approvalsOf(RunId run);

  /** Approvals with any of these statuses (all when none are given), across runs, oldest first (by {@code requestedAt}, then id). */
  List<ApprovalRecord> approvals(ApprovalRecord.Status... statuses);
}
