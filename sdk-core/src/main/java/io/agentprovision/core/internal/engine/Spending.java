package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The money side of one step execution: policy, the ledger, step-up and approval before a paid
 * call; commit or release after. Each reservation is journaled with the step as soon as it is
 * made, so the step run again after an interruption meets it again instead of reserving twice.
 */
final class Spending {
  private final Engine.Services engine;
  private final RunState rs;
  private final StepRun ctx;
  private final AtomicInteger spendSeq = new AtomicInteger();
  /** Reservations this execution made itself, as opposed to ones inherited from an interrupted attempt. */
  private final Set<String> madeHere = ConcurrentHashMap.newKeySet();

  Spending(Engine.Services engine, RunState rs, StepRun ctx) {
    this.engine = engine;
    this.rs = rs;
    this.ctx = ctx;
  }

  SpendAuthorization authorize(SpendRequest request) {
    return authorize(request, false);
  }

  /**
   * Reserves {@code request.amount()} after the policy's checks. With {@code upTo}, the amount is a
   * cap (the price is not known before buying): it is lowered to what the limits still admit now when
   * that is less (another step of the run spent meanwhile), and the person, when asked, is asked to
   * allow up to it.
   */
  SpendAuthorization authorize(SpendRequest request, boolean upTo) {
    SpendPolicy policy = engine.config().spendPolicy();
    if (upTo) {
      Money now = admittedNow(request.amount(), request.provider(), policy);
      if (now.isPositive() && now.lessThan(request.amount())) {
        request = new SpendRequest(request.kind(), request.provider(), now, request.description(), request.details());
      }
    }
    String baseId = rs.run + ":" + ctx.stepId() + ":" + spendSeq.incrementAndGet();
    Reservation reservation = reuseOrReserve(baseId, request, policy);
    EngineSpend spend = new EngineSpend(reservation);
    if (reservation.status() != Reservation.Status.COMMITTED) {
      try {
        if (policy.requiresMfa(request.kind())) {
          ctx.stepUp(request.kind()); // even when no person is asked to approve the spend
        }
        Money approved = rs.approvedQuote(ctx.stepId());
        boolean covered = approved != null && approved.sameCurrency(request.amount())
            && !request.amount().greaterThan(approved);
        if (policy.requiresApproval(request.amount()) && !covered) {
          Map<String, String> details = new LinkedHashMap<>(request.details());
          details.put("reservation", reservation.id());
          ctx.checkpoint(CheckpointRequest.confirm(request.kind(), "Pay " + (upTo ? "up to " : "")
              + request.amount() + " for " + request.description(), "agent " + ctx.agent() + " needs it for run "
              + rs.run + (upTo ? "; the price is not known before buying, so this is the most it may charge, and "
              + "what is charged is what is committed" : "") + "; policy requires a human above "
              + policy.approvalThreshold())
              .withCost(request.amount()).withDetails(details));
        }
      } catch (RuntimeException e) {
        if (!rs.stopping) {
          // a run being stopped (cancelled, or crashed elsewhere) leaves its reservations for the resume to settle
          spend.release();
        }
        throw e;
      }
    }
    ctx.journal(b -> b.reservation(reservation.id()));
    // journaled before the last look at the leases: a run that takes the person's lock over after this
    // sees the reservation and waits for this step to settle, instead of buying the same thing
    ctx.beforePaidCall(spend::release);
    return spend;
  }

