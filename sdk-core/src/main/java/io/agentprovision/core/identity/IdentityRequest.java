package io.agentprovision.core.identity;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.IdentityProvider;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks an {@link IdentityProvider} to establish the human principal.
 *
 * @param agent the acting agent
 * @param run the run, when part of one
 * @param evidence what the human presented, such as an OIDC ID token; null when the provider needs none
 * @param nonce the nonce the ID token must carry, when the host sent one in its authentication request
 * @param requireMfa whether the principal must show multi-factor authentication
 */
public record IdentityRequest(AgentId agent, @Nullable RunId run, @Nullable Secret evidence, @Nullable String nonce,
    boolean requireMfa) {
  public IdentityRequest {
    Objects.requireNonNull(agent, "agent");
  }
}
