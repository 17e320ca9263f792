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

  /**
   * A builder for provider {@code name}; everything else is absent unless set.
   *
   * <pre>{@code
   * ProviderInfo p = ProviderInfo.builder("cloudflare")
   *     .termsOfService(URI.create("https://example.com/terms")).build();
   * }</pre>
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    return new Builder(name).id(id).displayName(displayName).description(description).termsOfService(termsOfService)
        .privacyPolicy(privacyPolicy).website(website);
  }

  /** Builds {@link ProviderInfo}s. */
  public static final class Builder {
    private final String name;
    private @Nullable String id;
    private @Nullable String displayName;
    private @Nullable String description;
    private @Nullable URI termsOfService;
    private @Nullable URI privacyPolicy;
    private @Nullable URI website;

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    public Builder id(@Nullable String value) {
      this.id = value;
      return this;
    }

    public Builder displayName(@Nullable String value) {
      this.displayName = value;
      return this;
    }

    public Builder description(@Nullable String value) {
      this.description = value;
      return this;
    }

    public Builder termsOfService(@Nullable URI value) {
      this.termsOfService = value;
      return this;
    }

    public Builder privacyPolicy(@Nullable URI value) {
      this.privacyPolicy = value;
      return this;
    }

    public Builder website(@Nullable URI value) {
      this.website = value;
      return this;
    }

    public ProviderInfo build() {
      return new ProviderInfo(name, id, displayName, description, termsOfService, privacyPolicy, website);
    }
  }
}
