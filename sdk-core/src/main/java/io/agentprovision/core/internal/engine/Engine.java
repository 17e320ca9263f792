package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.ApprovalDeniedException;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.IdentityRejectedException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.PolicyViolationException;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.SpendLimit;
import io.agentprovision.core.SpendPolicy;
import io.agentprovision.core.StepId;
import io.agentprovision.core.internal.json.Json;
import io.agentprovision.core.spi.AuditVerification;
import io.agentprovision.core.spi.Catalog;
import io.agentprovision.core.spi.LimitUsage;
import io.agentprovision.core.spi.Reservation;
import io.agentprovision.core.spi.RunRecord;
import io.agentprovision.core.spi.RunStatus;
import io.agentprovision.core.spi.StepRecord;
import io.agentprovision.core.spi.StepStatus;
import io.agentprovision.core.spi.Verification;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans, executes and resumes runs: the step graph on the step executor (independent steps
 * concurrently), every step journaled before its first side effect, failures compensated or
 * suspended, and the {@link Deployment} assembled from what the steps produced.
 */
public final class Engine {
  private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

  private final EngineConfig config;
  private final Events events;
  private final Auditor auditor;
  private final Checkpoints checkpoints;
  private final Planner planner;
  private final StepActions actions;
  /**
   * The last audit entry this engine saw verify: each run's end checks only what came after it, so
   * the check does not grow with the log (a full {@code audit().verify()} remains available).
   */
  private final java.util.concurrent.atomic.AtomicReference<AuditCheckpoint> auditVerified =
      new java.util.concurrent.atomic.AtomicReference<>();

  private record AuditCheckpoint(long sequence, String hash) {}

  public Engine(EngineConfig config) {
    this.config = config;
    this.events = new Events(config.listeners());
    this.auditor = new Auditor(config.audit(), config.clock());
    this.checkpoints = new Checkpoints(config, events, auditor);
    this.planner = new Planner(config);
    this.actions = new StepActions(config, auditor);
  }

  public EngineConfig config() {
    return config;
  }

  public Catalog catalog(String provider) {
    return planner.catalog(provider);
  }

  /** Puts a checkpoint to the gate outside any run (such as raising a limit). */
  public io.agentprovision.core.spi.ApprovalDecision checkpoint(io.agentprovision.core.AgentId agent,
      io.agentprovision.core.@Nullable Principal principal, io.agentprovision.core.spi.CheckpointRequest request) {
    return checkpoints.ask(null, null, agent, principal, request);
  }

  /** Appends an audit entry outside any run. */
  public void audit(String action, io.agentprovision.core.AgentId agent, @Nullable String approver, @Nullable Money amount,
      String outcome, Map<String, String> details) {
    auditor.record(null, null, action, agent, null, approver, amount, outcome, null, details);
  }

  public ProvisionPlan plan(ProvisionRequest request) {
    RunId run = request.runId() != null ? request.runId() : RunId.of(config.ids().next("run"));
    return planner.plan(request, run);
  }

  public Deployment execute(ProvisionPlan plan) {
    RunRecord existing = config.journal().run(plan.runId()).orElse(null);
    if (existing != null) {
      return resume(existing.id());
    }
    ProvisionRequest req = plan.request();
    PolicyViolationException refused = plan.allowed() ? null : planner.violation(plan);
    if (refused != null) {
      auditor.record(plan.runId(), null, "run.refused", req.agent(), null, null, refused.requested(), "denied", null,
          Map.of("limit", refused.limit(), "reason", String.valueOf(refused.getMessage())));
      throw refused;
    }
    Instant now = config.clock().instant();
    RunRecord rec = new RunRecord(plan.runId(), req.agent(), req.provider(), RunStatus.RUNNING,
        RequestCodec.encode(req, plan.runId(), config.vault(), config.clock()), now, now, null, 0);
    if (!config.journal().saveRun(rec)) {
      return resume(plan.runId());
    }
    auditor.record(plan.runId(), null, "run.started", req.agent(), null, null, null, "ok", null,
        Map.of("provider", req.provider(), "plan", String.valueOf(req.plan()), "app", req.app().name(),
            "orchestrator", config.orchestrator().name()));
    return runLoop(new RunState(plan.runId(), req, plan, false, now), rec);
  }

