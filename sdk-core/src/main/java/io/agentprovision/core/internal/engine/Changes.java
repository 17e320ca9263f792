package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.DomainNames;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.LifecycleRequest;
import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.wire.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Plans, executes and resumes changes to a deployment after its first run (day two): each is a run
 * of its own, made by a {@link LifecycleFlow} from the {@link ChangeTargets} the planner finds in
 * the deployment's {@link DeploymentState}, priced and judged by the spend policy like the first
 * run, refused before any side effect when the policy denies it, executed by the engine's loop
 * (journal, events, audit, approvals, compensation, resume), and finished by releasing the
 * deployment for the next change. Only the agent whose run made the deployment may change it.
 */
final class Changes {
  private final Engine engine;
  private final EngineConfig config;
  private final Planner planner;
  private final Auditor auditor;
  private final Events events;

  Changes(Engine engine, EngineConfig config, Planner planner, Auditor auditor, Events events) {
    this.engine = engine;
    this.config = config;
    this.planner = planner;
    this.auditor = auditor;
    this.events = events;
  }

  // ---- planning ------------------------------------------------------------------------------

  ChangePlan plan(LifecycleRequest req) {
    RunRecord dep = deploymentOf(req.agent(), req.deployment());
    ProvisionRequest depReq = RequestCodec.decode(dep.request(), dep.id(), config.vault());
    DeploymentState state = DeploymentStates.read(config.journal(), dep.id(), depReq);
    RunId holder = state.holder();
    if (holder != null && (req.runId() == null || !holder.equals(req.runId()))) {
      throw new InvalidRequestException("deployment", "change run " + holder + " of run " + dep.id()
          + " has not finished", "resume it with AgentProvisioner.resumeChange(agent, " + holder + "), then ask again");
    }
    Catalog catalog = planner.catalog(dep.provider());
    ChangeTargets targets = targets(req, dep, state, catalog);
    RunId run = req.runId() != null ? req.runId() : RunId.of(config.ids().next("run"));
    RunPlan runPlan = planner.plan(base(depReq, run, req), run, new LifecycleFlow(targets), catalog,
        deployer(targets, dep.provider()));
    return new ChangePlan(runPlan, req, targets);
  }

  /**
   * The deployer a change's steps call, or null when none calls one: only taking an app down, rolling
   * or revoking its deploy token and turning a domain's renewal off go through the deployer, so a
   * host that provisions services only (and configured no deployer) can still remove them.
   */
  private @Nullable Deployer deployer(ChangeTargets t, String provider) {
    boolean needed = t.app() != null || t.token() || t.domain() != null;
    return needed ? planner.deployer(provider) : null;
  }

  /** The deployment's run, when it is {@code agent}'s, finished, and not itself a change. */
  private RunRecord deploymentOf(AgentId agent, RunId deployment) {
    // the same answer whether the run does not exist or is another agent's: nothing about it leaks
    RunRecord rec = engine.runOf(agent, deployment);
    if (ChangeCodec.isChange(rec.request())) {
      throw new InvalidRequestException("deployment", "run " + deployment + " is a change, not a deployment",
          "pass the id of the run that provisioned the deployment");
    }
    // a deployment whose app did not answer is still a deployment: it can be changed or torn down
    if (rec.status() != RunStatus.SUCCEEDED && rec.status() != RunStatus.DEPLOYED_UNVERIFIED) {
      throw new InvalidRequestException("deployment", "run " + deployment + " is " + rec.status() + ", not finished",
          rec.status() == RunStatus.FAILED ? "a failed run was compensated; there is nothing to change"
              : "resume it first (AgentProvisioner.resume)");
    }
    return rec;
  }

  /** The request a change's steps run under: the deployment's, with the change's run id and ID token. */
  private static ProvisionRequest base(ProvisionRequest deployment, RunId run, LifecycleRequest change) {
    return deployment.toBuilder().runId(run).identityToken(change.identityToken()).build();
  }

