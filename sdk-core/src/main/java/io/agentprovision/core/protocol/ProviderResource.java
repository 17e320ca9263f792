package io.agentprovision.core.protocol;

import io.agentprovision.core.Secret;
import io.agentprovision.core.orchestration.ResourceStatus;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A resource as a provider reports it.
 *
 * @param id the provider's resource id
 * @param status its state; unknown wire values are {@link ResourceStatus#UNKNOWN}
 * @param accessConfiguration the credentials, when the provider returned them ({@code complete}); empty otherwise
 * @param needsInformationSchema the JSON Schema of what the provider needs ({@code needs_information}), or null
 * @param errorCode the provider's error code when {@code status} is errored
 * @param errorMessage the provider's error message (credential-looking text removed)
 * @param attributes other scalar, non-secret fields the provider returned (such as {@code domain})
 */
public record ProviderResource(String id, ResourceStatus status, Map<String, Secret> accessConfiguration,
    @Nullable Map<String, Object> needsInformationSchema, @Nullable String errorCode, @Nullable String errorMessage,
    Map<String, String> attributes) {
  public ProviderResource {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    accessConfiguration = Map.copyOf(accessConfiguration);
    needsInformationSchema = needsInformationSchema == null ? null : Map.copyOf(needsInformationSchema);
    attributes = Map.copyOf(attributes);
  }

  @Override
  public String toString() {
    return "ProviderResource{id=" + id + ", status=" + status + ", credentials=" + accessConfiguration.keySet()
        + (errorCode != null ? ", error=" + errorCode : "") + "}";
  }
}