  private Reservation reuseOrReserve(String baseId, SpendRequest request, SpendPolicy policy) {
    String id = baseId;
    for (int n = 1; ; n++) {
      Reservation existing = engine.config().ledger().reservation(id).orElse(null);
      if (existing == null) {
        break;
      }
      if ((existing.held() || existing.status() == Reservation.Status.COMMITTED)
          && existing.amount().equals(request.amount())) {
        // a resumed step meets the reservation it made before the interruption: held, uncertain
        // (its paid call, repeated with the same key, reconciles it) or already committed
        return existing;
      }
      id = baseId + "/r" + n;
    }
    Instant now = engine.config().clock().instant();
    Reservation r;
    try {
      r = engine.config().ledger().reserve(ReservationRequest.builder(id, ctx.agent(), request.provider(),
              request.amount())
          .run(rs.run).step(ctx.stepId()).at(now).expiresAt(now.plus(policy.reservationTtl()))
          .limits(policy.limitsFor(ctx.agent(), request.provider())).zone(policy.zone())
          .description(request.description()).build());
    } catch (PolicyViolationException e) {
      ctx.audit("spend.refused").amount(request.amount()).outcome("denied").detail("limit", e.limit())
          .detail("used", e.used().toString()).detail("remaining", e.remaining().toString())
          .detail("description", request.description()).record();
      engine.events().emit(new ProvisioningEvent.SpendRefused(engine.config().clock().instant(), rs.run, ctx.stepId(), ctx.agent(), request.provider(), request.amount(), e.limit(), e.remaining()));
      throw e;
    }
    madeHere.add(r.id());
    // the reservation and the alerts it set off are audited together, with one disk sync: nothing is done
    // outside the SDK between them
    List<Auditor.Entry> entries = new ArrayList<>();
    entries.add(ctx.audit("spend.reserved").amount(r.amount()).key(ctx.idempotencyKey()).detail("reservation", r.id())
        .detail("description", request.description()).detail("provider", request.provider()));
    List<ProvisioningEvent.BudgetAlert> fired = alerts(r, policy, entries);
    engine.auditor().recordAll(entries);
    engine.events().emit(new ProvisioningEvent.SpendHeld(engine.config().clock().instant(), rs.run, ctx.stepId(), r));
    fired.forEach(engine.events()::emit);
    return r;
  }

  /**
   * The least that the policy's limits still admit for a spend in {@code cap}'s currency, counting
   * every reservation but this step's own (so that a resumed step finds the same amount), and never
   * more than {@code cap}.
   */
  private Money admittedNow(Money cap, String provider, SpendPolicy policy) {
    Instant now = engine.config().clock().instant();
    java.util.List<Reservation> mine = new java.util.ArrayList<>();
    for (Reservation r : engine.config().ledger().reservations(rs.run)) {
      if (java.util.Objects.equals(ctx.stepId(), r.step())) {
        mine.add(r);
      }
    }
    Money least = cap;
    for (io.agentprovision.core.policy.SpendLimit limit : policy.limitsFor(ctx.agent(), provider)) {
      if (!limit.amount().sameCurrency(cap)) {
        continue;
      }
      LimitUsage u = engine.config().ledger().usage(limit, ctx.agent(), provider, now, policy.zone());
      Money used = u.used();
      if (limit.interval() != io.agentprovision.core.policy.SpendInterval.PER_TRANSACTION) {
        for (Reservation r : mine) {
          if (io.agentprovision.core.internal.spend.LimitMath.counts(limit, u.window(), ctx.agent(), provider, r)) {
            used = used.minus(r.counted(now));
          }
        }
      }
      Money remaining = limit.amount().minus(used);
      if (remaining.lessThan(least)) {
        least = remaining.isNegative() ? Money.zero(cap.currency()) : remaining;
      }
    }
    return least;
  }

  /**
   * Refuses {@code price} for a purchase under {@code held} (a cap reserved before the price was
   * known) when it is more than the cap: judged by the limit math as if the cap were not held, so
   * the refusal names the limit and what it admits, as a reservation of {@code price} would have.
   * Audited and announced as a refused spend; nothing more is reserved.
   */
  void requireWithin(SpendAuthorization held, Money price, String description) {
    Money cap = held.payment().maxAmount();
    if (price.sameCurrency(cap) && !price.greaterThan(cap)) {
      return;
    }
    SpendPolicy policy = engine.config().spendPolicy();
    Instant now = engine.config().clock().instant();
    String provider = rs.request.provider();
    PolicyViolationException refused = null;
    for (io.agentprovision.core.policy.SpendLimit limit : policy.limitsFor(ctx.agent(), provider)) {
      LimitUsage u = engine.config().ledger().usage(limit, ctx.agent(), provider, now, policy.zone());
      Money used = u.used();
      if (limit.interval() != io.agentprovision.core.policy.SpendInterval.PER_TRANSACTION && used.sameCurrency(cap)) {
        used = used.minus(cap);
      }
      refused = io.agentprovision.core.internal.spend.LimitMath.refusal(new LimitUsage(limit, u.bucket(), u.window(),
          used.isNegative() ? Money.zero(used.currency()) : used), price);
      if (refused != null) {
        break;
      }
    }
    if (refused == null) {
      refused = new PolicyViolationException("step cap", price, Money.zero(cap.currency()), cap, "step " + ctx.stepId()
          + " holds at most " + cap + ", the most the plan allowed for it");
    }
    ctx.audit("spend.refused").amount(price).outcome("denied").detail("limit", refused.limit())
        .detail("used", refused.used().toString()).detail("remaining", refused.remaining().toString())
        .detail("description", description).detail("reservation", held.payment().reservationId()).record();
    engine.events().emit(new ProvisioningEvent.SpendRefused(now, rs.run, ctx.stepId(), ctx.agent(), provider, price,
        refused.limit(), refused.remaining()));
    throw refused;
  }

