package io.agentprovision.core;

import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalGates;
import io.agentprovision.core.approval.AwaitingApprovalException;
import io.agentprovision.core.approval.ApprovalReceipts;
import io.agentprovision.core.approval.MandateTrust;
import io.agentprovision.core.approval.Mandates;
import io.agentprovision.core.approval.ReceiptKey;
import io.agentprovision.core.approval.Receipts;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.CatalogCache;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.internal.Checks;
import io.agentprovision.core.internal.engine.Engine;
import io.agentprovision.core.internal.engine.EngineConfig;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.internal.concurrent.TaskExecutors;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.SpendReport;
import io.agentprovision.core.protocol.DirectOrchestrator;
import io.agentprovision.core.report.GovernanceReport;
import io.agentprovision.core.report.Inventory;
import io.agentprovision.core.report.ReportFilter;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.PolicyStore;
import io.agentprovision.core.spi.ProvisioningListener;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.core.spi.VelocityStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * The SDK's entry point: takes an agent's {@link ProvisionRequest} from nothing to a live app, under
 * the human's spend policy, approvals and audit. Build one per application and share it; it is
 * thread-safe. {@link #close()} stops the executors it created.
 *
 * <pre>{@code
 * AgentProvisioner provisioner = AgentProvisioner.builder()
 *     .orchestrator(orchestrator)                 // StripeProjects or DirectOrchestrator
 *     .deployer(CloudflareDeployer.create())
 *     .identity(identityProvider)
 *     .spendPolicy(SpendPolicy.builder()
 *         .limit(SpendLimit.monthly(Money.usd("100.00")).perProvider())
 *         .requireApprovalAbove(Money.usd("20.00"))
 *         .build())
 *     .approvals(approvalGate)                    // the host's human checkpoint
 *     .audit(AuditLog.jsonl(Path.of("audit.jsonl")))
 *     .build();
 *
 * Deployment d = provisioner.provisionAndDeploy(request);
 * notifyHuman("live at " + d.url());
 * }</pre>
 *
 * <p>A run is {@link #plan planned} without side effects, {@link #execute executed} step by step
 * (independent steps concurrently) with every step journaled before its first side effect, and can
 * be {@link #resume resumed} after a crash or cancel without repeating a purchase. A failed run
 * undoes what it can and reports what it cannot.
 *
 * <p>Several hosts may share one journal, ledger, audit log and vault: a run is executed by one host
 * at a time, under a lease in the journal ({@link Builder#leaseOwner}), renewed while it runs; when a
 * host dies, another takes its runs over ({@link #resumeAbandoned}, or the {@link #startReaper
 * reaper}). An approval gate may answer later ({@link ApprovalDecision#pending}): the run then parks
 * without holding a thread ({@link AwaitingApprovalException}), and {@link #decide} on any host
 * resumes it.
 */
public final class AgentProvisioner implements AutoCloseable {
  /** How long a step may wait (polling, backing off) before it gives up, when not configured. */
  public static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofMinutes(30);
  /** How long a human checkpoint waits for a decision, when not configured. */
  public static final Duration DEFAULT_APPROVAL_TIMEOUT = Duration.ofMinutes(15);
  /** How long the verify step waits for the deployed app to answer, when not configured. */
  public static final Duration DEFAULT_VERIFY_TIMEOUT = Duration.ofMinutes(3);
  /** The catalog service that sells domains. */
  public static final String DEFAULT_DOMAIN_SERVICE = "registrar:domain";
  /**
   * Threads of the step executor the provisioner creates when none is given, on Java 17 to 20. On
   * Java 21 and later it runs each step on a virtual thread instead (a run waiting on the network
   * or on a person then holds a few hundred bytes, not a thread), unless the system property
   * {@code agentprovision.virtualThreads} is {@code false}.
   */
  public static final int DEFAULT_STEP_THREADS = 64;
  /** How long a run's lease lasts unless its heartbeat renews it, when not configured. */
  public static final Duration DEFAULT_LEASE_DURATION = EngineConfig.DEFAULT_LEASE_DURATION;

  /** Whether the in-memory spend state warning was logged in this process. */
  private static final java.util.concurrent.atomic.AtomicBoolean IN_MEMORY_WARNED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final Engine engine;
  private final ScheduledExecutorService scheduler;
  private final List<ExecutorService> owned;

  private AgentProvisioner(Engine engine, ScheduledExecutorService scheduler, List<ExecutorService> owned) {
    this.engine = engine;
    this.scheduler = scheduler;
    this.owned = owned;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads the catalog, prices every paid step, judges each against the spend policy and lists the
   * checkpoints; calls nothing with side effects. Bad input fails here.
   *
   * @throws InvalidRequestException for an unknown provider, plan or service, a service configuration its
   *     catalog schema refuses (the field names it, such as {@code services[1].configuration.name}), or an app
   *     for a provider without a deployer
   */
  public ProvisionPlan plan(ProvisionRequest request) {
    return new ProvisionPlan(engine.plan(Objects.requireNonNull(request, "request")));
  }

  /**
   * Carries out a plan. Executing a plan whose run already exists resumes that run (a run that
   * finished returns its result again).
   *
   * @throws PolicyViolationException when a limit refuses a spend (nothing charged for it)
   * @throws ApprovalDeniedException when a human does not approve (nothing bought for it)
   * @throws IdentityRejectedException when the principal cannot be established or is too weak
   * @throws RunFailedException for any other failure, with what was undone and what was not
   */
  public Deployment execute(ProvisionPlan plan) {
    return engine.execute(Objects.requireNonNull(plan, "plan").runPlan());
  }

  /**
   * {@link #plan} then {@link #execute}, in one: the plan made here is carried out as made (a plan
   * handed to {@link #execute} later is derived again from the policy and ledger of that moment).
   */
  public Deployment provisionAndDeploy(ProvisionRequest request) {
    return engine.planAndExecute(Objects.requireNonNull(request, "request"));
  }

  /**
   * {@link #provisionAndDeploy} without a thread waiting for it: the plan is made on the run
   * executor, then each step runs on the step executor as soon as those it waits for have
   * succeeded, and the future completes when the last one ends. A thousand runs in flight hold a
   * thread only while one of their steps runs. Cancelling the future interrupts the run: running
   * steps stop where they can, the run is left {@code SUSPENDED}, and {@link #resume} continues it.
   *
   * <p>A run that parks for an approval ({@link AwaitingApprovalException}) holds no thread, and the
   * future stays incomplete: it completes when the run finishes after {@link #decide} (resumed on
   * this host, or on another, which the {@link #startReaper reaper} notices); likewise for a run
   * another host took over. Cancelling it then only stops the waiting.
   */
  public CompletableFuture<Deployment> provisionAndDeployAsync(ProvisionRequest request) {
    Objects.requireNonNull(request, "request");
    CancellableRun future = new CancellableRun();
    try {
      CompletableFuture.runAsync(() -> {
        if (future.isDone()) {
          return; // cancelled before it was planned
        }
        try {
          Engine.Started run = engine.planAndStart(request);
          future.started(run);
          run.result().whenComplete((d, e) -> {
            Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                ? e.getCause() : e;
            if (t instanceof AwaitingApprovalException parked) {
              follow(parked.run(), future); // parked: no thread waits; it completes when the run ends later
            } else if (t instanceof RunLeasedException leased) {
              follow(leased.run(), future); // another host executes it now
            } else if (t != null) {
              future.completeExceptionally(t);
            } else {
              future.complete(d);
            }
          });
        } catch (RunLeasedException e) {
          follow(e.run(), future); // another host executes it now
        } catch (Throwable t) {
          future.completeExceptionally(t);
        }
      }, engine.config().runExecutor());
    } catch (java.util.concurrent.RejectedExecutionException e) {
      future.completeExceptionally(new AgentProvisionException("the provisioner was closed", e, false));
    }
    return future;
  }

  private void follow(RunId run, CompletableFuture<Deployment> future) {
    engine.maintenance().whenFinished(run).whenComplete((d, t) -> {
      if (t != null) {
        future.completeExceptionally(t);
      } else {
        future.complete(d);
      }
    });
  }

  // ---- approvals that wait in the journal ----------------------------------------------------

  /**
   * Decides a parked approval, from any host sharing the journal: the decision is journaled (dated
   * by this provisioner's clock; after the approval's deadline it counts as {@code TIMED_OUT}),
   * audited, and the run resumes on this host's run executor, under its lease, once nothing else
   * keeps it waiting. Deciding an approval no longer pending changes nothing.
   *
   * <pre>{@code
   * for (ApprovalRecord a : provisioner.pendingApprovals(agent)) {
   *   ui.ask(a.title(), a.cost(), a.deadline());
   * }
   * // in the handler of the person's click:
   * provisioner.decide(id, ApprovalDecision.approved("ada@example.com", "looks right", clock.instant()));
   * }</pre>
   *
   * @return the approval as it stands afterwards ({@code outcome()} says what counted)
   * @throws InvalidRequestException when there is no such approval, or {@code decision} is {@code PENDING}
   */
  public ApprovalRecord decide(String approvalId, ApprovalDecision decision) {
    return engine.maintenance().decide(Objects.requireNonNull(approvalId, "approvalId"),
        Objects.requireNonNull(decision, "decision"));
  }

  /** The approvals {@code agent}'s runs wait for, not yet past their deadline, oldest first: what a host's UI shows. */
  public List<ApprovalRecord> pendingApprovals(AgentId agent) {
    return engine.maintenance().pending(Objects.requireNonNull(agent, "agent"));
  }

  /**
   * The future of {@code agent}'s run: completed with its deployment when the run finishes, or with
   * its failure, whether it ends on this host (a run resumed in the background after
   * {@link #decide}) or on another sharing the journal (noticed by the {@link #startReaper reaper}).
   * A run that already ended completes it at once; one that is parked completes when it ends after
   * its approvals are decided. It completes after the executing host has given the run's lease up.
   * For a change run ({@link #change}) it completes with null once the change succeeded: its result
   * is {@link #resumeChange}'s.
   *
   * @throws RunNotFoundException when {@code agent} has no such run
   */
  public CompletableFuture<Deployment> whenFinished(AgentId agent, RunId runId) {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(runId, "runId");
    return engine.maintenance().whenFinished(engine.runOf(agent, runId).id());
  }

  /** An approval by id, whatever it stands at. */
  public Optional<ApprovalRecord> approval(String approvalId) {
    return engine.config().journal().approval(Objects.requireNonNull(approvalId, "approvalId"));
  }

  /**
   * Decides every approval past its deadline as {@code TIMED_OUT} (a denial), even when no thread
   * waits for it, and resumes its run so that the step fails and nothing is charged for it. The
   * {@link #startReaper reaper} calls this.
   *
   * @return the approvals it expired
   */
  public List<ApprovalRecord> expireApprovals() {
    return engine.maintenance().expireApprovals();
  }

  // ---- runs whose host died ------------------------------------------------------------------

  /**
   * Takes over, in the background, every run that should be executing and that no host executes:
   * {@code RUNNING} (or parked with every approval decided) with its lease expired or free. Each is
   * resumed from the journal on this host's run executor, with the same idempotency keys, so nothing
   * is bought twice. The {@link #startReaper reaper} calls this.
   *
   * @return each resumed run's future (completed when it finishes)
   */
  public Map<RunId, CompletableFuture<Deployment>> resumeAbandoned() {
    return engine.maintenance().resumeAbandoned();
  }

  /**
   * Starts the reaper: every {@code every}, on the provisioner's {@link Builder#scheduler scheduler},
   * {@link #expireApprovals}, {@link #resumeAbandoned}, and completing the futures of runs that
   * finished on another host. Close the returned {@link Reaper} to stop it; closing the provisioner
   * stops it too.
   *
   * @param every between 1 second and 1 hour; a few times shorter than the lease duration is usual
   */
  public Reaper startReaper(Duration every) {
    Duration e = Checks.within("every", every, Duration.ofSeconds(1), Duration.ofHours(1));
    ScheduledExecutorService s = engine.config().scheduler();
    return new Reaper(e, s.scheduleWithFixedDelay(engine.maintenance()::tick, e.toMillis(), e.toMillis(),
        TimeUnit.MILLISECONDS));
  }

  /** Who this provisioner is to the other hosts sharing its journal: the owner of its leases. */
  public String leaseOwner() {
    return engine.config().leaseOwner();
  }

  private static final class CancellableRun extends CompletableFuture<Deployment> {
    private volatile Engine.@Nullable Started run;

    void started(Engine.Started r) {
      run = r;
      if (isCancelled()) {
        r.cancel();
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      Engine.Started r = run;
      if (r != null) {
        r.cancel();
      }
      return cancelled;
    }
  }

  /**
   * Continues {@code agent}'s run from its journal: finished steps are skipped, a step interrupted
   * mid-way is repeated with its journaled idempotency key (so nothing is bought twice), the rest
   * run. A run that already finished returns its result.
   *
   * @throws RunNotFoundException when {@code agent} has no such run (it does not exist, or it is
   *     another agent's: the two are not told apart; see {@link #admin})
   * @throws InvalidRequestException when the run failed and was compensated
   */
  public Deployment resume(AgentId agent, RunId runId) {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(runId, "runId");
    return engine.resume(engine.runOf(agent, runId).id());
  }

  // ---- day two: changes to a deployment, each a governed run --------------------------------

  /**
   * Plans a change to what one of the agent's runs provisioned: reads the deployment's state and the
   * catalog, makes the change's steps, prices them and judges them against the spend policy, lists
   * the checkpoints and what will stay; calls nothing with side effects. Bad or impossible requests
   * fail here (a plan the catalog's {@code allowed_updates} do not allow, a registered domain to
   * remove, another agent's run).
   *
   * @throws InvalidRequestException naming what is wrong and how to fix it
   */
  public LifecyclePlan planChange(LifecycleRequest request) {
    return new LifecyclePlan(engine.planChange(Objects.requireNonNull(request, "request")));
  }

  /**
   * Carries out a planned change as a run of its own: journaled before every side effect,
   * resumable ({@link #resumeChange}), every step and decision audited and heard by the listeners.
   * A change the spend policy denies is refused before anything happens (audited as
   * {@code run.refused}). One change at a time per deployment.
   *
   * @throws PolicyViolationException when a limit refuses its price (nothing reserved, nothing changed)
   * @throws ApprovalDeniedException when a person does not approve (nothing changed after that point)
   * @throws RunFailedException for any other failure, with what was undone and what was not
   */
  public LifecycleResult executeChange(LifecyclePlan plan) {
    return engine.executeChange(Objects.requireNonNull(plan, "plan").changePlan());
  }

  /** {@link #planChange} then {@link #executeChange}. */
  public LifecycleResult change(LifecycleRequest request) {
    return executeChange(planChange(request));
  }

  /**
   * Continues {@code agent}'s change {@code changeRun} from its journal, as {@link #resume} does a
   * first run; a change that finished returns its result again.
   *
   * @throws InvalidRequestException when {@code agent} has no such change, or it failed
   */
  public LifecycleResult resumeChange(AgentId agent, RunId changeRun) {
    return engine.resumeChange(Objects.requireNonNull(agent, "agent"), Objects.requireNonNull(changeRun, "changeRun"));
  }

  /**
   * Upgrades or downgrades the deployment's plan to {@code newPlan}, which the current plan's
   * {@code allowed_updates} must list; the new plan's price is judged by the policy and approved as
   * for a paid plan. See {@link LifecycleRequest#changePlan}.
   */
  public LifecycleResult changePlan(AgentId agent, RunId deployment, String newPlan, @Nullable Secret identityToken) {
    return change(LifecycleRequest.changePlan(agent, deployment, newPlan).identityToken(identityToken).build());
  }

  /** Provisions catalog service {@code serviceId} in the deployment's account, paid and approved as on day one. */
  public LifecycleResult addResource(AgentId agent, RunId deployment, String serviceId, Map<String, Object> configuration,
      @Nullable Secret identityToken) {
    return change(LifecycleRequest.addResource(agent, deployment, serviceId).configuration(configuration)
        .identityToken(identityToken).build());
  }

  /** Removes one of the deployment's resources after a person approves; a registered domain cannot be removed. */
  public LifecycleResult removeResource(AgentId agent, RunId deployment, String resourceId,
      @Nullable Secret identityToken) {
    return change(LifecycleRequest.removeResource(agent, deployment, resourceId).identityToken(identityToken).build());
  }

  /**
   * Has the orchestrator forget the deployment's provider account after a person approves; the
   * account and its resources stay at the provider, and the result lists them.
   */
  public LifecycleResult unlinkAccount(AgentId agent, RunId deployment, @Nullable Secret identityToken) {
    return change(LifecycleRequest.unlinkAccount(agent, deployment).identityToken(identityToken).build());
  }

  /**
   * Takes the deployment down after a person approves: undeploys the app, turns a domain's automatic
   * renewal off where the registrar allows, revokes the deploy token, removes every resource; and
   * says plainly what stays (a registered domain until it expires, the account, charges made).
   */
  public Teardown teardown(AgentId agent, RunId deployment, @Nullable Secret identityToken) {
    return new Teardown(change(LifecycleRequest.teardown(agent, deployment).identityToken(identityToken).build()));
  }

  /**
   * The environment a run's resources give an app: one {@code NAME=vault:<key>} variable per
   * credential of each service the run provisioned and the vault still holds (a removed resource's
   * credentials leave it), references only (as Stripe Projects' {@code env}, without the values).
   * Only the agent the run belongs to reads it.
   *
   * @throws InvalidRequestException when {@code agent} has no run {@code runId}
   */
  public RunEnvironment env(AgentId agent, RunId runId) {
    return engine.environment(Objects.requireNonNull(agent, "agent"), Objects.requireNonNull(runId, "runId"));
  }

  /**
   * The value of variable {@code name} of a run's {@link #env environment}, for the host (never for
   * a model: the agent tools have no way to it). Each call is an {@code env.revealed} audit entry
   * with {@code reason}.
   *
   * @throws InvalidRequestException when {@code agent} has no such run, or the run no such variable
   */
  public Secret reveal(AgentId agent, RunId runId, String name, String reason) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(reason, "reason");
    return engine.reveal(Objects.requireNonNull(agent, "agent"), Objects.requireNonNull(runId, "runId"), name, reason);
  }

  /** The provider's catalog through the orchestrator. */
  public Catalog catalog(String provider) {
    return engine.catalog(Objects.requireNonNull(provider, "provider"));
  }

  /** {@code agent}'s runs in the journal with any of these statuses (all of its runs when none are given). */
  public List<RunRecord> runs(AgentId agent, RunStatus... statuses) {
    Objects.requireNonNull(agent, "agent");
    List<RunRecord> out = new ArrayList<>();
    for (RunRecord r : engine.config().journal().runs(statuses)) {
      if (r.agent().equals(agent)) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Rolls the deploy token of {@code agent}'s finished run (same permissions, new value) and replaces
   * it in the vault. Returns the new credential's description (its value stays in the vault).
   *
   * @throws RunNotFoundException when {@code agent} has no such run
   */
  public Deployment.TokenSummary rotateCredentials(AgentId agent, RunId runId) {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(runId, "runId");
    return engine.rotate(engine.runOf(agent, runId).id());
  }

  /**
   * Revokes the deploy token of {@code agent}'s finished run: deletes it at the provider and from
   * the vault, and marks it revoked in the journal (it is no longer rotated, and
   * {@link #deployCredentials} refuses it). Audited as {@code credentials.revoked}. Revoking a
   * revoked token does nothing more. Returns the token's description.
   *
   * @throws RunNotFoundException when {@code agent} has no such run
   */
  public Deployment.TokenSummary revokeCredentials(AgentId agent, RunId runId, String reason) {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(runId, "runId");
    return engine.revoke(engine.runOf(agent, runId).id(), requireText("reason", reason));
  }

  /**
   * The runs of every agent whose deploy token expires within {@code window} from now: what a
   * scheduled job rotates ({@link #startRotation}). A token without expiry, or revoked, is never due.
   * The host's call, not an agent's: it lists runs of all agents.
   */
  public List<RunId> credentialsDueForRotation(Duration window) {
    return engine.dueForRotation(Checks.nonNegative("window", window));
  }

  /**
   * Rotates every token {@link #credentialsDueForRotation due} within {@code window}; returns what was
   * rotated. A run whose rotation fails is audited ({@code credentials.rotation_failed}) and the
   * others are rotated all the same. The host's call, like {@link #credentialsDueForRotation}.
   */
  public List<Deployment.TokenSummary> rotateDueCredentials(Duration window) {
    List<Deployment.TokenSummary> out = new ArrayList<>();
    for (RunId r : credentialsDueForRotation(window)) {
      try {
        out.add(engine.rotate(r));
      } catch (RuntimeException e) {
        RunRecord rec = engine.config().journal().run(r).orElse(null);
        engine.audit("credentials.rotation_failed", r, rec == null ? null : rec.agent(), "failed",
            Map.of("error", e.getClass().getSimpleName(), "message", String.valueOf(e.getMessage())));
      }
    }
    return out;
  }

  /**
   * Starts rotating deploy tokens on a schedule: at once and then every {@code every}, each token
   * that expires within {@code window} is rotated ({@link #rotateDueCredentials}). Runs on the
   * builder's {@link Builder#scheduler scheduler}, timed by it; close the returned schedule to stop.
   * Starting and stopping are audited.
   *
   * @param window rotate tokens expiring within this long (at least zero)
   * @param every how often to look; 1 second to 1 day
   */
  public RotationSchedule startRotation(Duration window, Duration every) {
    Duration w = Checks.nonNegative("window", window);
    Duration e = Checks.within("every", every, Duration.ofSeconds(1), Duration.ofDays(1));
    Map<String, String> details = Map.of("window", w.toString(), "every", e.toString());
    engine.audit("rotation.started", null, null, "ok", details);
    java.util.concurrent.ScheduledFuture<?> task = scheduler.scheduleWithFixedDelay(() -> {
      try {
        rotateDueCredentials(w);
      } catch (RuntimeException failure) {
        // a failed look must not end the schedule (an exception would cancel it)
        engine.audit("rotation.failed", null, null, "failed", Map.of("error", failure.getClass().getSimpleName()));
      }
    }, 0, e.toMillis(), TimeUnit.MILLISECONDS);
    return new RotationSchedule(w, e, task, () -> engine.audit("rotation.stopped", null, null, "ok", details));
  }

  /** An agent's spend against each limit that applies to it, for every provider it has spent with. */
  public SpendReport spend(AgentId agent) {
    Objects.requireNonNull(agent, "agent");
    EngineConfig c = engine.config();
    SpendPolicy policy = c.spendPolicy();
    Instant now = c.clock().instant();
    List<Reservation> all = c.ledger().reservations(agent, null, Instant.EPOCH, now.plusSeconds(1));
    Set<String> providers = new LinkedHashSet<>();
    for (Reservation r : all) {
      providers.add(r.provider());
    }
    Map<String, LimitUsage> usages = new LinkedHashMap<>();
    for (String p : providers) {
      for (SpendLimit l : policy.limitsFor(agent, p)) {
        LimitUsage u = c.ledger().usage(l, agent, p, now, policy.zone());
        usages.putIfAbsent(l.key() + "|" + u.bucket(), u);
      }
    }
    List<Reservation> current = new ArrayList<>();
    for (Reservation r : all) {
      if (r.status() == Reservation.Status.COMMITTED || r.counted(now).isPositive()) {
        current.add(r);
      }
    }
    return new SpendReport(agent, now, new ArrayList<>(usages.values()), current);
  }

  /** The spend policy in force. */
  public SpendPolicy spendPolicy() {
    return engine.config().spendPolicy();
  }

  /**
   * Replaces the spend policy. A change that only tightens it takes effect at once. A change that
   * can admit more spend or less oversight ({@link SpendPolicy#loosens}: a limit raised or removed, a
   * limit's interval or scope changed, a higher approval threshold, MFA dropped or a longer step-up
   * age, an alert dropped, another zone, a longer reservation lifetime) is a raise: when the policy
   * in force requires MFA for {@link CheckpointKind#RAISE_LIMIT}, the requester steps up first (a
   * fresh, nonce-bound second-factor sign-in of the person {@code identityToken} names), then a person
   * approves a {@code RAISE_LIMIT} checkpoint that lists every loosening. Every change, and every
   * refused one, is audited with the policy before and after ({@link SpendPolicy#canonical()}).
   *
   * @param identityToken the requester's sign-in, which a step-up is bound to (needed when the policy
   *     requires MFA for raising limits)
   * @throws ApprovalDeniedException when the human does not approve; the policy stays as it was
   * @throws IdentityRejectedException when the step-up is not a fresh second factor of that person
   */
  public void updateSpendPolicy(AgentId requestedBy, SpendPolicy proposed, String reason, @Nullable Secret identityToken) {
    Objects.requireNonNull(requestedBy, "requestedBy");
    Objects.requireNonNull(proposed, "proposed");
    Objects.requireNonNull(reason, "reason");
    engine.updatePolicy(requestedBy, proposed, reason, identityToken);
  }

  /**
   * The inventory and governance report over this provisioner's audit log, journal and ledger:
   * accounts, resources, domains, tokens, apps, approvals, refusals and money, limited by
   * {@code filter}, with calendar months in the spend policy's zone. See {@link GovernanceReport}.
   */
  public Inventory report(ReportFilter filter) {
    EngineConfig c = engine.config();
    return GovernanceReport.builder().audit(c.audit()).journal(c.journal())
        .ledger(c.ledger()).clock(c.clock()).zone(spendPolicy().zone()).build()
        .generate(Objects.requireNonNull(filter, "filter"));
  }

  /** The HTTP stack this provisioner hands to plug-ins ({@code StepContext.http()}). */
  public HttpStack http() {
    return engine.config().http();
  }

  /**
   * The signed receipts of this provisioner's approvals: {@code receipts().verify()} checks every
   * receipt in the audit log (signature, and that it says what its entry says); see {@link Receipts}.
   */
  public Receipts receipts() {
    return engine.receipts();
  }

  /** The intent mandates this provisioner holds: accept one a person signed, see what it approved, revoke it. */
  public Mandates mandates() {
    return engine.mandates();
  }

  /** The audit log; {@code audit().verify()} checks the chain. */
  public AuditLog audit() {
    return engine.config().audit();
  }

  /** Stops the executors and the scheduler this provisioner created (not ones the host supplied). */
  @Override
  public void close() {
    for (ExecutorService e : owned) {
      e.shutdownNow();
    }
    try {
      engine.config().durability().close(); // what the stores wrote is on disk when the host moves on
    } catch (AgentProvisionException e) {
      // nothing of this provisioner follows that could depend on it; the host is told, not stopped
      LoggerFactory.getLogger(AgentProvisioner.class).warn("AgentProvisioner: closing, {}", e.getMessage());
    }
  }

  @Override
  public String toString() {
    EngineConfig c = engine.config();
    return "AgentProvisioner{orchestrator=" + c.orchestrator().name() + ", deployers=" + c.deployers().keySet()
        + ", policy=" + c.spendPolicy() + "}";
  }

  /**
   * Builds an {@link AgentProvisioner}. Orchestrator and identity provider are required; a deployer
   * only for requests that deploy an app.
   */
  public static final class Builder {
    private @Nullable Orchestrator orchestrator;
    private final Map<String, Deployer> deployers = new LinkedHashMap<>();
    private @Nullable IdentityProvider identity;
    private @Nullable SpendPolicy policy;
    private @Nullable PolicyStore policyStore;
    private @Nullable SpendLedger ledger;
    private @Nullable ApprovalGate approvals;
    private @Nullable AuditLog audit;
    private @Nullable CredentialVault vault;
    private @Nullable RunJournal journal;
    private final List<ProvisioningListener> listeners = new ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private IdGenerator ids = IdGenerator.RANDOM;
    private @Nullable ExecutorService stepExecutor;
    private @Nullable ExecutorService runExecutor;
    private @Nullable ScheduledExecutorService scheduler;
    private @Nullable ReceiptKey receiptKey;
    private String receiptIssuer = ApprovalReceipts.DEFAULT_ISSUER;
    private @Nullable MandateTrust mandateTrust;
    private Duration stepTimeout = DEFAULT_STEP_TIMEOUT;
    private Duration approvalTimeout = DEFAULT_APPROVAL_TIMEOUT;
    private FailureAction failureAction = FailureAction.COMPENSATE;
    private String domainService = DEFAULT_DOMAIN_SERVICE;
    private DomainNames domainNames = DomainNames.defaults();
    private UnverifiedAction unverifiedAction = UnverifiedAction.REPORT_UNVERIFIED;
    private @Nullable VelocityStore velocity;
    private HttpStack http = HttpStack.shared();
    private Duration verifyTimeout = DEFAULT_VERIFY_TIMEOUT;
    private Duration catalogTtl = CatalogCache.DEFAULT_TTL;
    private String leaseOwner = EngineConfig.Builder.defaultLeaseOwner();
    private Duration leaseDuration = DEFAULT_LEASE_DURATION;

    private Builder() {}

    /**
     * Who this host is to the other hosts sharing the journal: the owner id of the run leases it
     * takes. Distinct per host (per provisioner, when several in one process share a journal); the
     * same after a restart, so that a restarted host takes its own runs back at once. Default: the
     * host name and process id.
     */
    public Builder leaseOwner(String owner) {
      if (owner == null || owner.isBlank() || owner.length() > 200) {
        throw new InvalidRequestException("leaseOwner", owner == null || owner.isBlank() ? "is empty" : "is longer "
            + "than 200 characters", "name the host, such as \"web-1\" or the pod name");
      }
      this.leaseOwner = owner.trim();
      return this;
    }

    /**
     * How long a run's lease lasts unless renewed; its heartbeat renews it every third of that while
     * the run executes, and another host takes the run over once it expires. 10 seconds to 1 hour,
     * default {@link AgentProvisioner#DEFAULT_LEASE_DURATION}. Longer than the clock skew between
     * hosts and than a pause of the process (a long GC).
     */
    public Builder leaseDuration(Duration d) {
      this.leaseDuration = Checks.within("leaseDuration", d, Duration.ofSeconds(10), Duration.ofHours(1));
      return this;
    }

    /**
     * Times lease heartbeats, the {@link AgentProvisioner#startReaper reaper} and
     * {@link AgentProvisioner#startRotation scheduled rotation}; the host keeps ownership. One daemon thread the provisioner owns when not set. Tests pass a virtual-time
     * scheduler (sdk-fakes' {@code VirtualScheduler}).
     */
    public Builder scheduler(ScheduledExecutorService s) {
      this.scheduler = Objects.requireNonNull(s, "scheduler");
      return this;
    }

    /** Who brokers accounts, resources and payment: {@code StripeProjects} or {@code DirectOrchestrator}. */
    public Builder orchestrator(Orchestrator o) {
      this.orchestrator = Objects.requireNonNull(o, "orchestrator");
      return this;
    }

    /** Who puts code live at a provider; one per provider. Not needed for requests without an app. */
    public Builder deployer(Deployer d) {
      Objects.requireNonNull(d, "deployer");
      if (deployers.containsKey(d.provider())) {
        throw new InvalidRequestException("deployer", "a deployer for '" + d.provider() + "' is already set",
            "configure one deployer per provider");
      }
      deployers.put(d.provider(), d);
      return this;
    }

    /** Who establishes the human principal. */
    public Builder identity(IdentityProvider i) {
      this.identity = Objects.requireNonNull(i, "identity");
      return this;
    }

    /**
     * The spend policy; {@link SpendPolicy#defaults()} unless set. With a {@link #policyStore}, the
     * policy an empty store is seeded with: a store that already holds a policy keeps it (a warning
     * is logged when this one differs), and {@link AgentProvisioner#updateSpendPolicy} changes it.
     */
    public Builder spendPolicy(SpendPolicy p) {
      this.policy = Objects.requireNonNull(p, "spendPolicy");
      return this;
    }

    /**
     * Where the spend policy in force and every change to it are kept, so that a restarted host and
     * every host sharing the store apply the same policy: {@link PolicyStore#file(java.nio.file.Path)}
     * on one machine, the JDBC store ({@code sdk-jdbc}) across hosts. In memory when not set (for
     * tests: a restart forgets every change).
     */
    public Builder policyStore(PolicyStore store) {
      this.policyStore = Objects.requireNonNull(store, "policyStore");
      return this;
    }

    /**
     * Where spend is reserved and committed: {@link SpendLedger#file(java.nio.file.Path)} on one
     * machine, the JDBC ledger ({@code sdk-jdbc}) to share limits across hosts. In memory when not
     * set (for tests: a restart forgets the month's spend and the alerts fired).
     */
    public Builder ledger(SpendLedger l) {
      this.ledger = Objects.requireNonNull(l, "ledger");
      return this;
    }

    /** The host's human checkpoint. Without one, every checkpoint is denied. */
    public Builder approvals(ApprovalGate g) {
      this.approvals = Objects.requireNonNull(g, "approvals");
      return this;
    }

    public Builder audit(AuditLog a) {
      this.audit = Objects.requireNonNull(a, "audit");
      return this;
    }

    public Builder vault(CredentialVault v) {
      this.vault = Objects.requireNonNull(v, "vault");
      return this;
    }

    public Builder journal(RunJournal j) {
      this.journal = Objects.requireNonNull(j, "journal");
      return this;
    }

    public Builder listener(ProvisioningListener l) {
      listeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    public Builder sleeper(Sleeper s) {
      this.sleeper = Objects.requireNonNull(s, "sleeper");
      return this;
    }

    public Builder idGenerator(IdGenerator g) {
      this.ids = Objects.requireNonNull(g, "idGenerator");
      return this;
    }

    /**
     * Runs steps, and the calls a step forks; the host keeps ownership (it is not shut down by
     * {@link #close()}). Without one the provisioner makes its own: virtual threads on Java 21 and
     * later, else a pool of {@link #DEFAULT_STEP_THREADS} threads.
     */
    public Builder stepExecutor(ExecutorService e) {
      this.stepExecutor = Objects.requireNonNull(e, "stepExecutor");
      return this;
    }

    /**
     * Plans {@link #provisionAndDeployAsync} runs (their steps go to the step executor); the host
     * keeps ownership. Without one, the step executor plans them too.
     */
    public Builder runExecutor(ExecutorService e) {
      this.runExecutor = Objects.requireNonNull(e, "runExecutor");
      return this;
    }

    /** How long a step may wait before giving up; 1 minute to 1 day. */
    public Builder stepTimeout(Duration d) {
      this.stepTimeout = Checks.within("stepTimeout", d, Duration.ofMinutes(1), Duration.ofDays(1));
      return this;
    }

    /** How long a checkpoint waits for a human; 10 seconds to 7 days. */
    public Builder approvalTimeout(Duration d) {
      this.approvalTimeout = Checks.within("approvalTimeout", d, Duration.ofSeconds(10), Duration.ofDays(7));
      return this;
    }

    /**
     * The HTTP stack shared by this provisioner's adapters: give the same one to each adapter's
     * builder, and here, so plug-ins without one of their own use it ({@code StepContext.http()}).
     * The host keeps ownership (it is not closed by {@link #close()}). Default: {@link HttpStack#shared()}.
     */
    public Builder http(HttpStack stack) {
      this.http = Objects.requireNonNull(stack, "http");
      return this;
    }

    /**
     * How long the verify step asks the deployed app to answer before the step fails (retryable);
     * 10 seconds to 1 hour, default {@link AgentProvisioner#DEFAULT_VERIFY_TIMEOUT}. Each check is
     * one request; the step deadline still applies when shorter.
     */
    public Builder verifyTimeout(Duration d) {
      this.verifyTimeout = Checks.within("verifyTimeout", d, Duration.ofSeconds(10), Duration.ofHours(1));
      return this;
    }

    /**
     * How long a provider's catalog is used for planning before it is read again, default
     * {@link CatalogCache#DEFAULT_TTL}; zero reads it for every plan. It is read again at once after
     * a run at that provider failed, in case a price or a service changed.
     */
    public Builder catalogTtl(Duration ttl) {
      this.catalogTtl = Checks.nonNegative("catalogTtl", ttl);
      return this;
    }

    public Builder onFailure(FailureAction a) {
      this.failureAction = Objects.requireNonNull(a, "onFailure");
      return this;
    }

    /**
     * Where what agents create is counted against the policy's
     * {@link io.agentprovision.core.policy.VelocityLimit}s; in memory unless set (share one store
     * among hosts that share limits).
     */
    public Builder velocityStore(VelocityStore store) {
      this.velocity = Objects.requireNonNull(store, "velocityStore");
      return this;
    }

    /**
     * What a run does when the app was deployed and did not answer when checked: finish as
     * {@link Deployment.Outcome#DEPLOYED_UNVERIFIED} ({@link UnverifiedAction#REPORT_UNVERIFIED}, the
     * default) or fail ({@link UnverifiedAction#FAIL}). Never "succeeded".
     */
    public Builder onUnverified(UnverifiedAction a) {
      this.unverifiedAction = Objects.requireNonNull(a, "onUnverified");
      return this;
    }

    /** The catalog service id that sells domains. */
    public Builder domainService(String serviceId) {
      if (serviceId == null || serviceId.isBlank()) {
        throw new InvalidRequestException("domainService", "is empty", "pass a service id such as \"registrar:domain\"");
      }
      this.domainService = serviceId;
      return this;
    }

    /**
     * The domain-name rules the planner and the domain step apply to the requested name and to
     * every name the provider offers: public suffixes, protected names, and whether a look-alike is
     * refused ({@link DomainNames#DEFAULT_LOOKALIKE_POLICY}) or put to a person. Default
     * {@link DomainNames#defaults()}.
     */
    public Builder domainNames(DomainNames names) {
      this.domainNames = Objects.requireNonNull(names, "domainNames");
      return this;
    }

    /**
     * Signs a receipt of every approval decision with {@code key} (ES256; it must hold the private
     * half, and may carry retired keys to verify older receipts): a compact JWS in the decision's
     * audit entry and journal entry, binding the approver, the checkpoint, the amount, the run and the
     * hashes of the exact request and plan. Checked when a run ends, before a resumed step reuses an
     * approval, and by {@link AgentProvisioner#receipts()}. None by default.
     */
    public Builder receiptKey(ReceiptKey key) {
      Objects.requireNonNull(key, "receiptKey");
      if (!key.canSign()) {
        throw new InvalidRequestException("receiptKey", "'" + key.keyId() + "' holds no private half",
            "pass the signing key; hand its publicJwk() to whoever verifies receipts");
      }
      this.receiptKey = key;
      return this;
    }

    /** The issuer ({@code iss}) receipts name: the host's name; {@value ApprovalReceipts#DEFAULT_ISSUER} by default. */
    public Builder receiptIssuer(String issuer) {
      if (issuer == null || issuer.isBlank() || issuer.length() > 200) {
        throw new InvalidRequestException("receiptIssuer", "must be 1 to 200 characters", "pass the host's name");
      }
      this.receiptIssuer = issuer;
      return this;
    }

    /**
     * Accepts intent mandates signed with the keys {@code trust} names, and says what a checkpoint
     * beyond a mandate's bound gets ({@link MandateTrust#onExceeded}). Mandates themselves are handed
     * over with {@link AgentProvisioner#mandates()}. None by default.
     */
    public Builder mandates(MandateTrust trust) {
      this.mandateTrust = Objects.requireNonNull(trust, "mandates");
      return this;
    }

    public AgentProvisioner build() {
      if (orchestrator == null) {
        throw new InvalidRequestException("orchestrator", "is missing",
            "call .orchestrator(StripeProjects.builder()...build()) or .orchestrator(DirectOrchestrator...)");
      }
      if (identity == null) {
        throw new InvalidRequestException("identity", "is missing",
            "call .identity(...) with an OidcIdentityProvider or the orchestrator's attested identity");
      }
      List<ExecutorService> owned = new ArrayList<>();
      ExecutorService steps = stepExecutor;
      if (steps == null) {
        steps = TaskExecutors.create("agentprovision-step", DEFAULT_STEP_THREADS);
        owned.add(steps);
      }
      // planning an async run is one short task; it needs no pool of its own
      ExecutorService runs = runExecutor != null ? runExecutor : steps;
      // gates are called on threads of their own, so that a run stops waiting for one at its deadline
      ExecutorService approvalThreads = Executors.newCachedThreadPool(TaskExecutors.daemon("agentprovision-approval"));
      owned.add(approvalThreads);
      ScheduledExecutorService timer = scheduler;
      if (timer == null) {
        // lease heartbeats, approval deadlines and token rotation: short jobs, cancelled ones removed at once
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, TaskExecutors.daemon("agentprovision-scheduler"));
        t.setRemoveOnCancelPolicy(true);
        timer = t;
        owned.add(timer);
      }
      warnIfInMemory(ledger == null, policyStore == null);
      EngineConfig.Builder engineConfig = EngineConfig.builder().policyStore(policyStore);
      if (policy != null) {
        engineConfig.policy(policy);
      }
      EngineConfig config = engineConfig.orchestrator(orchestrator).deployers(deployers).identity(identity)
          .ledger(ledger).approvals(approvals).audit(audit).vault(vault).journal(journal)
          .listeners(listeners).clock(clock).sleeper(sleeper).ids(ids).stepExecutor(steps).runExecutor(runs)
          .approvalExecutor(approvalThreads).stepTimeout(stepTimeout).approvalTimeout(approvalTimeout)
          .failureAction(failureAction).domainService(domainService).domainNames(domainNames)
          .http(http).verifyTimeout(verifyTimeout).unverifiedAction(unverifiedAction).velocity(velocity)
          .catalogTtl(catalogTtl).scheduler(timer).leaseOwner(leaseOwner).leaseDuration(leaseDuration)
          .receipts(receiptKey == null ? null : ApprovalReceipts.of(receiptKey).issuer(receiptIssuer))
          .mandates(mandateTrust).build();
      return new AgentProvisioner(new Engine(config), timer, owned);
    }

    /**
     * Says once per process that spend state lives in memory: limits' use, budget alerts and the
     * policy's changes are then lost when the process exits, which is right for tests and wrong for
     * a host that spends money.
     */
    private static void warnIfInMemory(boolean ledgerInMemory, boolean policyInMemory) {
      if ((ledgerInMemory || policyInMemory) && IN_MEMORY_WARNED.compareAndSet(false, true)) {
        LoggerFactory.getLogger(AgentProvisioner.class).warn("AgentProvisioner keeps its {} in memory: the month's "
            + "spend, the budget alerts fired and policy changes are lost when this process exits. That is meant for "
            + "tests; name durable stores with ledger(SpendLedger.file(dir)) and policyStore(PolicyStore.file(file)),"
            + " or the JDBC stores of sdk-jdbc.", ledgerInMemory && policyInMemory ? "spend ledger and spend policy"
            : ledgerInMemory ? "spend ledger" : "spend policy");
      }
    }

  }

  /** Waits up to {@code timeout} for the provisioner's own executors to finish after {@link #close()}. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (ExecutorService e : owned) {
      if (!e.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The deploy token of {@code agent}'s finished run, for hosts that deploy again with it (the value
   * comes from the vault).
   *
   * @throws RunNotFoundException when {@code agent} has no such run
   * @throws InvalidRequestException when the token was revoked
   */
  public DeployCredentials deployCredentials(AgentId agent, RunId runId) {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(runId, "runId");
    return engine.deployCredentials(engine.runOf(agent, runId).id());
  }

  /**
   * Calls that reach any agent's runs, for the host's operators: each is audited
   * ({@code admin.<call>}) with who made it and why, before it acts. Agents use the calls of
   * {@link AgentProvisioner} itself, which take the calling agent and refuse other agents' runs.
   *
   * <pre>{@code
   * provisioner.admin("ops:grace").resume(runId, "the agent's host crashed; ticket OPS-112");
   * }</pre>
   *
   * @param operator who acts, as the host names its people or jobs
   */
  public Admin admin(String operator) {
    return new Admin(requireText("operator", operator));
  }

  /** Administrative access to every agent's runs; see {@link AgentProvisioner#admin}. */
  public final class Admin {
    private final String operator;

    private Admin(String operator) {
      this.operator = operator;
    }

    /** Who acts. */
    public String operator() {
      return operator;
    }

    /** Every run in the journal with any of these statuses (all when none are given), of every agent. */
    public List<RunRecord> runs(RunStatus... statuses) {
      engine.audit("admin.runs", null, null, "ok", Map.of("operator", operator));
      return engine.config().journal().runs(statuses);
    }

    /**
     * {@link AgentProvisioner#resume} for any agent's run.
     *
     * @throws InvalidRequestException when the journal has no such run
     */
    public Deployment resume(RunId runId, String reason) {
      return engine.resume(audited("resume", runId, reason).id());
    }

    /** {@link AgentProvisioner#rotateCredentials} for any agent's run. */
    public Deployment.TokenSummary rotateCredentials(RunId runId, String reason) {
      return engine.rotate(audited("rotate_credentials", runId, reason).id());
    }

    /** {@link AgentProvisioner#revokeCredentials} for any agent's run, such as a token that leaked. */
    public Deployment.TokenSummary revokeCredentials(RunId runId, String reason) {
      return engine.revoke(audited("revoke_credentials", runId, reason).id(), reason);
    }

    /** {@link AgentProvisioner#deployCredentials} for any agent's run. */
    public DeployCredentials deployCredentials(RunId runId, String reason) {
      return engine.deployCredentials(audited("deploy_credentials", runId, reason).id());
    }

    private RunRecord audited(String call, RunId runId, String reason) {
      Objects.requireNonNull(runId, "runId");
      String why = requireText("reason", reason);
      RunRecord rec = engine.config().journal().run(runId).orElse(null);
      engine.audit("admin." + call, runId, rec == null ? null : rec.agent(), rec == null ? "not_found" : "ok",
          Map.of("operator", operator, "reason", why));
      if (rec == null) {
        throw new InvalidRequestException("runId", "no run " + runId + " in the journal",
            "pass the id of a run this journal recorded (admin().runs())");
      }
      return rec;
    }

    @Override
    public String toString() {
      return "AgentProvisioner.Admin{operator=" + operator + "}";
    }
  }

  private static String requireText(String field, @Nullable String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidRequestException(field, "is empty", "say " + (field.equals("operator")
          ? "who acts, such as \"ops:grace\"" : "why, such as a ticket number"));
    }
    return value;
  }
}
