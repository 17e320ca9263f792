package io.agentprovision.core.deploy;

import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.spi.Deployer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks a {@link Deployer} for the credential it will deploy with, starting from the broad
 * credential the orchestrator revealed.
 *
 * @param account the provider account
 * @param broad the orchestrator's access configuration (the broad credential)
 * @param spec what the narrow token may do, from where, for how long
 * @param app the app to be deployed (decides the permissions needed)
 * @param domain the custom domain the app will be bound to, or null
 */
public record CredentialRequest(ProviderAccount account, AccessConfiguration broad, TokenSpec spec, WorkerApp app,
    @Nullable String domain) {
  public CredentialRequest {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(broad, "broad");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(app, "app");
  }
}
