package io.agentprovision.core.deploy;

import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.spi.Deployer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@link Deployer#prepareCredentials} produced: the credential to deploy with and what became
 * of the broad one.
 *
 * @param deploy the credential to deploy with
 * @param broadOutcome whether the broad credential was kept, rolled or deleted
 * @param rolledBroad the broad access configuration with the rolled value in place, when it was rolled,
 *     to replace the vault copy
 */
public record PreparedCredentials(DeployCredentials deploy, BroadOutcome broadOutcome, @Nullable AccessConfiguration rolledBroad) {
  /** What became of the broad credential. */
  public enum BroadOutcome { KEPT, ROLLED, DELETED }

  public PreparedCredentials {
    Objects.requireNonNull(deploy, "deploy");
    Objects.requireNonNull(broadOutcome, "broadOutcome");
  }
}
