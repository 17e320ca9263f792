package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
    SpendPolicy policy = engine.config().spendPolicy();
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
          ctx.checkpoint(CheckpointRequest.confirm(request.kind(), "Pay " + request.amount() + " for "
              + request.description(), "agent " + ctx.agent() + " needs it for run " + rs.run
              + "; policy requires a human above " + policy.approvalThreshold())
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
    return spend;
  }

  private Reservation reuseOrReserve(String baseId, SpendRequest request, SpendPolicy policy) {
    String id = baseId;
    for (int n = 1; ; n++) {
      Reservation existing = engine.config().ledger().reservation(id).orElse(null);
      if (existing == null) {
        break;
      }
      if ((existing.status() == Reservation.Status.RESERVED || existing.status() == Reservation.Status.COMMITTED)
          && existing.amount().equals(request.amount())) {
        return existing; // a resumed step meets the reservation it made before the interruption
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
    ctx.audit("spend.reserved").amount(r.amount()).key(ctx.idempotencyKey()).detail("reservation", r.id())
        .detail("description", request.description()).detail("provider", request.provider()).record();
    engine.events().emit(new ProvisioningEvent.SpendHeld(engine.config().clock().instant(), rs.run, ctx.stepId(), r));
    alerts(r, policy);
    return r;
  }

  private void alerts(Reservation r, SpendPolicy policy) {
    for (LimitUsage u : r.usage()) {
      long max = u.limit().amount().minorUnits();
      for (int p : policy.alertPercents()) {
        if (max > 0 && u.used().minorUnits() * 100 >= (long) p * max) {
          String key = u.limit().key() + "|" + u.limit().amount().currencyCode() + "|" + u.bucket() + "|"
              + u.window().start() + "|" + p;
          if (engine.config().ledger().markAlert(key)) {
            engine.events().emit(new ProvisioningEvent.BudgetAlert(engine.config().clock().instant(), rs.run, p, u));
            ctx.audit("budget.alert").amount(u.used()).outcome("alerted").detail("limit", u.limit().toString())
                .detail("bucket", u.bucket()).detail("percent", String.valueOf(p))
                .detail("window_start", u.window().start().toString()).record();
          }
        }
      }
    }
  }

  /**
   * Settles what the step left open: commits held reservations when it succeeded; releases them
   * when it failed and {@link StepRun#chargeRuledOut} says nothing can have been charged.
   */
  void settle(boolean succeeded, @Nullable Throwable failure) {
    if (!succeeded && !ctx.chargeRuledOut(failure)) {
      return;
    }
    for (String id : ctx.record().reservations()) {
      Reservation r = engine.config().ledger().reservation(id).orElse(null);
      if (r == null || r.status() != Reservation.Status.RESERVED) {
        continue;
      }
      EngineSpend s = new EngineSpend(r);
      if (succeeded) {
        s.commit(r.amount());
      } else {
        s.release();
      }
    }
  }

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

    @Override
    public void commit(Money actual) {
      Money amount = actual.sameCurrency(reservation.amount()) && !actual.greaterThan(reservation.amount())
          ? actual : reservation.amount();
      Reservation before = engine.config().ledger().reservation(reservation.id()).orElse(reservation);
      if (before.status() == Reservation.Status.COMMITTED) {
        return;
      }
      engine.config().ledger().commit(reservation.id(), amount);
      ctx.audit("spend.committed").amount(amount).key(ctx.idempotencyKey()).detail("reservation", reservation.id())
          .detail("reserved", reservation.amount().toString()).record();
      engine.events().emit(new ProvisioningEvent.SpendCommitted(engine.config().clock().instant(), rs.run, ctx.stepId(), reservation, amount));
    }

    @Override
    public void release() {
      Reservation before = engine.config().ledger().reservation(reservation.id()).orElse(reservation);
      if (before.status() != Reservation.Status.RESERVED) {
        return;
      }
      if (!madeHere.contains(reservation.id())) {
        // made before an interruption: the paid call may have gone through then, so the money stays
        // held until a resume settles it or the reservation expires
        ctx.audit("spend.unsettled").amount(reservation.amount()).outcome("kept")
            .detail("reservation", reservation.id()).detail("expires_at", before.expiresAt().toString()).record();
        return;
      }
      engine.config().ledger().release(reservation.id());
      ctx.audit("spend.released").amount(reservation.amount()).detail("reservation", reservation.id()).record();
      engine.events().emit(new ProvisioningEvent.SpendReleased(engine.config().clock().instant(), rs.run, ctx.stepId(), reservation));
    }
  }
}
