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
import io.agentprovision.core.wire.Json;
import io.agentprovision.core.wire.WireFormatException;
import io.agentprovision.core.wire.WireRecords;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Reads the Provisioning API v2's records ({@link ProvisioningJson}) into the SPI values: catalog
 * providers and services, provider connections, resources, access configurations and
 * payment-profile limits. Unknown enumeration values map to the SPI's {@code UNKNOWN}; a member
 * needed only in some states (a consent URL while consent is pending) is checked here and, when
 * missing, is a {@link WireFormatException} naming it.
 */
public final class ProvisioningWire {
  private ProvisioningWire() {}

  /** A catalog provider: {@code id} ({@code prvdr_…}), {@code name}, description, links. */
  public static ProviderInfo provider(ProvisioningJson.ProviderJson p) {
    return new ProviderInfo(p.name(), p.id(), p.name(), p.description(), link(p.tosUrl()), link(p.privacyPolicyUrl()),
        link(p.websiteUrl()));
  }

  /**
   * A catalog service detail. {@code serviceIdOf} turns an {@code allowed_updates[].service}
   * reference (a {@code prvsvc_…} id or a service id) into a service id.
   */
  public static ServiceOffering service(ProvisioningJson.ServiceJson s, String providerName,
      UnaryOperator<String> serviceIdOf) {
    List<String> allowed = new ArrayList<>();
    for (ProvisioningJson.ServiceRefJson u : WireRecords.list(s.allowedUpdates())) {
      String ref = u == null ? null : u.ref();
      if (ref != null) {
        allowed.add(serviceIdOf.apply(ref));
      }
    }
    if (allowed.isEmpty()) {
      for (String ref : WireRecords.list(s.updateableTo())) {
        if (ref != null) {
          allowed.add(serviceIdOf.apply(ref));
        }
      }
    }
    List<String> categories = new ArrayList<>();
    for (String c : WireRecords.list(s.categories())) {
      if (c != null) {
        categories.add(c);
      }
    }
    return new ServiceOffering(s.serviceId(), providerName, s.description(), categories,
        s.kind() == null ? "unknown" : s.kind(), s.scope() == null ? "unknown" : s.scope(),
        Pricing.fromWire(WireRecords.normalize(s.pricing())), WireRecords.object(s.configurationSchema()), allowed);
  }

  /** Eligibility's requirements as text: strings as sent, any other form as its JSON (M). */
  public static List<String> requirements(ProvisioningJson.EligibilityJson e) {
    List<String> out = new ArrayList<>();
    for (Object o : WireRecords.list(e.requirements())) {
      if (o instanceof String str) {
        out.add(str);
      } else if (o != null) {
        out.add(Json.canonical(WireRecords.normalize(o)));
      }
    }
    return out;
  }

