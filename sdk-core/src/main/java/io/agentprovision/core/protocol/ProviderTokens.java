package io.agentprovision.core.protocol;

import io.agentprovision.core.Secret;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The bearer tokens a provider issued for an account, from an account request or the token
 * endpoint. The tokens are {@link Secret}s; {@code toString} shows neither.
 *
 * <p>Access tokens may live only seconds, and refresh tokens may rotate on every use (the old one is
 * then refused): {@link #refreshDue} decides when to refresh relative to the token's own lifetime,
 * and {@link #keepingRefreshToken} keeps the refresh token when a refresh answer carries none.
 *
 * @param accessToken the token for resource calls
 * @param refreshToken the token to get a new access token, when the provider issued one
 * @param expiresAt when the access token expires, when the provider said ({@code expires_in})
 * @param accountId the provider account the tokens act for
 * @param paymentCredentials who pays for the account's paid services: {@code "orchestrator"} or {@code "provider"}, when said
 * @param issuedAt when the tokens were received, when known; with {@code expiresAt} it gives the token's lifetime
 */
public record ProviderTokens(Secret accessToken, @Nullable Secret refreshToken, @Nullable Instant expiresAt,
    String accountId, @Nullable String paymentCredentials, @Nullable Instant issuedAt) {
  public ProviderTokens {
    Objects.requireNonNull(accessToken, "accessToken");
    Objects.requireNonNull(accountId, "accountId");
  }

  /** Tokens whose receipt time is not known. */
  public ProviderTokens(Secret accessToken, @Nullable Secret refreshToken, @Nullable Instant expiresAt,
      String accountId, @Nullable String paymentCredentials) {
    this(accessToken, refreshToken, expiresAt, accountId, paymentCredentials, null);
  }

  /** The access token's lifetime, when both its receipt and its expiry are known. */
  public @Nullable Duration lifetime() {
    return issuedAt == null || expiresAt == null ? null : Duration.between(issuedAt, expiresAt);
  }

  /**
   * Whether to refresh the access token at {@code now}: once it is within the refresh margin of its
   * expiry. The margin is {@code maxMargin}, but at most half the token's {@link #lifetime()}, so a
   * token that lives 20 seconds is used for 10 of them instead of being refreshed before every call.
   * A token without an expiry is never due.
   */
  public boolean refreshDue(Instant now, Duration maxMargin) {
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(maxMargin, "maxMargin");
    if (expiresAt == null) {
      return false;
    }
    Duration margin = maxMargin;
    Duration lifetime = lifetime();
    if (lifetime != null && !lifetime.isNegative() && lifetime.dividedBy(2).compareTo(margin) < 0) {
      margin = lifetime.dividedBy(2);
    }
    return !now.plus(margin).isBefore(expiresAt);
  }

  /**
   * These tokens, with {@code previous} as the refresh token when the provider sent none (a provider
   * that does not rotate refresh tokens may leave them out of a refresh answer).
   */
  public ProviderTokens keepingRefreshToken(@Nullable Secret previous) {
    return refreshToken != null || previous == null ? this
        : new ProviderTokens(accessToken, previous, expiresAt, accountId, paymentCredentials, issuedAt);
  }
}
