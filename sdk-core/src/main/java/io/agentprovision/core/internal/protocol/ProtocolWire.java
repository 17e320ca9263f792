package io.agentprovision.core.internal.protocol;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.protocol.AccountResponse;
import io.agentprovision.core.protocol.ProviderResource;
import io.agentprovision.core.protocol.ProviderTokens;
import io.agentprovision.core.wire.Json;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads the provider protocol's JSON into SPI values, tolerating unknown fields and enum values and
 * the shape variants seen or inferred (see {@code docs/protocol.md}).
 */
public final class ProtocolWire {
  /** Longest remote message kept in an exception. */
  public static final int MAX_MESSAGE = 300;

  private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)\\S+");
  private static final Pattern TOKENISH = Pattern.compile("[A-Za-z0-9_\\-.~+/=]{24,}");
  private static final Set<String> RESOURCE_KEYS = Set.of("status", "access_configuration", "error",
      "needs_information", "complete", "pending", "removed", "schema", "needs_information_schema");

  private ProtocolWire() {}

  /** Removes credential-looking text (bearer values, long token-like strings) and caps the length. */
  public static String scrub(@Nullable String message) {
    if (message == null) {
      return "";
    }
    String s = BEARER.matcher(message).replaceAll("$1[redacted]");
    s = TOKENISH.matcher(s).replaceAll("[redacted]");
    return s.length() > MAX_MESSAGE ? s.substring(0, MAX_MESSAGE) + "…" : s;
  }

  /** The exception for an HTTP error answer, with the provider's code and request id. */
  public static ProviderException httpError(String provider, int status, @Nullable String requestId, String body) {
    return httpError(provider, status, requestId, body, null);
  }

  /** {@link #httpError(String, int, String, String)} carrying the answer's {@code Retry-After}. */
  public static ProviderException httpError(String provider, int status, @Nullable String requestId, String body,
      java.time.@Nullable Duration retryAfter) {
    String code = null;
    String message = null;
    try {
      Map<String, Object> m = Json.parseObject(body);
      Object err = m.get("error");
      if (err instanceof Map<?, ?>) {
        Map<String, Object> e = Json.object(m, "error");
        code = Json.string(e, "code");
        message = Json.string(e, "message");
      } else if (err instanceof String s) {
        code = s; // OAuth: {"error":"invalid_grant","error_description":…}
        message = Json.string(m, "error_description");
      }
    } catch (IllegalArgumentException notJson) {
      message = body.isBlank() ? null : body;
    }
    if (message == null || message.isBlank()) {
      message = "request failed";
    }
    return new ProviderException(provider, status, code, requestId, scrub(message),
        ProviderException.retryableStatus(status) && status != 409, null, retryAfter);
  }

  /** A service from {@code GET /provisioning/services}. */
  public static ServiceOffering service(Map<String, Object> m, String provider) {
    String id = Json.string(m, "id");
    if (id == null) {
      id = Json.string(m, "service_id");
    }
    if (id == null) {
      throw new IllegalArgumentException("a service without an id");
    }
    List<String> categories = new ArrayList<>();
    for (Object c : Json.list(m, "categories")) {
      if (c != null) {
        categories.add(String.valueOf(c));
      }
    }
    List<String> updates = new ArrayList<>();
    for (Object u : Json.list(m, "allowed_updates")) {
      if (u instanceof String s) {
        updates.add(s);
      } else if (u instanceof Map<?, ?> um) {
        Object svc = um.get("service") != null ? um.get("service") : um.get("service_id");
        if (svc != null) {
          updates.add(String.valueOf(svc));
        }
      }
    }
    String kind = Json.string(m, "kind");
    String scope = Json.string(m, "scope");
    return new ServiceOffering(id, provider, Json.string(m, "description"), categories,
        kind == null ? "unknown" : kind, scope == null ? "project" : scope, pricing(Json.object(m, "pricing")),
        Json.object(m, "configuration_schema"), updates);
  }

  /**
   * Pricing. The protocol's shape is not published (M): {@code type} is {@code free}, {@code paid} or
   * {@code component}; an amount is read in minor units from {@code amount}+{@code currency} at the top
   * or in an object named after the type ({@code paid{amount, currency, interval}}), or as a decimal
   * string; {@code interval} gives the recurrence.
   */
  public static Pricing pricing(Map<String, Object> p) {
    if (p.isEmpty()) {
      return new Pricing(Pricing.Type.UNKNOWN, null, Pricing.Recurrence.NONE, null);
    }
    String typeName = Json.string(p, "type");
    Pricing.Type type;
    switch (typeName == null ? "" : typeName.toLowerCase(Locale.ROOT)) {
      case "free":
        type = Pricing.Type.FREE;
        break;
      case "paid":
        type = Pricing.Type.PAID;
        break;
      case "component":
        type = Pricing.Type.COMPONENT;
        break;
      default:
        type = Pricing.Type.UNKNOWN;
    }
    Map<String, Object> detail = typeName == null ? Map.of() : Json.object(p, typeName);
    Money amount = amount(detail);
    if (amount == null) {
      amount = amount(p);
    }
    String interval = Json.string(detail, "interval");
    if (interval == null) {
      interval = Json.string(p, "interval");
    }
    Pricing.Recurrence rec = type == Pricing.Type.FREE ? Pricing.Recurrence.NONE : recurrence(interval);
    String description = Json.string(p, "description");
    return new Pricing(type, type == Pricing.Type.FREE ? null : amount, rec, description);
  }

  private static @Nullable Money amount(Map<String, Object> m) {
    Object a = m.get("amount");
    String currency = Json.string(m, "currency");
    if (a instanceof Map<?, ?> nested) {
      @SuppressWarnings("unchecked")
      Map<String, Object> n = (Map<String, Object>) nested;
      Object v = n.get("value") != null ? n.get("value") : n.get("amount");
      String c = Json.string(n, "currency");
      if (v instanceof Number num && c != null) {
        return Money.ofMinor(num.longValue(), c);
      }
      return null;
    }
    if (currency == null) {
      return null;
    }
    if (a instanceof Long l) {
      return Money.ofMinor(l, currency);
    }
    if (a instanceof String s) {
      return Money.fromDecimal("pricing.amount", s, currency);
    }
    return null;
  }

  private static Pricing.Recurrence recurrence(@Nullable String interval) {
    if (interval == null) {
      return Pricing.Recurrence.NONE;
    }
    switch (interval.toLowerCase(Locale.ROOT)) {
      case "month":
      case "monthly":
        return Pricing.Recurrence.MONTHLY;
      case "year":
      case "yearly":
        return Pricing.Recurrence.YEARLY;
      case "one_time":
      case "once":
        return Pricing.Recurrence.ONE_TIME;
      case "usage":
        return Pricing.Recurrence.USAGE;
      default:
        return Pricing.Recurrence.NONE;
    }
  }

  /** The answer to an account request, by its {@code type}. */
  public static AccountResponse accountResponse(Map<String, Object> m, Clock clock) {
    String type = Json.string(m, "type");
    if (type == null) {
      type = "";
    }
    switch (type) {
      case "credentials": {
        Map<String, Object> c = Json.object(m, "credentials");
        String kind = Json.string(c, "type");
        Map<String, Object> bearer = Json.object(c, kind == null ? "bearer" : kind);
        if (bearer.isEmpty()) {
          bearer = c; // tolerate the fields one level up
        }
        return new AccountResponse.Credentials(tokens(bearer, clock));
      }
      case "oauth": {
        String code = Json.string(Json.object(m, "oauth"), "code");
        if (code == null || code.isEmpty()) {
          throw new IllegalArgumentException("an oauth answer without a code");
        }
        return new AccountResponse.OAuthCode(Secret.of(code));
      }
      case "requires_auth": {
        Map<String, Object> ra = Json.object(m, "requires_auth");
        String url = Json.string(Json.object(ra, "redirect"), "url");
        if (url == null) {
          url = Json.string(ra, "url");
        }
        if (url == null) {
          throw new IllegalArgumentException("a requires_auth answer without a redirect url");
        }
        return new AccountResponse.RequiresAuth(URI.create(url));
      }
      case "error": {
        Map<String, Object> e = Json.object(m, "error");
        String code = Json.string(e, "code");
        return new AccountResponse.Error(code == null ? "unknown" : code, scrub(Json.string(e, "message")));
      }
      default:
        return new AccountResponse.Error("unsupported_response_type",
            "the provider answered with type '" + scrub(type) + "', which this client does not know");
    }
  }

  /** Tokens from a {@code bearer} object or a token endpoint answer. */
  public static ProviderTokens tokens(Map<String, Object> m, Clock clock) {
    String access = Json.string(m, "access_token");
    if (access == null || access.isEmpty()) {
      throw new IllegalArgumentException("tokens without an access_token");
    }
    String refresh = Json.string(m, "refresh_token");
    Instant expiresAt = null;
    if (m.get("expires_in") instanceof Number n) {
      expiresAt = clock.instant().plusSeconds(n.longValue());
    }
    Map<String, Object> account = Json.object(m, "account");
    String accountId = Json.string(account, "id");
    if (accountId == null) {
      accountId = Json.string(m, "account_id");
    }
    if (accountId == null) {
      throw new IllegalArgumentException("tokens without an account id");
    }
    return new ProviderTokens(Secret.of(access), refresh == null || refresh.isEmpty() ? null : Secret.of(refresh),
        expiresAt, accountId, Json.string(account, "payment_credentials"));
  }

  /**
   * A resource answer. The state's details are read from an object named after the status
   * ({@code complete{access_configuration}}, {@code needs_information{schema}}, {@code error{code,message}})
   * or from the top level.
   */
  public static ProviderResource resource(Map<String, Object> m, @Nullable String fallbackId) {
    String statusName = Json.string(m, "status");
    ResourceStatus status = ResourceStatus.fromWire(statusName);
    Map<String, Object> detail = statusName == null ? Map.of() : Json.object(m, statusName);
    String id = Json.string(m, "id");
    if (id == null) {
      id = fallbackId;
    }
    if (id == null) {
      throw new IllegalArgumentException("a resource without an id");
    }
    Map<String, Object> access = Json.object(detail, "access_configuration");
    if (access.isEmpty()) {
      access = Json.object(m, "access_configuration");
    }
    Map<String, Secret> creds = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : access.entrySet()) {
      if (e.getValue() != null && !String.valueOf(e.getValue()).isEmpty()) {
        creds.put(e.getKey(), Secret.of(String.valueOf(e.getValue())));
      }
    }
    Map<String, Object> schema = null;
    if (status == ResourceStatus.NEEDS_INFORMATION) {
      schema = Json.object(detail, "schema");
      if (schema.isEmpty()) {
        schema = Json.object(m, "needs_information_schema");
      }
      if (schema.isEmpty()) {
        schema = Json.object(m, "schema");
      }
    }
    String code = null;
    String message = null;
    if (status == ResourceStatus.ERRORED) {
      Map<String, Object> e = Json.object(m, "error");
      code = Json.string(e, "code");
      message = Json.string(e, "message");
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      Object v = e.getValue();
      if (!RESOURCE_KEYS.contains(e.getKey()) && (v instanceof String || v instanceof Number || v instanceof Boolean)) {
        attributes.put(e.getKey(), String.valueOf(v));
      }
    }
    return new ProviderResource(id, status, creds, schema, code, message == null ? null : scrub(message), attributes);
  }
}