  /** A provider connection, as the linked provider account. */
  public static ProviderAccount account(String providerName, ProvisioningJson.ConnectionJson connection) {
    ProvisioningJson.AccountDetailsJson details = connection.providerAccountDetails();
    String accountId = details == null ? null : details.id();
    if (accountId == null) {
      accountId = connection.providerAccount();
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    if (connection.status() != null) {
      attributes.put("connection_status", connection.status());
    }
    if (accountId == null) {
      accountId = connection.id();
      attributes.put("account_id", "not disclosed; this is the Stripe connection id");
    }
    List<String> active = new ArrayList<>();
    for (ProvisioningJson.ActiveServiceJson svc : WireRecords.list(details == null ? null : details.activeServices())) {
      if (svc != null && svc.serviceId() != null) {
        active.add(svc.serviceId());
      }
    }
    if (!active.isEmpty()) {
      attributes.put("active_services", String.join(",", active));
    }
    String action = details == null ? null : details.linkAction();
    ProviderAccount.LinkAction linkAction = "created".equals(action) ? ProviderAccount.LinkAction.CREATED
        : "linked_existing".equals(action) ? ProviderAccount.LinkAction.LINKED_EXISTING
        : ProviderAccount.LinkAction.UNKNOWN;
    return new ProviderAccount(providerName, accountId, connection.id(), details == null ? null : details.displayName(),
        details == null ? null : details.primaryEmail(), linkAction, attributes);
  }

  /**
   * A resource's state. {@code serviceIdOf} maps Stripe's {@code service_ref} back to a service
   * id; {@code fallback} supplies what the answer leaves out.
   */
  public static ResourceState resource(ProvisioningJson.ResourceJson r, ResourceRef fallback,
      UnaryOperator<String> serviceIdOf) {
    String ref = r.serviceRef();
    String name = r.name();
    ResourceRef resourceRef = new ResourceRef(fallback.provider(), r.id(),
        ref == null ? fallback.serviceId() : serviceIdOf.apply(ref), name == null ? fallback.name() : name);
    ResourceStatus status = ResourceStatus.fromWire(r.status());
    InformationRequest info = null;
    if (r.needsInformationSchema() != null) {
      info = InformationRequest.fromSchema(WireRecords.object(r.needsInformationSchema()));
    }
    String userMessage = r.userMessage() == null ? null : r.userMessage().message();
    String errorMessage = r.errorMessage();
    String errorCode = r.errorCode();
    ProvisioningJson.ErrorJson error = r.error();
    if (error != null) {
      errorCode = errorCode == null ? error.code() : errorCode;
      errorMessage = errorMessage == null ? error.message() : errorMessage;
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    putIfPresent(attributes, "environment", r.environment());
    putIfPresent(attributes, "catalog", r.catalog());
    putIfPresent(attributes, "livemode", r.livemode());
    putIfPresent(attributes, "created", r.created());
    putIfPresent(attributes, "provider", r.provider());
    return new ResourceState(resourceRef, status, info, errorCode,
        errorMessage == null ? null : Secret.scrub(errorMessage),
        userMessage == null ? null : Secret.scrub(userMessage), null, attributes);
  }

  private static void putIfPresent(Map<String, String> attributes, String key, @Nullable Object value) {
    if (value != null && !(value instanceof String s && s.isEmpty())) {
      attributes.put(key, value.toString());
    }
  }

  /**
   * A revealed access configuration: every value a {@link Secret}. Stripe gives no generation
   * number, so the generation is the {@code created} instant in milliseconds, which grows with each
   * rotation; 0 when Stripe gives no {@code created}.
   */
  public static AccessConfiguration access(ProvisioningJson.AccessConfigurationJson a) {
    Map<String, Secret> values = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : WireRecords.object(a.configuration()).entrySet()) {
      Object v = e.getValue();
      if (v instanceof String s && !s.isEmpty()) {
        values.put(e.getKey(), Secret.of(s));
      } else if (v instanceof Number || v instanceof Boolean) {
        values.put(e.getKey(), Secret.of(String.valueOf(v))); // an account id sent as a number
      }
    }
    Instant created = a.created();
    return new AccessConfiguration(values, a.expiresAt(), created, created == null ? 0 : created.toEpochMilli());
  }

  /**
   * A payment-profile {@code usage_limits} object as a spend limit ({@code provider} null for the
   * overall limit), or null when there is none or its interval or currency is one the SDK cannot
   * apply.
   */
  public static @Nullable SpendLimit limit(ProvisioningJson.@Nullable UsageLimitsJson usageLimits,
      @Nullable String provider) {
    if (usageLimits == null) {
      return null;
    }
    SpendInterval interval = interval(usageLimits.recurringInterval());
    long max = usageLimits.maxAmount();
    if (max < 0 || interval == null) {
      return null;
    }
    Money amount;
    try {
      amount = Money.ofMinor(max, usageLimits.currency());
    } catch (InvalidRequestException e) {
      return null;
    }
    SpendLimit limit = SpendLimit.of(amount, interval);
    return provider == null ? limit : limit.forProvider(provider);
  }

  /**
   * {@code value} as an absolute http(s) URL.
   *
   * @throws WireFormatException naming {@code path} when it is missing or not such a URL
   */
  public static URI url(@Nullable String value, String path) {
    URI u = link(WireRecords.required(value, path));
    if (u == null) {
      throw new WireFormatException(path, "is not an absolute http(s) URL");
    }
    return u;
  }

  /** An absolute http(s) URL, or null: links in the catalog are informative, so a bad one is left out. */
  private static @Nullable URI link(@Nullable String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      URI u = new URI(value);
      String scheme = u.getScheme();
      return u.isAbsolute() && scheme != null && (scheme.equals("http") || scheme.equals("https")) ? u : null;
    } catch (URISyntaxException e) {
      return null;
    }
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
