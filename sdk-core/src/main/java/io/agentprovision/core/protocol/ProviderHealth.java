package io.agentprovision.core.protocol;

import java.util.List;
import java.util.Objects;

/**
 * What a provider's health endpoint says: its status and the protocol versions it speaks.
 *
 * @param status the provider's own word, {@code "ok"} when healthy
 * @param supportedVersions protocol versions the provider accepts, such as {@code ["0.1d"]}
 */
public record ProviderHealth(String status, List<String> supportedVersions) {
  public ProviderHealth {
    Objects.requireNonNull(status, "status");
    supportedVersions = List.copyOf(supportedVersions);
  }

  /** Whether the provider says it is healthy. */
  public boolean ok() {
    return "ok".equalsIgnoreCase(status);
  }

  /** Whether the provider accepts {@code version}. */
  public boolean supports(String version) {
    return supportedVersions.contains(Objects.requireNonNull(version, "version"));
  }
}
