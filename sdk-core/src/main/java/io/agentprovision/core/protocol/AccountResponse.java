package io.agentprovision.core.protocol;

import io.agentprovision.core.Secret;
import java.net.URI;
import java.util.Objects;

/**
 * A provider's answer to an {@link AccountRequest}, one of four variants (the wire's {@code type}).
 *
 * <pre>{@code
 * switch (provider.requestAccount(request)) {
 *   case AccountResponse.Credentials c -> useTokens(c.tokens());
 *   case AccountResponse.OAuthCode o -> provider.exchangeCode(o.code(), verifier);
 *   case AccountResponse.RequiresAuth r -> sendHumanTo(r.redirectUrl());
 *   case AccountResponse.Error e -> fail(e.code(), e.message());
 * }
 * }</pre>
 */
public sealed interface AccountResponse {
  /**
   * A new account was created and its tokens issued at once ({@code type: credentials}).
   *
   * @param tokens the account's tokens
   */
  record Credentials(ProviderTokens tokens) implements AccountResponse {
    public Credentials {
      Objects.requireNonNull(tokens, "tokens");
    }
  }

  /**
   * A new account was created; its tokens are had by redeeming {@code code} at the token
   * endpoint ({@code type: oauth}).
   *
   * @param code the single-use authorization code
   */
  record OAuthCode(Secret code) implements AccountResponse {
    public OAuthCode {
      Objects.requireNonNull(code, "code");
    }
  }

  /**
   * The e-mail has an account already; the person must consent at {@code redirectUrl}, after which
   * the provider calls back with a {@code code} and a {@code state} equal to the request's
   * confirmation secret ({@code type: requires_auth}).
   *
   * @param redirectUrl where to send the person
   */
  record RequiresAuth(URI redirectUrl) implements AccountResponse {
    public RequiresAuth {
      Objects.requireNonNull(redirectUrl, "redirectUrl");
    }
  }

  /**
   * The provider refused ({@code type: error}), such as {@code expired}. An unknown {@code type} is
   * reported as an error of code {@code unsupported_response_type}.
   *
   * @param code the provider's error code
   * @param message the provider's message (credential-looking text removed)
   */
  record Error(String code, String message) implements AccountResponse {
    public Error {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }
  }
}
