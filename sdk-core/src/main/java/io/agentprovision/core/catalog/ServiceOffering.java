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
}
