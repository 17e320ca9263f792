package io.agentprovision.core.protocol;

import io.agentprovision.core.Secret;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Changes a resource ({@code POST /provisioning/resources/{id}/update_service}): another service (a
 * plan change), another configuration, or the answer to a {@code needs_information} request.
 *
 * @param serviceId the new service, or null to keep it
 * @param configuration configuration to send, or null to send none
 * @param paymentToken the payment token when the change is billable, else null
 */
public record ProviderResourceUpdate(@Nullable String serviceId, @Nullable Map<String, Object> configuration,
    @Nullable Secret paymentToken) {
  public ProviderResourceUpdate {
    configuration = configuration == null ? null : Map.copyOf(configuration);
  }
}
