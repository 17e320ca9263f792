package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.RunLeasedException;
import io.agentprovision.core.RunNotFoundException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.AwaitingApprovalException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.RotationRequest;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Loosening;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.wire.Digests;
import io.agentprovision.core.wire.Json;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans, executes and resumes runs. A plan is a {@link StepGraph} made by a {@link Flow} (the
 * first-day one is {@link ProvisioningFlow}); executing it runs every step whose dependencies
 * have succeeded on the step executor (independent steps at the same time), each journaled with
 * its idempotency key before it starts and with its output (JSON, by {@link OutputCodec}) when it
 * succeeds; a failed run is compensated step by step in reverse, or suspended for a resume; the
 * {@link Deployment} is assembled from the steps' outputs.
 */
public final class Engine {
  private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

  /** What a step execution reaches of the engine. */
  record Services(EngineConfig config, Events events, Auditor auditor, Checkpoints checkpoints, StepUp stepUp,
      Parking parking, PrincipalLock.People people) {}

  private final EngineConfig config;
  private final Services services;
  private final Events events;
  private final Auditor auditor;
  private final Planner planner;
  private final Changes changes;
  private final ReceiptBook receipts;
  private final MandateBook mandates;
  private final RunEnvironments environments;
  private final Maintenance maintenance;
  /** The runs this engine executes now (their leases are this host's, whatever the clock says). */
  private final Set<RunId> executing = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /**
   * The last audit entry this engine saw verify: each run's end checks only what came after it, so
   * the check does not grow with the log (a full {@code audit().verify()} remains available).
   */
  private final AtomicReference<@Nullable AuditCheckpoint> auditVerified = new AtomicReference<>();
  private final ReentrantLock auditVerifying = new ReentrantLock();

  private record AuditCheckpoint(long sequence, String hash) {}

  public Engine(EngineConfig config) {
    this(config, ProvisioningFlow.INSTANCE);
  }

  /** An engine whose runs are made by {@code flow}. */
  Engine(EngineConfig config, Flow flow) {
    this.config = config;
    this.events = new Events(config.listeners());
    this.auditor = new Auditor(config.audit(), config.clock());
    this.receipts = new ReceiptBook(config);
    this.mandates = new MandateBook(config, auditor);
    this.services = new Services(config, events, auditor, new Checkpoints(config, events, auditor, receipts, mandates),
        new StepUp(config, auditor), new Parking(config, events, auditor, receipts), new PrincipalLock.People());
    this.planner = new Planner(config, flow);
    this.changes = new Changes(this, config, planner, auditor, events);
    this.environments = new RunEnvironments(config, auditor);
    this.maintenance = new Maintenance(this);
    config.approvals().connect(maintenance);
  }

  /** Parked approvals, abandoned runs, and the futures of runs that finish in the background. */
  public Maintenance maintenance() {
    return maintenance;
  }

  Parking parking() {
    return services.parking();
  }

  /** Whether this engine is executing {@code run} now. */
  boolean executing(RunId run) {
    return executing.contains(run);
  }

  /** The credentials a run's resources keep in the vault, as references; only the run's own agent reads them. */
  public io.agentprovision.core.RunEnvironment environment(AgentId agent, RunId run) {
    return environments.of(agent, run);
  }

  /** The value of one variable of a run's environment, audited. */
  public io.agentprovision.core.Secret reveal(AgentId agent, RunId run, String name, String reason) {
    return environments.reveal(agent, run, name, reason);
  }

  public EngineConfig config() {
    return config;
  }

  public Catalog catalog(String provider) {
    return planner.catalog(provider);
  }

  /**
   * Puts a checkpoint to the gate outside any run (such as raising a limit). When the policy in force
   * lists its kind as needing MFA, {@code principal} steps up first (see {@link StepUp}); without a
   * principal to bind the step-up to, the checkpoint is refused.
   */
  public ApprovalDecision checkpoint(AgentId agent, @Nullable Principal principal, CheckpointRequest request) {
    final Checkpoints.Asker asker = new Checkpoints.Asker(null, null, agent, principal);
    Checkpoints.Asker who = asker;
    if (request.kind() != CheckpointKind.STEP_UP && config.spendPolicy().requiresMfa(request.kind())) {
      StepUp.requireSupport(config.identity(), List.of(request.kind()), "");
      if (principal == null) {
        throw new IdentityRejectedException("evidence", request.kind() + " needs a second factor by policy, and no ID "
            + "token says who asks; pass the requester's ID token so that the step-up is bound to that person");
      }
      Principal stepped = services.stepUp().require(request.kind(), principal, asker,
          c -> services.checkpoints().ask(asker, c, Checkpoints.Recorder.NONE));
      who = new Checkpoints.Asker(null, null, agent, stepped);
    }
    return services.checkpoints().ask(who, request, Checkpoints.Recorder.NONE);
  }

  /**
   * Replaces the spend policy. A change that {@link SpendPolicy#loosens loosens} it is a raise: the
   * requester steps up when the policy in force requires MFA for {@link CheckpointKind#RAISE_LIMIT},
   * then a person approves a {@code RAISE_LIMIT} checkpoint listing every loosening. Every change,
   * and every refused one, is audited with the policy before and after (canonical JSON).
   */
  public void updatePolicy(AgentId requestedBy, SpendPolicy proposed, String reason, @Nullable Secret identityToken) {
    PolicyChange currentChange = config.policyChange();
    SpendPolicy current = currentChange.after();
    List<Loosening> loosenings = proposed.loosens(current);
    String approver = null;
    Principal principal = null;
    if (!loosenings.isEmpty()) {
      if (identityToken != null) {
        principal = config.identity().attest(new IdentityRequest(requestedBy, null, identityToken, null, false));
      }
      Map<String, String> details = new LinkedHashMap<>();
      for (int i = 0; i < loosenings.size(); i++) {
        details.put("change." + (i + 1), loosenings.get(i).description());
      }
      List<String> lines = loosenings.stream().map(Loosening::description).toList();
      try {
        approver = checkpoint(requestedBy, principal, CheckpointRequest.confirm(CheckpointKind.RAISE_LIMIT,
            "Loosen the spend policy: " + String.join("; ", lines), reason).withDetails(details)).approver();
      } catch (RuntimeException e) {
        auditor.entry("policy.refused").agent(requestedBy).principal(principal).outcome("denied")
            .detail("before", current.canonical()).detail("proposed", proposed.canonical()).detail("reason", reason)
            .detail("loosenings", String.join("; ", lines)).detail("error", e.getClass().getSimpleName()).record();
        throw e;
      }
    }
    // appended only after the version read above: a change another host made meanwhile refuses this one
    PolicyChange next = currentChange.next(proposed, requestedBy.value(), approver, reason, config.clock().instant());
    if (!config.policies().append(next)) {
      throw new AgentProvisionException("the spend policy changed while this update was being approved; ask again",
          null, true);
    }
    auditor.entry(loosenings.isEmpty() ? "policy.tightened" : "policy.loosened").agent(requestedBy)
        .principal(principal).approver(approver).detail("before", current.canonical())
        .detail("after", proposed.canonical()).detail("reason", reason)
        .detail("policy_version", String.valueOf(next.version()))
        .detail("loosenings", String.join("; ", loosenings.stream().map(Loosening::description).toList())).record();
  }

  /** Appends an audit entry about {@code run} outside its execution (an administrative call, a scheduled job). */
  public void audit(String action, @Nullable RunId run, @Nullable AgentId agent, String outcome,
      Map<String, String> details) {
    auditor.entry(action).run(run).agent(agent).outcome(outcome).details(details).record();
  }

  /**
   * The record of {@code agent}'s run {@code run}: refused with {@link RunNotFoundException}, the
   * same way, when there is no such run and when it is another agent's.
   */
  public RunRecord runOf(AgentId agent, RunId run) {
    RunRecord rec = config.journal().run(run).orElse(null);
    if (rec == null || !rec.agent().equals(agent)) {
      throw new RunNotFoundException(agent, run);
    }
    return rec;
  }

