package io.agentprovision.core.orchestration;

import io.agentprovision.core.identity.Principal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Asks an orchestrator to create an account at a provider for the principal, or to link the one
 * they already have (with their consent).
 *
 * @param provider the provider's catalog name
 * @param principal the attested human
 * @param scopes the access scopes requested, empty for the provider's default
 * @param configuration provider-specific account configuration
 */
public record AccountLinkRequest(String provider, Principal principal, List<String> scopes,
    Map<String, Object> configuration) {
  public AccountLinkRequest {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(principal, "principal");
    scopes = List.copyOf(scopes);
    configuration = Map.copyOf(configuration);
  }
}
