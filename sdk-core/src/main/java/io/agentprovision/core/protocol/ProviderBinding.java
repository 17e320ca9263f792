package io.agentprovision.core.protocol;

import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.spi.ProvisioningProvider;

/** A provider configured on a {@link DirectOrchestrator}: its client, its catalog description and its seller id. */
final class ProviderBinding {
  final String name;
  final ProvisioningProvider client;
  final ProviderInfo info;
  final String seller;
  /**
   * Set once the provider refused an answer to {@code needs_information} sent as
   * {@code update_service}: later answers go straight to the form it takes, a new create request.
   */
  volatile boolean answersByNewRequest;

  ProviderBinding(ProvisioningProvider client, ProviderInfo info, String seller) {
    this.name = client.name();
    this.client = client;
    this.info = info;
    this.seller = seller;
  }

  String displayName() {
    return info.displayName() != null ? info.displayName() : name;
  }
}