  /** Plans a change to a deployment (see {@link Changes}); reads only. */
  public ChangePlan planChange(io.agentprovision.core.LifecycleRequest request) {
    return changes.plan(request);
  }

  /** Executes a planned change. */
  public io.agentprovision.core.LifecycleResult executeChange(ChangePlan plan) {
    return changes.execute(plan);
  }

  /** Resumes {@code agent}'s change {@code run}. */
  public io.agentprovision.core.LifecycleResult resumeChange(AgentId agent, RunId run) {
    return changes.resume(agent, run);
  }

  /**
   * Whether the signed receipts of {@code run}'s approvals verify; adds a line to {@code warnings}
   * for each that does not. True when the provisioner signs none.
   */
  boolean receiptsOf(RunId run, List<String> warnings) {
    int before = warnings.size();
    boolean ok = receipts.verifyRun(run, warnings);
    if (!ok) {
      auditor.entry("receipts.invalid").run(run).outcome("failed").detail("problems",
          String.join("; ", warnings.subList(before, warnings.size()))).record();
    }
    return ok;
  }

  /** What every step and flow of this engine runs with (the change flows audit their refusals through it). */
  Services services() {
    return services;
  }

  /** The signed receipts of the approvals, checked against the audit log. */
  public io.agentprovision.core.approval.Receipts receipts() {
    return receipts;
  }

  /** The intent mandates held. */
  public io.agentprovision.core.approval.Mandates mandates() {
    return mandates;
  }

  public RunPlan plan(ProvisionRequest request) {
    RunId given = request.runId();
    RunId run = given != null ? given : RunId.of(config.ids().next("run"));
    return planner.plan(request, run);
  }

  /** Carries out a plan on the calling thread's behalf: returns when the run has ended. */
  public Deployment execute(RunPlan plan) {
    return await(start(plan));
  }

  /** Continues a run from its journal; returns when it has ended. */
  public Deployment resume(RunId run) {
    return await(startResume(run));
  }

