package io.agentprovision.core.internal.journal;

import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.spi.RunJournal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@link RunJournal} in memory, with the compare-and-set semantics of the interface. */
public final class InMemoryRunJournal implements RunJournal {
  private final Map<RunId, RunRecord> runs = new HashMap<>();
  private final Map<RunId, LinkedHashMap<StepId, StepRecord>> steps = new HashMap<>();

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
}
