package io.agentprovision.core.journal;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.spi.RunJournal;
import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A human checkpoint that waits in the {@link RunJournal} rather than on a thread: the approval
 * gate said it asked a person and the answer comes later, so the step stopped and the run parked
 * ({@link RunStatus#AWAITING_APPROVAL}). Any host sharing the journal lists it
 * ({@code AgentProvisioner.pendingApprovals}) and decides it ({@code AgentProvisioner.decide}),
 * which resumes the run; past its deadline it is decided {@code TIMED_OUT} even when nobody asks.
 *
 * <p>It is keyed by {@code id} (the id the gate saw) and belongs to the {@code sequence}-th
 * checkpoint of {@code step} of {@code run}; the step, run again, finds it there by that place and
 * the {@code fingerprint} of its question. Nothing here is secret: data the person's answer handed
 * back (an OAuth code, a fresh ID token) waits in the credential vault under {@code handedBack}
 * until the step takes it, once.
 *
 * <p>Lifecycle: {@link Status#PENDING} → {@link Status#DECIDED} (by a person, or {@code TIMED_OUT}
 * by the deadline) → {@link Status#APPLIED} (the step took the answer; from then on the step's
 * {@link CheckpointDecision} stands for it). {@link Status#WITHDRAWN} when the run ended without
 * it. Every change is a new {@code version} (compare-and-set, as for runs and steps).
 *
 * @param id the approval's id
 * @param run the run
 * @param step the step that asked
 * @param sequence which checkpoint of the step, from 1
 * @param agent the agent the run acts as
 * @param kind what is asked
 * @param title the one-line question
 * @param reason why the agent needs it
 * @param cost what approving may charge, when it spends money
 * @param url where the person must go, when there is such a place
 * @param details more facts to show (never secrets)
 * @param principal who the run acts for, as shown to people (null before the identity step)
 * @param fingerprint a hash of the question, matched when the step asks again
 * @param requestedAt when asked
 * @param deadline when it is decided {@code TIMED_OUT} if nobody decided it
 * @param status where it stands
 * @param outcome the answer, once decided
 * @param approver who decided, once decided
 * @param decisionReason why, once decided
 * @param decidedAt when it was decided (by the deciding host's clock)
 * @param handedBack the vault key of what the answer handed back for the step, until the step takes it
 * @param updatedAt when it last changed
 * @param version increases by one on every update (optimistic concurrency)
 */
public record ApprovalRecord(String id, RunId run, StepId step, int sequence, AgentId agent, CheckpointKind kind,
    String title, String reason, @Nullable Money cost, @Nullable URI url, Map<String, String> details,
    @Nullable String principal, String fingerprint, Instant requestedAt, Instant deadline, Status status,
    ApprovalDecision.@Nullable Outcome outcome, @Nullable String approver, @Nullable String decisionReason,
    @Nullable Instant decidedAt, @Nullable String handedBack, Instant updatedAt, long version) {

  /** Where an approval stands. */
  public enum Status {
    /** Asked; waiting for a person (or its deadline). */
    PENDING,
    /** Answered (approved, denied, timed out); the run resumes to act on it. */
    DECIDED,
    /** The step took the answer; its {@link CheckpointDecision} stands for it from then on. */
    APPLIED,
    /** The run ended (failed, or was compensated) without needing it any more. */
    WITHDRAWN
  }

  public ApprovalRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(reason, "reason");
    details = Map.copyOf(details);
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(requestedAt, "requestedAt");
    Objects.requireNonNull(deadline, "deadline");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(updatedAt, "updatedAt");
    if (sequence < 1) {
      throw new IllegalArgumentException("sequence counts from 1: " + sequence);
    }
    if (outcome == ApprovalDecision.Outcome.PENDING) {
      throw new IllegalArgumentException("a decided approval's outcome cannot be PENDING");
    }
    if ((status == Status.DECIDED || status == Status.APPLIED)
        && (outcome == null || approver == null || decidedAt == null)) {
      throw new IllegalArgumentException("a " + status + " approval needs its outcome, approver and decidedAt");
    }
  }

  /**
   * A builder for version 0 of a {@link Status#PENDING} approval asked by {@code request}, the
   * {@code sequence}-th checkpoint of its step, with the question's {@code fingerprint}.
   *
   * @throws IllegalArgumentException when the request names no run or no step (only a run's checkpoints wait)
   */
  public static Builder pending(ApprovalRequest request, int sequence, String fingerprint) {
    RunId run = request.run();
    StepId step = request.step();
    if (run == null || step == null) {
      throw new IllegalArgumentException("only a checkpoint of a run's step can wait in the journal");
    }
    return new Builder(request.id(), run, step, sequence, request.agent(), request.kind(), request.title(),
        request.reason(), fingerprint, request.requestedAt(), request.deadline()).cost(request.cost())
        .url(request.url()).details(request.details())
        .principal(request.principal() == null ? null : request.principal().display())
        .updatedAt(request.requestedAt());
  }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    return new Builder(id, run, step, sequence, agent, kind, title, reason, fingerprint, requestedAt, deadline)
        .cost(cost).url(url).details(details).principal(principal).status(status).outcome(outcome).approver(approver)
        .decisionReason(decisionReason).decidedAt(decidedAt).handedBack(handedBack).updatedAt(updatedAt)
        .version(version);
  }

  /** A builder for the next version of this record, changed at {@code at}. */
  public Builder next(Instant at) {
    return toBuilder().version(version + 1).updatedAt(at);
  }

  /** The next version, decided with {@code decision} at {@code at}, its handed-back data under {@code vaultKey}. */
  public ApprovalRecord decided(ApprovalDecision decision, Instant at, @Nullable String vaultKey) {
    if (decision.outcome() == ApprovalDecision.Outcome.PENDING) {
      throw new IllegalArgumentException("a decision cannot be PENDING");
    }
    return next(at).status(Status.DECIDED).outcome(decision.outcome()).approver(decision.approver())
        .decisionReason(decision.reason()).decidedAt(at).handedBack(vaultKey).build();
  }

  /** Whether it still waits for a person at {@code now}: pending, and its deadline not passed. */
  public boolean waitingAt(Instant now) {
    return status == Status.PENDING && now.isBefore(deadline);
  }

  /**
   * The question as an approval gate saw it, for hosts that show requests (without the principal
   * and spend policy objects, which the journal does not keep; {@link #principal()} names the person).
   */
  public ApprovalRequest toRequest() {
    return ApprovalRequest.builder(id, kind, title, reason, agent).cost(cost).run(run).step(step)
        .requestedAt(requestedAt).deadline(deadline).url(url).details(details).build();
  }

  /** The decision, once decided; without what it handed back (see {@link #handedBack()}). */
  public @Nullable ApprovalDecision decision() {
    if (outcome == null || approver == null || decidedAt == null) {
      return null;
    }
    return new ApprovalDecision(outcome, approver, decisionReason == null ? "" : decisionReason, decidedAt, Map.of(),
        null);
  }

  /** Builds {@link ApprovalRecord}s. */
  public static final class Builder {
    private final String id;
    private final RunId run;
    private final StepId step;
    private final int sequence;
    private final AgentId agent;
    private final CheckpointKind kind;
    private final String title;
    private final String reason;
    private final String fingerprint;
    private final Instant requestedAt;
    private final Instant deadline;
    private @Nullable Money cost;
    private @Nullable URI url;
    private Map<String, String> details = Map.of();
    private @Nullable String principal;
    private Status status = Status.PENDING;
    private ApprovalDecision.@Nullable Outcome outcome;
    private @Nullable String approver;
    private @Nullable String decisionReason;
    private @Nullable Instant decidedAt;
    private @Nullable String handedBack;
    private Instant updatedAt;
    private long version;

    /** A builder of a pending approval with these values; see {@link ApprovalRecord#pending} for one made from a request. */
    public Builder(String id, RunId run, StepId step, int sequence, AgentId agent, CheckpointKind kind, String title,
        String reason, String fingerprint, Instant requestedAt, Instant deadline) {
      this.id = Objects.requireNonNull(id, "id");
      this.run = Objects.requireNonNull(run, "run");
      this.step = Objects.requireNonNull(step, "step");
      this.sequence = sequence;
      this.agent = Objects.requireNonNull(agent, "agent");
      this.kind = Objects.requireNonNull(kind, "kind");
      this.title = Objects.requireNonNull(title, "title");
      this.reason = Objects.requireNonNull(reason, "reason");
      this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
      this.requestedAt = Objects.requireNonNull(requestedAt, "requestedAt");
      this.deadline = Objects.requireNonNull(deadline, "deadline");
      this.updatedAt = requestedAt;
    }

    public Builder cost(@Nullable Money c) {
      this.cost = c;
      return this;
    }

    public Builder url(@Nullable URI u) {
      this.url = u;
      return this;
    }

    public Builder details(Map<String, String> d) {
      this.details = new LinkedHashMap<>(d);
      return this;
    }

    public Builder principal(@Nullable String p) {
      this.principal = p;
      return this;
    }

    public Builder status(Status s) {
      this.status = Objects.requireNonNull(s, "status");
      return this;
    }

    public Builder outcome(ApprovalDecision.@Nullable Outcome o) {
      this.outcome = o;
      return this;
    }

    public Builder approver(@Nullable String a) {
      this.approver = a;
      return this;
    }

    public Builder decisionReason(@Nullable String r) {
      this.decisionReason = r;
      return this;
    }

    public Builder decidedAt(@Nullable Instant at) {
      this.decidedAt = at;
      return this;
    }

    public Builder handedBack(@Nullable String vaultKey) {
      this.handedBack = vaultKey;
      return this;
    }

    public Builder updatedAt(Instant at) {
      this.updatedAt = Objects.requireNonNull(at, "updatedAt");
      return this;
    }

    public Builder version(long v) {
      this.version = v;
      return this;
    }

    public ApprovalRecord build() {
      return new ApprovalRecord(id, run, step, sequence, agent, kind, title, reason, cost, url, details, principal,
          fingerprint, requestedAt, deadline, status, outcome, approver, decisionReason, decidedAt, handedBack,
          updatedAt, version);
    }
  }
}