  /**
   * Starts executing a plan and returns at once: the run's steps go to the step executor, each
   * finished step starts those that waited for it, and the last one to finish assembles the result.
   * No thread waits for the run. Bad input, a refused plan or a journal that will not take the run
   * fail the returned future, as they fail {@link #execute}.
   */
  public CompletableFuture<Deployment> executeAsync(RunPlan plan) {
    try {
      return start(plan).result();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** A run started on the step executor: its result, and a way to cancel it. */
  public interface Started {
    /** Completes when the run has ended: with the deployment, its failure, or a {@link CancellationException}. */
    CompletableFuture<Deployment> result();

    /**
     * Stops the run: steps not started are not, running ones are interrupted and stop where they
     * can; once none runs, the run is journaled {@code SUSPENDED} and {@link #result} fails with a
     * {@link CancellationException}. Returns false when the run had already ended.
     */
    boolean cancel();
  }

  /** Plans {@code request} and carries the plan out; returns when the run has ended. */
  public Deployment planAndExecute(ProvisionRequest request) {
    return await(planAndStart(request));
  }

  /**
   * Plans {@code request} and starts the plan, as {@code start(plan(request))} does, without deriving
   * the plan a second time: a plan made here a moment ago and never handed to anyone has nothing to
   * distrust, and deriving it again cost as much as making it (a plan a caller hands back, through
   * {@link #start}, is derived again from the flow, the policy in force and the ledger).
   */
  public Started planAndStart(ProvisionRequest request) {
    return start(plan(request), false);
  }

  /** Starts a plan's run (or resumes the run of the same id); throws what {@link #execute} throws before any step. */
  public Started start(RunPlan given) {
    return start(given, true);
  }

  private Started start(RunPlan given, boolean rederive) {
    RunRecord existing = config.journal().run(given.runId()).orElse(null);
    if (existing != null) {
      // executing a plan of a run that exists continues it, for the agent that started it only
      return startResume(runOf(given.request().agent(), existing.id()).id());
    }
    // the plan object is not trusted: steps and checkpoints come again from the flow, the policy in force and the ledger
    RunPlan plan = rederive ? planner.rederive(given) : given;
    ProvisionRequest req = plan.request();
    PolicyViolationException refused = plan.steps().stream().allMatch(s -> s.verdict()
        != io.agentprovision.core.PlannedStep.Verdict.DENIED) ? null : planner.violation(plan);
    if (refused != null) {
      auditor.entry("run.refused").run(plan.runId()).agent(req.agent()).amount(refused.requested()).outcome("denied")
          .detail("limit", refused.limit()).detail("reason", String.valueOf(refused.getMessage()))
          .detail("provider", req.provider()).record();
      events.emit(new ProvisioningEvent.SpendRefused(config.clock().instant(), plan.runId(), null, req.agent(), req.provider(), refused.requested(), refused.limit(), refused.remaining()));
      throw refused;
    }
    VelocityLimitException tooMany = planner.velocityRefusal(plan);
    if (tooMany != null) {
      Velocity.refused(services, plan.runId(), null, auditor.entry("velocity.refused").run(plan.runId())
          .agent(req.agent()), tooMany, req.agent());
      throw tooMany;
    }
    Instant now = config.clock().instant();
    RunRecord rec = RunRecord.builder(plan.runId(), req.agent(), req.provider(),
        RequestCodec.encode(req, plan.runId(), config.vault(), config.clock())).status(RunStatus.RUNNING)
        .createdAt(now).build();
    claim(plan.runId());
    RunLease lease;
    boolean saved;
    try {
      // the lease first: a host that sees the run RUNNING and its lease free may take it over
      lease = RunLease.acquire(config, plan.runId(), "is being started by another host");
      try {
        saved = config.journal().saveRun(rec);
      } catch (RuntimeException e) {
        lease.release();
        throw e;
      }
    } catch (RuntimeException e) {
      executing.remove(plan.runId());
      throw e;
    }
    if (!saved) {
      lease.release();
      executing.remove(plan.runId());
      return startResume(runOf(req.agent(), plan.runId()).id()); // another host started it a moment ago
    }
    auditor.entry("run.started").run(plan.runId()).agent(req.agent()).detail("provider", req.provider())
        .detail("plan", String.valueOf(req.plan())).detail("app", req.app() == null ? "none" : req.app().name())
        .detail("orchestrator", config.orchestrator().name()).record();
    RunState rs = new RunState(plan.runId(), req, plan, false, now);
    rs.lease = lease;
    return started(new RunLoop<>(rs, rec, s -> deployment(s, true)).start());
  }

  /**
   * The result of a run that ended {@code SUCCEEDED} or {@code DEPLOYED_UNVERIFIED}, read from the
   * journal without executing anything (a resume of the latter would check the app again).
   */
  Deployment finishedResult(RunId run) {
    RunRecord rec = config.journal().run(run).orElseThrow(() -> new InvalidRequestException("runId",
        "no run " + run + " in the journal", "pass the id of a run this journal recorded (AgentProvisioner.runs())"));
    if (rec.status() != RunStatus.SUCCEEDED && rec.status() != RunStatus.DEPLOYED_UNVERIFIED) {
      throw new IllegalStateException("run " + run + " has not finished: " + rec.status());
    }
    ProvisionRequest req = RequestCodec.decode(rec.request(), run, config.vault());
    RunState rs = new RunState(run, req, planner.plan(req, run), true, rec.createdAt());
    load(rs);
    return deployment(rs, false);
  }

  /** Starts resuming a run from its journal; a run that already succeeded is returned at once. */
  public Started startResume(RunId run) {
    RunRecord rec = config.journal().run(run).orElseThrow(() -> new InvalidRequestException("runId",
        "no run " + run + " in the journal", "pass the id of a run this journal recorded (AgentProvisioner.runs())"));
    notAChange(rec);
    ProvisionRequest req = RequestCodec.decode(rec.request(), run, config.vault());
    RunPlan plan = planner.plan(req, run);
    RunState rs = new RunState(run, req, plan, true, rec.createdAt());
    if (rec.status() == RunStatus.SUCCEEDED) {
      load(rs);
      return ended(deployment(rs, false));
    }
    if (rec.status() == RunStatus.FAILED) {
      throw new InvalidRequestException("runId", "run " + run + " failed and was compensated (" + rec.error() + ")",
          "start a new run with the same request");
    }
    load(rs); // an entry that cannot be read stops the resume here, before it is recorded
    claim(run);
    RunLease lease;
    try {
      lease = RunLease.acquire(config, run, "is being executed by another host");
    } catch (RuntimeException e) {
      executing.remove(run);
      throw e;
    }
    RunRecord next;
    try {
      // read again under the lease: the host that held it may have finished the run meanwhile
      RunRecord cur = config.journal().run(run).orElse(rec);
      if (cur.status() == RunStatus.SUCCEEDED || cur.status() == RunStatus.FAILED) {
        lease.release();
        executing.remove(run);
        return startResume(run);
      }
      if (cur.status() == RunStatus.DEPLOYED_UNVERIFIED) {
        // everything is in place but the app did not answer: the resume checks it again (under the lease)
        config.journal().step(run, VerifyStep.ID).ifPresent(v -> config.journal().saveStep(
            v.next(config.clock().instant()).status(StepStatus.FAILED).output(null).error("checked again on resume")
                .build()));
      }
      next = cur.next(RunStatus.RUNNING, null, config.clock().instant());
      if (!config.journal().saveRun(next)) {
        throw new AgentProvisionException("run " + run + " is being resumed by another host", null, true);
      }
      auditor.entry("run.resumed").run(run).agent(req.agent()).detail("previous_status", cur.status().name()).record();
    } catch (RuntimeException e) {
      lease.release();
      executing.remove(run);
      throw e;
    }
    rs.lease = lease;
    return started(new RunLoop<>(rs, next, s -> deployment(s, true)).start());
  }

  /**
   * Runs every step of {@code rs} not finished yet on the step executor and waits for the run to
   * end, as {@link #execute} does; {@code finish} records the end of a run that succeeded and builds
   * its result (a {@code LifecycleResult} for a change made to a deployment later).
   */
  <R> R runLoop(RunState rs, RunRecord rec, java.util.function.Function<RunState, R> finish) {
    RunLoop<R> loop = new RunLoop<>(rs, rec, finish).start();
    return await(loop.result(), loop::cancel);
  }

  /**
   * Starts every step of {@code rs} not finished yet on the step executor and returns at once: the
   * future completes as {@link #runLoop} returns (a change resumed in the background).
   */
  <R> CompletableFuture<R> startLoop(RunState rs, RunRecord rec, java.util.function.Function<RunState, R> finish) {
    return new RunLoop<>(rs, rec, finish).start().result();
  }

  /** A first-day run's loop as the {@link Started} callers hold. */
  private static Started started(RunLoop<Deployment> loop) {
    return new Started() {
      @Override
      public CompletableFuture<Deployment> result() {
        return loop.result();
      }

      @Override
      public boolean cancel() {
        return loop.cancel();
      }
    };
  }

  /**
   * Claims {@code run} on this host and takes its lease, for a run started outside {@link #start}
   * (a change run); the run loop gives both up when the run ends, {@link #giveBack} before it starts.
   *
   * @throws RunLeasedException when this host or another executes it already
   */
  RunLease takeLease(RunId run, String why) {
    claim(run);
    try {
      return RunLease.acquire(config, run, why);
    } catch (RuntimeException e) {
      executing.remove(run);
      throw e;
    }
  }

  /** Gives back what {@link #takeLease} took, for a run that does not start after all. */
  void giveBack(RunId run, RunLease lease) {
    try {
      lease.release();
    } finally {
      executing.remove(run);
    }
  }

  /** Whether the journal's run {@code run} is a change made to a deployment (run by {@link Changes}). */
  boolean isChange(RunId run) {
    return config.journal().run(run).map(r -> ChangeCodec.isChange(r.request())).orElse(false);
  }

  /** Resumes the change run {@code run} for the agent that started it, without waiting for it to end. */
  CompletableFuture<io.agentprovision.core.LifecycleResult> resumeChangeInBackground(RunId run) {
    RunRecord rec = config.journal().run(run).orElseThrow(() -> new InvalidRequestException("runId",
        "no run " + run + " in the journal", "pass the id of a run this journal recorded (AgentProvisioner.runs())"));
    return changes.resumeAsync(rec.agent(), run);
  }

  /**
   * Marks {@code run} as executing on this host: one execution of a run per host (the lease keeps
   * other hosts out; this keeps a second execution here out, such as a resume while it runs).
   *
   * @throws RunLeasedException when this host executes it already
   */
  private void claim(RunId run) {
    if (!executing.add(run)) {
      throw new RunLeasedException(run, config.journal().lease(Lease.runName(run))
          .orElse(null), "is being executed on this host already");
    }
  }

  /** Renews the run's lease before the engine writes the run's end. */
  private static void leaseCheck(RunState rs) {
    RunLease l = rs.lease;
    if (l != null) {
      l.check();
    }
  }

  /**
   * Parks the run: its steps that waited for approvals have stopped, and nothing else runs. The
   * journal says {@code AWAITING_APPROVAL}; the run loop's end gives the lease up, and resumes the
   * run at once when an approval was decided while the steps were stopping.
   */
  private AwaitingApprovalException park(RunState rs, RunRecord rec, List<String> approvalIds, Instant started) {
    leaseCheck(rs);
    Instant now = config.clock().instant();
    RunRecord cur = config.journal().run(rs.run).orElse(rec);
    config.journal().saveRun(cur.next(RunStatus.AWAITING_APPROVAL, null, now));
    List<ApprovalRecord> waiting = new ArrayList<>();
    for (String id : approvalIds) {
      config.journal().approval(id).ifPresent(waiting::add);
    }
    auditor.entry("run.parked").run(rs.run).agent(rs.request.agent()).principal(rs.principal()).outcome("waiting")
        .detail("approvals", String.join(",", approvalIds)).record();
    String why = "waiting for " + String.join(", ", approvalIds);
    events.emit(new ProvisioningEvent.RunFinished(now, rs.run, RunStatus.AWAITING_APPROVAL,
        Duration.between(started, now), why));
    return new AwaitingApprovalException(rs.run, waiting);
  }

  private static Started ended(Deployment d) {
    CompletableFuture<Deployment> done = CompletableFuture.completedFuture(d);
    return new Started() {
      @Override
      public CompletableFuture<Deployment> result() {
        return done;
      }

      @Override
      public boolean cancel() {
        return false;
      }
    };
  }

  /**
   * Waits for a run on the calling thread. An interrupt cancels the run and waits, uninterruptibly,
   * until it is journaled as suspended, then throws the {@link CancellationException} with the
   * thread's interrupt status set again; a failure is thrown as the run threw it.
   */
  private static Deployment await(Started run) {
    return await(run.result(), run::cancel);
  }

  /** Waits for {@code result} as {@link #await(Started)} says, calling {@code cancel} on an interrupt. */
  private static <R> R await(CompletableFuture<R> result, java.util.function.BooleanSupplier cancel) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return result.get();
        } catch (InterruptedException e) {
          interrupted = true;
          cancel.getAsBoolean();
        } catch (ExecutionException e) {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          if (cause instanceof RuntimeException r) {
            throw r;
          }
          if (cause instanceof Error err) {
            throw err;
          }
          throw new AgentProvisionException("the run failed: " + cause, cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Loads what finished steps produced (on resume). Each output of a step of the run's graph is read
   * back now, so an entry that cannot be read stops the run before anything happens, naming the step.
   */
  Set<StepId> load(RunState rs) {
    Set<StepId> done = new HashSet<>();
    for (StepRecord r : config.journal().steps(rs.run)) {
      String output = r.output();
      if (r.status() != StepStatus.SUCCEEDED || output == null) {
        continue;
      }
      rs.outputs.putJournaled(r.step(), output);
      Step<?> step = rs.graph().step(r.step()).orElse(null);
      if (step != null) {
        rs.outputs.get(r.step(), step.outputType());
        done.add(r.step());
      }
    }
    return done;
  }

  /**
   * One execution of a run, driven by its steps finishing rather than by a thread waiting for them:
   * starting it submits every step whose dependencies have succeeded; each step, when it ends,
   * submits those that were waiting for it; the step that ends last (with none left running) ends
   * the run: hands a run that succeeded to its {@code finish} (which records its end and builds the
   * deployment, or a change's result), compensates or suspends a failed run, or leaves a crashed one
   * exactly as the journal has it. State is guarded by this object's lock; steps run outside it.
   */
  private final class RunLoop<R> {
    private final RunState rs;
    private final RunRecord rec;
    private final java.util.function.Function<RunState, R> finish;
    private final Instant started;
    private final CompletableFuture<R> result = new CompletableFuture<>();
    private final Set<StepId> done = new HashSet<>();
    private final Set<StepId> submitted = new HashSet<>();
    private final Map<StepId, StepTask> running = new HashMap<>();
    private @Nullable Throwable failure;
    private @Nullable StepId failedStep;
    private @Nullable Error crash;
    /** Set when another host took the run over: everything here stops and writes nothing more. */
    private @Nullable RunLeasedException lost;
    /** The approvals steps stopped at to wait for a person; their dependants wait, other steps go on. */
    private final List<String> parked = new ArrayList<>();
    private boolean cancelled;
    private boolean ended;
    /** Whether the audit log was checked ahead of the run's end (once, when its last steps started). */
    private boolean auditPrechecked;

    RunLoop(RunState rs, RunRecord rec, java.util.function.Function<RunState, R> finish) {
      this.rs = rs;
      this.rec = rec;
      this.finish = finish;
      this.started = config.clock().instant();
    }

    /** Completes when the run has ended: with its result, its failure, or a {@link CancellationException}. */
    CompletableFuture<R> result() {
      return result;
    }

    /** Starts the run's steps; the caller has {@link #claim claimed} the run and holds its lease (let go at the end). */
    RunLoop<R> start() {
      Set<StepId> loaded;
      try {
        events.emit(new ProvisioningEvent.RunStarted(started, rs.run, rs.request.agent(), rs.request.provider(),
            rs.resumed));
        loaded = load(rs);
      } catch (RuntimeException e) {
        letGo(false);
        throw e;
      }
      for (Step<?> s : rs.graph().steps()) {
        if (loaded.contains(s.id())) {
          events.emit(new ProvisioningEvent.StepFinished(config.clock().instant(), rs.run, s.id(), StepStatus.SKIPPED,
              Duration.ZERO, "done before the resume"));
        }
      }
      boolean end;
      synchronized (this) {
        done.addAll(loaded);
        submitted.addAll(loaded);
        submitReady();
        end = endIfIdle();
      }
      if (end) {
        end();
      }
      return this;
    }

    /** Submits every step whose dependencies have succeeded, unless the run is failing or stopping. */
    private void submitReady() {
      submitReady(false);
    }

    /**
     * Submits every step whose dependencies have succeeded, unless the run is failing or stopping.
     * With {@code keepOne}, the first of them is not submitted but returned, for the calling step
     * thread to run next: a step that waited for the one that just ended starts at once, without
     * waiting for another thread to be woken and scheduled (on a busy machine, milliseconds per
     * step along the run's chain); the others go to the step executor as before.
     */
    private @Nullable StepTask submitReady(boolean keepOne) {
      if (failure != null || crash != null || cancelled || lost != null) {
        return null;
      }
      // The step this thread goes on with is the one the rest of the run most likely waits for: the
      // one with the longest chain of steps after it, and of those a step that buys something (it
      // authorizes the spend, and may step up, before its first request). The others wait for a
      // thread to be woken, which on a busy machine costs milliseconds.
      List<Step<?>> steps = rs.graph().steps();
      Step<?> keep = null;
      if (keepOne) {
        for (Step<?> s : steps) {
          if (!submitted.contains(s.id()) && done.containsAll(s.dependsOn())
              && (keep == null || precedence(s) > precedence(keep))) {
            keep = s;
          }
        }
      }
      StepTask kept = null;
      for (Step<?> s : steps) {
        if (!submitted.contains(s.id()) && done.containsAll(s.dependsOn())) {
          submitted.add(s.id());
          StepTask t = new StepTask(s);
          running.put(s.id(), t);
          if (s == keep) {
            kept = t;
            continue;
          }
          try {
            config.stepExecutor().execute(t);
          } catch (RejectedExecutionException e) {
            running.remove(s.id());
            if (failure == null) {
              failure = e;
              failedStep = s.id();
              rs.failing = true;
            }
            return kept;
          }
        }
      }
      if (!auditPrechecked && submitted.size() == steps.size()) {
        auditPrechecked = true;
        precheckAudit();
      }
      return kept;
    }

    /**
     * Checks the audit log's entries so far on a step thread while the run's last steps wait for their
     * answers, so that the check at the run's end (which the caller waits for) covers only the
     * entries those steps and the end add. Skipped when another check is under way: that one
     * advances the same checkpoint. Its result is not the run's: the check at the end decides, and
     * starts again from the last checkpoint an earlier check reached intact.
     */
    private void precheckAudit() {
      try {
        config.stepExecutor().execute(() -> {
          if (auditVerifying.tryLock()) {
            try {
              verifyAuditLocked();
            } catch (RuntimeException e) {
              LOG.debug("run {}: the audit check ahead of the run's end failed; the end's check decides: {}",
                  rs.run, e.toString());
            } finally {
              auditVerifying.unlock();
            }
          }
        });
      } catch (RejectedExecutionException e) {
        // the executor is shutting down: the check at the end does it all
      }
    }

    /** The longest chain of steps after each step (0 for a step nothing waits for); made once per run. */
    private @Nullable Map<StepId, Integer> after;

    /** Which of several ready steps the ending step's thread runs next: see {@link #submitReady(boolean)}. */
    private int precedence(Step<?> s) {
      Map<StepId, Integer> a = after;
      if (a == null) {
        a = new HashMap<>();
        List<Step<?>> steps = rs.graph().steps();
        // the graph lists a step after those it depends on: walking it backwards, every dependent is known first
        for (int i = steps.size() - 1; i >= 0; i--) {
          int mine = a.getOrDefault(steps.get(i).id(), 0);
          for (StepId d : steps.get(i).dependsOn()) {
            a.merge(d, mine + 1, Math::max);
          }
        }
        after = a;
      }
      Step.Price price = s.price();
      boolean buys = price != null && price.pricing().isPaid();
      return a.getOrDefault(s.id(), 0) * 2 + (buys ? 1 : 0);
    }

    /** Marks the run ended when no step runs; true when the caller must then {@link #end} it. */
    private boolean endIfIdle() {
      if (!running.isEmpty() || ended) {
        return false;
      }
      ended = true;
      return true;
    }

    /**
     * What a step task reports when it has ended, whatever happened to it. Returns a step that became
     * ready, for the reporting thread to run next, or null.
     */
    @Nullable StepTask stepEnded(StepTask task, @Nullable Throwable thrown) {
      boolean end;
      StepTask next;
      synchronized (this) {
        StepId id = task.step.id();
        running.remove(id);
        if (thrown == null) {
          done.add(id);
        } else if (thrown instanceof Error err) {
          if (crash == null) {
            // a crash leaves the journal and the ledger as they were, for resume: exactly what a dead process would
            crash = err;
            rs.stopping = true;
            stopRunning();
          }
        } else if (thrown instanceof RunLeasedException l) {
          if (lost == null) {
            lost = l; // another host runs it now: stop everything here, write nothing more
            rs.stopping = true;
            stopRunning();
          }
        } else if (Parking.Parked.in(thrown) != null) {
          parked.add(Objects.requireNonNull(Parking.Parked.in(thrown)).approvalId());
        } else if (failure == null && crash == null && !cancelled) {
          failure = thrown;
          failedStep = id;
          rs.failing = true;
        }
        next = submitReady(true);
        end = endIfIdle();
      }
      if (end) {
        end();
      }
      return next;
    }

    /**
     * Stops the run (see {@link Started#cancel}); false when it had already ended.
     */
    boolean cancel() {
      boolean end;
      synchronized (this) {
        if (ended || cancelled) {
          return false;
        }
        cancelled = true;
        rs.stopping = true;
        stopRunning();
        end = endIfIdle();
      }
      if (end) {
        end();
      }
      return true;
    }

    /** Drops the steps submitted but not started and interrupts those running; called under the lock. */
    private void stopRunning() {
      running.values().removeIf(t -> {
        if (t.drop()) {
          return true;
        }
        t.interrupt();
        return false;
      });
    }

    /** Ends the run once no step runs (on the thread of the step that ended last, or the canceller's). */
    private void end() {
      R value = null;
      Throwable thrown = null;
      boolean keepLease = false; // a crash, or a lease taken over: leave it as a dead process would
      boolean parkedHere = false;
      events.holdEnds(); // the run's end is heard once it is let go (below), so a listener may resume it at once
      try {
        if (crash != null) {
          // a crash leaves the journal and the ledger as they were, for resume: exactly what a dead process would
          keepLease = true;
          thrown = crash;
        } else if (lost != null || (rs.lease != null && Objects.requireNonNull(rs.lease).lost())) {
          keepLease = true;
          thrown = lost != null ? lost : Objects.requireNonNull(rs.lease).lostException();
        } else if (cancelled) {
          suspend(rs, rec, "cancelled");
          thrown = new CancellationException("run " + rs.run + " was cancelled; resume it with "
              + "AgentProvisioner." + (ChangeCodec.isChange(rec.request()) ? "resumeChange" : "resume") + "("
              + rs.request.agent() + ", " + rs.run + ")");
        } else if (failure != null) {
          services.parking().withdraw(rs.run, "the run failed at step " + failedStep);
          thrown = fail(rs, rec, failedStep, failure, started);
        } else if (!parked.isEmpty()) {
          parkedHere = true;
          thrown = park(rs, rec, parked, started);
        } else {
          leaseCheck(rs);
          value = finish.apply(rs);
        }
      } catch (RunLeasedException e) {
        keepLease = true;
        thrown = e;
      } catch (Throwable t) {
        thrown = t;
      }
      // the lease and this host's claim go before the caller hears of the end, so it may resume at once
      try {
        letGo(keepLease);
        if (parkedHere && !services.parking().waitsForPerson(rs.run)) {
          // decided while this host was still stopping its steps: the decider could not resume it then
          maintenance.resumeInBackground(rs.run);
        }
      } catch (RuntimeException e) {
        LOG.warn("run {}: letting its lease go failed, it expires on its own: {}", rs.run, e.toString());
      } finally {
        events.releaseEnds();
      }
      if (thrown != null) {
        result.completeExceptionally(thrown);
      } else {
        result.complete(value);
      }
    }

    /** Gives the run's lease up (or leaves it to expire after a crash or a takeover) and this host's claim. */
    private void letGo(boolean keepLease) {
      try {
        RunLease l = rs.lease;
        if (l != null) {
          if (keepLease) {
            l.abandon();
          } else {
            l.release();
          }
        }
      } finally {
        executing.remove(rs.run);
      }
    }

    /** One step of the run on the step executor; run at most once, by a thread or not at all (dropped). */
    private final class StepTask implements Runnable {
      private static final int PENDING = 0;
      private static final int RUNNING = 1;
      private static final int DROPPED = 2;

      final Step<?> step;
      private final AtomicInteger state = new AtomicInteger(PENDING);
      private @Nullable Thread thread;

      StepTask(Step<?> step) {
        this.step = step;
      }

      @Override
      public void run() {
        // this thread goes on with a step the one it ran made ready, until none is left for it
        // a step's requests cross this provisioner's barrier, on whatever thread it runs (the caller's too)
        try (DurabilityBarrier.Scope s = config.durability().enter()) {
          StepTask next = this;
          while (next != null) {
            next = next.runOnce();
          }
        }
      }

      /** Runs the step unless it was dropped; returns a step that became ready for this thread to run next. */
      private @Nullable StepTask runOnce() {
        if (!state.compareAndSet(PENDING, RUNNING)) {
          return null;
        }
        synchronized (this) {
          thread = Thread.currentThread();
        }
        Throwable thrown = null;
        try {
          if (rs.stopping || rs.failing) {
            throw new CancellationException("run " + rs.run + " is stopping; step " + step.id() + " not started");
          }
          runStep(rs, step);
        } catch (Throwable t) {
          thrown = t;
        } finally {
          synchronized (this) {
            thread = null;
          }
          // an interrupt aimed at this step must not reach the next task of this thread
          Thread.interrupted();
        }
        return stepEnded(this, thrown);
      }

      /** Takes the step back before any thread started it; false when one has. */
      boolean drop() {
        return state.compareAndSet(PENDING, DROPPED);
      }

      synchronized void interrupt() {
        Thread t = thread;
        if (t != null) {
          t.interrupt();
        }
      }
    }
  }

  private void suspend(RunState rs, RunRecord rec, String why) {
    RunRecord cur = config.journal().run(rs.run).orElse(rec);
    config.journal().saveRun(cur.next(RunStatus.SUSPENDED, why, config.clock().instant()));
    auditor.entry("run.suspended").run(rs.run).agent(rs.request.agent()).principal(rs.principal()).outcome(why).record();
    events.emit(new ProvisioningEvent.RunFinished(config.clock().instant(), rs.run, RunStatus.SUSPENDED,
        Duration.between(rs.startedAt, config.clock().instant()), why));
  }

  /**
   * Runs one step: journals it as running (with its idempotency key, kept from an earlier attempt)
   * before anything else, runs it, settles its spend, and journals its output; or, when it fails,
   * settles what certainly charged nothing and journals the failure.
   */
  private <O extends Record> void runStep(RunState rs, Step<O> s) {
    leaseCheck(rs); // a host that lost the run stops here, before the step's first side effect
    StepRecord cur = config.journal().step(rs.run, s.id()).orElse(null);
    Instant now = config.clock().instant();
    String earlierKey = cur == null ? null : cur.idempotencyKey();
    String key = earlierKey != null ? earlierKey : idempotencyKey(rs, s.id());
    int attempt = cur == null ? 1 : cur.attempts() + 1;
    StepRecord running = (cur == null ? StepRecord.builder(rs.run, s.id()).updatedAt(now) : cur.next(now))
        .status(StepStatus.RUNNING).idempotencyKey(key).attempts(attempt).error(null).build();
    // a step that changes nothing outside before it ends does not wait for its start to reach the disk
    boolean saved = s.changesBeforeItEnds() ? config.journal().saveStep(running)
        : config.journal().saveStepResult(running);
    if (!saved) {
      throw new AgentProvisionException("step " + s.id() + " of run " + rs.run + " is being run by another host", null,
          true);
    }
    StepRun ctx = new StepRun(services, rs, s.id(), s, running);
    events.emit(new ProvisioningEvent.StepStarted(now, rs.run, s.id(), s.description(), attempt));
    try {
      O out = s.run(ctx);
      ctx.spending.settle(true, null);
      String json = OutputCodec.encode(out);
      ctx.journalResult(b -> b.status(StepStatus.SUCCEEDED).output(json));
      rs.outputs.put(s.id(), out);
      events.emit(new ProvisioningEvent.StepFinished(config.clock().instant(), rs.run, s.id(), StepStatus.SUCCEEDED,
          Duration.between(now, config.clock().instant()), s.summary(out)));
    } catch (RuntimeException e) {
      if (rs.stopping) {
        throw e; // cancelled or crashed elsewhere: leave the step as the journal has it
      }
      if (e instanceof RunLeasedException || (rs.lease != null && Objects.requireNonNull(rs.lease).lost())) {
        rs.stopping = true; // another host runs the run now: touch nothing
        throw e;
      }
      Parking.Parked parked = Parking.Parked.in(e);
      if (parked != null) {
        // waiting for a person: the step stays RUNNING with its key; it runs again once they answered
        events.emit(new ProvisioningEvent.StepFinished(config.clock().instant(), rs.run, s.id(), StepStatus.RUNNING,
            Duration.between(now, config.clock().instant()), "waiting for approval " + parked.approvalId()));
        throw parked;
      }
      ctx.spending.settle(false, e);
      ctx.velocity().settle(e);
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      config.journal().saveStep(ctx.record().next(config.clock().instant()).status(StepStatus.FAILED).error(msg).build());
      ctx.audit("step.failed").outcome("failed").key(key).detail("error", e.getClass().getSimpleName())
          .detail("message", msg).record();
      events.emit(new ProvisioningEvent.StepFinished(config.clock().instant(), rs.run, s.id(), StepStatus.FAILED,
          Duration.between(now, config.clock().instant()), msg));
      throw e;
    } finally {
      ctx.done();
    }
  }

  /**
   * The step's idempotency key: derived from the run, the step and the canonical request
   * ({@link RunState#keyIntent}), so it is the same on every retry and resume.
   */
  static String idempotencyKey(RunState rs, StepId step) {
    return "ap_" + Digests.sha256Hex(rs.run + "|" + step + "|" + rs.keyIntent()).substring(0, 40);
  }

  /**
   * The canonical JSON of what a run's request asks for, which every step's idempotency key is
   * derived from ({@link #idempotencyKey}): the provider, the plan, the project, the environment,
   * the domain, the app, and the named services with their configurations.
   */
  static String keyIntent(io.agentprovision.core.ProvisionRequest request) {
    Map<String, Object> intent = new LinkedHashMap<>();
    intent.put("provider", request.provider());
    intent.put("plan", request.plan());
    intent.put("project", request.project());
    intent.put("environment", request.environment());
    intent.put("domain", request.domain() == null ? null : String.valueOf(request.domain()));
    intent.put("app", request.app() == null ? null : request.app().name());
    if (!request.services().isEmpty()) {
      // absent from runs without named services, so their keys stay what they were
      intent.put("services", request.services().stream().map(s -> Map.of("service", s.serviceId(),
          "configuration", s.configuration())).toList());
    }
    return Json.canonical(intent);
  }

  private RuntimeException fail(RunState rs, RunRecord rec, @Nullable StepId failedStep, Throwable failure,
      Instant started) {
    leaseCheck(rs); // the run is another host's now: it decides what to undo
    // a failed step may have failed on a stale catalog (a price or service changed): the next plan reads it again
    planner.invalidate(rs.request.provider());
    List<String> undone = new ArrayList<>();
    List<String> notUndone = new ArrayList<>();
    List<Reservation> uncertain = uncertain(rs);
    // money a provider may have charged cannot be compensated on a guess: the run waits, as it is,
    // for a resume to reconcile it
    boolean suspend = config.failureAction() == FailureAction.SUSPEND || !uncertain.isEmpty();
    String error = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    if (suspend) {
      RunRecord cur = config.journal().run(rs.run).orElse(rec);
      config.journal().saveRun(cur.next(RunStatus.SUSPENDED, error, config.clock().instant()));
      Auditor.Entry e = auditor.entry("run.suspended").run(rs.run).step(failedStep).agent(rs.request.agent())
          .principal(rs.principal()).outcome(uncertain.isEmpty() ? "failed" : "uncertain_spend").detail("error", error);
      if (!uncertain.isEmpty()) {
        e.detail("uncertain", String.join("; ", uncertain.stream().map(r -> r.amount() + " " + r.id()).toList()));
      }
      e.record();
    } else {
      List<Step<?>> order = new ArrayList<>(rs.graph().steps());
      Collections.reverse(order);
      for (Step<?> s : order) {
        if (rs.outputs.has(s.id())) {
          compensate(rs, s, undone, notUndone);
        } else {
          chargedWithoutOutput(rs, s.id(), notUndone);
        }
      }
      RunRecord cur = config.journal().run(rs.run).orElse(rec);
      config.journal().saveRun(cur.next(RunStatus.FAILED, error, config.clock().instant()));
      auditor.entry("run.failed").run(rs.run).step(failedStep).agent(rs.request.agent()).principal(rs.principal())
          .outcome("failed").detail("error", error).detail("undone", String.join("; ", undone))
          .detail("not_undone", String.join("; ", notUndone)).record();
    }
    events.emit(new ProvisioningEvent.RunFinished(config.clock().instant(), rs.run,
        suspend ? RunStatus.SUSPENDED : RunStatus.FAILED, Duration.between(started, config.clock().instant()), error));
    RunFailedException report = new RunFailedException(rs.run, failedStep, failure, undone, notUndone, suspend,
        uncertain);
    if (failure instanceof PolicyViolationException || failure instanceof ApprovalDeniedException
        || failure instanceof IdentityRejectedException || failure instanceof InvalidRequestException
        || failure instanceof VelocityLimitException) {
      // callers catch these by type; the run's report rides along
      failure.addSuppressed(report);
      return (RuntimeException) failure;
    }
    return report;
  }

  /**
   * Says what a step that failed was nevertheless charged (its paid call went through, its answer
   * was lost): the money is committed, and what it bought cannot be undone, since the step never
   * learnt what it made.
   */
  private void chargedWithoutOutput(RunState rs, StepId step, List<String> notUndone) {
    StepRecord rec = config.journal().step(rs.run, step).orElse(null);
    if (rec == null) {
      return;
    }
    for (String id : rec.reservations()) {
      Reservation r = config.ledger().reservation(id).orElse(null);
      if (r != null && r.status() == Reservation.Status.COMMITTED && r.committed() != null) {
        notUndone.add(r.committed() + " was charged for " + r.description() + " although step " + step
            + " failed; what it bought is not undone");
      }
    }
  }

  /** The run's reservations held as uncertain, as the journal lists them step by step. */
  private List<Reservation> uncertain(RunState rs) {
    List<Reservation> out = new ArrayList<>();
    for (StepRecord r : config.journal().steps(rs.run)) {
      for (String id : r.reservations()) {
        config.ledger().reservation(id).filter(x -> x.status() == Reservation.Status.UNCERTAIN).ifPresent(out::add);
      }
    }
    return out;
  }

  private <O extends Record> void compensate(RunState rs, Step<O> s, List<String> undone, List<String> notUndone) {
    StepRecord rec = config.journal().step(rs.run, s.id()).orElse(null);
    if (rec == null) {
      return;
    }
    StepRun ctx = new StepRun(services, rs, s.id(), s, rec);
    try {
      Compensation c = s.compensate(ctx, rs.outputs.get(s.id(), s.outputType()));
      notUndone.addAll(c.notUndone());
      String what = c.undone();
      if (what == null) {
        return;
      }
      undone.add(what);
      ctx.journal(b -> b.status(StepStatus.COMPENSATED));
      ctx.audit("compensated").key(rec.idempotencyKey()).detail("what", what).record();
      events.emit(new ProvisioningEvent.Compensation(config.clock().instant(), rs.run, s.id(), true, what));
    } catch (RuntimeException e) {
      String what = "could not undo " + s.id() + ": " + e.getMessage();
      LOG.warn("run {}: {}", rs.run, what);
      notUndone.add(what);
      ctx.audit("compensated").outcome("failed").key(rec.idempotencyKey())
          .detail("error", String.valueOf(e.getMessage())).record();
      events.emit(new ProvisioningEvent.Compensation(config.clock().instant(), rs.run, s.id(), false, what));
    }
  }

  /** Builds the result from the steps' outputs; on a finishing run, records its end first. */
  private Deployment deployment(RunState rs, boolean finishing) {
    Instant now = config.clock().instant();
    ProvisionRequest req = rs.request;
    Deployment.Builder d = Deployment.builder(rs.run).finishedAt(now);
    URI url = summarise(rs, d);
    Map<String, Money> spent = new LinkedHashMap<>();
    for (Reservation r : config.ledger().reservations(rs.run)) {
      if (r.status() == Reservation.Status.COMMITTED && r.committed() != null) {
        spent.merge(r.committed().currencyCode(), r.committed(), Money::plus);
      }
    }
    d.spent(new ArrayList<>(spent.values()));
    SpendPolicy policy = config.spendPolicy();
    List<LimitUsage> limits = new ArrayList<>();
    for (SpendLimit l : policy.limitsFor(req.agent(), req.provider())) {
      limits.add(config.ledger().usage(l, req.agent(), req.provider(), now, policy.zone()));
    }
    d.limits(limits);
    // a run without an app has no verify step: its services are provisioned and that is its end
    Verification checked = rs.outputs.has(VerifyStep.ID)
        ? rs.outputs.get(VerifyStep.ID, VerifyStep.Checked.class).verification() : null;
    Deployment.Outcome outcome = checked == null ? Deployment.Outcome.PROVISIONED : outcome(checked);
    d.outcome(outcome);
    RunStatus ended = outcome == Deployment.Outcome.DEPLOYED_UNVERIFIED ? RunStatus.DEPLOYED_UNVERIFIED
        : RunStatus.SUCCEEDED;
    if (finishing) {
      RunRecord cur = config.journal().run(rs.run).orElseThrow();
      config.journal().saveRun(cur.next(ended, null, now));
      auditor.entry("run.finished").run(rs.run).agent(req.agent()).principal(rs.principal())
          .amount(spent.size() == 1 ? spent.values().iterator().next() : null)
          .outcome(outcome == Deployment.Outcome.DEPLOYED_UNVERIFIED ? "unverified" : "succeeded")
          .detailIfPresent("url", url == null ? null : url.toString())
          .detailIfPresent("live", checked == null ? null : String.valueOf(checked.live()))
          .detail("deployment", outcome.name()).record();
    }
    List<String> receiptWarnings = new ArrayList<>();
    receiptsOf(rs.run, receiptWarnings);
    receiptWarnings.forEach(d::warning);
    AuditVerification v = verifyAudit();
    d.auditHead(config.audit().head().map(e -> e.hash()).orElse("")).auditVerified(v.valid());
    if (finishing) {
      events.emit(new ProvisioningEvent.RunFinished(config.clock().instant(), rs.run, ended,
          Duration.between(rs.startedAt, config.clock().instant()),
          ended == RunStatus.DEPLOYED_UNVERIFIED ? "the app did not answer at " + url : null));
    }
    return d.build();
  }

  /**
   * Checks the audit chain at a run's end: in full the first time, then only what came after the
   * last entry this engine saw verify.
   */
  AuditVerification verifyAudit() {
    // one at a time: runs ending together would each check the same new entries from the same
    // checkpoint; in turn, each starts where the one before it got to
    auditVerifying.lock();
    try {
      return verifyAuditLocked();
    } finally {
      auditVerifying.unlock();
    }
  }

  /** {@link #verifyAudit()} with {@code auditVerifying} held by the caller. */
  private AuditVerification verifyAuditLocked() {
    AuditCheckpoint trusted = auditVerified.get();
    AuditVerification v = trusted == null ? config.audit().verify()
        : config.audit().verifyAfter(trusted.sequence(), trusted.hash());
    String verifiedHead = v.head();
    if (v.valid() && verifiedHead != null) {
      AuditCheckpoint seen = new AuditCheckpoint(v.entries(), verifiedHead);
      auditVerified.accumulateAndGet(seen, (a, b) -> a == null || b.sequence() > a.sequence() ? b : a);
    }
    return v;
  }

  /**
   * Fills in what the steps produced: account, resources, domain, tokens, app and its check; returns
   * the app's URL, or null for a run without an app.
   */
  private static @Nullable URI summarise(RunState rs, Deployment.Builder d) {
    ProviderAccount a = rs.outputs.get(AccountStep.ID, AccountStep.Linked.class).account();
    d.account(new Deployment.AccountSummary(a.provider(), a.accountId(), a.displayName(), a.email(),
        Deployment.AccountSummary.LinkAction.valueOf(a.linkAction().name())));
    for (Step<?> s : rs.graph().steps()) {
      Record out = rs.outputs.find(s.id(), s.outputType());
      if (out instanceof ProvisionedResource r) {
        d.resource(r.resourceSummary());
      }
    }
    DomainStep.Registered domain = rs.outputs.find(DomainStep.ID, DomainStep.Registered.class);
    d.domain(domain == null ? null : domain.domain());
    if (!rs.request.hasApp()) {
      return null; // provisioned only: no token, app or check
    }
    d.token(rs.outputs.get(CredentialsStep.ID, CredentialsStep.Issued.class).token());
    var app = rs.outputs.get(DeployStep.ID, DeployStep.Deployed.class).app();
    var ver = rs.outputs.get(VerifyStep.ID, VerifyStep.Checked.class).verification();
    d.url(app.primaryUrl()).providerUrl(app.url());
    d.verification(new Deployment.AppCheck(ver.url(), ver.live(), ver.status(), ver.bodyExcerpt(), ver.note()));
    if (ver.result() == Verification.Result.NO_RUNTIME) {
      d.warning("the app was deployed but not run here: " + ver.note());
    } else if (ver.result() == Verification.Result.NOT_ANSWERING) {
      d.warning("the app was deployed but did not answer at " + ver.url() + " ("
          + (ver.status() > 0 ? "HTTP " + ver.status() : "no answer") + (ver.note() != null ? ": " + ver.note() : "")
          + "); resume the run to check again");
    }
    return app.primaryUrl();
  }

  /** Refuses a change run where a deployment's run is meant: its journaled request is of another kind. */
  private static void notAChange(RunRecord rec) {
    if (ChangeCodec.isChange(rec.request())) {
      throw new InvalidRequestException("runId", "run " + rec.id() + " is a change to a deployment, not a deployment",
          "resume it with AgentProvisioner.resumeChange(agent, runId); pass a deployment's run id here");
    }
  }

  /** How a run that deployed everything ended, by what the check of the app found. */
  private static Deployment.Outcome outcome(Verification v) {
    return switch (v.result()) {
      case LIVE -> Deployment.Outcome.LIVE;
      case NO_RUNTIME -> Deployment.Outcome.DEPLOYED_NOT_RUN;
      case NOT_ANSWERING -> Deployment.Outcome.DEPLOYED_UNVERIFIED;
    };
  }

  /** A finished run rebuilt from the journal, without reading the catalog. */
  private RunState finishedRun(RunId run) {
    RunRecord rec = config.journal().run(run).orElseThrow(() -> new InvalidRequestException("runId",
        "no run " + run + " in the journal", "pass the id of a run this journal recorded"));
    notAChange(rec);
    if (rec.status() != RunStatus.SUCCEEDED && rec.status() != RunStatus.DEPLOYED_UNVERIFIED) {
      throw new InvalidRequestException("runId", "run " + run + " is " + rec.status() + ", not finished",
          "rotate the credentials of a run that finished");
    }
    ProvisionRequest req = RequestCodec.decode(rec.request(), run, config.vault());
    if (!req.hasApp()) {
      throw new InvalidRequestException("runId", "run " + run + " deployed no app, so it has no deploy token",
          "read the credentials of its resources with AgentProvisioner.env(agent, runId)");
    }
    RunPlan plan = new RunPlan(run, req, new Catalog(ProviderInfo.named(req.provider()), List.of()),
        StepGraph.builder().build(), List.of(), rec.createdAt());
    RunState rs = new RunState(run, req, plan, true, rec.createdAt());
    load(rs);
    return rs;
  }

  public DeployCredentials deployCredentials(RunId run) {
    RunState rs = finishedRun(run);
    return notRevoked(run, rs.outputs.get(CredentialsStep.ID, CredentialsStep.Issued.class))
        .credentials(config.vault());
  }

  private static CredentialsStep.Issued notRevoked(RunId run, CredentialsStep.Issued issued) {
    if (issued.revokedAt() != null) {
      throw new InvalidRequestException("runId", "the deploy token of run " + run + " was revoked at "
          + issued.revokedAt(), "start a new run to get a new deploy token");
    }
    return issued;
  }

  /** The pseudo-step under which a rotation of a run's deploy token is journaled. */
  private static final StepId ROTATE = StepId.of("rotate-credentials");

  /** What a rotation journals: the new token and the one it replaced. */
  record Rotated(String tokenId, String previousTokenId) {}

  /** Rolls a finished run's deploy token and replaces it in the vault and the journal. */
  public Deployment.TokenSummary rotate(RunId run) {
    RunState rs = finishedRun(run);
    StepRecord credRec = config.journal().step(run, CredentialsStep.ID).orElseThrow();
    CredentialsStep.Issued issued = notRevoked(run, rs.outputs.get(CredentialsStep.ID, CredentialsStep.Issued.class));
    DeployCredentials current = issued.credentials(config.vault());
    StepRecord prev = config.journal().step(run, ROTATE).orElse(null);
    int attempt = prev == null ? 1 : prev.attempts() + 1;
    Instant now = config.clock().instant();
    String key = "ap_rot_" + idempotencyKey(rs, StepId.of("rotate-" + current.tokenId() + "-" + attempt)).substring(3);
    StepRecord running = (prev == null ? StepRecord.builder(run, ROTATE).updatedAt(now) : prev.next(now))
        .status(StepStatus.RUNNING).idempotencyKey(key).attempts(attempt).output(null).progress(null).error(null)
        .reservations(List.of()).decisions(List.of()).build();
    if (!config.journal().saveStep(running)) {
      throw new AgentProvisionException("the credentials of run " + run + " are being rotated elsewhere", null, true);
    }
    StepRun ctx = new StepRun(services, rs, ROTATE, null, running);
    DeployCredentials next;
    try {
      // renewed for the run's token lifetime, so that rotating before expiry keeps the app deployable
      next = ctx.deployer().rotate(new RotationRequest(current, CredentialsStep.broad(config.vault(), run),
          rs.request.token().ttl()), ctx);
    } catch (RuntimeException e) {
      ctx.journal(b -> b.status(StepStatus.FAILED).error(String.valueOf(e.getMessage())));
      throw e;
    }
    CredentialsStep.Issued renewed = issued.rotated(next);
    renewed.store(config.vault(), next.token(), config.clock());
    String renewedJson = OutputCodec.encode(renewed);
    config.journal().saveStep(credRec.next(config.clock().instant()).output(renewedJson).build());
    String rotatedJson = OutputCodec.encode(new Rotated(next.tokenId(), current.tokenId()));
    ctx.journal(b -> b.status(StepStatus.SUCCEEDED).output(rotatedJson));
    ctx.audit("credentials.rotated").key(key).detail("token", next.tokenId()).detail("previous_token", current.tokenId())
        .detail("expires_at", String.valueOf(next.expiresAt())).record();
    return renewed.token();
  }

  /** The pseudo-step under which a revocation of a run's deploy token is journaled. */
  private static final StepId REVOKE = StepId.of("revoke-credentials");

  /** What a revocation journals: the token deleted at the provider. */
  record Revoked(String tokenId, Instant revokedAt) {}

  /**
   * Deletes a finished run's deploy token at the provider and from the vault, and marks it revoked in
   * the journal: it is rotated no more, and {@link #deployCredentials} refuses it. Revoking a revoked
   * token does nothing more.
   */
  public Deployment.TokenSummary revoke(RunId run, String reason) {
    RunState rs = finishedRun(run);
    StepRecord credRec = config.journal().step(run, CredentialsStep.ID).orElseThrow();
    CredentialsStep.Issued issued = rs.outputs.get(CredentialsStep.ID, CredentialsStep.Issued.class);
    if (issued.revokedAt() != null) {
      return issued.token();
    }
    DeployCredentials current = issued.credentials(config.vault());
    StepRecord prev = config.journal().step(run, REVOKE).orElse(null);
    int attempt = prev == null ? 1 : prev.attempts() + 1;
    Instant now = config.clock().instant();
    String key = "ap_rev_" + idempotencyKey(rs, StepId.of("revoke-" + current.tokenId())).substring(3);
    StepRecord running = (prev == null ? StepRecord.builder(run, REVOKE).updatedAt(now) : prev.next(now))
        .status(StepStatus.RUNNING).idempotencyKey(key).attempts(attempt).output(null).progress(null).error(null)
        .reservations(List.of()).decisions(List.of()).build();
    if (!config.journal().saveStep(running)) {
      throw new AgentProvisionException("the credentials of run " + run + " are being revoked elsewhere", null, true);
    }
    StepRun ctx = new StepRun(services, rs, REVOKE, null, running);
    try {
      ctx.deployer().revoke(current, CredentialsStep.broad(config.vault(), run), ctx);
    } catch (RuntimeException e) {
      ctx.journal(b -> b.status(StepStatus.FAILED).error(String.valueOf(e.getMessage())));
      ctx.audit("credentials.revoked").outcome("failed").key(key).detail("token", current.tokenId())
          .detail("error", e.getClass().getSimpleName()).record();
      throw e;
    }
    config.vault().delete(issued.vaultKey());
    Instant revokedAt = config.clock().instant();
    CredentialsStep.Issued revoked = issued.revoked(revokedAt);
    config.journal().saveStep(credRec.next(revokedAt).output(OutputCodec.encode(revoked)).build());
    String revokedJson = OutputCodec.encode(new Revoked(current.tokenId(), revokedAt));
    ctx.journal(b -> b.status(StepStatus.SUCCEEDED).output(revokedJson));
    ctx.audit("credentials.revoked").key(key).detail("token", current.tokenId()).detail("reason", reason).record();
    return revoked.token();
  }

  /** Finished runs whose deploy token expires within {@code window} and was not revoked. */
  public List<RunId> dueForRotation(Duration window) {
    Instant limit = config.clock().instant().plus(window);
    List<RunId> out = new ArrayList<>();
    for (RunRecord r : config.journal().runs(RunStatus.SUCCEEDED, RunStatus.DEPLOYED_UNVERIFIED)) {
      StepRecord c = config.journal().step(r.id(), CredentialsStep.ID).orElse(null);
      String json = c == null ? null : c.output();
      if (json == null) {
        continue;
      }
      CredentialsStep.Issued issued = OutputCodec.decode(json, CredentialsStep.Issued.class, r.id(), CredentialsStep.ID);
      Instant exp = issued.expiresAt();
      if (issued.revokedAt() == null && exp != null && exp.isBefore(limit)) {
        out.add(r.id());
      }
    }
    return out;
  }
}
