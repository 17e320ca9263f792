package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.wire.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Approvals that wait in the journal instead of on a thread. When the gate answers
 * {@link ApprovalDecision.Outcome#PENDING} to a step's checkpoint, {@link #park} journals an
 * {@link ApprovalRecord} and throws {@link Parked}: the step stops where it is (nothing it did is
 * undone, nothing is settled), the engine lets the run's other running steps end, then parks the
 * run ({@code AWAITING_APPROVAL}) and gives up its lease. {@link #decide} records a person's answer
 * from any host sharing the journal; {@link #expireOverdue} answers {@code TIMED_OUT} past the
 * deadline; either way the run is resumed, its step runs again from the start, and at the same
 * checkpoint (same place, same question) {@link #answer} hands it the journaled answer, once.
 */
final class Parking {
  /** The vault entries holding what answers handed back, by approval id. */
  static final String VAULT_PREFIX = "approvals/";
  /**
   * The detail of a parked approval holding the hash of its run's plan, which the decision's signed
   * receipt binds (the same hash the {@code approval.requested} audit entry shows).
   */
  static final String PLAN_HASH = "plan_sha256";

  private final EngineConfig config;
  private final Events events;
  private final Auditor auditor;
  private final ReceiptBook receipts;
  /** Told of each approval once it is journaled as waiting (set by {@link Maintenance}). */
  private volatile java.util.function.Consumer<String> onParked = id -> {};

  Parking(EngineConfig config, Events events, Auditor auditor, ReceiptBook receipts) {
    this.config = config;
    this.events = events;
    this.auditor = auditor;
    this.receipts = receipts;
  }

  /**
   * Thrown out of a step whose checkpoint waits in the journal: the step stops without failing. It
   * carries no stack trace: it is how a step yields, not an error.
   */
  static final class Parked extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String approvalId;

    Parked(String approvalId) {
      super("waiting for approval " + approvalId, null, false, false);
      this.approvalId = approvalId;
    }

    String approvalId() {
      return approvalId;
    }

    /** The {@link Parked} in {@code t} or its causes (a plug-in may have wrapped it), or null. */
    static @Nullable Parked in(@Nullable Throwable t) {
      for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
        if (c instanceof Parked p) {
          return p;
        }
      }
      return null;
    }
  }

  /** A journaled answer for a checkpoint, and the request as it was asked. */
  record Answer(ApprovalRequest asked, ApprovalDecision decision) {}

  /**
   * What the journal holds for the {@code sequence}-th checkpoint of {@code step} asking the
   * question {@code fingerprint}: null when nothing (ask the gate); the answer when one was given
   * and not yet taken (taking it marks it {@link ApprovalRecord.Status#APPLIED} and deletes what it
   * handed back from the vault); a time-out when the deadline passed unanswered.
   *
   * @throws Parked when it is still waiting for a person
   */
  @Nullable Answer answer(RunId run, StepId step, int sequence, String fingerprint) {
    ApprovalRecord found = null;
    for (ApprovalRecord a : config.journal().approvalsOf(run)) {
      if (a.step().equals(step) && a.sequence() == sequence && a.fingerprint().equals(fingerprint)
          && (a.status() == ApprovalRecord.Status.PENDING || a.status() == ApprovalRecord.Status.DECIDED)) {
        found = a; // the latest asked, should there be several
      }
    }
    if (found == null) {
      return null;
    }
    if (found.status() == ApprovalRecord.Status.PENDING) {
      if (found.waitingAt(config.clock().instant())) {
        throw new Parked(found.id());
      }
      found = decide(found.id(), ApprovalDecision.timedOut(found.deadline()), "deadline");
    }
    if (found.status() != ApprovalRecord.Status.DECIDED) {
      return null;
    }
    ApprovalDecision d = Objects.requireNonNull(found.decision(), "decided");
    String key = found.handedBack();
    if (key != null) {
      d = handedBack(d, key);
    }
    if (!config.journal().saveApproval(found.next(config.clock().instant()).status(ApprovalRecord.Status.APPLIED)
        .handedBack(null).build())) {
      throw new AgentProvisionException("approval " + found.id() + " of run " + run + " changed while step " + step
          + " took its answer; another host may be executing the run", null, true);
    }
    if (key != null) {
      config.vault().delete(key);
    }
    return new Answer(found.toRequest(), d);
  }

  /**
   * Journals {@code request} as waiting for a person (the gate said it asked one), with the hash of
   * the run's plan its receipt will bind, and stops the step.
   *
   * @throws Parked always
   */
  void park(ApprovalRequest request, int sequence, String fingerprint, String planHash) {
    Map<String, String> details = new LinkedHashMap<>(request.details());
    details.put(PLAN_HASH, planHash);
    ApprovalRecord rec = ApprovalRecord.pending(request, sequence, fingerprint).details(details).build();
    if (!config.journal().saveApproval(rec)) {
      throw new AgentProvisionException("approval id " + request.id() + " is already in the journal; the id "
          + "generator must not repeat ids", null, false);
    }
    auditor.entry("approval.parked").run(rec.run()).step(rec.step()).agent(rec.agent()).principal(rec.principal())
        .amount(rec.cost()).outcome("waiting").detail("approval_id", rec.id()).detail("kind", rec.kind().name())
        .detail("deadline", rec.deadline().toString()).record();
    events.emit(new ProvisioningEvent.Progress(config.clock().instant(), rec.run(), rec.step(),
        "waiting for a person to decide approval " + rec.id() + " (" + rec.title() + ") until " + rec.deadline()));
    try {
      onParked.accept(rec.id());
    } catch (RuntimeException e) {
      // a host's listener that fails must not keep the run from parking
      org.slf4j.LoggerFactory.getLogger(Parking.class).warn("approval {}: telling of it failed: {}", rec.id(),
          e.toString());
    }
    throw new Parked(rec.id());
  }

  /** What to tell of each approval once it is journaled as waiting. */
  void onParked(java.util.function.Consumer<String> then) {
    this.onParked = java.util.Objects.requireNonNull(then, "then");
  }

  /**
   * Records {@code decision} for the approval {@code id}, dated by this host's clock: a decision
   * after the deadline is {@code TIMED_OUT}. What the decision handed back (an OAuth callback's
   * data, a fresh ID token) goes to the vault until the step takes it. An approval no longer
   * pending is returned as it stands.
   *
   * @param via who decided: {@code "decide"} (a person, through the provisioner) or {@code "deadline"}
   */
  ApprovalRecord decide(String id, ApprovalDecision decision, String via) {
    Objects.requireNonNull(decision, "decision");
    if (decision.outcome() == ApprovalDecision.Outcome.PENDING) {
      throw new InvalidRequestException("decision", "is PENDING", "decide with an approval, a denial or a time-out");
    }
    while (true) {
      ApprovalRecord a = config.journal().approval(Objects.requireNonNull(id, "id")).orElseThrow(() ->
          new InvalidRequestException("approvalId", "no approval " + id + " in the journal",
              "pass the id of a pending approval (AgentProvisioner.pendingApprovals)"));
      if (a.status() != ApprovalRecord.Status.PENDING) {
        return a;
      }
      Instant now = config.clock().instant();
      ApprovalDecision d = decision;
      if (!now.isBefore(a.deadline()) && d.outcome() != ApprovalDecision.Outcome.TIMED_OUT) {
        d = ApprovalDecision.timedOut(now); // fail closed: too late is no
      }
      String key = keep(a.id(), d, now);
      ApprovalRecord next = a.decided(d, now, key);
      if (config.journal().saveApproval(next)) {
        recordDecided(next, d, via);
        return next;
      }
      if (key != null) {
        config.vault().delete(key); // another host decided it in between; its answer stands
      }
    }
  }

  /** Decides every pending approval whose deadline has passed {@code TIMED_OUT}; returns them. */
  List<ApprovalRecord> expireOverdue() {
    Instant now = config.clock().instant();
    List<ApprovalRecord> out = new ArrayList<>();
    for (ApprovalRecord a : config.journal().approvals(ApprovalRecord.Status.PENDING)) {
      if (!a.waitingAt(now)) {
        ApprovalRecord d = decide(a.id(), ApprovalDecision.timedOut(now), "deadline");
        if (d.outcome() == ApprovalDecision.Outcome.TIMED_OUT) {
          out.add(d);
        }
      }
    }
    return out;
  }

  /** Withdraws what {@code run} still waits for or has not taken: it ended without needing it. */
  void withdraw(RunId run, String why) {
    for (ApprovalRecord a : config.journal().approvalsOf(run)) {
      if (a.status() == ApprovalRecord.Status.PENDING || a.status() == ApprovalRecord.Status.DECIDED) {
        ApprovalRecord next = a.next(config.clock().instant()).status(ApprovalRecord.Status.WITHDRAWN).handedBack(null)
            .build();
        if (config.journal().saveApproval(next)) {
          String key = a.handedBack();
          if (key != null) {
            config.vault().delete(key);
          }
          auditor.entry("approval.withdrawn").run(run).step(a.step()).agent(a.agent()).principal(a.principal())
              .outcome("withdrawn").detail("approval_id", a.id()).detail("reason", why).record();
        }
      }
    }
  }

  /** Approvals waiting for a person at {@code now}, of {@code agent} (every agent's when null), oldest first. */
  List<ApprovalRecord> pending(@Nullable AgentId agent) {
    Instant now = config.clock().instant();
    List<ApprovalRecord> out = new ArrayList<>();
    for (ApprovalRecord a : config.journal().approvals(ApprovalRecord.Status.PENDING)) {
      if ((agent == null || a.agent().equals(agent)) && a.waitingAt(now)) {
        out.add(a);
      }
    }
    return out;
  }

  /** Whether {@code run} has an approval a person may still answer. */
  boolean waitsForPerson(RunId run) {
    Instant now = config.clock().instant();
    return config.journal().approvalsOf(run).stream().anyMatch(a -> a.waitingAt(now));
  }

  // ---------------------------------------------------------------------------------------------

  /** Puts what {@code d} hands back in the vault; returns its key, or null when it hands nothing back. */
  private @Nullable String keep(String id, ApprovalDecision d, Instant now) {
    Secret credential = d.credential();
    if (d.response().isEmpty() && credential == null) {
      return null;
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("response", new LinkedHashMap<>(d.response()));
    data.put("credential", credential == null ? null : credential.reveal());
    String key = VAULT_PREFIX + id;
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("approval", id);
    attributes.put("fields", String.join(",", new TreeSet<>(d.response().keySet())));
    config.vault().put(new VaultEntry(key, Secret.of(Json.write(data)), attributes, now, null));
    return key;
  }

  /** {@code d} with what it handed back, read from the vault. */
  private ApprovalDecision handedBack(ApprovalDecision d, String key) {
    VaultEntry e = config.vault().get(key).orElseThrow(() -> new AgentProvisionException("what approval answer "
        + key + " handed back is missing from the vault; ask again with a new run", null, false));
    Map<String, Object> data = Json.parseObject(e.secret().reveal());
    Map<String, String> response = new LinkedHashMap<>();
    Json.object(data, "response").forEach((k, v) -> response.put(k, String.valueOf(v)));
    String credential = Json.string(data, "credential");
    return d.withResponse(response).withCredential(credential == null ? null : Secret.of(credential));
  }

  private void recordDecided(ApprovalRecord a, ApprovalDecision d, String via) {
    Auditor.Entry e = auditor.entry("approval.decided").run(a.run()).step(a.step()).agent(a.agent())
        .principal(a.principal()).approver(d.approver()).amount(a.cost())
        .outcome(d.outcome().name().toLowerCase(Locale.ROOT)).detail("approval_id", a.id())
        .detail("kind", a.kind().name()).detail("reason", d.reason()).detail("decided_via", via);
    if (!d.response().isEmpty()) {
      e.detail("response_fields", String.join(",", new TreeSet<>(d.response().keySet()))); // values may be credentials
    }
    // signed like every other decision, whoever decided it and on whichever host
    String receipt = receipts.sign(a, d, Objects.requireNonNull(a.decidedAt(), "decided"));
    if (receipt != null) {
      e.detail("receipt", receipt);
    }
    e.record();
    events.emit(new ProvisioningEvent.ApprovalDecided(config.clock().instant(), a.run(), a.toRequest(),
        new ApprovalDecision(d.outcome(), d.approver(), d.reason(), Objects.requireNonNull(a.decidedAt()), Map.of(),
            null)));
  }
}
