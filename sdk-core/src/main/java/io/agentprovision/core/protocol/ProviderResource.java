package io.agentprovision.core.protocol;

import io.agentprovision.core.Secret;
import io.agentprovision.core.orchestration.ResourceStatus;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A resource as a provider reports it.
 *
 * @param id the provider's resource id; null only for a {@code needs_information} answer that came
 *     without one (the provider kept nothing, and the answer goes back as a new
 *     {@code POST /provisioning/resources}, see {@link InformationAnswer.ByNewRequest})
 * @param status its state; unknown wire values are {@link ResourceStatus#UNKNOWN}
 * @param accessConfiguration the credentials, when the provider returned them ({@code complete}); empty otherwise
 * @param needsInformationSchema the JSON Schema of what the provider needs ({@code needs_information}), or null
 * @param errorCode the provider's error code when {@code status} is errored
 * @param errorMessage the provider's error message (credential-looking text removed)
 * @param attributes other scalar, non-secret fields the provider returned (such as {@code domain})
 */
public record ProviderResource(@Nullable String id, ResourceStatus status, Map<String, Secret> accessConfiguration,
    @Nullable Map<String, Object> needsInformationSchema, @Nullable String errorCode, @Nullable String errorMessage,
    Map<String, String> attributes) {
  public ProviderResource {
    Objects.requireNonNull(status, "status");
    if (id == null && status != ResourceStatus.NEEDS_INFORMATION) {
      throw new IllegalArgumentException("only a needs_information answer may come without a resource id (was "
          + status + ")");
    }
    accessConfiguration = Map.copyOf(accessConfiguration);
    // not Map.copyOf: a JSON Schema may hold JSON nulls ("default": null), which it refuses
    needsInformationSchema = needsInformationSchema == null ? null
        : Collections.unmodifiableMap(new LinkedHashMap<>(needsInformationSchema));
    attributes = Map.copyOf(attributes);
  }

  /** Whether the provider named the resource (every answer does but a {@code needs_information} that kept nothing). */
  public boolean hasId() {
    return id != null;
  }

  @Override
  public String toString() {
    return "ProviderResource{id=" + id + ", status=" + status + ", credentials=" + accessConfiguration.keySet()
        + (errorCode != null ? ", error=" + errorCode : "") + "}";
  }
}
