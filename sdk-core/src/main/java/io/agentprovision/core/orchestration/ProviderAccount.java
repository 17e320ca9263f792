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

  /**
   * A builder for account {@code accountId} at {@code provider}; the link action is {@code UNKNOWN} and
   * the rest absent unless set.
   *
   * <pre>{@code
   * ProviderAccount a = ProviderAccount.builder("cloudflare", "acct_1").email("ada@example.com")
   *     .linkAction(ProviderAccount.LinkAction.CREATED).build();
   * }</pre>
   */
  public static Builder builder(String provider, String accountId) {
    return new Builder(provider, accountId);
  }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    return new Builder(provider, accountId).connectionId(connectionId).displayName(displayName).email(email)
        .linkAction(linkAction).attributes(attributes);
  }

  /** Builds {@link ProviderAccount}s. */
  public static final class Builder {
    private final String provider;
    private final String accountId;
    private @Nullable String connectionId;
    private @Nullable String displayName;
    private @Nullable String email;
    private LinkAction linkAction = LinkAction.UNKNOWN;
    private Map<String, String> attributes = Map.of();

    private Builder(String provider, String accountId) {
      this.provider = Objects.requireNonNull(provider, "provider");
      this.accountId = Objects.requireNonNull(accountId, "accountId");
    }

    public Builder connectionId(@Nullable String value) {
      this.connectionId = value;
      return this;
    }

    public Builder displayName(@Nullable String value) {
      this.displayName = value;
      return this;
    }

    public Builder email(@Nullable String value) {
      this.email = value;
      return this;
    }

    public Builder linkAction(LinkAction value) {
      this.linkAction = Objects.requireNonNull(value, "linkAction");
      return this;
    }

    public Builder attributes(Map<String, String> value) {
      this.attributes = Objects.requireNonNull(value, "attributes");
      return this;
    }

    public ProviderAccount build() {
      return new ProviderAccount(provider, accountId, connectionId, displayName, email, linkAction, attributes);
    }
  }
}
