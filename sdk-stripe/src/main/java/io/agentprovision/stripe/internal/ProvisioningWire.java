package io.agentprovision.stripe.internal;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Maps the Provisioning API v2's JSON (as Stripe's generated SDKs describe it) to the SPI records:
 * catalog providers and services, provider connections, resources, access configurations and
 * payment-profile limits. Tolerant: unknown fields are ignored and unknown enum values map to the
 * SPI's {@code UNKNOWN}.
 */
public final class ProvisioningWire {
  private ProvisioningWire() {}

  /** A catalog provider: {@code id} ({@code prvdr_…}), {@code name}, description, links. */
  public static ProviderInfo provider(Map<String, Object> p) {
    String name = Wire.string(p, "name");
    if (name == null) {
      name = Wire.string(p, "id");
    }
    return new ProviderInfo(name == null ? "unknown" : name, Wire.string(p, "id"), Wire.string(p, "name"),
        Wire.string(p, "description"), Wire.uri(p, "tos_url"), Wire.uri(p, "privacy_policy_url"),
        Wire.uri(p, "website_url"));
  }

  /**
   * A catalog service detail. {@code serviceIdOf} turns an {@code allowed_updates[].service}
   * reference (a {@code prvsvc_…} id or a service id) into a service id.
   */
  public static ServiceOffering service(Map<String, Object> s, String providerName, UnaryOperator<String> serviceIdOf) {
    String id = serviceId(s);
    List<String> allowed = new ArrayList<>();
    for (Object o : io.agentprovision.core.wire.Json.list(s, "allowed_updates")) {
      String ref = o instanceof Map<?, ?> m ? Wire.string(Wire.object(m), "service") : o instanceof String str ? str : null;
      if (ref != null) {
        allowed.add(serviceIdOf.apply(ref));
      }
    }
    if (allowed.isEmpty()) {
      for (String ref : Wire.strings(s, "updateable_to")) {
        allowed.add(serviceIdOf.apply(ref));
      }
    }
    String kind = Wire.string(s, "kind");
    String scope = Wire.string(s, "scope");
    return new ServiceOffering(id, providerName, Wire.string(s, "description"), Wire.strings(s, "categories"),
        kind == null ? "unknown" : kind, scope == null ? "unknown" : scope, Pricing.fromWire(s.get("pricing")),
        Wire.withoutNulls(Wire.object(s, "configuration_schema")), allowed);
  }

  /** The service's own id ({@code service_id}, such as {@code workers:paid}), else its catalog id. */
  public static String serviceId(Map<String, Object> s) {
    String id = Wire.string(s, "service_id");
    if (id == null) {
      id = Wire.string(s, "id");
    }
    return id == null ? "unknown" : id;
  }

