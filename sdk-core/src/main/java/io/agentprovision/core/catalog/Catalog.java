package io.agentprovision.core.catalog;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A provider's catalog: the provider and its services.
 *
 * @param provider the provider
 * @param services every service, in the catalog's order
 */
public record Catalog(ProviderInfo provider, List<ServiceOffering> services) {
  public Catalog {
    Objects.requireNonNull(provider, "provider");
    services = List.copyOf(services);
  }

  /** The service with this id, if the catalog has it. */
  public Optional<ServiceOffering> service(String serviceId) {
    for (ServiceOffering s : services) {
      if (s.id().equals(serviceId)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
