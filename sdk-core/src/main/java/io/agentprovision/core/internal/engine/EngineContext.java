package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.spi.StepContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The {@link StepContext} of one step execution. Spend goes through policy, the ledger, step-up
 * and approval here; reservations are journaled with the step before the paid call, so a resumed
 * step finds them again.
 */
final class EngineContext implements StepContext {
  static final String RESERVATION_PREFIX = "reservation.";

  private final EngineConfig config;
  private final RunState rs;
  private final StepId step;
  private final Events events;
  private final Auditor auditor;
  private final Checkpoints checkpoints;
  private final Instant deadline;
  private final AtomicReference<StepRecord> record;
  private final AtomicInteger spendSeq = new AtomicInteger();
  private final List<EngineSpend> spends = new CopyOnWriteArrayList<>();
  /** Reservations this execution of the step made itself, as opposed to ones inherited from an interrupted attempt. */
  private final java.util.Set<String> madeHere = java.util.concurrent.ConcurrentHashMap.newKeySet();

  EngineContext(EngineConfig config, RunState rs, StepId step, Events events, Auditor auditor, Checkpoints checkpoints,
      StepRecord record) {
    this.config = config;
    this.rs = rs;
    this.step = step;
    this.events = events;
    this.auditor = auditor;
    this.checkpoints = checkpoints;
    this.deadline = config.clock().instant().plus(config.stepTimeout());
    this.record = new AtomicReference<>(record);
  }

  @Override
  public RunId runId() {
    return rs.run;
  }

  @Override
  public StepId stepId() {
    return step;
  }

  @Override
  public AgentId agent() {
    return rs.request.agent();
  }

  @Override
  public @Nullable Principal principal() {
    return rs.principal.get();
  }

  @Override
  public Clock clock() {
    return config.clock();
  }

  @Override
  public Sleeper sleeper() {
    return config.sleeper();
  }

  @Override
  public String idempotencyKey() {
    String k = record.get().idempotencyKey();
    if (k == null) {
      throw new IllegalStateException("step " + step + " has no journaled idempotency key");
    }
    return k;
  }

  @Override
  public Instant deadline() {
    return deadline;
  }

  StepRecord record() {
    return record.get();
  }

  /** Journals intermediate outputs of a running step (such as a resource id before answering its questions). */
  void saveProgress(Map<String, String> more) {
    synchronized (record) {
      StepRecord cur = record.get();
      Map<String, String> merged = new LinkedHashMap<>(cur.outputs());
      merged.putAll(more);
      StepRecord next = cur.next(cur.status(), cur.attempts(), merged, null, config.clock().instant());
      if (!config.journal().saveStep(next)) {
        throw new AgentProvisionException("step " + step + " of run " + rs.run + " was changed by another host while "
            + "running here; stop this host's copy of the run", null, false);
      }
      record.set(next);
    }
  }

  @Override
  public ApprovalDecision checkpoint(CheckpointRequest request) {
    return checkpoints.ask(rs.run, step, agent(), principal(), request);
  }

  @Override
  public SpendAuthorization authorizeSpend(SpendRequest request) {
    SpendPolicy policy = config.policy().get();
    String baseId = rs.run + ":" + step + ":" + spendSeq.incrementAndGet();
    Reservation reservation = reuseOrReserve(baseId, request, policy);
    EngineSpend spend = new EngineSpend(reservation);
    if (reservation.status() != Reservation.Status.COMMITTED) {
      try {
        if (policy.requiresMfa(request.kind())) {
          stepUp(request.kind());
        }
        Money approved = rs.approvedQuotes.get(step);
        boolean covered = approved != null && approved.sameCurrency(request.amount())
            && !request.amount().greaterThan(approved);
        if (policy.requiresApproval(request.amount()) && !covered) {
          Map<String, String> details = new LinkedHashMap<>(request.details());
          details.put("reservation", reservation.id());
          checkpoint(new CheckpointRequest(request.kind(), "Pay " + request.amount() + " for " + request.description(),
              "agent " + agent() + " needs it for run " + rs.run + "; policy requires a human above "
                  + policy.approvalThreshold(), request.amount(), null, details, null));
        }
      } catch (RuntimeException e) {
        spend.release();
        throw e;
      }
    }
    spends.add(spend);
    saveProgress(Map.of(RESERVATION_PREFIX + reservation.id(), reservation.amount().toString()));
    return spend;
  }

