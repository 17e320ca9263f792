package io.agentprovision.core.deploy;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An app that is live.
 *
 * @param provider the provider
 * @param accountId the provider account
 * @param scriptName the deployed script's name
 * @param url the provider's own URL for it, such as {@code https://my-app.acme.workers.dev}
 * @param customDomainUrl the custom domain's URL, when one was bound
 * @param attributes other non-secret facts (version ids, zone id)
 */
public record DeployedApp(String provider, String accountId, String scriptName, URI url, @Nullable URI customDomainUrl,
    Map<String, String> attributes) {
  public DeployedApp {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(scriptName, "scriptName");
    Objects.requireNonNull(url, "url");
    attributes = Map.copyOf(attributes);
  }

  /** The URL people should use: the custom domain when there is one. */
  public URI primaryUrl() {
    return customDomainUrl != null ? customDomainUrl : url;
  }

  /**
   * A builder for script {@code scriptName} answering at {@code url}; no custom domain or attributes unless set.
   *
   * <pre>{@code
   * DeployedApp app = DeployedApp.builder("cloudflare", "acct_1", "my-app",
   *         URI.create("https://my-app.acct.workers.dev"))
   *     .customDomainUrl(URI.create("https://my-app.com")).build();
   * }</pre>
   */
  public static Builder builder(String provider, String accountId, String scriptName, URI url) {
    return new Builder(provider, accountId, scriptName, url);
  }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    return new Builder(provider, accountId, scriptName, url).customDomainUrl(customDomainUrl).attributes(attributes);
  }

  /** Builds {@link DeployedApp}s. */
  public static final class Builder {
    private final String provider;
    private final String accountId;
    private final String scriptName;
    private final URI url;
    private @Nullable URI customDomainUrl;
    private Map<String, String> attributes = Map.of();

    private Builder(String provider, String accountId, String scriptName, URI url) {
      this.provider = Objects.requireNonNull(provider, "provider");
      this.accountId = Objects.requireNonNull(accountId, "accountId");
      this.scriptName = Objects.requireNonNull(scriptName, "scriptName");
      this.url = Objects.requireNonNull(url, "url");
    }

    public Builder customDomainUrl(@Nullable URI value) {
      this.customDomainUrl = value;
      return this;
    }

    public Builder attributes(Map<String, String> value) {
      this.attributes = Objects.requireNonNull(value, "attributes");
      return this;
    }

    public DeployedApp build() {
      return new DeployedApp(provider, accountId, scriptName, url, customDomainUrl, attributes);
    }
  }
}