  /**
   * Marks in the ledger the budget alerts {@code r} sets off (each fires once across hosts), adds
   * their audit entries to {@code entries}, and returns their events, to be emitted once audited.
   */
  private List<ProvisioningEvent.BudgetAlert> alerts(Reservation r, SpendPolicy policy, List<Auditor.Entry> entries) {
    List<ProvisioningEvent.BudgetAlert> fired = new ArrayList<>();
    for (LimitUsage u : r.usage()) {
      long max = u.limit().amount().minorUnits();
      for (int p : policy.alertPercents()) {
        if (max > 0 && u.used().minorUnits() * 100 >= (long) p * max) {
          String key = u.limit().key() + "|" + u.limit().amount().currencyCode() + "|" + u.bucket() + "|"
              + u.window().start() + "|" + p;
          if (engine.config().ledger().markAlert(key)) {
            fired.add(new ProvisioningEvent.BudgetAlert(engine.config().clock().instant(), rs.run, p, u));
            entries.add(ctx.audit("budget.alert").amount(u.used()).outcome("alerted").detail("limit", u.limit().toString())
                .detail("bucket", u.bucket()).detail("percent", String.valueOf(p))
                .detail("window_start", u.window().start().toString()));
          }
        }
      }
    }
    return fired;
  }

  /**
   * Settles what the step left open when it ends. When it succeeded, held reservations (reserved or
   * uncertain) are committed at their reserved amount: the step's paid work is done. When it
   * failed, {@link StepRun#chargeOutcome what the failure says} decides: a charge found is
   * committed; money the paid call may have charged is held as uncertain; only a reservation made
   * by this execution and never in doubt is released when nothing was charged. An uncertain
   * reservation is never released here: reconciliation settles it (the step run again on resume
   * repeats its paid call with the same idempotency key).
   */
  void settle(boolean succeeded, @Nullable Throwable failure) {
    ProviderException.Outcome outcome = succeeded ? ProviderException.Outcome.EXECUTED : ctx.chargeOutcome(failure);
    Money found = !succeeded && failure instanceof ProviderException p ? p.charged() : null;
    for (String id : ctx.record().reservations()) {
      Reservation r = engine.config().ledger().reservation(id).orElse(null);
      if (r == null || !r.held()) {
        continue;
      }
      EngineSpend s = new EngineSpend(r);
      if (found != null && found.sameCurrency(r.amount()) && !found.greaterThan(r.amount())) {
        s.reconciled(found, "a lookup after the failure found " + found + " charged");
      } else if (outcome == ProviderException.Outcome.EXECUTED) {
        s.commit(r.amount());
      } else if (outcome == ProviderException.Outcome.NOT_EXECUTED && r.status() == Reservation.Status.RESERVED
          && madeHere.contains(r.id())) {
        s.release();
      } else {
        s.uncertain(failure);
      }
    }
  }

