package io.agentprovision.cloudflare;

import io.agentprovision.core.Secret;
import java.util.Objects;

/**
 * A token just created: its description and its value, which Cloudflare shows only in the create
 * (and roll) response. Store the value in the vault at once; {@code toString} never shows it.
 *
 * @param token the token's description
 * @param value its secret value
 */
public record CreatedToken(ApiToken token, Secret value) {
  public CreatedToken {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(value, "value");
  }

  @Override
  public String toString() {
    return "CreatedToken{id=" + token.id() + ", name=" + token.name() + ", value=[redacted]}";
  }
}
