package io.agentprovision.core.orchestration;

import java.util.Objects;

/**
 * Identifies a provisioned resource.
 *
 * @param provider the provider's catalog name
 * @param id the orchestrator's resource id
 * @param serviceId the service it was provisioned from
 * @param name its name
 */
public record ResourceRef(String provider, String id, String serviceId, String name) {
  public ResourceRef {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(serviceId, "serviceId");
    Objects.requireNonNull(name, "name");
  }
}
