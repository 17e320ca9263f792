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
 * when a component is added (the canonical constructor is public only because records require it):
 *
 * <pre>{@code
 * Reservation held = Reservation.builder(request.id(), request.agent(), request.provider(), request.amount())
 *     .run(request.run()).step(request.step()).createdAt(request.at()).expiresAt(request.expiresAt())
 *     .usage(after).description(request.description()).build();
 * Reservation spent = held.toBuilder().status(Reservation.Status.COMMITTED).committed(charged).build();
 * }</pre>
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
 */
public record Reservation(String id, AgentId agent, String provider, @Nullable RunId run, @Nullable StepId step,
    Money amount, @Nullable Money committed, Status status, Instant createdAt, Instant expiresAt, List<LimitUsage> usage,
    String description) {
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

  public Reservation {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    usage = List.copyOf(usage);
    Objects.requireNonNull(description, "description");
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
        return amount;
      case RESERVED:
        return now.isBefore(expiresAt) ? amount : Money.zero(amount.currency());
      default:
        return Money.zero(amount.currency());
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
    return new Builder(id, agent, provider, amount).run(run).step(step).committed(committed).status(status)
        .createdAt(createdAt).expiresAt(expiresAt).usage(usage).description(description);
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
      if (status == Status.COMMITTED && spent == null) {
        // counted() reads committed for a committed reservation: without it the ledger's totals would throw later
        throw new InvalidRequestException("committed", "is missing for a COMMITTED reservation",
            "set committed(...) to what was charged");
      }
      if (spent != null && !spent.currency().equals(amount.currency())) {
        throw new InvalidRequestException("committed", "is in " + spent.currencyCode() + " but " + id + " reserved "
            + amount, "commit in the reserved amount's currency");
      }
      return new Reservation(id, agent, provider, run, step, amount, spent, status, created, expires, usage,
          description);
    }
  }
}
