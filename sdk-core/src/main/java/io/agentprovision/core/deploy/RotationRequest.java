package io.agentprovision.core.deploy;

import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.spi.Deployer;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks a {@link Deployer} to rotate a deploy credential.
 *
 * @param current the credential to rotate
 * @param broad the broad credential the orchestrator revealed, when the vault still holds it: the
 *     authority for deployers whose narrow token may not manage tokens (least privilege)
 * @param renewFor when given, the rotated credential also gets a fresh lifetime of this length from
 *     now (what a schedule that rotates before expiry needs); when null only the value changes
 */
public record RotationRequest(DeployCredentials current, @Nullable AccessConfiguration broad, @Nullable Duration renewFor) {
  public RotationRequest {
    Objects.requireNonNull(current, "current");
    if (renewFor != null && (renewFor.isNegative() || renewFor.isZero())) {
      throw new IllegalArgumentException("renewFor must be positive: " + renewFor);
    }
  }
}
