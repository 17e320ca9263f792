package io.agentprovision.core.orchestration;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The human's account at a provider, once created or linked.
 *
 * @param provider the provider's catalog name
 * @param accountId the provider's account id
 * @param connectionId the orchestrator's id for the link, when it keeps one
 * @param displayName the account's name
 * @param email the account's primary e-mail
 * @param linkAction whether the account was created for this human or an existing one was linked
 * @param attributes other non-secret facts (never credentials)
 */
public record ProviderAccount(String provider, String accountId, @Nullable String connectionId, @Nullable String displayName,
    @Nullable String email, LinkAction linkAction, Map<String, String> attributes) {
  /** How the account came to be linked. */
  public enum LinkAction { CREATED, LINKED_EXISTING, UNKNOWN }

  public ProviderAccount {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(linkAction, "linkAction");
    attributes = Map.copyOf(attributes);
  }
}
