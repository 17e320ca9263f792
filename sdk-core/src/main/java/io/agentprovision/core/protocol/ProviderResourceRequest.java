package io.agentprovision.core.protocol;

import io.agentprovision.core.Secret;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Creates a resource at a provider ({@code POST /provisioning/resources}).
 *
 * @param serviceId the service, such as {@code "workers:paid"}
 * @param configuration the service configuration
 * @param paymentToken the payment token for a paid service, sent as
 *     {@code payment_credentials{type:"stripe_payment_token", stripe_payment_token}}; null for free calls
 * @param projectId the orchestrator project
 * @param orchestratorResourceId the orchestrator's id for the resource
 * @param environment the environment, such as {@code "production"}
 */
public record ProviderResourceRequest(String serviceId, Map<String, Object> configuration, @Nullable Secret paymentToken,
    String projectId, String orchestratorResourceId, String environment) {
  public ProviderResourceRequest {
    Objects.requireNonNull(serviceId, "serviceId");
    configuration = Map.copyOf(configuration);
    Objects.requireNonNull(projectId, "projectId");
    Objects.requireNonNull(orchestratorResourceId, "orchestratorResourceId");
    Objects.requireNonNull(environment, "environment");
  }
}
