package io.agentprovision.core.catalog;

import java.net.URI;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A provider as an orchestrator's catalog describes it.
 *
 * @param name the catalog name, such as {@code "cloudflare"}
 * @param id the orchestrator's id, such as {@code "prvdr_…"}, when it has one
 * @param displayName a name for people
 * @param description what the provider offers
 * @param termsOfService the terms a human accepts before an account is created or linked
 * @param privacyPolicy the provider's privacy policy
 * @param website the provider's site
 */
public record ProviderInfo(String name, @Nullable String id, @Nullable String displayName, @Nullable String description,
    @Nullable URI termsOfService, @Nullable URI privacyPolicy, @Nullable URI website) {
  public ProviderInfo {
    Objects.requireNonNull(name, "name");
  }

  /** A provider known only by name. */
  public static ProviderInfo named(String name) {
    return new ProviderInfo(name, null, null, null, null, null, null);
  }
}
