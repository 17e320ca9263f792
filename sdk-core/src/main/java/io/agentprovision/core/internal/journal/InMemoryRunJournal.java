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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * {@link RunJournal} in memory, with the compare-and-set and lease semantics of the interface.
 *
 * <p>Runs do not share a lock. Records sit in concurrent maps, each write a compare-and-set on its
 * own key (a run, an approval, a lease's name); a run's steps sit in a map of their own, in the order
 * first saved, under that map's monitor. Where one monitor guarded the whole journal, a fleet of
 * concurrent flows queued on it at every step boundary (about 400 waits of a millisecond or more per
 * fleet of 1,000 flows; {@code benchmarks/baseline.md}, "Fleet, round 15"). What reads across runs
 * ({@link #runs}, {@link #approvals}) sees each record whole, and each run as it was at some moment
 * of the read.
 */
public final class InMemoryRunJournal implements RunJournal {
  private final ConcurrentHashMap<RunId, RunRecord> runs = new ConcurrentHashMap<>();
  /** Each run's steps in the order first saved; read and written under the map's own monitor. */
  private final ConcurrentHashMap<RunId, LinkedHashMap<StepId, StepRecord>> steps = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Leases.Slot> leases = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ApprovalRecord> approvals = new ConcurrentHashMap<>();
  /** The ids of each run's approvals: a run's approvals found without reading every approval. */
  private final ConcurrentHashMap<RunId, Set<String>> approvalsByRun = new ConcurrentHashMap<>();
  /** Runs by the key they were filed under, in the order filed (each under its own monitor). */
  private final ConcurrentHashMap<String, FiledRuns> filed = new ConcurrentHashMap<>();

  @Override
  public boolean saveRun(RunRecord record) {
    RunId id = record.id();
    while (true) {
      RunRecord current = runs.get(id);
      if (!Versions.follows(current == null ? null : current.version(), record.version())) {
        return false;
      }
      if (current == null ? runs.putIfAbsent(id, record) == null : runs.replace(id, current, record)) {
        return true;
      }
      // another writer saved this run in between: judge the version against what it stored
    }
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
    FiledRuns f = filed.get(key);
    if (f == null) {
      f = filed.computeIfAbsent(key, k -> new FiledRuns());
    }
    synchronized (f) {
      f.add(run);
    }
    return true;
  }

  @Override
  public Optional<List<RunId>> runsFiledUnder(String key) {
    FiledRuns f = filed.get(key);
    if (f == null) {
      return Optional.of(List.of());
    }
    synchronized (f) {
      return Optional.of(f.snapshot());
    }
  }

  @Override
  public boolean saveStep(StepRecord record) {
    LinkedHashMap<StepId, StepRecord> m = steps.get(record.run());
    if (m == null) {
      m = steps.computeIfAbsent(record.run(), k -> new LinkedHashMap<>());
    }
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
  public Optional<Lease> acquireLease(String name, String owner, Instant now, Instant until) {
    return change(name, slot -> Leases.acquire(slot, name, owner, now, until));
  }

  @Override
  public Optional<Lease> renewLease(Lease held, Instant until) {
    return change(held.name(), slot -> Leases.renew(slot, held, until));
  }

  @Override
  public boolean releaseLease(Lease held) {
    return change(held.name(), slot -> Leases.release(slot, held)).isPresent();
  }

  @Override
  public Optional<Lease> lease(String name) {
    Leases.Slot slot = leases.get(name);
    return Optional.ofNullable(slot == null ? null : slot.lease());
  }

  /** Applies {@code rule} to the lease named {@code name}, atomically against every other change of that name. */
  private Optional<Lease> change(String name, Function<Leases.Slot, Leases.Change> rule) {
    @SuppressWarnings("unchecked")
    Optional<Lease>[] answer = new Optional[] {Optional.empty()};
    leases.compute(name, (k, slot) -> {
      Leases.Change change = rule.apply(slot);
      answer[0] = change.answer();
      return change.store() != null ? change.store() : slot;
    });
    return answer[0];
  }

  @Override
  public boolean saveApproval(ApprovalRecord record) {
    String id = record.id();
    while (true) {
      ApprovalRecord current = approvals.get(id);
      if (!Versions.follows(current == null ? null : current.version(), record.version())) {
        return false;
      }
      if (current == null) {
        // indexed before it is stored: a reader of the run's approvals that finds the id finds the record, or none yet
        approvalsByRun.computeIfAbsent(record.run(), k -> ConcurrentHashMap.newKeySet()).add(id);
        if (approvals.putIfAbsent(id, record) == null) {
          return true;
        }
      } else if (approvals.replace(id, current, record)) {
        if (!current.run().equals(record.run())) {
          approvalsByRun.computeIfAbsent(record.run(), k -> ConcurrentHashMap.newKeySet()).add(id);
        }
        return true;
      }
      // another writer saved this approval in between: judge the version against what it stored
    }
  }

  @Override
  public Optional<ApprovalRecord> approval(String id) {
    return Optional.ofNullable(approvals.get(id));
  }

  @Override
  public List<ApprovalRecord> approvalsOf(RunId run) {
    Set<String> ids = approvalsByRun.get(run);
    if (ids == null) {
      return List.of();
    }
    List<ApprovalRecord> out = new ArrayList<>(ids.size());
    for (String id : ids) {
      ApprovalRecord a = approvals.get(id);
      // an id indexed under a run its approval no longer names is not that run's
      if (a != null && a.run().equals(run)) {
        out.add(a);
      }
    }
    out.sort(Versions.OLDEST_FIRST);
    return out;
  }

  @Override
  public List<ApprovalRecord> approvals(ApprovalRecord.Status... statuses) {
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