  /**
   * Makes a paid call and settles its money by what the call did, reconciling within the step
   * when the answer leaves it open. A success returns (the step commits what it learnt was
   * charged). A failure is judged by {@link StepRun#chargeOutcome}: with a charge found by a
   * lookup ({@link ProviderException#charged()}), the reservation is settled at that amount; when
   * certainly not carried out, a reservation never in doubt is released and the failure thrown;
   * when carried out, it is committed; when unknown, it is held as uncertain. A call that was
   * carried out or may have been is then repeated with the same idempotency key (the orchestrator
   * replays what it did, or does it now), up to {@link #RECONCILE_ATTEMPTS} times in all, with
   * backoff in the step's time, while the step's deadline allows; a success settles it. What is
   * still uncertain afterwards stays held for a resume to reconcile.
   */
  <T> T paid(@Nullable SpendAuthorization auth, String what, Supplier<T> call) {
    if (auth == null) {
      return call.get();
    }
    EngineSpend spend = auth instanceof EngineSpend e ? e : null;
    for (int attempt = 1; ; attempt++) {
      T result;
      try {
        result = call.get();
      } catch (RuntimeException e) {
        if (ctx.stopping() || spend == null) {
          throw e;
        }
        ProviderException.Outcome outcome = ctx.chargeOutcome(e);
        Money found = e instanceof ProviderException p ? p.charged() : null;
        Reservation now = spend.current();
        if (found != null) {
          spend.reconciled(found, "a lookup after the failure found " + found + " charged");
        } else if (outcome == ProviderException.Outcome.EXECUTED) {
          spend.commit(now.amount());
        } else if (outcome == ProviderException.Outcome.NOT_EXECUTED) {
          if (now.status() == Reservation.Status.RESERVED && madeHere.contains(now.id())) {
            spend.release();
          } else if (now.held()) {
            // refused now, but an earlier attempt under this reservation may have gone through
            spend.uncertain(e);
          }
          throw e;
        } else {
          spend.uncertain(e);
        }
        boolean again = outcome == ProviderException.Outcome.UNKNOWN
            || (e instanceof AgentProvisionException a && a.retryable());
        Duration wait = RECONCILE_BACKOFF.after(attempt);
        if (!again || attempt >= RECONCILE_ATTEMPTS || !engine.config().clock().instant().plus(wait)
            .isBefore(ctx.deadline())) {
          throw e;
        }
        ctx.retrying(attempt + 1, wait, "reconciling " + what + " (" + e.getMessage() + ")");
        try {
          engine.config().sleeper().sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          e.addSuppressed(ie);
          throw e;
        }
        continue;
      }
      if (attempt > 1 || (spend != null && spend.current().status() == Reservation.Status.UNCERTAIN)) {
        ctx.progress(what + " answered" + (attempt > 1 ? " on attempt " + attempt : " on resume")
            + "; its money is settled by what it did");
      }
      return result;
    }
  }

  /** How many times in all {@link #paid} makes a call whose money is open, within one step execution. */
  static final int RECONCILE_ATTEMPTS = 3;
  /** The waits between those attempts, in the step's time. */
  static final Polling.Backoff RECONCILE_BACKOFF = new Polling.Backoff(Duration.ofSeconds(2), Duration.ofSeconds(16));

  /** A reservation handed to a plug-in; settling is idempotent and audited. */
  private final class EngineSpend implements SpendAuthorization {
    private final Reservation reservation;
    private final PaymentAuthorization payment;

    EngineSpend(Reservation reservation) {
      this.reservation = reservation;
      this.payment = new PaymentAuthorization(reservation.id(), reservation.amount(), reservation.expiresAt(),
          reservation.description());
    }

    @Override
    public PaymentAuthorization payment() {
      return payment;
    }

    /** The reservation as the ledger has it now. */
    Reservation current() {
      return engine.config().ledger().reservation(reservation.id()).orElse(reservation);
    }

    @Override
    public void commit(Money actual) {
      Money amount = actual.sameCurrency(reservation.amount()) && !actual.greaterThan(reservation.amount())
          ? actual : reservation.amount();
      Reservation before = current();
      if (before.status() == Reservation.Status.COMMITTED) {
        return;
      }
      Reservation after = engine.config().ledger().commit(reservation.id(), amount);
      if (before.status() == Reservation.Status.UNCERTAIN) {
        reconciledAudit(after, amount, "the paid call went through");
        return;
      }
      ctx.audit("spend.committed").amount(amount).key(ctx.idempotencyKey()).detail("reservation", reservation.id())
          .detail("reserved", reservation.amount().toString()).record();
      engine.events().emit(new ProvisioningEvent.SpendCommitted(engine.config().clock().instant(), rs.run, ctx.stepId(), reservation, amount));
    }

