package io.agentprovision.core.orchestration;

import io.agentprovision.core.Secret;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The credentials a provider issued for a resource, as revealed by the orchestrator. Every value is
 * a {@link Secret}: the names a provider uses are not fixed, so none is assumed harmless.
 *
 * @param values credential name to value, such as {@code CLOUDFLARE_API_TOKEN} and {@code CLOUDFLARE_ACCOUNT_ID}
 * @param expiresAt when the credentials stop working, when known
 * @param created when they were issued, when known
 * @param generation increases with each rotation, when the orchestrator says
 */
public record AccessConfiguration(Map<String, Secret> values, @Nullable Instant expiresAt, @Nullable Instant created,
    long generation) {
  public AccessConfiguration {
    values = Map.copyOf(values);
  }

  /** The value named {@code name}, or null. */
  public @Nullable Secret value(String name) {
    return values.get(Objects.requireNonNull(name, "name"));
  }

  @Override
  public String toString() {
    return "AccessConfiguration{names=" + values.keySet() + ", expiresAt=" + expiresAt + ", generation=" + generation + "}";
  }
}
