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
 * @param id the reservation id, derived from the run and step, so a repeated request is the same reservation
 * @param agent who spends
 * @param provider who charges
 * @param run the run, when part of one
 * @param step the step, when part of one
 * @param amount how much to hold
 * @param at when (decides the limit windows)
 * @param expiresAt when an unsettled reservation stops counting
 * @param limits the limits that apply (from {@link io.agentprovision.core.policy.SpendPolicy#limitsFor})
 * @param zone the zone whose midnight starts calendar windows
 * @param description what it is for
 */
public record ReservationRequest(String id, AgentId agent, String provider, @Nullable RunId run, @Nullable StepId step,
    Money amount, Instant at, Instant expiresAt, List<SpendLimit> limits, ZoneId zone, String description) {
  public ReservationRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(amount, "amount").requireNonNegative("amount");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(expiresAt, "expiresAt");
    limits = List.copyOf(limits);
    Objects.requireNonNull(zone, "zone");
    Objects.requireNonNull(description, "description");
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
