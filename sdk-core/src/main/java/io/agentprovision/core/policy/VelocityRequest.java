package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One action to count against velocity limits, as the engine hands it to a
 * {@link io.agentprovision.core.spi.VelocityStore}.
 *
 * @param id identifies the action (the run, step and action), so that counting it again (a resumed
 *     step) counts it once
 * @param action what is created
 * @param agent who acts
 * @param principal the person acted for, as issuer and subject ({@code "issuer|subject"}), when known
 * @param at when
 * @param limits the limits that count it (those of the policy for this action)
 */
public record VelocityRequest(String id, VelocityAction action, AgentId agent, @Nullable String principal, Instant at,
    List<VelocityLimit> limits) {
  public VelocityRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(at, "at");
    limits = List.copyOf(limits);
  }
}
