package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks the {@link SpendLedger} to hold money against limits.
 *
 * <p>A final class with the accessors, {@code equals}, {@code hashCode} and {@code toString} of the
 * record it was before (its canonical constructor stays public): its id, spender, provider, run,
 * step, amount, instants and description are kept in one object the {@link Reservation}s made from
 * it share, so a ledger's answers do not copy them, and the constructor stores three references
 * where the record stored eleven, each with the collector's write barriers, which kept the JIT from
 * inlining it into its callers ({@code benchmarks/baseline.md}, in-memory ledger, round 14).
 */
public final class ReservationRequest {
  /** Shared with the reservations made from this request. */
  final ReservationTerms terms;
  private final List<SpendLimit> limits;
  private final ZoneId zone;

  /**
   * A request of these values.
   *
   * @throws NullPointerException naming the first value that is null where one is required
   * @throws io.agentprovision.core.InvalidRequestException when {@code amount} is negative
   */
  public ReservationRequest(String id, AgentId agent, String provider, @Nullable RunId run, @Nullable StepId step,
      Money amount, Instant at, Instant expiresAt, List<SpendLimit> limits, ZoneId zone, String description) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(amount, "amount").requireNonNegative("amount");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(expiresAt, "expiresAt");
    List<SpendLimit> copied = List.copyOf(limits);
    Objects.requireNonNull(zone, "zone");
    Objects.requireNonNull(description, "description");
    this.terms = ReservationTerms.of(id, agent, provider, run, step, amount, at, expiresAt, description);
    this.limits = copied;
    this.zone = zone;
  }

  /** The reservation id, derived from the run and step, so a repeated request is the same reservation. */
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

  /** How much to hold. */
  public Money amount() {
    return terms.amount;
  }

  /** When (decides the limit windows). */
  public Instant at() {
    return terms.at;
  }

  /** When an unsettled reservation stops counting. */
  public Instant expiresAt() {
    return terms.expiresAt;
  }

  /** The limits that apply (from {@link io.agentprovision.core.policy.SpendPolicy#limitsFor}). */
  public List<SpendLimit> limits() {
    return limits;
  }

  /** The zone whose midnight starts calendar windows. */
  public ZoneId zone() {
    return zone;
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
    if (!(o instanceof ReservationRequest)) {
      return false;
    }
    ReservationRequest r = (ReservationRequest) o;
    return terms.sameValues(r.terms) && limits.equals(r.limits) && zone.equals(r.zone);
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
    h = 31 * h + t.at.hashCode();
    h = 31 * h + t.expiresAt.hashCode();
    h = 31 * h + limits.hashCode();
    h = 31 * h + zone.hashCode();
    return 31 * h + t.description.hashCode();
  }

  /** The components by name, in a record's format. */
  @Override
  public String toString() {
    return "ReservationRequest[id=" + id() + ", agent=" + agent() + ", provider=" + provider() + ", run=" + run()
        + ", step=" + step() + ", amount=" + amount() + ", at=" + at() + ", expiresAt=" + expiresAt() + ", limits="
        + limits + ", zone=" + zone + ", description=" + description() + "]";
  }

  /**
   * A builder for a reservation of {@code amount} for {@code agent} at {@code provider}, under id
   * {@code id}; {@code at} and {@code expiresAt} must be set, the zone is UTC unless set, the limits
   * none and the description empty unless set.
   *
   * <pre>{@code
   * ReservationRequest r = ReservationRequest.builder("run_1:plan:1", agent, "cloudflare", Money.usd("5.00"))
   *     .run(run).step(step).at(now).expiresAt(now.plus(Duration.ofHours(1)))
   *     .limits(policy.limitsFor(agent, "cloudflare")).zone(policy.zone()).description("workers:paid").build();
   * }</pre>
   */
  public static Builder builder(String id, AgentId agent, String provider, Money amount) {
    return new Builder(id, agent, provider, amount);
  }

  /** Builds {@link ReservationRequest}s. */
  public static final class Builder {
    private final String id;
    private final AgentId agent;
    private final String provider;
    private final Money amount;
    private @Nullable RunId run;
    private @Nullable StepId step;
    private @Nullable Instant at;
    private @Nullable Instant expiresAt;
    private List<SpendLimit> limits = List.of();
    private ZoneId zone = java.time.ZoneOffset.UTC;
    private String description = "";

    private Builder(String id, AgentId agent, String provider, Money amount) {
      this.id = Objects.requireNonNull(id, "id");
      this.agent = Objects.requireNonNull(agent, "agent");
      this.provider = Objects.requireNonNull(provider, "provider");
      this.amount = Objects.requireNonNull(amount, "amount");
    }

    public Builder run(@Nullable RunId r) {
      this.run = r;
      return this;
    }

    public Builder step(@Nullable StepId s) {
      this.step = s;
      return this;
    }

    public Builder at(Instant t) {
      this.at = Objects.requireNonNull(t, "at");
      return this;
    }

    public Builder expiresAt(Instant t) {
      this.expiresAt = Objects.requireNonNull(t, "expiresAt");
      return this;
    }

    public Builder limits(List<SpendLimit> l) {
      this.limits = List.copyOf(l);
      return this;
    }

    public Builder zone(ZoneId z) {
      this.zone = Objects.requireNonNull(z, "zone");
      return this;
    }

    public Builder description(String d) {
      this.description = Objects.requireNonNull(d, "description");
      return this;
    }

    /** @throws NullPointerException when {@code at} or {@code expiresAt} was not set */
    public ReservationRequest build() {
      return new ReservationRequest(id, agent, provider, run, step, amount, Objects.requireNonNull(at, "at"),
          Objects.requireNonNull(expiresAt, "expiresAt"), limits, zone, description);
    }
  }
}
