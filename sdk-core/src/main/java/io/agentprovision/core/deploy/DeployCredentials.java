package io.agentprovision.core.deploy;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.Deployer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The credential a {@link Deployer} deploys with: normally a narrow token minted for the run
 * (least privilege, IP-bound, short-lived).
 *
 * @param provider the provider
 * @param accountId the provider account it acts on
 * @param tokenId the provider's id of the token (not secret), for roll and delete
 * @param token the token value
 * @param expiresAt when it expires, when it does
 * @param permissions the permission names it holds, for the summary and the audit log
 * @param attributes other non-secret facts (IP conditions, zone ids)
 */
public record DeployCredentials(String provider, String accountId, String tokenId, Secret token, @Nullable Instant expiresAt,
    List<String> permissions, Map<String, String> attributes) {
  public DeployCredentials {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(tokenId, "tokenId");
    Objects.requireNonNull(token, "token");
    permissions = List.copyOf(permissions);
    attributes = Map.copyOf(attributes);
  }

  /**
   * A builder for token {@code tokenId} of {@code accountId} at {@code provider}, with its value; no
   * expiry, permissions or attributes unless set.
   *
   * <pre>{@code
   * DeployCredentials c = DeployCredentials.builder("cloudflare", "acct_1", "tok_1", Secret.of(value))
   *     .expiresAt(now.plus(Duration.ofDays(7))).permissions(List.of("Workers Scripts Write")).build();
   * }</pre>
   */
  public static Builder builder(String provider, String accountId, String tokenId, Secret token) {
    return new Builder(provider, accountId, tokenId, token);
  }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    return new Builder(provider, accountId, tokenId, token).expiresAt(expiresAt).permissions(permissions)
        .attributes(attributes);
  }

  /** Builds {@link DeployCredentials}s. */
  public static final class Builder {
    private final String provider;
    private final String accountId;
    private final String tokenId;
    private final Secret token;
    private @Nullable Instant expiresAt;
    private List<String> permissions = List.of();
    private Map<String, String> attributes = Map.of();

    private Builder(String provider, String accountId, String tokenId, Secret token) {
      this.provider = Objects.requireNonNull(provider, "provider");
      this.accountId = Objects.requireNonNull(accountId, "accountId");
      this.tokenId = Objects.requireNonNull(tokenId, "tokenId");
      this.token = Objects.requireNonNull(token, "token");
    }

    public Builder expiresAt(@Nullable Instant value) {
      this.expiresAt = value;
      return this;
    }

    public Builder permissions(List<String> value) {
      this.permissions = Objects.requireNonNull(value, "permissions");
      return this;
    }

    public Builder attributes(Map<String, String> value) {
      this.attributes = Objects.requireNonNull(value, "attributes");
      return this;
    }

    public DeployCredentials build() {
      return new DeployCredentials(provider, accountId, tokenId, token, expiresAt, permissions, attributes);
    }
  }
}