    /**
     * Holds the reservation as uncertain: the paid call may have charged it. Counted in full and
     * never expiring until reconciled; audited and announced the first time.
     */
    void uncertain(@Nullable Throwable why) {
      Reservation before = current();
      if (!before.held() || before.status() == Reservation.Status.UNCERTAIN) {
        return;
      }
      Reservation after = engine.config().ledger().markUncertain(reservation.id());
      String reason = why == null ? "the step was interrupted" : why.getMessage() == null
          ? why.getClass().getSimpleName() : why.getMessage();
      ctx.audit("spend.uncertain").amount(reservation.amount()).outcome("held").key(ctx.idempotencyKey())
          .detail("reservation", reservation.id()).detail("description", reservation.description())
          .detail("error", why == null ? "interrupted" : why.getClass().getSimpleName()).detail("reason", reason)
          .record();
      engine.events().emit(new ProvisioningEvent.SpendUncertain(engine.config().clock().instant(), rs.run,
          ctx.stepId(), after, reason));
    }

    /** Settles the reservation at what a lookup found charged (zero: nothing, and nothing can be any more). */
    void reconciled(Money charged, String how) {
      Reservation before = current();
      if (!before.held()) {
        return;
      }
      Reservation after = engine.config().ledger().reconcile(reservation.id(), charged);
      if (before.status() == Reservation.Status.UNCERTAIN) {
        reconciledAudit(after, charged, how);
      } else if (charged.isPositive()) {
        ctx.audit("spend.committed").amount(charged).key(ctx.idempotencyKey()).detail("reservation", reservation.id())
            .detail("reserved", reservation.amount().toString()).detail("how", how).record();
        engine.events().emit(new ProvisioningEvent.SpendCommitted(engine.config().clock().instant(), rs.run,
            ctx.stepId(), reservation, charged));
      } else {
        ctx.audit("spend.released").amount(reservation.amount()).detail("reservation", reservation.id())
            .detail("how", how).record();
        engine.events().emit(new ProvisioningEvent.SpendReleased(engine.config().clock().instant(), rs.run,
            ctx.stepId(), reservation));
      }
    }

    private void reconciledAudit(Reservation after, Money charged, String how) {
      ctx.audit("spend.reconciled").amount(charged).outcome(charged.isPositive() ? "committed" : "released")
          .key(ctx.idempotencyKey()).detail("reservation", reservation.id())
          .detail("reserved", reservation.amount().toString()).detail("how", how).record();
      engine.events().emit(new ProvisioningEvent.SpendReconciled(engine.config().clock().instant(), rs.run,
          ctx.stepId(), after, charged, how));
      // the money moved as a commit or a release does: listeners counting spend see it the same way
      engine.events().emit(charged.isPositive()
          ? new ProvisioningEvent.SpendCommitted(engine.config().clock().instant(), rs.run, ctx.stepId(), reservation,
              charged)
          : new ProvisioningEvent.SpendReleased(engine.config().clock().instant(), rs.run, ctx.stepId(), reservation));
    }

    @Override
    public void release() {
      Reservation before = current();
      if (before.status() != Reservation.Status.RESERVED) {
        return; // settled, or uncertain: only reconciliation gives an uncertain reservation back
      }
      if (!madeHere.contains(reservation.id())) {
        // made before an interruption: the paid call may have gone through then, so the money stays
        // held, as uncertain, until a resume reconciles it
        uncertain(null);
        return;
      }
      engine.config().ledger().release(reservation.id());
      ctx.audit("spend.released").amount(reservation.amount()).detail("reservation", reservation.id()).record();
      engine.events().emit(new ProvisioningEvent.SpendReleased(engine.config().clock().instant(), rs.run, ctx.stepId(), reservation));
    }
  }
}
