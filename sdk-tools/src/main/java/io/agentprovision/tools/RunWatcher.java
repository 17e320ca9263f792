package io.agentprovision.tools;

import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.ProvisioningListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Follows runs from the provisioner's events, so that the agent tools can say how a run stands and
 * which checkpoints a person is deciding right now. Register it as a listener of the provisioner and
 * hand the same instance to {@link AgentTools.Builder#watcher}:
 *
 * <pre>{@code
 * RunWatcher watcher = RunWatcher.create();
 * AgentProvisioner provisioner = AgentProvisioner.builder()...listener(watcher).build();
 * AgentTools tools = AgentTools.builder(provisioner).watcher(watcher)...build();
 * }</pre>
 *
 * <p>It keeps the last {@link #MAX_RUNS} runs it heard of, in memory; what it holds comes from
 * events, which never carry secrets.
 */
public final class RunWatcher implements ProvisioningListener {
  /** How many runs are remembered; older ones are forgotten first. */
  public static final int MAX_RUNS = 1_000;

  /** How a run stands, as events told. */
  public record RunView(RunId run, @Nullable RunStatus status, Map<StepId, StepStatus> steps,
      List<ApprovalRequest> waitingForPerson, long version) {
    public RunView {
      Objects.requireNonNull(run, "run");
      steps = Map.copyOf(steps);
      waitingForPerson = List.copyOf(waitingForPerson);
    }
  }

  private static final class Tracked {
    @Nullable RunStatus status;
    final Map<StepId, StepStatus> steps = new LinkedHashMap<>();
    final Map<String, ApprovalRequest> pending = new LinkedHashMap<>();
    long version;
    /** The version at which a person was last asked something: other events never end a wait. */
    long askedVersion = -1;
  }

  private final Object lock = new Object();
  private final Map<RunId, Tracked> runs = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<RunId, Tracked> eldest) {
      return size() > MAX_RUNS;
    }
  };

  private RunWatcher() {}

  /** A watcher that has heard of no run yet. */
  public static RunWatcher create() {
    return new RunWatcher();
  }

  @Override
  public void onEvent(ProvisioningEvent event) {
    RunId run = event.run();
    if (run == null) {
      return;
    }
    synchronized (lock) {
      Tracked t = runs.computeIfAbsent(run, r -> new Tracked());
      if (event instanceof ProvisioningEvent.RunStarted) {
        t.status = RunStatus.RUNNING;
      } else if (event instanceof ProvisioningEvent.RunFinished f) {
        t.status = f.status();
        if (f.status() != RunStatus.AWAITING_APPROVAL) {
          t.pending.clear(); // a parked run still waits for what it asked: decided later, it resumes
        }
      } else if (event instanceof ProvisioningEvent.StepStarted s) {
        t.steps.put(s.step(), StepStatus.RUNNING);
      } else if (event instanceof ProvisioningEvent.StepFinished s) {
        t.steps.put(s.step(), s.status());
      } else if (event instanceof ProvisioningEvent.ApprovalRequested a) {
        t.pending.put(a.request().id(), a.request());
        t.askedVersion = t.version + 1;
      } else if (event instanceof ProvisioningEvent.ApprovalDecided d) {
        t.pending.remove(d.request().id());
      }
      t.version++;
      lock.notifyAll();
    }
  }

  /** How {@code run} stands, if this watcher heard of it. */
  public Optional<RunView> view(RunId run) {
    Objects.requireNonNull(run, "run");
    synchronized (lock) {
      Tracked t = runs.get(run);
      return Optional.ofNullable(t == null ? null : snapshot(run, t));
    }
  }

  /**
   * Waits up to {@code timeout} for {@code run} to finish or to wait for a person, whichever comes
   * first, and returns how it stands then (empty if nothing was heard of it).
   */
  public Optional<RunView> awaitSettled(RunId run, Duration timeout) throws InterruptedException {
    return awaitSettled(run, timeout, -1);
  }

  /**
   * {@link #awaitSettled(RunId, Duration)}, counting only what happened after {@code afterVersion}
   * (a {@link RunView#version()} seen before): a run already waiting for a person is waited on until
   * a person is asked something new or the run ends. Other events in between (the run resuming after
   * a decision, before the decision's own event arrives) do not end the wait. A finished run is
   * returned at once.
   */
  public Optional<RunView> awaitSettled(RunId run, Duration timeout, long afterVersion) throws InterruptedException {
    Objects.requireNonNull(run, "run");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        Tracked t = runs.get(run);
        if (t != null && settledAfter(t, afterVersion)) {
          return Optional.of(snapshot(run, t));
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return Optional.ofNullable(t == null ? null : snapshot(run, t));
        }
        // woken by the next event of any run; the loop checks again
        lock.wait(Math.max(1, left / 1_000_000), 0);
      }
    }
  }

  /**
   * Whether a wait that began at {@code afterVersion} is over: the run ended, or a question was asked
   * after that version and is still open.
   */
  static boolean settledAfter(Tracked t, long afterVersion) {
    return settled(t.status) || t.askedVersion > afterVersion && !t.pending.isEmpty();
  }

  /** Whether {@code run}'s wait that began at {@code afterVersion} is over (see {@link #awaitSettled}). */
  boolean settledAfter(RunId run, long afterVersion) {
    synchronized (lock) {
      Tracked t = runs.get(run);
      return t != null && settledAfter(t, afterVersion);
    }
  }

  /** Whether a run in status {@code s} has ended (for now: a suspended run may be resumed). */
  static boolean settled(@Nullable RunStatus s) {
    return s == RunStatus.SUCCEEDED || s == RunStatus.FAILED || s == RunStatus.SUSPENDED;
  }

  private static RunView snapshot(RunId run, Tracked t) {
    return new RunView(run, t.status, t.steps, new ArrayList<>(t.pending.values()), t.version);
  }
}
