package io.agentprovision.core.catalog;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One service in a provider's catalog, such as {@code workers:paid} (a plan), {@code workers} or
 * {@code registrar:domain} (deployables).
 *
 * @param id the service id, such as {@code "workers:paid"}
 * @param provider the provider's catalog name
 * @param description what it is
 * @param categories catalog categories
 * @param kind {@code "plan"} or {@code "deployable"} (other values are kept as given)
 * @param scope {@code "account"} or {@code "project"}
 * @param pricing what it costs
 * @param configurationSchema the JSON Schema of its configuration, as parsed JSON
 * @param allowedUpdates service ids this one may be changed to (plan upgrades and downgrades)
 */
public record ServiceOffering(String id, String provider, @Nullable String description, List<String> categories, String kind,
    String scope, Pricing pricing, Map<String, Object> configurationSchema, List<String> allowedUpdates) {
  public static final String KIND_PLAN = "plan";
  public static final String KIND_DEPLOYABLE = "deployable";

  public ServiceOffering {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(provider, "provider");
    categories = List.copyOf(categories);
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(pricing, "pricing");
    configurationSchema = Map.copyOf(configurationSchema);
    allowedUpdates = List.copyOf(allowedUpdates);
  }

  public boolean isPlan() {
    return KIND_PLAN.equals(kind);
  }

  public boolean isDeployable() {
    return KIND_DEPLOYABLE.equals(kind);
  }

  /**
   * A builder for service {@code id} of {@code kind} at {@code provider}: free, account-scoped, with no
   * schema, categories or updates unless set.
   *
   * <pre>{@code
   * ServiceOffering plan = ServiceOffering.builder("workers:paid", "cloudflare", ServiceOffering.KIND_PLAN)
   *     .pricing(Pricing.paid(Money.usd("5.00"), Pricing.Recurrence.MONTHLY, null)).build();
   * }</pre>
   */
  public static Builder builder(String id, String provider, String kind) {
    return new Builder(id, provider, kind);
  }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    return new Builder(id, provider, kind).description(description).categories(categories).scope(scope)
        .pricing(pricing).configurationSchema(configurationSchema).allowedUpdates(allowedUpdates);
  }

  /** Builds {@link ServiceOffering}s. */
  public static final class Builder {
    private final String id;
    private final String provider;
    private final String kind;
    private @Nullable String description;
    private List<String> categories = List.of();
    private String scope = "account";
    private Pricing pricing = Pricing.free();
    private Map<String, Object> configurationSchema = Map.of();
    private List<String> allowedUpdates = List.of();

    private Builder(String id, String provider, String kind) {
      this.id = Objects.requireNonNull(id, "id");
      this.provider = Objects.requireNonNull(provider, "provider");
      this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Builder description(@Nullable String value) {
      this.description = value;
      return this;
    }

    public Builder categories(List<String> value) {
      this.categories = Objects.requireNonNull(value, "categories");
      return this;
    }

    public Builder scope(String value) {
      this.scope = Objects.requireNonNull(value, "scope");
      return this;
    }

    public Builder pricing(Pricing value) {
      this.pricing = Objects.requireNonNull(value, "pricing");
      return this;
    }

    public Builder configurationSchema(Map<String, Object> value) {
      this.configurationSchema = Objects.requireNonNull(value, "configurationSchema");
      return this;
    }

    public Builder allowedUpdates(List<String> value) {
      this.allowedUpdates = Objects.requireNonNull(value, "allowedUpdates");
      return this;
    }

    public ServiceOffering build() {
      return new ServiceOffering(id, provider, description, categories, kind, scope, pricing, configurationSchema,
          allowedUpdates);
    }
  }
}
