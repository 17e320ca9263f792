package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Money held, spent or given back.
 *
 * <p>A {@link io.agentprovision.core.spi.SpendLedger} makes these; an implementation builds one with
 * {@link #builder} and derives its settled versions with {@link #toBuilder()}, so it keeps working
 * when a component is added (the twelve-value constructor stays public for the callers of the record
 * this was):
 *
 * <pre>{@code
 * Reservation held = Reservation.builder(request.id(), request.agent(), request.provider(), request.amount())
 *     .run(request.run()).step(request.step()).createdAt(request.at()).expiresAt(request.expiresAt())
 *     .usage(after).description(request.description()).build();
 * Reservation spent = held.toBuilder().status(Reservation.Status.COMMITTED).committed(charged).build();
 * }</pre>
 *
 * <p>A ledger that has the request at hand makes the same two more cheaply, sharing the request's
 * values rather than copying them:
 *
 * <pre>{@code
 * Reservation held = Reservation.madeFor(request, after);
 * Reservation spent = held.withStatus(Reservation.Status.COMMITTED, charged);
 * }</pre>
 *
 * <p>A final class with the accessors, {@code equals}, {@code hashCode} and {@code toString} of the
 * record it was before, and its twelve-value constructor. It keeps four references (the values fixed
 * when it was made, shared with its request and its other states, then its committed amount, status
 * and usage) where the record kept twelve: the record's constructor, with the collector's write
 * barrier on each of its twelve stores, compiled larger than the JIT inlines, and each ledger
 * answer paid for an out-of-line call ({@code benchmarks/baseline.md}, in-memory ledger, rounds 12
 * and 14).
 */
public final class Reservation {
  private final ReservationTerms terms;
  private final @Nullable Money committed;
  private final Status status;
  private final List<LimitUsage> usage;

  /**
   * A reservation of these values. A ledger builds one with {@link #builder}, {@link #madeFor} or
   * {@link #withStatus} instead, which check what this does not (a negative amount, a committed
   * reservation without what was spent).
   *
   * @param id the reservation id
   * @param agent who spends
   * @param provider who charges
   * @param run the run, when part of one
   * @param step the step, when part of one
   * @param amount how much was reserved
   * @param committed how much was spent, once committed
   * @param status where it stands
   * @param createdAt when it was reserved (decides its windows)
   * @param expiresAt when it stops counting if still unsettled
   * @param usage each applicable limit's usage right after this reservation
   * @param description what it is for
   * @throws NullPointerException naming the first value that is null where one is required
   */
  public Reservation(String id, AgentId agent, String provider, @Nullable RunId run, @Nullable StepId step,
      Money amount, @Nullable Money committed, Status status, Instant createdAt, Instant expiresAt,
      List<LimitUsage> usage, String description) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    List<LimitUsage> copied = List.copyOf(usage);
    Objects.requireNonNull(description, "description");
    this.terms = ReservationTerms.of(id, agent, provider, run, step, amount, createdAt, expiresAt, description);
    this.committed = committed;
    this.status = status;
    this.usage = copied;
  }

  /** Takes its values as they are: every caller has checked them. */
  private Reservation(ReservationTerms terms, @Nullable Money committed, Status status, List<LimitUsage> usage) {
    this.terms = terms;
    this.committed = committed;
    this.status = status;
    this.usage = usage;
  }

  /**
   * The reservation {@code request} asks for, as it is made: {@link Status#RESERVED}, created at the
   * request's {@link ReservationRequest#at() at}, with {@code usage} (each applicable limit's use
   * right after it). It shares the request's values instead of copying them.
   *
   * @throws NullPointerException when {@code request} or {@code usage} is null or holds a null
   */
  public static Reservation madeFor(ReservationRequest request, List<LimitUsage> usage) {
    ReservationTerms t = request.terms;
    return new Reservation(t, null, Status.RESERVED, List.copyOf(usage));
  }

  /**
   * This reservation with another status and committed amount, everything else the same (and
   * shared, not copied): what a ledger answers when it settles one.
   *
   * @param to the new status
   * @param spent what was spent; required for {@link Status#COMMITTED}, otherwise what the new state keeps
   *     (null when nothing was spent)
   * @throws NullPointerException when {@code to} is null
   * @throws InvalidRequestException naming {@code committed}, as {@link Builder#build()} does: when
   *     {@code spent} is negative, in another currency than the reserved amount, or missing for a
   *     committed reservation
   */
  public Reservation withStatus(Status to, @Nullable Money spent) {
    Objects.requireNonNull(to, "status");
    checkCommitted(terms.id, terms.amount, to, spent == null ? null : spent.requireNonNegative("committed"));
    return new Reservation(terms, spent, to, usage);
  }

  private static void checkCommitted(String id, Money amount, Status status, @Nullable Money spent) {
    if (status == Status.COMMITTED && spent == null) {
      // counted() reads committed for a committed reservation: without it the ledger's totals would throw later
      throw new InvalidRequestException("committed", "is missing for a COMMITTED reservation",
          "set committed(...) to what was charged");
    }
    if (spent != null && !spent.sameCurrency(amount)) {
      throw new InvalidRequestException("committed", "is in " + spent.currencyCode() + " but " + id + " reserved "
          + amount, "commit in the reserved amount's currency");
    }
  }

  /** The reservation id. */
  public String id() {
    return terms.id;
  }

  /** Who spends. */
  public AgentId agent() {
    return terms.agent;
  }

  /** Who charges. */
  public String provider() {
    return terms.provider;
  }

  /** The run, when part of one. */
  public @Nullable RunId run() {
    return terms.run;
  }

  /** The step, when part of one. */
  public @Nullable StepId step() {
    return terms.step;
  }

  /** How much was reserved. */
  public Money amount() {
    return terms.amount;
  }

  /** How much was spent, once committed. */
  public @Nullable Money committed() {
    return committed;
  }

  /** Where it stands. */
  public Status status() {
    return status;
  }

  /** When it was reserved (decides its windows). */
  public Instant createdAt() {
    return terms.at;
  }

  /** When it stops counting if still unsettled. */
  public Instant expiresAt() {
    return terms.expiresAt;
  }

  /** Each applicable limit's usage right after this reservation. */
  public List<LimitUsage> usage() {
    return usage;
  }

  /** What it is for. */
  public String description() {
    return terms.description;
  }

  /** Equal when every component is, as for a record. */
  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Reservation)) {
      return false;
    }
    Reservation r = (Reservation) o;
    return status == r.status && Objects.equals(committed, r.committed) && terms.sameValues(r.terms)
        && usage.equals(r.usage);
  }

  /** Combines the components' hash codes in their order, as a record does. */
  @Override
  public int hashCode() {
    ReservationTerms t = terms;
    int h = t.id.hashCode();
    h = 31 * h + t.agent.hashCode();
    h = 31 * h + t.provider.hashCode();
    h = 31 * h + Objects.hashCode(t.run);
    h = 31 * h + Objects.hashCode(t.step);
    h = 31 * h + t.amount.hashCode();
    h = 31 * h + Objects.hashCode(committed);
    h = 31 * h + status.hashCode();
    h = 31 * h + t.at.hashCode();
    h = 31 * h + t.expiresAt.hashCode();
    h = 31 * h + usage.hashCode();
    return 31 * h + t.description.hashCode();
  }

  /** The components by name, in a record's format. */
  @Override
  public String toString() {
    return "Reservation[id=" + id() + ", agent=" + agent() + ", provider=" + provider() + ", run=" + run() + ", step="
        + step() + ", amount=" + amount() + ", committed=" + committed + ", status=" + status + ", createdAt="
        + createdAt() + ", expiresAt=" + expiresAt() + ", usage=" + usage + ", description=" + description() + "]";
  }

  /** Reservation states. */
  public enum Status {
    /** Held before a paid call; stops counting at {@code expiresAt} if never settled. */
    RESERVED,
    /** Spent: {@code committed} was charged. */
    COMMITTED,
    /** Given back: nothing was charged. */
    RELEASED,
    /** Stopped counting at its expiry without being settled. */
    EXPIRED,
    /**
     * Held because the paid call may have charged it (the answer was lost, or could not be read):
     * it counts in full until reconciliation finds out, never expires, and only
     * {@link io.agentprovision.core.spi.SpendLedger#reconcile} (or a commit) settles it.
     */
    UNCERTAIN
  }

  /** Whether the money is held: reserved and not yet settled, or uncertain. */
  public boolean held() {
    return status == Status.RESERVED || status == Status.UNCERTAIN;
  }

  /**
   * What this reservation counts against limits at {@code now}: the reserved amount while held
   * (until its expiry, or for as long as it is uncertain), the committed amount once spent, else zero.
   */
  public Money counted(Instant now) {
    switch (status) {
      case COMMITTED:
        return Objects.requireNonNull(committed);
      case UNCERTAIN:
        return terms.amount;
      case RESERVED:
        return now.isBefore(terms.expiresAt) ? terms.amount : Money.zero(terms.amount.currency());
      default:
        return Money.zero(terms.amount.currency());
    }
  }

  /**
   * A builder for a {@link Status#RESERVED} reservation of {@code amount} for {@code agent} at
   * {@code provider}, under id {@code id}; {@code createdAt} and {@code expiresAt} must be set, the
   * usage is none and the description empty unless set.
   *
   * @throws NullPointerException naming the first argument that is null
   * @throws InvalidRequestException when {@code amount} is negative
   */
  public static Builder builder(String id, AgentId agent, String provider, Money amount) {
    return new Builder(id, agent, provider, amount);
  }

  /** A builder holding this reservation's values, to derive its next state. */
  public Builder toBuilder() {
    ReservationTerms t = terms;
    return new Builder(t.id, t.agent, t.provider, t.amount).run(t.run).step(t.step).committed(committed).status(status)
        .createdAt(t.at).expiresAt(t.expiresAt).usage(usage).description(t.description);
  }

  /** Builds {@link Reservation}s. */
  public static final class Builder {
    private final String id;
    private final AgentId agent;
    private final String provider;
    private final Money amount;
    private @Nullable RunId run;
    private @Nullable StepId step;
    private @Nullable Money committed;
    private Status status = Status.RESERVED;
    private @Nullable Instant createdAt;
    private @Nullable Instant expiresAt;
    private List<LimitUsage> usage = List.of();
    private String description = "";

    private Builder(String id, AgentId agent, String provider, Money amount) {
      this.id = Objects.requireNonNull(id, "id");
      this.agent = Objects.requireNonNull(agent, "agent");
      this.provider = Objects.requireNonNull(provider, "provider");
      this.amount = Objects.requireNonNull(amount, "amount").requireNonNegative("amount");
    }

    /** The run the reservation is part of; null (the default) when none. */
    public Builder run(@Nullable RunId r) {
      this.run = r;
      return this;
    }

    /** The step the reservation is part of; null (the default) when none. */
    public Builder step(@Nullable StepId s) {
      this.step = s;
      return this;
    }

    /**
     * What was spent; required once the status is {@link Status#COMMITTED}, null (the default) before.
     *
     * @throws InvalidRequestException when it is negative
     */
    public Builder committed(@Nullable Money spent) {
      this.committed = spent == null ? null : spent.requireNonNegative("committed");
      return this;
    }

    /** Where it stands; {@link Status#RESERVED} by default. */
    public Builder status(Status s) {
      this.status = Objects.requireNonNull(s, "status");
      return this;
    }

    /** When it was reserved (decides its limit windows); required. */
    public Builder createdAt(Instant t) {
      this.createdAt = Objects.requireNonNull(t, "createdAt");
      return this;
    }

    /** When it stops counting if still unsettled; required. */
    public Builder expiresAt(Instant t) {
      this.expiresAt = Objects.requireNonNull(t, "expiresAt");
      return this;
    }

    /** Each applicable limit's usage right after this reservation; none by default. */
    public Builder usage(List<LimitUsage> u) {
      this.usage = List.copyOf(Objects.requireNonNull(u, "usage"));
      return this;
    }

    /** What it is for; empty by default. */
    public Builder description(String d) {
      this.description = Objects.requireNonNull(d, "description");
      return this;
    }

    /**
     * The reservation.
     *
     * @throws NullPointerException naming {@code createdAt} or {@code expiresAt} when not set
     * @throws InvalidRequestException naming {@code committed} when a committed reservation does not say
     *     what was spent, or says it in another currency than the reserved amount's
     */
    public Reservation build() {
      Instant created = Objects.requireNonNull(createdAt, "createdAt");
      Instant expires = Objects.requireNonNull(expiresAt, "expiresAt");
      Money spent = committed;
      checkCommitted(id, amount, status, spent);
      return new Reservation(id, agent, provider, run, step, amount, spent, status, created, expires, usage,
          description);
    }
  }
}
