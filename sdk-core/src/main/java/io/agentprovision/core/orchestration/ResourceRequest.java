package io.agentprovision.core.orchestration;

import io.agentprovision.core.payment.PaymentAuthorization;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks an orchestrator to provision a service.
 *
 * @param provider the provider's catalog name
 * @param serviceId the service, such as {@code "workers:paid"}
 * @param name a deterministic resource name (the same on every retry and resume)
 * @param configuration the service configuration, valid against its schema
 * @param account the linked provider account
 * @param project the orchestrator project
 * @param environment the environment, such as {@code "production"}
 * @param payment for paid services, the engine's authorization; null for free ones
 */
public record ResourceRequest(String provider, String serviceId, String name, Map<String, Object> configuration,
    ProviderAccount account, String project, String environment, @Nullable PaymentAuthorization payment) {
  public ResourceRequest {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(serviceId, "serviceId");
    Objects.requireNonNull(name, "name");
    configuration = Map.copyOf(configuration);
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(environment, "environment");
  }
}
