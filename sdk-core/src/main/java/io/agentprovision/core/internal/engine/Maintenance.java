package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.RunLeasedException;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalInbox;
import io.agentprovision.core.approval.AwaitingApprovalException;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What keeps runs moving when no caller waits on them: decisions taken from any host
 * ({@link #decide}), approvals past their deadline ({@link #expireApprovals}), runs whose host died
 * ({@link #resumeAbandoned}); each resumes its run in the background on the run executor, under the
 * run's lease. {@link #whenFinished} is the future of a run that finishes in the background, here or
 * on another host ({@link #tick} notices the latter). The reaper a host starts calls {@link #tick}.
 */
public final class Maintenance implements ApprovalInbox {
  private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);

  private final Engine engine;
  private final EngineConfig config;
  private final Map<RunId, CompletableFuture<Deployment>> awaited = new ConcurrentHashMap<>();
  /** Runs this host is resuming in the background, so that a tick does not start them twice. */
  private final Set<RunId> resuming = ConcurrentHashMap.newKeySet();
  /** Runs asked to resume while their background resume ran: looked at again when it ends. */
  private final Set<RunId> again = ConcurrentHashMap.newKeySet();
  /** Guards {@link #resuming} and {@link #again} together, so that no request to resume is lost in between. */
  private final Object resumes = new Object();

  /** What to run once an approval is journaled, by approval id ({@link #whenRecorded}). */
  private final Map<String, List<Runnable>> onRecorded = new ConcurrentHashMap<>();

  Maintenance(Engine engine) {
    this.engine = engine;
    this.config = engine.config();
    engine.parking().onParked(this::recorded);
  }

  @Override
  public void whenRecorded(String approvalId, Runnable then) {
    onRecorded.computeIfAbsent(approvalId, id -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(then);
    if (config.journal().approval(approvalId).isPresent()) {
      recorded(approvalId); // journaled before the hook was added
    }
  }

  /** Runs, once each, what waited for {@code approvalId} to be journaled. */
  private void recorded(String approvalId) {
    List<Runnable> then = onRecorded.remove(approvalId);
    if (then != null) {
      then.forEach(Runnable::run);
    }
  }

  // ---- approvals -----------------------------------------------------------------------------

  @Override
  public ApprovalRecord decide(String approvalId, ApprovalDecision decision) {
    ApprovalRecord a = engine.parking().decide(approvalId, decision, "decide");
    if (a.status() == ApprovalRecord.Status.DECIDED) {
      resumeIfReady(a.run());
    }
    return a;
  }

  @Override
  public List<ApprovalRecord> pending() {
    return engine.parking().pending(null);
  }

  @Override
  public Optional<ApprovalRecord> approval(String approvalId) {
    return config.journal().approval(approvalId);
  }

  /** The approvals of {@code agent}'s runs waiting for a person, oldest first. */
  public List<ApprovalRecord> pending(AgentId agent) {
    return engine.parking().pending(agent);
  }

  /** Decides every approval past its deadline {@code TIMED_OUT} and resumes its run (which fails it); returns them. */
  public List<ApprovalRecord> expireApprovals() {
    List<ApprovalRecord> expired = engine.parking().expireOverdue();
    Set<RunId> runs = new LinkedHashSet<>();
    for (ApprovalRecord a : expired) {
      runs.add(a.run());
    }
    runs.forEach(this::resumeIfReady);
    return expired;
  }

  private void resumeIfReady(RunId run) {
    if (!engine.parking().waitsForPerson(run)) {
      resumeInBackground(run);
    }
  }

  // ---- runs ----------------------------------------------------------------------------------

  /**
   * Resumes, in the background, every run that should be executing and that no host executes: its
   * status is {@code RUNNING} (or {@code AWAITING_APPROVAL} with nothing left to wait for) and its
   * lease is free or expired. Runs a person still has to answer for, and runs this host executes,
   * are left alone.
   *
   * @return the futures of the runs resumed, by run
   */
  public Map<RunId, CompletableFuture<Deployment>> resumeAbandoned() {
    Instant now = config.clock().instant();
    Map<RunId, CompletableFuture<Deployment>> out = new LinkedHashMap<>();
    for (RunRecord r : config.journal().runs(RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL)) {
      if (engine.executing(r.id()) || resuming.contains(r.id())) {
        continue;
      }
      if (r.status() == RunStatus.AWAITING_APPROVAL && engine.parking().waitsForPerson(r.id())) {
        continue;
      }
      Lease l = config.journal().lease(Lease.runName(r.id())).orElse(null);
      if (l != null && !l.expiredAt(now)) {
        continue; // a live host executes it
      }
      out.put(r.id(), resumeInBackground(r.id()));
    }
    return out;
  }

  /**
   * Resumes {@code run} on the run executor; returns its {@link #whenFinished} future. A run that
   * parks again, or that another host holds, is left to them (the future waits on).
   */
  public CompletableFuture<Deployment> resumeInBackground(RunId run) {
    CompletableFuture<Deployment> f = whenFinished(run);
    synchronized (resumes) {
      if (!resuming.add(run)) {
        again.add(run); // a decision that came while a resume ran: that resume may have parked before it
        return f;
      }
    }
    try {
      config.runExecutor().execute(() -> resumeHere(run));
    } catch (RejectedExecutionException e) {
      synchronized (resumes) {
        resuming.remove(run);
        again.remove(run);
      }
      LOG.warn("run {} cannot be resumed here: the provisioner is closed", run);
    }
    return f;
  }

  /**
   * Starts the resume on this thread (a short task of the run executor); the steps go to the step
   * executor, and no thread waits for the run: its end is taken as it comes.
   */
  private void resumeHere(RunId run) {
    CompletableFuture<Deployment> result;
    try {
      if (engine.isChange(run)) {
        // a change made to a deployment: resumed through the change flow; its future completes with no
        // deployment (the change's result is resumeChange's)
        result = engine.resumeChangeInBackground(run).thenApply(r -> null);
      } else {
        result = engine.startResume(run).result();
      }
    } catch (Throwable t) {
      result = CompletableFuture.failedFuture(t);
    }
    result.whenComplete((d, t) -> resumed(run, d, t));
  }

  private void resumed(RunId run, @Nullable Deployment d, @Nullable Throwable thrown) {
    Throwable t = thrown instanceof java.util.concurrent.CompletionException && thrown.getCause() != null
        ? thrown.getCause() : thrown;
    try {
      if (t instanceof AwaitingApprovalException || t instanceof RunLeasedException) {
        LOG.debug("run {} resumed in the background goes on later or elsewhere: {}", run, t.getMessage());
      } else {
        finished(run, d, t);
      }
    } finally {
      boolean look;
      synchronized (resumes) {
        resuming.remove(run);
        look = again.remove(run);
      }
      // a caller that asked for the run's end after the future above completed, and before the resume
      // was forgotten here, was given a new future that settleFromJournal left open (the run was still
      // resuming): it is settled now, or it would wait for the reaper's next round
      CompletableFuture<Deployment> late = awaited.get(run);
      if (late != null) {
        try {
          settleFromJournal(run, late);
        } catch (RuntimeException e) {
          LOG.warn("run {}: reading its end failed, read again at the reaper's next round: {}", run, e.toString());
        }
      }
      if (look && ready(run)) {
        resumeInBackground(run);
      }
    }
  }

  /** Whether {@code run} should be executing and nothing keeps it waiting or executes it here. */
  private boolean ready(RunId run) {
    RunRecord r = config.journal().run(run).orElse(null);
    return r != null && (r.status() == RunStatus.RUNNING || r.status() == RunStatus.AWAITING_APPROVAL)
        && !engine.parking().waitsForPerson(run) && !engine.executing(run);
  }

  /**
   * The future of {@code run}'s end: completed with its deployment when it finishes, or with its
   * failure, whether the end comes on this host or (noticed by {@link #tick}) on another. A run that
   * already ended completes it at once.
   */
  public CompletableFuture<Deployment> whenFinished(RunId run) {
    CompletableFuture<Deployment> f = awaited.computeIfAbsent(run, r -> {
      CompletableFuture<Deployment> n = new CompletableFuture<>();
      n.whenComplete((d, t) -> awaited.remove(r, n));
      return n;
    });
    settleFromJournal(run, f);
    return f;
  }

  /** One round of the reaper: expired approvals, abandoned runs, runs awaited here that ended elsewhere. */
  public void tick() {
    try {
      expireApprovals();
    } catch (RuntimeException e) {
      LOG.warn("expiring approvals failed, tried again at the next round: {}", e.toString());
    }
    try {
      resumeAbandoned();
    } catch (RuntimeException e) {
      LOG.warn("looking for abandoned runs failed, tried again at the next round: {}", e.toString());
    }
    for (Map.Entry<RunId, CompletableFuture<Deployment>> e : new ArrayList<>(awaited.entrySet())) {
      try {
        settleFromJournal(e.getKey(), e.getValue());
      } catch (RuntimeException ex) {
        LOG.warn("run {}: reading its end failed: {}", e.getKey(), ex.toString());
      }
    }
  }

  private void finished(RunId run, @Nullable Deployment d, @Nullable Throwable t) {
    CompletableFuture<Deployment> f = awaited.get(run);
    if (f == null) {
      return;
    }
    if (t != null) {
      f.completeExceptionally(t);
    } else {
      f.complete(d);
    }
  }

  /** Completes {@code f} when the journal says the run ended (here or elsewhere). */
  private void settleFromJournal(RunId run, CompletableFuture<Deployment> f) {
    if (f.isDone() || engine.executing(run) || resuming.contains(run)) {
      return;
    }
    RunRecord r = config.journal().run(run).orElse(null);
    if (r == null) {
      return;
    }
    switch (r.status()) {
      case SUCCEEDED, DEPLOYED_UNVERIFIED -> f.complete(ChangeCodec.isChange(r.request()) ? null
          : engine.finishedResult(run)); // read from the journal (a change's result is resumeChange's)
      case FAILED, SUSPENDED -> f.completeExceptionally(new RunFailedException(run, null,
          new AgentProvisionException(String.valueOf(r.error())), List.of(), List.of(),
          r.status() == RunStatus.SUSPENDED));
      default -> {
        // still running or waiting
      }
    }
  }
}
