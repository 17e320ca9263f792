package io.agentprovision.core;

import io.agentprovision.core.wire.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One catalog service a {@link ProvisionRequest} asks for, with its configuration: a database
 * ({@code d1}), a KV namespace ({@code kv}), a plan ({@code workers:paid}), a domain
 * ({@code registrar:domain} with {@code domain} or {@code domain_query}), or anything else the
 * provider's catalog lists. The configuration is checked against the service's
 * {@code configuration_schema} when the run is planned, before anything is called.
 *
 * <pre>{@code
 * ServiceRequest db = ServiceRequest.of("cloudflare/d1").with("name", "orders");
 * ServiceRequest cache = ServiceRequest.of("kv", Map.of("title", "sessions"));
 * }</pre>
 *
 * <p>The configuration is plain JSON (strings, numbers, booleans, lists and objects; no nulls), at
 * most {@link #MAX_CONFIGURATION_CHARS} characters of it. It is journaled with the run and shown in
 * plans, so it must not hold secrets.
 */
public final class ServiceRequest {
  /** The most characters a configuration may take as JSON. */
  public static final int MAX_CONFIGURATION_CHARS = 16_384;
  /** The deepest a configuration may nest objects and lists. */
  public static final int MAX_CONFIGURATION_DEPTH = 16;

  private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern SERVICE = Pattern.compile("[a-z0-9][a-z0-9_.:-]{0,127}");

  private final @Nullable String provider;
  private final String serviceId;
  private final Map<String, Object> configuration;

  private ServiceRequest(@Nullable String provider, String serviceId, Map<String, Object> configuration) {
    this.provider = provider;
    this.serviceId = serviceId;
    this.configuration = configuration;
  }

  /**
   * The service {@code service}, written {@code "provider/service"} (such as {@code "cloudflare/d1"})
   * or as the catalog's service id alone (such as {@code "d1"}), with an empty configuration.
   *
   * @throws InvalidRequestException when it is not a service name
   */
  public static ServiceRequest of(String service) {
    return parse("service", service, Map.of());
  }

  /** {@link #of(String)} with {@code configuration}. */
  public static ServiceRequest of(String service, Map<String, ?> configuration) {
    return parse("service", service, configuration);
  }

  /**
   * Reads {@code service} as {@link #of(String)} does, naming {@code field} in an error (such as
   * {@code "services[1].service"}), and checks {@code configuration} the same way.
   */
  public static ServiceRequest parse(String field, String service, Map<String, ?> configuration) {
    Objects.requireNonNull(field, "field");
    if (service == null) {
      throw new InvalidRequestException(field, "is missing", "name a catalog service such as \"d1\" or \"cloudflare/kv\"");
    }
    String provider = null;
    String id = service;
    int slash = service.indexOf('/');
    if (slash >= 0) {
      provider = service.substring(0, slash);
      id = service.substring(slash + 1);
      if (!PROVIDER.matcher(provider).matches()) {
        throw new InvalidRequestException(field, "'" + service + "' does not start with a provider name",
            "write \"provider/service\" in lower case, such as \"cloudflare/d1\", or the service id alone");
      }
    }
    if (!SERVICE.matcher(id).matches()) {
      throw new InvalidRequestException(field, "'" + service + "' is not a service id",
          "use a catalog service id such as \"d1\", \"kv\" or \"workers:paid\", optionally after \"provider/\"");
    }
    String configField = field.endsWith(".service") ? field.substring(0, field.length() - ".service".length())
        + ".configuration" : "configuration";
    return new ServiceRequest(provider, id, copy(configField, configuration));
  }

  /** The same service with {@code configuration} instead. */
  public ServiceRequest configuration(Map<String, ?> newConfiguration) {
    return new ServiceRequest(provider, serviceId, copy("configuration", newConfiguration));
  }

  /** The same service with {@code key} set to {@code value} in its configuration. */
  public ServiceRequest with(String key, Object value) {
    Objects.requireNonNull(key, "key");
    Map<String, Object> next = new LinkedHashMap<>(configuration);
    next.put(key, value);
    return new ServiceRequest(provider, serviceId, copy("configuration", next));
  }

  /** The same service at {@code providerName}, for a request that names the provider separately. */
  ServiceRequest atProvider(String providerName) {
    return new ServiceRequest(providerName, serviceId, configuration);
  }

  /** The provider named with the service ({@code "cloudflare"} in {@code "cloudflare/d1"}), or null when none was. */
  public @Nullable String provider() {
    return provider;
  }

  /** The catalog's service id, such as {@code "d1"}. */
  public String serviceId() {
    return serviceId;
  }

  /** The configuration, unmodifiable, in the order given. */
  public Map<String, Object> configuration() {
    return configuration;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServiceRequest s && Objects.equals(s.provider, provider) && s.serviceId.equals(serviceId)
        && Json.canonical(s.configuration).equals(Json.canonical(configuration));
  }

  @Override
  public int hashCode() {
    return Objects.hash(provider, serviceId, Json.canonical(configuration));
  }

  @Override
  public String toString() {
    return (provider != null ? provider + "/" : "") + serviceId + (configuration.isEmpty() ? ""
        : " " + Json.canonical(configuration));
  }

  private static Map<String, Object> copy(String field, Map<String, ?> configuration) {
    if (configuration == null) {
      throw new InvalidRequestException(field, "is null", "pass an empty map for no configuration");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> copied = (Map<String, Object>) copyValue(field, configuration, 0);
    int chars = Json.canonical(copied).length();
    if (chars > MAX_CONFIGURATION_CHARS) {
      throw new InvalidRequestException(field, "is " + chars + " characters of JSON, more than "
          + MAX_CONFIGURATION_CHARS, "configure the service with less; large content belongs in the app or a file");
    }
    return copied;
  }

  /** A deep, unmodifiable copy of a JSON value, refusing what JSON cannot hold and nulls. */
  private static Object copyValue(String field, @Nullable Object v, int depth) {
    if (depth > MAX_CONFIGURATION_DEPTH) {
      throw new InvalidRequestException(field, "nests deeper than " + MAX_CONFIGURATION_DEPTH + " levels",
          "flatten the configuration");
    }
    if (v == null) {
      throw new InvalidRequestException(field, "is null", "leave the key out instead of setting it to null");
    }
    if (v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer
        || v instanceof Short || v instanceof Byte) {
      return v;
    }
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new InvalidRequestException(field, "is " + d + ", which JSON cannot hold", "pass a finite number");
      }
      return v;
    }
    if (v instanceof java.math.BigDecimal || v instanceof java.math.BigInteger) {
      return v;
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String k)) {
          throw new InvalidRequestException(field, "has a key that is not a string (" + e.getKey() + ")",
              "use string keys, as JSON objects have");
        }
        out.put(k, copyValue(field + "." + k, e.getValue(), depth + 1));
      }
      return Collections.unmodifiableMap(out);
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (int i = 0; i < l.size(); i++) {
        out.add(copyValue(field + "[" + i + "]", l.get(i), depth + 1));
      }
      return Collections.unmodifiableList(out);
    }
    throw new InvalidRequestException(field, "is a " + v.getClass().getSimpleName() + ", which is not JSON",
        "use strings, numbers, booleans, lists and maps");
  }
}
