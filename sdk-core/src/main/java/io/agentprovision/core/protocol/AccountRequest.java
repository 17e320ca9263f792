package io.agentprovision.core.protocol;

import io.agentprovision.core.Secret;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An orchestrator's request to a provider for an account for a person: the provider creates one
 * for a new e-mail, or asks the person to consent for an existing one. Sent as
 * {@code POST /provisioning/account_requests}.
 *
 * @param id the orchestrator's id for this request
 * @param email the person's verified e-mail
 * @param name the person's name, when known
 * @param country the person's country (ISO 3166-1 alpha-2), when known
 * @param phone the person's phone number, when known
 * @param verifiedFields the fields the orchestrator verified ({@code email}, {@code phone}…), sent as {@code kyc.verified_fields}
 * @param scopes access scopes requested, empty for the provider's default
 * @param clientCapabilities what the orchestrator's client can do, such as {@code browser}
 * @param configuration provider-specific account configuration
 * @param confirmationSecret a random secret the provider echoes as {@code state} after consent
 * @param expiresAt when the request lapses
 * @param orchestrator who the orchestrator is, as sent in the {@code orchestrator} object
 * @param codeChallenge a PKCE S256 challenge for any authorization code issued, or null
 */
public record AccountRequest(String id, String email, @Nullable String name, @Nullable String country,
    @Nullable String phone, Set<String> verifiedFields, List<String> scopes, List<String> clientCapabilities,
    Map<String, Object> configuration, Secret confirmationSecret, Instant expiresAt, Map<String, Object> orchestrator,
    @Nullable String codeChallenge) {
  public AccountRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(email, "email");
    verifiedFields = Set.copyOf(verifiedFields);
    scopes = List.copyOf(scopes);
    clientCapabilities = List.copyOf(clientCapabilities);
    configuration = Map.copyOf(configuration);
    Objects.requireNonNull(confirmationSecret, "confirmationSecret");
    Objects.requireNonNull(expiresAt, "expiresAt");
    orchestrator = Map.copyOf(orchestrator);
  }
}
