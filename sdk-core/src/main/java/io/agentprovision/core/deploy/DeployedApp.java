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
}