  /** What {@code req} touches in the deployment as it stands; bad or impossible requests fail here, before anything. */
  private ChangeTargets targets(LifecycleRequest req, RunRecord dep, DeploymentState s, Catalog catalog) {
    RunId d = dep.id();
    ProviderAccount account = s.account();
    List<LifecycleResult.Kept> stays = new ArrayList<>();
    switch (req.operation()) {
      case CHANGE_PLAN: {
        DeploymentState.Held plan = s.plan();
        // the request's factory requires the new plan's id for this operation
        String next = Objects.requireNonNull(req.serviceId(), "serviceId");
        if (plan == null) {
          throw new InvalidRequestException("deployment", "run " + d + " has no active plan to change",
              "add one with LifecycleRequest.addResource(agent, run, \"" + next + "\")");
        }
        if (plan.ref().serviceId().equals(next)) {
          throw new InvalidRequestException("newPlan", "run " + d + " is already on " + next, "name another plan");
        }
        ServiceOffering current = catalog.service(plan.ref().serviceId()).orElseThrow(() ->
            new InvalidRequestException("deployment", plan.ref().serviceId() + " is no longer in " + dep.provider()
                + "'s catalog", "a plan the catalog does not list cannot be changed; remove it instead"));
        current.requireUpdateTo(next); // the catalog's allowed_updates: the one rule
        ServiceOffering target = catalog.service(next).orElseThrow(() -> new InvalidRequestException("newPlan", "'"
            + next + "' is not in " + dep.provider() + "'s catalog", "use one of " + current.allowedUpdates()));
        if (!target.isPlan()) {
          throw new InvalidRequestException("newPlan", "'" + next + "' is a " + target.kind() + ", not a plan",
              "use one of " + current.allowedUpdates());
        }
        requireLinked(s, d);
        return new ChangeTargets(req.operation(), d, account, plan, next, null, List.of(), null, null, false,
            req.reason(), stays);
      }
      case ADD_RESOURCE: {
        String id = Objects.requireNonNull(req.serviceId(), "serviceId"); // required by addResource
        ServiceOffering svc = catalog.service(id).orElseThrow(() -> new InvalidRequestException("serviceId", "'" + id
            + "' is not in " + dep.provider() + "'s catalog", "use a service the catalog lists"));
        if (svc.id().equals(config.domainService())) {
          throw new InvalidRequestException("serviceId", "a domain is found, priced and confirmed by a run of its own",
              "provision it with provisionAndDeploy and a DomainRequest");
        }
        if (account == null) {
          throw new InvalidRequestException("deployment", "run " + d + " linked no provider account",
              "provision with a new run instead");
        }
        requireLinked(s, d);
        return new ChangeTargets(req.operation(), d, account, null, id, Json.canonical(req.configuration()), List.of(),
            null, null, false, req.reason(), stays);
      }
      case REMOVE_RESOURCE: {
        String id = req.resourceId();
        DeploymentState.Held h = id == null ? null : s.active(id);
        if (h == null) {
          DeploymentState.Held gone = id == null ? null : s.resource(id);
          throw new InvalidRequestException("resourceId", gone != null ? id + " was removed at " + gone.removedAt()
              : "run " + d + " has no resource " + id, "pass one of " + s.active().stream().map(x -> x.ref().id())
              .toList());
        }
        if (h.role() == DeploymentState.Role.DOMAIN) {
          throw new InvalidRequestException("resourceId", "domain " + h.domain() + " is registered and cannot be removed: "
              + "registrations are not refundable and stay until they expire" + (h.expiresAt() != null ? " ("
              + h.expiresAt() + ")" : ""), "tear the deployment down, which turns its automatic renewal off");
        }
        if (h.role() == DeploymentState.Role.DEPLOYABLE && s.app() != null && !s.undeployed()) {
          throw new InvalidRequestException("resourceId", "the app " + s.app().scriptName() + " runs on " + id,
              "tear the deployment down to take the app down with it");
        }
        if (h.role() == DeploymentState.Role.PLAN) {
          List<String> onIt = s.active().stream().filter(x -> x.role() == DeploymentState.Role.DEPLOYABLE
              || x.role() == DeploymentState.Role.SERVICE).map(x -> x.ref().id()).toList();
          if (!onIt.isEmpty()) {
            throw new InvalidRequestException("resourceId", "plan " + id + " still has " + onIt + " on it",
                "remove those first, change the plan with LifecycleRequest.changePlan, or tear the deployment down");
          }
        }
        requireLinked(s, d);
        if (h.charged() != null) {
          stays.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.CHARGE, h.ref().id(), h.charged()
              + " already charged for " + h.ref().serviceId() + " is not refunded by removing it", null));
        }
        return new ChangeTargets(req.operation(), d, account, null, null, null, List.of(h), null, null, false,
            req.reason(), stays);
      }
      case ROTATE_CREDENTIALS:
      case REVOKE_CREDENTIALS: {
        CredentialsStep.Issued issued = issued(d);
        if (issued == null) {
          throw new InvalidRequestException("deployment", "run " + d + " has no deploy token",
              "only a run that deployed an app has one");
        }
        if (issued.revokedAt() != null || s.tokenRevoked()) {
          throw new InvalidRequestException("deployment", "the deploy token of run " + d + " was revoked at "
              + issued.revokedAt(), "start a new run to get a new deploy token");
        }
        return new ChangeTargets(req.operation(), d, account, null, null, null, List.of(), null, null, true,
            req.reason(), stays);
      }
      case UNLINK_ACCOUNT: {
        if (account == null || s.accountUnlinked()) {
          throw new InvalidRequestException("deployment", account == null ? "run " + d + " linked no account"
              : "the account of run " + d + " is unlinked already", "there is nothing to unlink");
        }
        if (!config.orchestrator().supportsAccountUnlink()) {
          throw new InvalidRequestException("operation", "orchestrator " + config.orchestrator().name()
              + " cannot unlink provider accounts", "unlink the account at the orchestrator itself");
        }
        stays.add(accountStays(account));
        for (DeploymentState.Held h : s.active()) {
          stays.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.RESOURCE, h.ref().id(), h.ref().serviceId()
              + " (" + h.ref().id() + ") stays active at " + account.provider() + " and is billed there", null));
        }
        return new ChangeTargets(req.operation(), d, account, null, null, null, List.of(), null, null, false,
            req.reason(), stays);
      }
      case TEARDOWN:
        return teardown(req, dep, s, stays);
      default:
        throw new IllegalStateException("unknown operation " + req.operation());
    }
  }

  private ChangeTargets teardown(LifecycleRequest req, RunRecord dep, DeploymentState s,
      List<LifecycleResult.Kept> stays) {
    RunId d = dep.id();
    ProviderAccount account = s.account();
    CredentialsStep.Issued issued = issued(d);
    boolean token = issued != null && issued.revokedAt() == null && !s.tokenRevoked();
    var app = s.app() != null && !s.undeployed() ? s.app() : null;
    if (app != null && !token) {
      // without its deploy token the SDK cannot reach the script; say so rather than pretend
      stays.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.RESOURCE, app.scriptName(), "the app "
          + app.scriptName() + " stays up at " + app.primaryUrl() + ": its deploy token was revoked; take it down at "
          + app.provider(), null));
      app = null;
    }
    List<DeploymentState.Held> remove = new ArrayList<>();
    DeploymentState.Held domain = null;
    List<DeploymentState.Held> active = new ArrayList<>(s.active());
    java.util.Collections.reverse(active); // undo in reverse order of making
    boolean linked = !s.accountUnlinked();
    for (DeploymentState.Held h : active) {
      if (h.role() == DeploymentState.Role.DOMAIN) {
        if (domain == null && !Boolean.FALSE.equals(h.autoRenew())) {
          domain = h; // one whose renewal is known to be off already needs no call
        }
        stays.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.DOMAIN, String.valueOf(h.domain()),
            DomainNames.display(String.valueOf(h.domain())) + " stays registered until it expires"
                + (h.expiresAt() != null ? " (about " + h.expiresAt() + ")" : "") + ": registrations are not "
                + "refundable; " + (Boolean.FALSE.equals(h.autoRenew()) ? "it will not renew"
                : "its automatic renewal is turned off where the registrar allows"), h.expiresAt()));
      } else if (linked) {
        remove.add(h);
        if (h.charged() != null) {
          stays.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.CHARGE, h.ref().id(), h.charged()
              + " already charged for " + h.ref().serviceId() + " is not refunded by removing it", null));
        }
      } else {
        stays.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.RESOURCE, h.ref().id(), h.ref().serviceId()
            + " (" + h.ref().id() + ") stays: the account was unlinked, so the SDK can no longer remove it", null));
      }
    }
    if (account != null) {
      stays.add(accountStays(account));
    }
    if (app == null && !token && remove.isEmpty() && domain == null) {
      throw new InvalidRequestException("deployment", "run " + d + " has nothing left to take down",
          "it was torn down already");
    }
    return new ChangeTargets(req.operation(), d, account, null, null, null, remove, domain, app, token, req.reason(),
        stays);
  }

  private static LifecycleResult.Kept accountStays(ProviderAccount a) {
    return new LifecycleResult.Kept(LifecycleResult.Kept.Kind.ACCOUNT, a.accountId(), a.provider() + " account "
        + a.accountId() + " stays: the SDK never deletes an account; close it at " + a.provider()
        + " if it is no longer wanted", null);
  }

  private static void requireLinked(DeploymentState s, RunId d) {
    if (s.accountUnlinked()) {
      throw new InvalidRequestException("deployment", "the account of run " + d + " was unlinked",
          "the orchestrator can no longer change it; link it again with a new run");
    }
  }

  private CredentialsStep.@Nullable Issued issued(RunId deployment) {
    var r = config.journal().step(deployment, CredentialsStep.ID).orElse(null);
    String json = r == null ? null : r.output();
    return json == null ? null : OutputCodec.decode(json, CredentialsStep.Issued.class, deployment, CredentialsStep.ID);
  }

  // ---- executing -----------------------------------------------------------------------------

  LifecycleResult execute(ChangePlan plan) {
    LifecycleRequest req = plan.request();
    RunId run = plan.runId();
    if (config.journal().run(run).isPresent()) {
      return resume(req.agent(), run);
    }
    ChangeTargets t = plan.targets();
    RunPlan given = plan.runPlan();
    // the steps, verdicts and checkpoints again, under the policy in force now and the ledger as it stands
    RunPlan runPlan = planner.plan(given.request(), run, new LifecycleFlow(t), given.catalog(),
        deployer(t, given.request().provider()));
    ProvisionRequest base = runPlan.request();
    PolicyViolationException refused = planner.violation(runPlan);
    if (refused != null) {
      // refused before anything: no run journaled, the deployment not held, nothing reserved or charged
      auditor.entry("run.refused").run(run).agent(req.agent()).amount(refused.requested()).outcome("denied")
          .detail("limit", refused.limit()).detail("reason", String.valueOf(refused.getMessage()))
          .detail("provider", base.provider()).detail("operation", req.operation().name())
          .detail("deployment", t.deployment().value()).record();
      events.emit(new ProvisioningEvent.SpendRefused(config.clock().instant(), run, null, req.agent(), base.provider(),
          refused.requested(), refused.limit(), refused.remaining()));
      throw refused;
    }
    VelocityLimitException tooMany = planner.velocityRefusal(runPlan);
    if (tooMany != null) {
      Velocity.refused(engine.services(), run, null, auditor.entry("velocity.refused").run(run).agent(req.agent())
          .detail("operation", req.operation().name()).detail("deployment", t.deployment().value()), tooMany,
          req.agent());
      throw tooMany;
    }
    Instant now = config.clock().instant();
    // a change runs under its run's lease like a first-day run: one host executes it, another takes it over
    RunLease lease = engine.takeLease(run, "is being started by another host");
    RunRecord rec = RunRecord.builder(run, req.agent(), base.provider(), ChangeCodec.encode(req, t))
        .status(RunStatus.RUNNING).createdAt(now).build();
    boolean saved;
    try {
      hold(t.deployment(), base, run);
      saved = config.journal().saveRun(rec);
      if (saved) {
        WorkerApp app = base.app(); // a run that provisioned services only has none
        auditor.entry("run.started").run(run).agent(req.agent()).detail("provider", base.provider())
            .detail("plan", String.valueOf(t.operation() == LifecycleRequest.Operation.CHANGE_PLAN ? t.service()
                : null))
            .detailIfPresent("app", app == null ? null : app.name())
            .detail("orchestrator", config.orchestrator().name()).detail("operation", t.operation().name())
            .detail("deployment", t.deployment().value()).detailIfPresent("reason", t.reason()).record();
      }
    } catch (RuntimeException e) {
      engine.giveBack(run, lease);
      throw e;
    }
    if (!saved) {
      engine.giveBack(run, lease);
      return resume(req.agent(), run); // another host started it a moment ago
    }
    RunState rs = new RunState(run, base, runPlan, false, now);
    rs.lease = lease;
    return loop(rs, rec, t);
  }

  LifecycleResult resume(AgentId agent, RunId run) {
    Prepared p = prepareResume(agent, run);
    LifecycleResult done = p.done();
    return done != null ? done : loop(p.rs(), p.rec(), p.t());
  }

  /**
   * Resumes {@code agent}'s change {@code run} without waiting for it: its steps go to the step
   * executor and the future completes when it ends (a host resuming a parked change in the
   * background holds no thread for it, as for a first-day run).
   */
  CompletableFuture<LifecycleResult> resumeAsync(AgentId agent, RunId run) {
    Prepared p = prepareResume(agent, run);
    LifecycleResult done = p.done();
    if (done != null) {
      return CompletableFuture.completedFuture(done);
    }
    return engine.startLoop(p.rs(), p.rec(), s -> result(s, p.t(), true)).whenComplete((r, e) -> {
      if (e != null) {
        ended(p.rs(), p.rec(), p.t());
      }
    });
  }

  /** A change to resume: its state, its record marked running, its targets; or its result when it had finished. */
  private record Prepared(RunState rs, RunRecord rec, ChangeTargets t, @Nullable LifecycleResult done) {}

  private Prepared prepareResume(AgentId agent, RunId run) {
    RunRecord rec = engine.runOf(agent, run);
    if (!ChangeCodec.isChange(rec.request())) {
      throw new InvalidRequestException("runId", "run " + run + " is a deployment, not a change",
          "resume it with AgentProvisioner.resume");
    }
    ChangeCodec.Decoded decoded = ChangeCodec.decode(rec.request(), run);
    ChangeTargets t = decoded.targets();
    RunRecord dep = config.journal().run(t.deployment()).orElseThrow(() -> new IllegalStateException(
        "the deployment " + t.deployment() + " of change " + run + " is not in the journal"));
    ProvisionRequest depReq = RequestCodec.decode(dep.request(), dep.id(), config.vault());
    ProvisionRequest base = depReq.toBuilder().runId(run).build();
    Catalog catalog = planner.catalog(dep.provider());
    RunPlan runPlan = planner.plan(base, run, new LifecycleFlow(t), catalog, deployer(t, dep.provider()));
    RunState rs = new RunState(run, base, runPlan, true, rec.createdAt());
    if (rec.status() == RunStatus.SUCCEEDED) {
      engine.load(rs);
      return new Prepared(rs, rec, t, result(rs, t, false));
    }
    if (rec.status() == RunStatus.FAILED) {
      throw new InvalidRequestException("runId", "change " + run + " failed (" + rec.error() + ")",
          "plan the change again; what it did before it failed is in the deployment's state");
    }
    engine.load(rs); // an entry that cannot be read stops the resume here, before it is recorded
    RunLease lease = engine.takeLease(run, "is being executed by another host");
    RunRecord next;
    try {
      // read again under the lease: the host that held it may have finished the change meanwhile
      RunRecord cur = config.journal().run(run).orElse(rec);
      if (cur.status() == RunStatus.SUCCEEDED || cur.status() == RunStatus.FAILED) {
        engine.giveBack(run, lease);
        return prepareResume(agent, run);
      }
      hold(t.deployment(), base, run);
      next = cur.next(RunStatus.RUNNING, null, config.clock().instant());
      if (!config.journal().saveRun(next)) {
        throw new AgentProvisionException("change " + run + " is being resumed by another host", null, true);
      }
      auditor.entry("run.resumed").run(run).agent(agent).detail("previous_status", cur.status().name())
          .detail("operation", t.operation().name()).detail("deployment", t.deployment().value()).record();
    } catch (RuntimeException e) {
      engine.giveBack(run, lease);
      throw e;
    }
    rs.lease = lease;
    return new Prepared(rs, next, t, null);
  }

  private LifecycleResult loop(RunState rs, RunRecord rec, ChangeTargets t) {
    try {
      return engine.runLoop(rs, rec, s -> result(s, t, true));
    } catch (RuntimeException e) {
      ended(rs, rec, t);
      throw e;
    }
  }

  /** After a change ended without succeeding: a compensated one frees the deployment for the next change. */
  private void ended(RunState rs, RunRecord rec, ChangeTargets t) {
    RunRecord now = config.journal().run(rs.run).orElse(rec);
    if (now.status() == RunStatus.FAILED) {
      // a suspended or parked change keeps it for its resume
      release(t.deployment(), rs.request, rs.run, false);
    }
  }

  /** Takes the deployment for change {@code run}; refused while another change holds it. */
  private void hold(RunId deployment, ProvisionRequest request, RunId run) {
    DeploymentStates.update(config.journal(), deployment, request, config.clock().instant(), s -> {
      RunId holder = s.holder();
      if (holder != null && !holder.equals(run)) {
        RunRecord other = config.journal().run(holder).orElse(null);
        boolean over = other == null || other.status() == RunStatus.FAILED || other.status() == RunStatus.SUCCEEDED;
        if (!over && other != null) {
          throw new InvalidRequestException("deployment", "change run " + holder + " of run " + deployment
              + " is " + other.status(), "resume it with AgentProvisioner.resumeChange, then ask again");
        }
      }
      return s.withHolder(run);
    });
  }

  private void release(RunId deployment, ProvisionRequest request, RunId run, boolean finished) {
    DeploymentStates.update(config.journal(), deployment, request, config.clock().instant(),
        s -> run.equals(s.holder()) || s.holder() == null ? s.released(run, finished) : s);
  }

  /** The change's result from its steps' outputs; on a finishing run, records its end first. */
  private LifecycleResult result(RunState rs, ChangeTargets t, boolean finishing) {
    Instant now = config.clock().instant();
    List<LifecycleResult.Change> done = new ArrayList<>();
    List<LifecycleResult.Kept> kept = new ArrayList<>();
    for (Step<?> s : rs.graph().steps()) {
      Record out = rs.outputs.find(s.id(), s.outputType());
      if (out instanceof ChangeOutcome c) {
        c.report(done, kept);
      }
    }
    Set<String> said = new HashSet<>();
    for (LifecycleResult.Kept k : kept) {
      said.add(k.kind() + "\n" + k.id());
    }
    for (LifecycleResult.Kept k : t.stays()) {
      if (said.add(k.kind() + "\n" + k.id())) {
        kept.add(k); // what the plan said would stay and no step reported more exactly
      }
    }
    Map<String, Money> spent = new LinkedHashMap<>();
    for (Reservation r : config.ledger().reservations(rs.run)) {
      if (r.status() == Reservation.Status.COMMITTED && r.committed() != null) {
        spent.merge(r.committed().currencyCode(), r.committed(), Money::plus);
      }
    }
    if (finishing) {
      release(t.deployment(), rs.request, rs.run, true);
      RunRecord cur = config.journal().run(rs.run).orElseThrow();
      config.journal().saveRun(cur.next(RunStatus.SUCCEEDED, null, now));
      auditor.entry("run.finished").run(rs.run).agent(rs.request.agent()).principal(rs.principal())
          .amount(spent.size() == 1 ? spent.values().iterator().next() : null)
          .detail("operation", t.operation().name()).detail("deployment", t.deployment().value())
          .detail("changes", String.valueOf(done.size())).detail("kept", String.valueOf(kept.size())).record();
    }
    AuditVerification v = engine.verifyAudit();
    List<String> warnings = new ArrayList<>();
    boolean receipts = engine.receiptsOf(rs.run, warnings);
    LifecycleResult out = new LifecycleResult(rs.run, t.deployment(), t.operation(), done, kept,
        new ArrayList<>(spent.values()), config.audit().head().map(e -> e.hash()).orElse(""), v.valid(), receipts,
        warnings, now);
    if (finishing) {
      events.emit(new ProvisioningEvent.RunFinished(config.clock().instant(), rs.run, RunStatus.SUCCEEDED,
          Duration.between(rs.startedAt, config.clock().instant()), null));
    }
    return out;
  }
}
