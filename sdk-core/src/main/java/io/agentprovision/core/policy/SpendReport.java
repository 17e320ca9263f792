package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An agent's spend: each applicable limit's use now, and the reservations behind it.
 *
 * @param agent the agent
 * @param at when the report was made
 * @param limits each limit bucket the agent's spend falls in, with its use
 * @param reservations the agent's reservations in the current windows, oldest first
 */
public record SpendReport(AgentId agent, Instant at, List<LimitUsage> limits, List<Reservation> reservations) {
  public SpendReport {
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(at, "at");
    limits = List.copyOf(limits);
    reservations = List.copyOf(reservations);
  }
}
