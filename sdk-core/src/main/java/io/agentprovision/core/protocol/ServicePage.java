package io.agentprovision.core.protocol;

import io.agentprovision.core.catalog.ServiceOffering;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of a provider's service list.
 *
 * @param services the services on this page, in the provider's order
 * @param nextCursor the cursor for the next page, or null on the last page
 */
public record ServicePage(List<ServiceOffering> services, @Nullable String nextCursor) {
  public ServicePage {
    services = List.copyOf(services);
    if (nextCursor != null && nextCursor.isEmpty()) {
      nextCursor = null;
    }
  }
}