  public Deployment resume(RunId run) {
    RunRecord rec = config.journal().run(run).orElseThrow(() -> new InvalidRequestException("runId",
        "no run " + run + " in the journal", "pass the id of a run this journal recorded (AgentProvisioner.runs())"));
    ProvisionRequest req = RequestCodec.decode(rec.request(), run, config.vault());
    ProvisionPlan plan = planner.plan(req, run);
    RunState rs = new RunState(run, req, plan, true, rec.createdAt());
    if (rec.status() == RunStatus.SUCCEEDED) {
      load(rs);
      return deployment(rs, false);
    }
    if (rec.status() == RunStatus.FAILED) {
      throw new InvalidRequestException("runId", "run " + run + " failed and was compensated (" + rec.error() + ")",
          "start a new run with the same request");
    }
    RunRecord next = rec.next(RunStatus.RUNNING, null, config.clock().instant());
    if (!config.journal().saveRun(next)) {
      throw new AgentProvisionException("run " + run + " is being resumed by another host", null, true);
    }
    auditor.record(run, null, "run.resumed", req.agent(), null, null, null, "ok", null,
        Map.of("previous_status", rec.status().name()));
    return runLoop(rs, next);
  }

  /** Loads what finished steps produced (on resume), restoring the principal and approved quotes. */
  private Set<StepId> load(RunState rs) {
    Set<StepId> done = new HashSet<>();
    for (StepRecord r : config.journal().steps(rs.run)) {
      if (r.status() != StepStatus.SUCCEEDED) {
        continue;
      }
      done.add(r.step());
      rs.outputs.put(r.step(), r.outputs());
      if (r.step().equals(StepIds.IDENTITY)) {
        rs.principal.set(Outputs.principal(r.outputs()));
      } else if (r.step().equals(StepIds.APPROVAL)) {
        r.outputs().forEach((k, v) -> {
          if (k.startsWith("approved.")) {
            rs.approvedQuotes.put(StepId.of(k.substring("approved.".length())), Money.parse(v));
          }
        });
      }
    }
    return done;
  }

  private Deployment runLoop(RunState rs, RunRecord rec) {
    Instant started = config.clock().instant();
    events.emit(new ProvisioningEvent.RunStarted(started, rs.run, rs.request.agent(), rs.request.provider(), rs.resumed));
    Set<StepId> done = load(rs);
    for (StepId d : done) {
      events.emit(new ProvisioningEvent.StepFinished(config.clock().instant(), rs.run, d, StepStatus.SKIPPED,
          Duration.ZERO, "done before the resume"));
    }
    Map<StepId, PlannedStep> steps = new LinkedHashMap<>();
    for (PlannedStep s : rs.plan.steps()) {
      steps.put(s.id(), s);
    }
    ExecutorCompletionService<StepId> ecs = new ExecutorCompletionService<>(config.stepExecutor());
    Map<Future<StepId>, StepId> running = new HashMap<>();
    Set<StepId> started0 = new HashSet<>(done);
    Throwable failure = null;
    StepId failedStep = null;
    Error crash = null;
    InFlight inFlight = new InFlight();
    while (true) {
      if (failure == null && crash == null) {
        for (PlannedStep s : steps.values()) {
          if (!started0.contains(s.id()) && done.containsAll(s.dependsOn())) {
            started0.add(s.id());
            running.put(ecs.submit(() -> {
              // counted from the moment it runs: a task cancelled before it started never runs and never counts
              inFlight.enter();
              try {
                if (rs.stopping || rs.failing) {
                  throw new CancellationException("run " + rs.run + " is stopping; step " + s.id() + " not started");
                }
                runStep(rs, s);
                return s.id();
              } finally {
                inFlight.exit();
              }
            }), s.id());
          }
        }
      }
      if (running.isEmpty()) {
        break;
      }
      Future<StepId> f;
      try {
        f = ecs.take();
      } catch (InterruptedException e) {
        stop(rs, running, inFlight);
        suspend(rs, rec, "cancelled");
        Thread.currentThread().interrupt();
        throw new CancellationException("run " + rs.run + " was cancelled; resume it with AgentProvisioner.resume("
            + rs.run + ")");
      }
      StepId id = running.remove(f);
      try {
        f.get();
        done.add(id);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Error err) {
          if (crash == null) {
            crash = err;
            stop(rs, running, inFlight);
            running.clear();
          }
        } else if (failure == null) {
          failure = cause;
          failedStep = id;
          rs.failing = true;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop(rs, running, inFlight);
        suspend(rs, rec, "cancelled");
        throw new CancellationException("run " + rs.run + " was cancelled");
      }
    }
    if (crash != null) {
      // a crash leaves the journal and the ledger as they were, for resume: exactly what a dead process would
      throw crash;
    }
    if (failure != null) {
      throw fail(rs, rec, steps, failedStep, failure, started);
    }
    return deployment(rs, true);
  }

