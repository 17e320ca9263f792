package io.agentprovision.core.internal.journal;

import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.spi.RunJournal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link RunJournal} in memory, with the compare-and-set and lease semantics of the interface.
 *
 * <p>Runs, their steps and the filing index are kept in concurrent maps, each run's steps under
 * that run's own lock: every step of every run saves here, and behind one lock for the whole
 * journal a fleet of concurrent runs on a busy machine queued whenever its holder was descheduled.
 * Leases and approvals, rarer, keep the journal's lock.
 */
public final class InMemoryRunJournal implements RunJournal {
  private final ConcurrentHashMap<RunId, RunRecord> runs = new ConcurrentHashMap<>();
  /** Each run's steps in the order first saved, read and written under the map's own lock. */
  private final ConcurrentHashMap<RunId, LinkedHashMap<StepId, StepRecord>> steps = new ConcurrentHashMap<>();
  private final Map<String, Leases.Slot> leases = new HashMap<>();
  private final Map<String, ApprovalRecord> approvals = new HashMap<>();
  /**
   * Runs by the key they were filed under, in the order filed: a run's person found without reading
   * every run. Each list is read and written under its own lock.
   */
  private final ConcurrentHashMap<String, FiledRuns> filed = new ConcurrentHashMap<>();

  @Override
  public boolean saveRun(RunRecord record) {
    boolean[] saved = {false};
    runs.compute(record.id(), (id, current) -> {
      if (!Versions.follows(current == null ? null : current.version(), record.version())) {
        return current;
      }
      saved[0] = true;
      return record;
    });
    return saved[0];
  }

  @Override
  public Optional<RunRecord> run(RunId id) {
    return Optional.ofNullable(runs.get(id));
  }

  @Override
  public List<RunRecord> runs(RunStatus... statuses) {
    Set<RunStatus> wanted = Set.of(statuses);
    List<RunRecord> out = new ArrayList<>();
    for (RunRecord r : runs.values()) {
      if (wanted.isEmpty() || wanted.contains(r.status())) {
        out.add(r);
      }
    }
    out.sort(Comparator.comparing(RunRecord::createdAt).thenComparing(RunRecord::id));
    return out;
  }

  @Override
  public boolean fileRun(RunId run, String key) {
    FiledRuns ids = filed.computeIfAbsent(key, k -> new FiledRuns());
    synchronized (ids) {
      ids.add(run);
    }
    return true;
  }

  @Override
  public Optional<List<RunId>> runsFiledUnder(String key) {
    FiledRuns ids = filed.get(key);
    if (ids == null) {
      return Optional.of(List.of());
    }
    synchronized (ids) {
      return Optional.of(ids.snapshot());
    }
  }

  @Override
  public boolean saveStep(StepRecord record) {
    LinkedHashMap<StepId, StepRecord> m = steps.computeIfAbsent(record.run(), k -> new LinkedHashMap<>());
    synchronized (m) {
      StepRecord current = m.get(record.step());
      if (!Versions.follows(current == null ? null : current.version(), record.version())) {
        return false;
      }
      m.put(record.step(), record);
      return true;
    }
  }

  @Override
  public Optional<StepRecord> step(RunId run, StepId step) {
    Map<StepId, StepRecord> m = steps.get(run);
    if (m == null) {
      return Optional.empty();
    }
    synchronized (m) {
      return Optional.ofNullable(m.get(step));
    }
  }

  @Override
  public List<StepRecord> steps(RunId run) {
    Map<StepId, StepRecord> m = steps.get(run);
    if (m == null) {
      return List.of();
    }
    synchronized (m) {
      return List.copyOf(m.values());
    }
  }

  @Override
  public synchronized Optional<Lease> acquireLease(String name, String owner, Instant now, Instant until) {
    return apply(name, Leases.acquire(leases.get(name), name, owner, now, until));
  }

  @Override
  public synchronized Optional<Lease> renewLease(Lease held, Instant until) {
    return apply(held.name(), Leases.renew(leases.get(held.name()), held, until));
  }

  @Override
  public synchronized boolean releaseLease(Lease held) {
    return apply(held.name(), Leases.release(leases.get(held.name()), held)).isPresent();
  }

  @Override
  public synchronized Optional<Lease> lease(String name) {
    Leases.Slot slot = leases.get(name);
    return Optional.ofNullable(slot == null ? null : slot.lease());
  }

  private Optional<Lease> apply(String name, Leases.Change change) {
    if (change.store() != null) {
      leases.put(name, change.store());
    }
    return change.answer();
  }

  @Override
  public synchronized boolean saveApproval(ApprovalRecord record) {
    ApprovalRecord current = approvals.get(record.id());
    if (!Versions.follows(current == null ? null : current.version(), record.version())) {
      return false;
    }
    approvals.put(record.id(), record);
    return true;
  }

  @Override
  public synchronized Optional<ApprovalRecord> approval(String id) {
    return Optional.ofNullable(approvals.get(id));
  }

  @Override
  public synchronized List<ApprovalRecord> approvalsOf(RunId run) {
    List<ApprovalRecord> out = new ArrayList<>();
    for (ApprovalRecord a : approvals.values()) {
      if (a.run().equals(run)) {
        out.add(a);
      }
    }
    out.sort(Versions.OLDEST_FIRST);
    return out;
  }

  @Override
  public synchronized List<ApprovalRecord> approvals(ApprovalRecord.Status... statuses) {
    Set<ApprovalRecord.Status> wanted = Set.of(statuses);
    List<ApprovalRecord> out = new ArrayList<>();
    for (ApprovalRecord a : approvals.values()) {
      if (wanted.isEmpty() || wanted.contains(a.status())) {
        out.add(a);
      }
    }
    out.sort(Versions.OLDEST_FIRST);
    return out;
  }
}