  private Reservation reuseOrReserve(String baseId, SpendRequest request, SpendPolicy policy) {
    String id = baseId;
    for (int n = 1; ; n++) {
      Reservation existing = config.ledger().reservation(id).orElse(null);
      if (existing == null) {
        break;
      }
      if ((existing.status() == Reservation.Status.RESERVED || existing.status() == Reservation.Status.COMMITTED)
          && existing.amount().equals(request.amount())) {
        return existing; // a resumed step meets the reservation it made before the interruption
      }
      id = baseId + "/r" + n;
    }
    Instant now = config.clock().instant();
    Reservation r;
    try {
      r = config.ledger().reserve(new ReservationRequest(id, agent(), request.provider(), rs.run, step, request.amount(),
          now, now.plus(policy.reservationTtl()), policy.limitsFor(agent(), request.provider()), policy.zone(),
          request.description()));
    } catch (PolicyViolationException e) {
      auditor.record(rs.run, step, "spend.refused", agent(), principal(), null, request.amount(), "denied", null,
          Map.of("limit", e.limit(), "used", e.used().toString(), "remaining", e.remaining().toString(),
              "description", request.description()));
      events.emit(new ProvisioningEvent.SpendRefused(config.clock().instant(), rs.run, step, agent(), request.provider(), request.amount(), e.limit(), e.remaining()));
      throw e;
    }
    madeHere.add(r.id());
    auditor.record(rs.run, step, "spend.reserved", agent(), principal(), null, r.amount(), "ok", idempotencyKey(),
        Map.of("reservation", r.id(), "description", request.description(), "provider", request.provider()));
    events.emit(new ProvisioningEvent.SpendHeld(config.clock().instant(), rs.run, step, r));
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
          if (config.ledger().markAlert(key)) {
            events.emit(new ProvisioningEvent.BudgetAlert(config.clock().instant(), rs.run, p, u));
            auditor.record(rs.run, step, "budget.alert", agent(), principal(), null, u.used(), "alerted",
                null, Map.of("limit", u.limit().toString(), "bucket", u.bucket(), "percent", String.valueOf(p),
                    "window_start", u.window().start().toString()));
          }
        }
      }
    }
  }

  /** Demands multi-factor authentication: a step-up checkpoint hands over a fresh credential, which must show it. */
  void stepUp(CheckpointKind forKind) {
    Principal current = principal();
    if (current != null && current.multiFactor()) {
      return;
    }
    ApprovalDecision d = checkpoint(CheckpointRequest.confirm(CheckpointKind.STEP_UP,
        "Confirm with a second factor", "policy requires multi-factor authentication before " + forKind));
    if (d.credential() == null) {
      throw new IdentityRejectedException("mfa", "the step-up returned no credential; sign in again with a second "
          + "factor and hand the new ID token to the approval");
    }
    Principal next = config.identity().attest(new IdentityRequest(agent(), rs.run, d.credential(), null, true));
    if (current != null && (!current.subject().equals(next.subject()) || !current.issuer().equals(next.issuer()))) {
      throw new IdentityRejectedException("subject", "the second factor was shown by " + next.display() + ", not by "
          + current.display());
    }
    if (!next.multiFactor()) {
      throw new IdentityRejectedException("mfa", "the fresh sign-in shows no second factor (amr " + next.amr() + ")");
    }
    rs.principal.set(next);
    auditor.record(rs.run, step, "identity.stepped_up", agent(), next, d.approver(), null, "ok", null,
        Map.of("amr", String.join(",", next.amr()), "for", forKind.name()));
  }

  @Override
  public void progress(String message) {
    events.emit(new ProvisioningEvent.Progress(config.clock().instant(), rs.run, step, message));
  }

  @Override
  public void retrying(int attempt, Duration delay, String reason) {
    events.emit(new ProvisioningEvent.StepRetry(config.clock().instant(), rs.run, step, attempt, delay, reason));
  }

  @Override
  public void audit(String action, String outcome, Map<String, String> details) {
    auditor.record(rs.run, step, action, agent(), principal(), null, null, outcome, idempotencyKey(), details);
  }

  /**
   * Whether a failed step certainly charged nothing: not when the run is stopping (a crash or a
   * cancel leaves things as they are) and not after a retryable remote failure (the call may have
   * gone through; the reservation keeps counting until a resume settles it or it expires).
   */
  static boolean chargeRuledOut(@Nullable Throwable failure, RunState rs) {
    if (rs.stopping) {
      return false;
    }
    return !(failure instanceof ProviderException p && p.retryable());
  }

  /**
   * Settles what the step left open: commits held reservations when it succeeded; releases them
   * when it failed and {@link #chargeRuledOut} says nothing can have been charged.
   */
  void settle(boolean succeeded, @Nullable Throwable failure) {
    if (!succeeded && !chargeRuledOut(failure, rs)) {
      return;
    }
    List<String> ids = new ArrayList<>();
    for (String k : record.get().outputs().keySet()) {
      if (k.startsWith(RESERVATION_PREFIX)) {
        ids.add(k.substring(RESERVATION_PREFIX.length()));
      }
    }
    for (String id : ids) {
      Reservation r = config.ledger().reservation(id).orElse(null);
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
      Reservation before = config.ledger().reservation(reservation.id()).orElse(reservation);
      if (before.status() == Reservation.Status.COMMITTED) {
        return;
      }
      config.ledger().commit(reservation.id(), amount);
      auditor.record(rs.run, step, "spend.committed", agent(), principal(), null, amount, "ok", idempotencyKey(),
          Map.of("reservation", reservation.id(), "reserved", reservation.amount().toString()));
      events.emit(new ProvisioningEvent.SpendCommitted(config.clock().instant(), rs.run, step, reservation, amount));
    }

    @Override
    public void release() {
      Reservation before = config.ledger().reservation(reservation.id()).orElse(reservation);
      if (before.status() != Reservation.Status.RESERVED) {
        return;
      }
      if (!madeHere.contains(reservation.id())) {
        // made before an interruption: the paid call may have gone through then, so the money stays
        // held until a resume settles it or the reservation expires
        auditor.record(rs.run, step, "spend.unsettled", agent(), principal(), null, reservation.amount(), "kept",
            null, Map.of("reservation", reservation.id(), "expires_at", before.expiresAt().toString()));
        return;
      }
      config.ledger().release(reservation.id());
      auditor.record(rs.run, step, "spend.released", agent(), principal(), null, reservation.amount(), "ok",
          null, Map.of("reservation", reservation.id()));
      events.emit(new ProvisioningEvent.SpendReleased(config.clock().instant(), rs.run, step, reservation));
    }
  }
}
