package io.agentprovision.core.catalog;

import io.agentprovision.core.InvalidRequestException;
import java.util.Collections;
import java.util.LinkedHashMap;
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
 * @param allowedUpdates service ids this one may be changed to (plan upgrades and downgrades); empty
 *     when it may be changed to none
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
    // not Map.copyOf: a JSON Schema may hold JSON nulls ("default": null), which it refuses
    configurationSchema = Collections.unmodifiableMap(new LinkedHashMap<>(configurationSchema));
    allowedUpdates = List.copyOf(allowedUpdates);
  }

  public boolean isPlan() {
    return KIND_PLAN.equals(kind);
  }

  public boolean isDeployable() {
    return KIND_DEPLOYABLE.equals(kind);
  }

  /**
   * Whether a resource of this service may be changed to {@code serviceId}: plan changes are allowed
   * by {@link #allowedUpdates()} alone, so an empty list allows none; keeping the same service (a
   * change of configuration) is always allowed. The one rule every orchestrator applies.
   */
  public boolean allowsUpdateTo(String serviceId) {
    Objects.requireNonNull(serviceId, "serviceId");
    return id.equals(serviceId) || allowedUpdates.contains(serviceId);
  }

  /**
   * Refuses a change to {@code serviceId} that {@link #allowsUpdateTo} does not allow, before anything
   * is sent.
   *
   * @throws InvalidRequestException naming {@code newServiceId} and the services it may change to
   */
  public void requireUpdateTo(String serviceId) {
    if (!allowsUpdateTo(serviceId)) {
      throw new InvalidRequestException("newServiceId", id + " cannot be changed to " + serviceId
          + (allowedUpdates.isEmpty() ? ": the catalog allows it no change of service" : ""),
          allowedUpdates.isEmpty() ? "remove it and provision " + serviceId + " instead"
              : "change it to one of " + allowedUpdates);
    }
  }

  /**
   * A builder for service {@code id} of {@code kind} at {@code provider}: free, account-scoped, with no
   * schema, categories or updates unless set.
   *
   * <pre>{@code
   * ServiceOffering plan = ServiceOffering.builder("workers:paid", "cloudflare", ServiceOffering.KIND_PLAN)
   *     .pricing(Pricing.ofFreeform("$5.00/month")).build();
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
