package io.agentprovision.core.protocol;

import io.agentprovision.core.Secret;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The bearer tokens a provider issued for an account, from an account request or the token
 * endpoint. The tokens are {@link Secret}s; {@code toString} shows neither.
 *
 * @param accessToken the token for resource calls
 * @param refreshToken the token to get a new access token, when the provider issued one
 * @param expiresAt when the access token expires, when the provider said ({@code expires_in})
 * @param accountId the provider account the tokens act for
 * @param paymentCredentials who pays for the account's paid services: {@code "orchestrator"} or {@code "provider"}, when said
 */
public record ProviderTokens(Secret accessToken, @Nullable Secret refreshToken, @Nullable Instant expiresAt,
    String accountId, @Nullable String paymentCredentials) {
  public ProviderTokens {
    Objects.requireNonNull(accessToken, "accessToken");
    Objects.requireNonNull(accountId, "accountId");
  }
}
