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
}
