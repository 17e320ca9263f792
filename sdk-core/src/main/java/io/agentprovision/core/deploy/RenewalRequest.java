package io.agentprovision.core.deploy;

import io.agentprovision.core.orchestration.AccessConfiguration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@code Deployer.stopAutoRenew} is given: the registration and the credentials that may reach
 * the registrar (the orchestrator's broad credential when the vault still holds it; the deploy
 * token is least-privilege and usually may not).
 *
 * @param domain the registered name, in ASCII form
 * @param accountId the provider account that holds it
 * @param broad the orchestrator's broad credential, when still held
 * @param credentials the deploy token, when not revoked
 */
public record RenewalRequest(String domain, String accountId, @Nullable AccessConfiguration broad,
    @Nullable DeployCredentials credentials) {
  public RenewalRequest {
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(accountId, "accountId");
  }
}
