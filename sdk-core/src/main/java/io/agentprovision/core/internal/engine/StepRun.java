package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.approval.ReceiptExpectation;
import io.agentprovision.core.approval.ReceiptRejectedException;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.internal.concurrent.ForkedCall;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.spi.StepContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * One execution of one step: what a {@link Step} is given. It is the {@link StepContext} that
 * plug-ins receive (spend goes through policy, the ledger, step-up and approval here; checkpoints
 * go to the gate), and it gives the step typed access to its run: the request, the catalog, and
 * the outputs of the steps it depends on ({@link #output(Class)}). Every change the engine tracks
 * for the step (reservations made, checkpoint decisions, progress) is journaled here as it happens,
 * so that the step run again after an interruption finds it.
 */
final class StepRun implements StepContext {
  private final Engine.Services engine;
  private final RunState rs;
  private final StepId id;
  private final @Nullable Step<?> step;
  private final Instant deadline;
  private final Object journalLock = new Object();
  private volatile StepRecord record;
  private final AtomicInteger checkpointSeq = new AtomicInteger();
  final Spending spending;
  private final Velocity velocity;

  StepRun(Engine.Services engine, RunState rs, StepId id, @Nullable Step<?> step, StepRecord record) {
    this.engine = engine;
    this.rs = rs;
    this.id = id;
    this.step = step;
    this.deadline = engine.config().clock().instant().plus(engine.config().stepTimeout());
    this.record = record;
    this.spending = new Spending(engine, rs, this);
    this.velocity = new Velocity(engine, rs, this);
  }

  // ---- what the step is for ------------------------------------------------------------------

  @Override
  public RunId runId() {
    return rs.run;
  }

  @Override
  public StepId stepId() {
    return id;
  }

  @Override
  public AgentId agent() {
    return rs.request.agent();
  }

  @Override
  public @Nullable Principal principal() {
    return rs.principal();
  }

  /** The principal, which every step after the identity step has. */
  Principal requirePrincipal() {
    Principal p = rs.principal();
    if (p == null) {
      throw new IllegalStateException("run " + rs.run + " has no principal at step " + id);
    }
    return p;
  }

  ProvisionRequest request() {
    return rs.request;
  }

  Catalog catalog() {
    return rs.catalog;
  }

  RunPlan plan() {
    return rs.plan;
  }

  /** This step as the plan priced and judged it. */
  PlannedStep planned() {
    return rs.plan.planned(id);
  }

  EngineConfig config() {
    return engine.config();
  }

  /** Whom each run of the journal acts for, as this engine has read it. */
  PrincipalLock.People people() {
    return engine.people();
  }

  Orchestrator orchestrator() {
    return engine.config().orchestrator();
  }

  CredentialVault vault() {
    return engine.config().vault();
  }

  /** The deployer for the run's provider (the planner checked there is one). */
  Deployer deployer() {
    Deployer d = engine.config().deployers().get(rs.request.provider());
    if (d == null) {
      throw new IllegalStateException("no deployer for " + rs.request.provider());
    }
    return d;
  }

  // ---- the outputs of earlier steps ----------------------------------------------------------

  /**
   * What the one step of class {@code producer} in this run produced.
   *
   * @throws IllegalStateException when the run has no such step, or it is not one this step waits for
   */
  <O extends Record, S extends Step<O>> O output(Class<S> producer) {
    O out = outputIfPresent(producer);
    if (out == null) {
      throw new IllegalStateException("step " + id + " reads the output of a " + producer.getSimpleName()
          + ", which run " + rs.run + " does not have");
    }
    return out;
  }

  /** What the one step of class {@code producer} produced, or null when the run has no such step. */
  <O extends Record, S extends Step<O>> @Nullable O outputIfPresent(Class<S> producer) {
    S s = rs.graph().only(producer).orElse(null);
    return s == null ? null : output(s.id(), s.outputType());
  }

  /**
   * What step {@code producer} produced.
   *
   * @throws IllegalStateException when this step does not wait for it (its output might not exist yet)
   */
  <T extends Record> T output(StepId producer, Class<T> type) {
    if (step != null && !rs.graph().upstream(id).contains(producer)) {
      throw new IllegalStateException("step " + id + " reads the output of " + producer + " without waiting for it; "
          + "make " + producer + " one of its dependencies in the flow");
    }
    return rs.outputs.get(producer, type);
  }

  // ---- the journal ---------------------------------------------------------------------------

  @Override
  public String idempotencyKey() {
    String k = record.idempotencyKey();
    if (k == null) {
      throw new IllegalStateException("step " + id + " has no journaled idempotency key");
    }
    return k;
  }

  @Override
  public Instant deadline() {
    return deadline;
  }

  StepRecord record() {
    return record;
  }

  /**
   * Keeps {@code state}, read by this step with a request sent at {@code asked}, for a later step of
   * the run ({@link RunState#readAhead}).
   */
  void readAhead(ResourceState state, Instant asked) {
    rs.readAhead(state, asked);
  }

  /** The state of {@code resource} an earlier step of this execution read ahead for this one; null when none. */
  @Nullable ResourceState takeReadAhead(ResourceRef resource) {
    return rs.takeReadAhead(resource, clock().instant());
  }

  /** Journals intermediate results of a running step (such as a resource id before answering its questions). */
  void saveProgress(Record progress) {
    String json = OutputCodec.encode(progress);
    journal(b -> b.progress(json));
  }

  /**
   * What this step saved with {@link #saveProgress} in an earlier attempt (before an interruption),
   * or null when it saved nothing or something else.
   */
  <T extends Record> @Nullable T savedProgress(Class<T> type) {
    String json = record.progress();
    if (json == null) {
      return null;
    }
    try {
      return OutputCodec.decode(json, type, rs.run, id);
    } catch (RuntimeException other) {
      return null;
    }
  }

  /** Applies {@code change} to the step's journal entry and saves it; another host's change in between is an error. */
  StepRecord journal(UnaryOperator<StepRecord.Builder> change) {
    return journal(change, true);
  }

  /**
   * Journals the step's end ({@code change} gives its status and output) with
   * {@link io.agentprovision.core.spi.RunJournal#saveStepResult}: durable with the run's next save
   * rather than on its own, since nothing the step does after it needs it on disk.
   */
  StepRecord journalResult(UnaryOperator<StepRecord.Builder> change) {
    return journal(change, false);
  }

  private StepRecord journal(UnaryOperator<StepRecord.Builder> change, boolean force) {
    synchronized (journalLock) {
      StepRecord cur = record;
      StepRecord next = change.apply(cur.next(engine.config().clock().instant())).build();
      boolean saved = force ? engine.config().journal().saveStep(next) : engine.config().journal().saveStepResult(next);
      if (!saved) {
        throw new AgentProvisionException("step " + id + " of run " + rs.run + " was changed by another host while "
            + "running here; stop this host's copy of the run", null, false);
      }
      record = next;
      return next;
    }
  }

  // ---- people, money, events, audit ----------------------------------------------------------

  /**
   * Puts a checkpoint to the gate, unless this step, run before, already had it approved: the
   * checkpoints of a step are counted in the order it asks them, and each decision is journaled
   * under its number, so a step run again after an interruption finds the person's answer to the
   * same question at the same place (see {@link CheckpointDecision#answers}).
   */
  @Override
  public ApprovalDecision checkpoint(CheckpointRequest request) {
    Objects.requireNonNull(request, "request");
    if (request.kind() != CheckpointKind.STEP_UP && engine.config().spendPolicy().requiresMfa(request.kind())) {
      // the policy lists this kind: the person shows a recent second factor before it reaches the gate
      stepUp(request.kind());
    }
    int seq = checkpointSeq.incrementAndGet();
    String fingerprint = Checkpoints.fingerprint(request);
    String planHash = rs.plan.planHash();
    CheckpointDecision earlier = record.decision(seq).orElse(null);
    if (earlier != null && earlier.answers(fingerprint)) {
      // an approval in the journal is reused only when its receipt stands for this run, question and plan
      ReceiptRejectedException refused = engine.checkpoints().receipts().refusalOfReuse(earlier,
          new ReceiptExpectation(null, rs.run, request.kind(), request.cost(), fingerprint, planHash));
      if (refused == null) {
        audit("approval.reused").approver(earlier.approver()).amount(request.cost())
            .detail("approval_id", earlier.approvalId()).detail("kind", earlier.kind().name())
            .detail("sequence", String.valueOf(seq)).record();
        return ApprovalDecision.approved(earlier.approver(), "approved before step " + id + " was interrupted",
            earlier.decidedAt());
      }
      audit("approval.receipt_refused").outcome("refused").amount(request.cost())
          .detail("approval_id", earlier.approvalId()).detail("kind", earlier.kind().name())
          .detail("reason", refused.reason().name().toLowerCase(java.util.Locale.ROOT))
          .detail("why", String.valueOf(refused.getMessage())).record();
    }
    if (step != null) {
      // a step of the run loop can wait for a person in the journal: an answer given since it parked is here
      Parking.Answer waited = engine.parking().answer(rs.run, id, seq, fingerprint);
      if (waited != null) {
        // the decision is journaled with this step like any other, with its signed receipt
        String receipt = engine.checkpoints().receipts().sign(new Checkpoints.Asker(rs.run, id, agent(), principal(),
            planHash, null), waited.asked(), waited.decision(), fingerprint, null);
        journal(b -> b.decision(CheckpointDecision.of(seq, waited.asked(), fingerprint, waited.decision(), receipt)));
        return Checkpoints.verdict(request.title(), waited.asked().deadline(), waited.decision());
      }
    }
    // the gate may tell a person, who may act on it, and the run may park: what it wrote is on disk first
    engine.config().durability().cross();
    return engine.checkpoints().ask(new Checkpoints.Asker(rs.run, id, agent(), principal(), planHash,
        mandateScope(request)), request, new Checkpoints.Recorder() {
          @Override
          public void decided(ApprovalRequest asked, ApprovalDecision decision, @Nullable String receipt) {
            journal(b -> b.decision(CheckpointDecision.of(seq, asked, fingerprint, decision, receipt)));
          }

          @Override
          public void deferred(ApprovalRequest asked) {
            if (step != null) {
              leaseCheck();
              engine.parking().park(asked, seq, fingerprint, planHash);
            }
          }
        });
  }

  /**
   * What an intent mandate would be asked to cover for {@code request}: the run's provider, and the
   * services and prices it approves. A plan approval approves every paid step's price, and the cap of
   * a step whose price is not known before buying (that step is not asked again up to it), so those
   * are its prices and their sum its amount; a price set later by a choice (a domain's name) is left
   * to the checkpoint that confirms the choice at its price, which the mandate judges then.
   */
  private MandateBook.Scope mandateScope(CheckpointRequest request) {
    Principal p = principal();
    List<String> services = new ArrayList<>();
    List<io.agentprovision.core.Money> prices = new ArrayList<>();
    io.agentprovision.core.Money amount = request.cost();
    if (request.kind() == CheckpointKind.PLAN_APPROVAL) {
      amount = null;
      boolean oneCurrency = true;
      for (PlannedStep s : rs.plan.steps()) {
        io.agentprovision.core.Money q = s.quote();
        if (!s.paid() || q == null || s.serviceId() == null) {
          continue; // free, or billed with its plan: nothing is paid for it now
        }
        services.add(s.serviceId()); // every service the plan pays for must be the mandate's
        Step<?> planStep = rs.graph().step(s.id()).orElse(null);
        Step.Price price = planStep == null ? null : planStep.price();
        if (price != null && price.pricedByChoice()) {
          continue;
        }
        prices.add(q);
        if (amount == null) {
          amount = q;
        } else if (amount.sameCurrency(q)) {
          amount = amount.plus(q);
        } else {
          oneCurrency = false;
        }
      }
      if (!oneCurrency) {
        amount = null; // a mandate counts one currency: a plan in two goes to a person
      }
    } else if (request.cost() != null) {
      String service = step == null ? null : planned().serviceId();
      if (service != null) {
        services.add(service);
      }
      prices.add(request.cost());
    }
    return new MandateBook.Scope(agent(), p == null ? null : p.subject(), rs.request.provider(), request.kind(),
        amount, services, prices);
  }

  // ---- leases --------------------------------------------------------------------------------

  /** Renews the run's lease: a host that lost it stops here, before the side effect that follows. */
  void leaseCheck() {
    RunLease l = rs.lease;
    if (l != null) {
      l.check();
    }
  }

  /** The person's lock this step holds ({@link PrincipalLock}), or null. */
  private volatile @Nullable String heldLock;
  private final List<Runnable> whenDone = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Takes the lease {@code name} for the run; returns null when taken (released when the step ends),
   * else the lease of the run that holds it.
   */
  io.agentprovision.core.journal.@Nullable Lease tryLock(String name) {
    RunLease l = rs.lease;
    if (l == null) {
      return null; // executed outside a lease (a rotation): nothing to serialize with
    }
    io.agentprovision.core.journal.Lease holder = l.tryNamed(name);
    if (holder == null) {
      heldLock = name;
      whenDone.add(() -> unlock(name));
    }
    return holder;
  }

  void unlock(String name) {
    RunLease l = rs.lease;
    if (l != null && name.equals(heldLock)) {
      heldLock = null;
      l.releaseNamed(name);
    }
  }

  /**
   * The last word before a paid call: the run's lease is renewed (a host that lost it stops), and a
   * person's lock this step holds must still be its own, else {@code giveBack} runs and
   * {@link PrincipalLock.Lost} sends the step back to look again for what another run bought.
   */
  void beforePaidCall(Runnable giveBack) {
    leaseCheck();
    String lock = heldLock;
    RunLease l = rs.lease;
    if (lock != null && l != null && !l.checkNamed(lock)) {
      heldLock = null;
      giveBack.run();
      throw new PrincipalLock.Lost(lock);
    }
  }

  /** Runs what the step left to do once its end is journaled (releasing a person's lock). */
  void done() {
    for (Runnable r : whenDone) {
      try {
        r.run();
      } catch (RuntimeException e) {
        // a lease that cannot be released expires on its own
      }
    }
    whenDone.clear();
  }

  @Override
  public SpendAuthorization authorizeSpend(SpendRequest request) {
    return spending.authorize(request);
  }

  /**
   * {@link #authorizeSpend} for a cap: the price is not known before buying, so the reservation is
   * the most the step may spend, and a person asked is asked to allow up to it.
   */
  SpendAuthorization authorizeUpTo(SpendRequest request) {
    return spending.authorize(request, true);
  }

  /**
   * Refuses {@code price} when it is more than {@code held} reserved (a cap reserved before the price
   * was known), with the policy refusal a reservation of that price would have met.
   */
  void requireWithin(SpendAuthorization held, io.agentprovision.core.Money price, String description) {
    spending.requireWithin(held, price, description);
  }

  /** Counts what the step creates against the velocity limits, before it creates it. */
  Velocity velocity() {
    return velocity;
  }

  /**
   * Makes the paid call {@code call} under {@code auth} (null: nothing to pay) and settles its
   * money by what it did, reconciling within the step when the answer leaves that open (see
   * {@link Spending#paid}).
   */
  <T> T paid(@Nullable SpendAuthorization auth, String what, java.util.function.Supplier<T> call) {
    return spending.paid(auth, what, call);
  }

  @Override
  public Clock clock() {
    return engine.config().clock();
  }

  @Override
  public Sleeper sleeper() {
    return engine.config().sleeper();
  }

  /** How long the verify step keeps asking whether the app answers. */
  java.time.Duration verifyTimeout() {
    return engine.config().verifyTimeout();
  }

  @Override
  public HttpStack http() {
    return engine.config().http();
  }

  @Override
  public void progress(String message) {
    engine.events().emit(new ProvisioningEvent.Progress(engine.config().clock().instant(), rs.run, id, message));
  }

  @Override
  public void retrying(int attempt, Duration delay, String reason) {
    engine.events().emit(new ProvisioningEvent.StepRetry(engine.config().clock().instant(), rs.run, id, attempt, delay,
        reason));
  }

  /** On the provisioner's step executor; the joining thread runs the call when no thread has yet. */
  @Override
  public <T> Forked<T> fork(Callable<T> call) {
    return ForkedCall.submit(call, engine.config().stepExecutor());
  }

  @Override
  public void audit(String action, String outcome, Map<String, String> details) {
    audit(action).outcome(outcome).key(idempotencyKey()).details(details).record();
  }

  /** An audit entry of this step, with the run, the step, the agent and the principal filled in. */
  Auditor.Entry audit(String action) {
    return engine.auditor().entry(action).run(rs.run).step(id).agent(agent()).principal(principal());
  }

  /**
   * Demands a recent second factor before {@code kind}: nothing when this execution of the run
   * already stepped up recently enough for the policy, otherwise a step-up bound to the run's
   * principal (see {@link StepUp}). One step-up at a time per run, so that two steps needing one at
   * once ask the person once.
   */
  void stepUp(CheckpointKind kind) {
    synchronized (rs.stepUpLock) {
      if (engine.stepUp().recent(rs.steppedUpPrincipal(), engine.config().spendPolicy())) {
        return;
      }
      Principal next = engine.stepUp().require(kind, requirePrincipal(),
          new Checkpoints.Asker(rs.run, id, agent(), principal()), this::checkpoint);
      rs.steppedUp(next);
    }
  }

  /**
   * What a failure says about the money of the step's paid call: {@link ProviderException.Outcome#of}
   * (a provider's own word, nothing for the SDK's refusals before any side effect, unknown for
   * anything unexpected); unknown while the run is stopping (a crash or a cancel leaves things as
   * they are).
   */
  ProviderException.Outcome chargeOutcome(@Nullable Throwable failure) {
    if (rs.stopping) {
      return ProviderException.Outcome.UNKNOWN;
    }
    return ProviderException.Outcome.of(failure);
  }

  /** Whether the run is stopping (a cancel, or a crash elsewhere): nothing more should be attempted. */
  boolean stopping() {
    return rs.stopping;
  }
}
