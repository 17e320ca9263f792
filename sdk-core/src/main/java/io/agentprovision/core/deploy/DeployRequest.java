package io.agentprovision.core.deploy;

import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.spi.Deployer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks a {@link Deployer} to put an app live.
 *
 * @param app the app
 * @param credentials the credential to deploy with
 * @param domain the custom domain to bind, or null for the provider's own host only
 */
public record DeployRequest(WorkerApp app, DeployCredentials credentials, @Nullable String domain) {
  public DeployRequest {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(credentials, "credentials");
  }
}