  /** A provider connection, as the linked provider account. */
  public static ProviderAccount account(String providerName, Map<String, Object> connection) {
    Map<String, Object> details = Wire.object(connection, "provider_account_details");
    String connectionId = Wire.string(connection, "id");
    String accountId = Wire.string(details, "id");
    if (accountId == null) {
      accountId = Wire.string(connection, "provider_account");
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    String status = Wire.string(connection, "status");
    if (status != null) {
      attributes.put("connection_status", status);
    }
    if (accountId == null) {
      accountId = connectionId == null ? "unknown" : connectionId;
      attributes.put("account_id", "not disclosed; this is the Stripe connection id");
    }
    List<String> active = new ArrayList<>();
    for (Map<String, Object> svc : Wire.objects(details, "active_services")) {
      String sid = Wire.string(svc, "service_id");
      if (sid != null) {
        active.add(sid);
      }
    }
    if (!active.isEmpty()) {
      attributes.put("active_services", String.join(",", active));
    }
    String action = Wire.string(details, "link_action");
    ProviderAccount.LinkAction linkAction = "created".equals(action) ? ProviderAccount.LinkAction.CREATED
        : "linked_existing".equals(action) ? ProviderAccount.LinkAction.LINKED_EXISTING
        : ProviderAccount.LinkAction.UNKNOWN;
    return new ProviderAccount(providerName, accountId, connectionId, Wire.string(details, "display_name"),
        Wire.string(details, "primary_email"), linkAction, attributes);
  }

  /**
   * A resource's state. {@code serviceIdOf} maps Stripe's {@code service_ref} back to a service
   * id; {@code fallback} supplies what the answer leaves out.
   */
  public static ResourceState resource(Map<String, Object> r, ResourceRef fallback, UnaryOperator<String> serviceIdOf) {
    String id = Wire.string(r, "id");
    String ref = Wire.string(r, "service_ref");
    String name = Wire.string(r, "name");
    ResourceRef resourceRef = new ResourceRef(fallback.provider(), id == null ? fallback.id() : id,
        ref == null ? fallback.serviceId() : serviceIdOf.apply(ref), name == null ? fallback.name() : name);
    ResourceStatus status = ResourceStatus.fromWire(Wire.string(r, "status"));
    InformationRequest info = null;
    if (Wire.hasObject(r, "needs_information_schema")) {
      info = InformationRequest.fromSchema(Wire.withoutNulls(Wire.object(r, "needs_information_schema")));
    }
    String userMessage = r.get("user_message") instanceof Map<?, ?> um ? Wire.string(Wire.object(um), "message")
        : Wire.string(r, "user_message");
    String errorMessage = Wire.string(r, "error_message");
    String errorCode = Wire.string(r, "error_code");
    if (Wire.hasObject(r, "error")) {
      Map<String, Object> error = Wire.object(r, "error");
      errorCode = errorCode == null ? Wire.string(error, "code") : errorCode;
      errorMessage = errorMessage == null ? Wire.string(error, "message") : errorMessage;
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    for (String key : List.of("environment", "catalog", "livemode", "created", "provider")) {
      String v = Wire.string(r, key);
      if (v != null) {
        attributes.put(key, v);
      }
    }
    return new ResourceState(resourceRef, status, info, errorCode,
        errorMessage == null ? null : Secret.scrub(errorMessage),
        userMessage == null ? null : Secret.scrub(userMessage), null, attributes);
  }

  /**
   * A revealed access configuration: every value a {@link Secret}. Stripe gives no generation
   * number, so the generation is the {@code created} instant in milliseconds, which grows with each
   * rotation; 0 when Stripe gives no {@code created}.
   */
  public static AccessConfiguration access(Map<String, Object> a) {
    Map<String, Secret> values = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : Wire.object(a, "configuration").entrySet()) {
      Object v = e.getValue();
      if (v instanceof String s && !s.isEmpty()) {
        values.put(e.getKey(), Secret.of(s));
      } else if (v instanceof Number || v instanceof Boolean) {
        values.put(e.getKey(), Secret.of(String.valueOf(v)));
      }
    }
    Instant created = Wire.instant(a, "created");
    return new AccessConfiguration(values, Wire.instant(a, "expires_at"), created,
        created == null ? 0 : created.toEpochMilli());
  }

  /**
   * A payment-profile {@code usage_limits} object as a spend limit ({@code provider} null for the
   * overall limit), or null when it is absent or unreadable.
   */
  public static @Nullable SpendLimit limit(Map<String, Object> usageLimits, @Nullable String provider) {
    Long max = Wire.integer(usageLimits, "max_amount");
    String currency = Wire.string(usageLimits, "currency");
    SpendInterval interval = interval(Wire.string(usageLimits, "recurring_interval"));
    if (max == null || max < 0 || currency == null || interval == null) {
      return null;
    }
    Money amount;
    try {
      amount = Money.ofMinor(max, currency);
    } catch (InvalidRequestException e) {
      return null;
    }
    SpendLimit limit = SpendLimit.of(amount, interval);
    return provider == null ? limit : limit.forProvider(provider);
  }

  /** The {@code usage_limits} body for a spend limit; only weekly, monthly and yearly limits exist at Stripe. */
  public static Map<String, Object> usageLimits(Money amount, SpendInterval interval, String field) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("currency", amount.currencyCode().toLowerCase(Locale.ROOT));
    // v2 encodes 64-bit integers as strings.
    out.put("max_amount", Long.toString(amount.minorUnits()));
    out.put("recurring_interval", wireInterval(interval, field));
    return out;
  }

  public static String wireInterval(SpendInterval interval, String field) {
    switch (interval) {
      case WEEKLY:
        return "week";
      case MONTHLY:
        return "month";
      case YEARLY:
        return "year";
      default:
        throw new InvalidRequestException(field, "Stripe's payment profile has no " + interval + " limits",
            "use a weekly, monthly or yearly limit");
    }
  }

  private static @Nullable SpendInterval interval(@Nullable String v) {
    if (v == null) {
      return null;
    }
    switch (v) {
      case "week":
        return SpendInterval.WEEKLY;
      case "month":
        return SpendInterval.MONTHLY;
      case "year":
        return SpendInterval.YEARLY;
      default:
        return null;
    }
  }

  /** Checks a catalog partition name: {@code prod}, {@code dev} or {@code testing}. */
  public static String catalogPartition(String partition) {
    java.util.Objects.requireNonNull(partition, "catalog");
    if (!java.util.List.of("prod", "dev", "testing").contains(partition)) {
      throw new io.agentprovision.core.InvalidRequestException("catalog", "'" + partition
          + "' is not a Stripe catalog partition", "use \"prod\", \"dev\" or \"testing\"");
    }
    return partition;
  }
}