  /**
   * Counts step tasks executing, so that a cancel or a crash can wait for them to leave the journal
   * and ledger consistent. A task enters when it starts and checks {@code stopping} after entering,
   * so once {@link #awaitNone} returns no task does anything more.
   */
  private static final class InFlight {
    private int n;

    synchronized void enter() {
      n++;
    }

    synchronized void exit() {
      n--;
      notifyAll();
    }

    synchronized void awaitNone() {
      boolean interrupted = Thread.interrupted();
      while (n > 0) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void stop(RunState rs, Map<Future<StepId>, StepId> running, InFlight inFlight) {
    rs.stopping = true;
    for (Future<StepId> f : running.keySet()) {
      f.cancel(true);
    }
    inFlight.awaitNone();
  }

  private void suspend(RunState rs, RunRecord rec, String why) {
    RunRecord cur = config.journal().run(rs.run).orElse(rec);
    config.journal().saveRun(cur.next(RunStatus.SUSPENDED, why, config.clock().instant()));
    auditor.record(rs.run, null, "run.suspended", rs.request.agent(), rs.principal.get(), null, null, why, null, Map.of());
    events.emit(new ProvisioningEvent.RunFinished(config.clock().instant(), rs.run, RunStatus.SUSPENDED,
        Duration.between(rs.startedAt, config.clock().instant()), why));
  }

  private void runStep(RunState rs, PlannedStep s) throws Exception {
    StepRecord cur = config.journal().step(rs.run, s.id()).orElse(null);
    Instant now = config.clock().instant();
    String key = cur != null && cur.idempotencyKey() != null ? cur.idempotencyKey() : idempotencyKey(rs, s.id());
    int attempt = cur == null ? 1 : cur.attempts() + 1;
    StepRecord running = cur == null
        ? new StepRecord(rs.run, s.id(), StepStatus.RUNNING, key, 1, Map.of(), null, now, 0)
        : new StepRecord(rs.run, s.id(), StepStatus.RUNNING, key, attempt, cur.outputs(), null, now, cur.version() + 1);
    if (!config.journal().saveStep(running)) {
      throw new AgentProvisionException("step " + s.id() + " of run " + rs.run + " is being run by another host", null, true);
    }
    EngineContext ctx = new EngineContext(config, rs, s.id(), events, auditor, checkpoints, running);
    events.emit(new ProvisioningEvent.StepStarted(now, rs.run, s.id(), s.description(), attempt));
    try {
      Map<String, String> out = actions.run(s, rs, ctx);
      ctx.settle(true, null);
      Map<String, String> merged = new LinkedHashMap<>(ctx.record().outputs());
      merged.putAll(out);
      StepRecord fin = ctx.record().next(StepStatus.SUCCEEDED, attempt, merged, null, config.clock().instant());
      if (!config.journal().saveStep(fin)) {
        throw new AgentProvisionException("step " + s.id() + " of run " + rs.run + " was changed by another host", null,
            false);
      }
      rs.outputs.put(s.id(), merged);
      events.emit(new ProvisioningEvent.StepFinished(config.clock().instant(), rs.run, s.id(), StepStatus.SUCCEEDED,
          Duration.between(now, config.clock().instant()), summary(s, merged)));
    } catch (Exception e) {
      if (rs.stopping) {
        throw e; // cancelled or crashed elsewhere: leave the step as the journal has it
      }
      ctx.settle(false, e);
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      config.journal().saveStep(ctx.record().next(StepStatus.FAILED, attempt, ctx.record().outputs(), msg,
          config.clock().instant()));
      auditor.record(rs.run, s.id(), "step.failed", rs.request.agent(), rs.principal.get(), null, null, "failed", key,
          Map.of("error", e.getClass().getSimpleName(), "message", msg));
      events.emit(new ProvisioningEvent.StepFinished(config.clock().instant(), rs.run, s.id(), StepStatus.FAILED,
          Duration.between(now, config.clock().instant()), msg));
      throw e;
    }
  }

  private static @Nullable String summary(PlannedStep s, Map<String, String> out) {
    switch (s.kind()) {
      case IDENTITY:
        return out.get("email");
      case ACCOUNT:
        return out.get("account_id") + " (" + out.get("link_action") + ")";
      case PLAN:
      case RESOURCE:
        return out.get("resource_id") + (out.get("charged") != null ? " for " + out.get("charged") : "");
      case DOMAIN:
        return out.get("domain") + (out.get("charged") != null ? " for " + out.get("charged") : "");
      case CREDENTIALS:
        return "token " + out.get("token_id") + " expires " + out.get("expires_at");
      case DEPLOY:
        return out.get("custom_url") != null ? out.get("custom_url") : out.get("url");
      case VERIFY:
        return "live=" + out.get("live") + " status=" + out.get("status");
      default:
        return null;
    }
  }

  /** The step's idempotency key: derived from the run, the step and the canonical request, so it is the same on every retry and resume. */
  private static String idempotencyKey(RunState rs, StepId step) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update((rs.run + "|" + step + "|").getBytes(StandardCharsets.UTF_8));
      Map<String, Object> intent = new LinkedHashMap<>();
      intent.put("provider", rs.request.provider());
      intent.put("plan", rs.request.plan());
      intent.put("project", rs.request.project());
      intent.put("environment", rs.request.environment());
      intent.put("domain", rs.request.domain() == null ? null : rs.request.domain().toString());
      intent.put("app", rs.request.app().name());
      md.update(Json.canonical(intent).getBytes(StandardCharsets.UTF_8));
      return "ap_" + HexFormat.of().formatHex(md.digest()).substring(0, 40);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private RuntimeException fail(RunState rs, RunRecord rec, Map<StepId, PlannedStep> steps, @Nullable StepId failedStep,
      Throwable failure, Instant started) {
    List<String> undone = new ArrayList<>();
    List<String> notUndone = new ArrayList<>();
    boolean suspend = config.failureAction() == FailureAction.SUSPEND;
    String error = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    if (suspend) {
      RunRecord cur = config.journal().run(rs.run).orElse(rec);
      config.journal().saveRun(cur.next(RunStatus.SUSPENDED, error, config.clock().instant()));
      auditor.record(rs.run, failedStep, "run.suspended", rs.request.agent(), rs.principal.get(), null, null, "failed",
          null, Map.of("error", error));
    } else {
      List<PlannedStep> order = new ArrayList<>(steps.values());
      java.util.Collections.reverse(order);
      for (PlannedStep s : order) {
        if (!rs.outputs.containsKey(s.id())) {
          continue;
        }
        compensate(rs, s, undone, notUndone);
      }
      RunRecord cur = config.journal().run(rs.run).orElse(rec);
      config.journal().saveRun(cur.next(RunStatus.FAILED, error, config.clock().instant()));
      auditor.record(rs.run, failedStep, "run.failed", rs.request.agent(), rs.principal.get(), null, null, "failed", null,
          Map.of("error", error, "undone", String.join("; ", undone), "not_undone", String.join("; ", notUndone)));
    }
    events.emit(new ProvisioningEvent.RunFinished(config.clock().instant(), rs.run,
        suspend ? RunStatus.SUSPENDED : RunStatus.FAILED, Duration.between(started, config.clock().instant()), error));
    RunFailedException report = new RunFailedException(rs.run, failedStep, failure, undone, notUndone, suspend);
    if (failure instanceof PolicyViolationException || failure instanceof ApprovalDeniedException
        || failure instanceof IdentityRejectedException || failure instanceof InvalidRequestException) {
      // callers catch these by type; the run's report rides along
      failure.addSuppressed(report);
      return (RuntimeException) failure;
    }
    return report;
  }

  private void compensate(RunState rs, PlannedStep s, List<String> undone, List<String> notUndone) {
    StepRecord rec = config.journal().step(rs.run, s.id()).orElse(null);
    if (rec == null) {
      return;
    }
    EngineContext ctx = new EngineContext(config, rs, s.id(), events, auditor, checkpoints, rec);
    try {
      String what = actions.compensate(s, rs, ctx, notUndone);
      if (what == null) {
        return;
      }
      undone.add(what);
      config.journal().saveStep(ctx.record().next(StepStatus.COMPENSATED, rec.attempts(), ctx.record().outputs(), null,
          config.clock().instant()));
      auditor.record(rs.run, s.id(), "compensated", rs.request.agent(), rs.principal.get(), null, null, "ok",
          rec.idempotencyKey(), Map.of("what", what));
      events.emit(new ProvisioningEvent.Compensation(config.clock().instant(), rs.run, s.id(), true, what));
    } catch (RuntimeException e) {
      String what = "could not undo " + s.id() + ": " + e.getMessage();
      LOG.warn("run {}: {}", rs.run, what);
      notUndone.add(what);
      auditor.record(rs.run, s.id(), "compensated", rs.request.agent(), rs.principal.get(), null, null, "failed",
          rec.idempotencyKey(), Map.of("error", String.valueOf(e.getMessage())));
      events.emit(new ProvisioningEvent.Compensation(config.clock().instant(), rs.run, s.id(), false, what));
    }
  }

  /** Builds the result from the steps' outputs; on a finishing run, records its end first. */
  private Deployment deployment(RunState rs, boolean finishing) {
    Instant now = config.clock().instant();
    ProvisionRequest req = rs.request;
    Map<String, String> dep = rs.outputs(StepIds.DEPLOY);
    Map<String, String> ver = rs.outputs(StepIds.VERIFY);
    URI providerUrl = URI.create(dep.get("url"));
    URI url = dep.get("custom_url") != null ? URI.create(dep.get("custom_url")) : providerUrl;
    boolean live = Boolean.parseBoolean(ver.get("live"));
    Verification verification = new Verification(URI.create(ver.get("url")), live, Integer.parseInt(ver.get("status")),
        ver.get("excerpt"), ver.get("note"));
    List<String> warnings = new ArrayList<>();
    if (!live && ver.get("note") != null) {
      warnings.add("the app was deployed but not run here: " + ver.get("note"));
    }
    List<Deployment.ResourceSummary> resources = new ArrayList<>();
    for (StepId id : List.of(StepIds.PLAN, StepIds.RESOURCE, StepIds.DOMAIN)) {
      Map<String, String> o = rs.outputs.get(id);
      if (o != null) {
        resources.add(new Deployment.ResourceSummary(o.get("service_id"), o.get("resource_id"),
            o.containsKey("domain") ? o.get("domain") : o.get("name"),
            o.get("charged") == null ? null : Money.parse(o.get("charged"))));
      }
    }
    Map<String, Money> spent = new LinkedHashMap<>();
    for (Reservation r : config.ledger().reservations(rs.run)) {
      if (r.status() == Reservation.Status.COMMITTED && r.committed() != null) {
        spent.merge(r.committed().currencyCode(), r.committed(), Money::plus);
      }
    }
    SpendPolicy policy = config.policy().get();
    List<LimitUsage> limits = new ArrayList<>();
    for (SpendLimit l : policy.limitsFor(req.agent(), req.provider())) {
      limits.add(config.ledger().usage(l, req.agent(), req.provider(), now, policy.zone()));
    }
    Map<String, String> cred = rs.outputs(StepIds.CREDENTIALS);
    List<Deployment.TokenSummary> tokens = List.of(new Deployment.TokenSummary(cred.get("token_id"), cred.get("vault_key"),
        Outputs.list(cred.get("permissions")), Outputs.list(cred.get("allowed_ips")),
        cred.get("expires_at") == null ? null : Instant.parse(cred.get("expires_at"))));
    if (finishing) {
      RunRecord cur = config.journal().run(rs.run).orElseThrow();
      config.journal().saveRun(cur.next(RunStatus.SUCCEEDED, null, now));
      auditor.record(rs.run, null, "run.finished", req.agent(), rs.principal.get(), null,
          spent.size() == 1 ? spent.values().iterator().next() : null, "ok", null,
          Map.of("url", url.toString(), "live", String.valueOf(live)));
    }
    AuditCheckpoint trusted = auditVerified.get();
    AuditVerification v = trusted == null ? config.audit().verify()
        : config.audit().verifyAfter(trusted.sequence(), trusted.hash());
    if (v.valid() && v.head() != null) {
      AuditCheckpoint now0 = new AuditCheckpoint(v.entries(), v.head());
      auditVerified.accumulateAndGet(now0, (a, b) -> a == null || b.sequence() > a.sequence() ? b : a);
    }
    String head = config.audit().head().map(e -> e.hash()).orElse("");
    if (finishing) {
      events.emit(new ProvisioningEvent.RunFinished(config.clock().instant(), rs.run, RunStatus.SUCCEEDED,
          Duration.between(rs.startedAt, config.clock().instant()), null));
    }
    return new Deployment(rs.run, url, providerUrl, StepActions.domainName(rs), StepActions.account(rs), resources,
        new ArrayList<>(spent.values()), limits, tokens, verification, head, v.valid(), warnings, now);
  }

  /** A finished run rebuilt from the journal, without reading the catalog. */
  private RunState finishedRun(RunId run) {
    RunRecord rec = config.journal().run(run).orElseThrow(() -> new InvalidRequestException("runId",
        "no run " + run + " in the journal", "pass the id of a run this journal recorded"));
    if (rec.status() != RunStatus.SUCCEEDED) {
      throw new InvalidRequestException("runId", "run " + run + " is " + rec.status() + ", not finished",
          "rotate the credentials of a run that finished");
    }
    ProvisionRequest req = RequestCodec.decode(rec.request(), run, config.vault());
    ProvisionPlan plan = new ProvisionPlan(run, req, new Catalog(io.agentprovision.core.spi.ProviderInfo.named(
        req.provider()), List.of()), List.of(), rec.createdAt(), List.of());
    RunState rs = new RunState(run, req, plan, true, rec.createdAt());
    load(rs);
    return rs;
  }

  public io.agentprovision.core.spi.DeployCredentials deployCredentials(RunId run) {
    RunState rs = finishedRun(run);
    return Outputs.credentials(rs.outputs(StepIds.CREDENTIALS), config.vault());
  }

  /** Rolls a finished run's deploy token and replaces it in the vault and the journal. */
  public Deployment.TokenSummary rotate(RunId run) {
    RunState rs = finishedRun(run);
    StepRecord credRec = config.journal().step(run, StepIds.CREDENTIALS).orElseThrow();
    io.agentprovision.core.spi.DeployCredentials current = Outputs.credentials(credRec.outputs(), config.vault());
    StepId rotateStep = StepId.of("rotate-credentials");
    StepRecord prev = config.journal().step(run, rotateStep).orElse(null);
    int attempt = prev == null ? 1 : prev.attempts() + 1;
    Instant now = config.clock().instant();
    String key = "ap_rot_" + idempotencyKey(rs, StepId.of("rotate-" + current.tokenId() + "-" + attempt)).substring(3);
    StepRecord running = prev == null
        ? new StepRecord(run, rotateStep, StepStatus.RUNNING, key, attempt, Map.of(), null, now, 0)
        : new StepRecord(run, rotateStep, StepStatus.RUNNING, key, attempt, Map.of(), null, now, prev.version() + 1);
    if (!config.journal().saveStep(running)) {
      throw new AgentProvisionException("the credentials of run " + run + " are being rotated elsewhere", null, true);
    }
    EngineContext ctx = new EngineContext(config, rs, rotateStep, events, auditor, checkpoints, running);
    io.agentprovision.core.spi.DeployCredentials next;
    try {
      // renewed for the run's token lifetime, so that rotating before expiry keeps the app deployable
      next = config.deployers().get(rs.request.provider()).rotate(new io.agentprovision.core.spi.RotationRequest(current,
          actions.broad(run), rs.request.token().ttl()), ctx);
    } catch (RuntimeException e) {
      config.journal().saveStep(ctx.record().next(StepStatus.FAILED, attempt, Map.of(), String.valueOf(e.getMessage()),
          config.clock().instant()));
      throw e;
    }
    String vaultKey = credRec.outputs().get("vault_key");
    Map<String, String> outputs = new LinkedHashMap<>(credRec.outputs());
    outputs.putAll(Outputs.credentials(next, vaultKey, Outputs.list(credRec.outputs().get("allowed_ips"))));
    Map<String, String> attrs = new LinkedHashMap<>(outputs);
    attrs.remove("vault_key");
    config.vault().put(new io.agentprovision.core.spi.VaultEntry(vaultKey, next.token(), attrs, config.clock().instant(),
        next.expiresAt()));
    config.journal().saveStep(credRec.next(StepStatus.SUCCEEDED, credRec.attempts(), outputs, null, config.clock().instant()));
    config.journal().saveStep(ctx.record().next(StepStatus.SUCCEEDED, attempt, Map.of("token_id", next.tokenId()), null,
        config.clock().instant()));
    auditor.record(run, rotateStep, "credentials.rotated", rs.request.agent(), rs.principal.get(), null, null, "ok", key,
        Map.of("token", next.tokenId(), "previous_token", current.tokenId(), "expires_at", String.valueOf(next.expiresAt())));
    return new Deployment.TokenSummary(next.tokenId(), vaultKey, next.permissions(),
        Outputs.list(outputs.get("allowed_ips")), next.expiresAt());
  }

  /** Finished runs whose deploy token expires within {@code window}. */
  public List<RunId> dueForRotation(Duration window) {
    Instant limit = config.clock().instant().plus(window);
    List<RunId> out = new ArrayList<>();
    for (RunRecord r : config.journal().runs(RunStatus.SUCCEEDED)) {
      StepRecord c = config.journal().step(r.id(), StepIds.CREDENTIALS).orElse(null);
      String exp = c == null ? null : c.outputs().get("expires_at");
      if (exp != null && Instant.parse(exp).isBefore(limit)) {
        out.add(r.id());
      }
    }
    return out;
  }
}
