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

/** {@link RunJournal} in memory, with the compare-and-set and lease semantics of the interface. */
public final class InMemoryRunJournal implements RunJournal {
  private final Map<RunId, RunRecord> runs = new HashMap<>();
  private final Map<RunId, LinkedHashMap<StepId, StepRecord>> steps = new HashMap<>();
  private final Map<String, Leases.Slot> leases = new HashMap<>();
  private final Map<String, ApprovalRecord> approvals = new HashMap<>();
  /** Runs by the key they were filed under, in the order filed: a run's person found without reading every run. */
  private final Map<String, FiledRuns> filed = new HashMap<>();

  @Override
  public synchronized boolean saveRun(RunRecord record) {
    RunRecord current = runs.get(record.id());
    if (!Versions.follows(current == null ? null : current.version(), record.version())) {
      return false;
    }
    runs.put(record.id(), record);
    return true;
  }

  @Override
  public synchronized Optional<RunRecord> run(RunId id) {
    return Optional.ofNullable(runs.get(id));
  }

  @Override
  public synchronized List<RunRecord> runs(RunStatus... statuses) {
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
  public synchronized boolean fileRun(RunId run, String key) {
    filed.computeIfAbsent(key, k -> new FiledRuns()).add(run);
    return true;
  }

  @Override
  public synchronized Optional<List<RunId>> runsFiledUnder(String key) {
    FiledRuns ids = filed.get(key);
    return Optional.of(ids == null ? List.of() : ids.snapshot());
  }

  @Override
  public synchronized boolean saveStep(StepRecord record) {
    LinkedHashMap<StepId, StepRecord> m = steps.computeIfAbsent(record.run(), k -> new LinkedHashMap<>());
    StepRecord current = m.get(record.step());
    if (!Versions.follows(current == null ? null : current.version(), record.version())) {
      return false;
    }
    m.put(record.step(), record);
    return true;
  }

  @Override
  public synchronized Optional<StepRecord> step(RunId run, StepId step) {
    Map<StepId, StepRecord> m = steps.get(run);
    return Optional.ofNullable(m == null ? null : m.get(step));
  }

  @Override
  public synchronized List<StepRecord> steps(RunId run) {
    Map<StepId, StepRecord> m = steps.get(run);
    return m == null ? List.of() : List.copyOf(m.values());
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
