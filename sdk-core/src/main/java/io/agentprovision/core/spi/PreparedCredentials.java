package io.agentprovision.core.spi;

import io.agentprovision.core.Secret;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@link Deployer#prepareCredentials} produced: the credential to deploy with and what became
 * of the broad one.
 *
 * @param deploy the credential to deploy with
 * @param broadOutcome whether the broad credential was kept, rolled or deleted
 * @param rolledBroadValue the broad credential's new value when it was rolled, to replace the vault copy
 */
public record PreparedCredentials(DeployCredentials deploy, BroadOutcome broadOutcome, @Nullable Secret rolledBroadValue) {
  /** What became of the broad credential. */
  public enum BroadOutcome { KEPT, ROLLED, DELETED }

  public PreparedCredentials {
    Objects.requireNonNull(deploy, "deploy");
    Objects.requireNonNull(broadOutcome, "broadOutcome");
  }
}
