package io.agentprovision.core.deploy;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.Deployer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The credential a {@link Deployer} deploys with: normally a narrow token minted for the run
 * (least privilege, IP-bound, short-lived).
 *
 * @param provider the provider
 * @param accountId the provider account it acts on
 * @param tokenId the provider's id of the token (not secret), for roll and delete
 * @param token the token value
 * @param expiresAt when it expires, when it does
 * @param permissions the permission names it holds, for the summary and the audit log
 * @param attributes other non-secret facts (IP conditions, zone ids)
 */
public record DeployCredentials(String provider, String accountId, String tokenId, Secret token, @Nullable Instant expiresAt,
    List<String> permissions, Map<String, String> attributes) {
  public DeployCredentials {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(tokenId, "tokenId");
    Objects.requireNonNull(token, "token");
    permissions = List.copyOf(permissions);
    attributes = Map.copyOf(attributes);
  }
}
