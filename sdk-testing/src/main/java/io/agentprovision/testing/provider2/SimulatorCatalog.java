package io.agentprovision.testing.provider2;

import io.agentprovision.core.Money;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The simulator's Cloudflare-like catalog, as the protocol description reports Cloudflare's
 * (mid-2026): twelve services, all of project scope; two plans, and deployables that need one of
 * them. Pricing follows the switched-on {@link Variant}s. Immutable once built.
 */
final class SimulatorCatalog {
  static final String WORKERS_FREE = "workers:free";
  static final String WORKERS_PAID = "workers:paid";
  static final String WORKERS = "workers";
  static final String D1 = "d1";
  static final String KV = "kv";
  static final String R2 = "r2:bucket";
  static final String WORKERS_AI = "workers-ai";
  static final String DOMAIN = "registrar:domain";

  /** The paid plan's monthly price. */
  static final Money PAID_MONTHLY = Money.usd("5.00");
  /** The paid plan's yearly price, offered in the price-list form only. */
  static final Money PAID_YEARLY = Money.usd("50.00");
  /** The Stripe Price id of the paid plan in the {@code stripe_price} form. */
  static final String PAID_STRIPE_PRICE = "price_1QsimWorkersPaidMonthly";

  /**
   * One service and what the simulator needs to know about it beyond its listing.
   *
   * @param listing the service object sent on the wire
   * @param plan whether it is a plan (else a deployable)
   * @param needsPlan whether the account must hold a plan before it can be created
   * @param schema its configuration schema
   */
  record Service(String id, Map<String, Object> listing, boolean plan, boolean needsPlan, Map<String, Object> schema) {
    @SuppressWarnings("unchecked")
    List<String> allowedTargets() {
      List<String> out = new ArrayList<>();
      if (listing.get("allowed_updates") instanceof List<?> l) {
        for (Object o : l) {
          if (o instanceof Map<?, ?> m && m.get("service_id") instanceof String s) {
            out.add(s);
          }
        }
      }
      return out;
    }
  }

  private final Set<Variant> variants;
  private final Map<String, Service> services = new LinkedHashMap<>();

  SimulatorCatalog(Set<Variant> variants, long createdEpochSecond) {
    this.variants = variants;
    plan(WORKERS_FREE, "Workers Free: 100,000 requests a day", free(), List.of(update(WORKERS_PAID, "upgrade")),
        object(Map.of(), List.of()), createdEpochSecond);
    Map<String, Object> paidProps = new LinkedHashMap<>();
    if (variants.contains(Variant.PRICING_PRICE_LIST)) {
      paidProps.put("billing_period", Map.of("type", "string", "enum", List.of("monthly", "yearly"),
          "description", "How often the plan is billed"));
    }
    plan(WORKERS_PAID, "Workers Paid: $5/month minimum, 10 million requests included", paidPlanPricing(),
        List.of(update(WORKERS_FREE, "downgrade")), object(paidProps, List.of()), createdEpochSecond);

    deployable(WORKERS, "A Worker script", List.of("compute"), workersPricing(),
        object(Map.of("name", string(Map.of("pattern", "^[a-z0-9][a-z0-9-]{0,62}$"))), List.of()), true,
        createdEpochSecond);
    deployable(D1, "D1, a serverless SQL database", List.of("storage", "database"), d1Pricing(),
        object(props("name", string(Map.of("minLength", 1, "maxLength", 64)),
            "location_hint", Map.of("type", "string", "enum", List.of("wnam", "enam", "weur", "eeur", "apac", "oc"))),
            List.of("name")), true, createdEpochSecond);
    deployable(KV, "Workers KV, a key-value store", List.of("storage"), free(),
        object(Map.of("title", string(Map.of("minLength", 1, "maxLength", 512))), List.of("title")), true,
        createdEpochSecond);
    deployable("queues", "Queues", List.of("messaging"), free(),
        object(Map.of("queue_name", string(Map.of("pattern", "^[a-z0-9][a-z0-9-]{0,62}$"))), List.of("queue_name")),
        true, createdEpochSecond);
    deployable("hyperdrive", "Hyperdrive, pooled connections to an existing database", List.of("database"), free(),
        object(props("name", string(Map.of("minLength", 1)), "origin", object(props("host", string(Map.of()),
            "port", Map.of("type", "integer", "minimum", 1, "maximum", 65535), "database", string(Map.of())),
            List.of("host", "database"))), List.of("name", "origin")), true, createdEpochSecond);
    deployable("containers", "Containers run from Workers", List.of("compute"), free(),
        object(Map.of("instance_type", Map.of("type", "string", "enum", List.of("lite", "basic", "standard"))),
            List.of()), true, createdEpochSecond);
    deployable(WORKERS_AI, "Workers AI, inference on Cloudflare's network", List.of("ai"), workersAiPricing(),
        object(Map.of(), List.of()), true, createdEpochSecond);
    deployable("browser-run", "Browser Rendering", List.of("compute"), free(), object(Map.of(), List.of()), true,
        createdEpochSecond);
    deployable(R2, "R2, object storage without egress fees", List.of("storage"),
        paidFreeform("$0.015 per GB-month stored, first 10 GB free"),
        object(Map.of("name", string(Map.of("pattern", "^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"))), List.of("name")),
        true, createdEpochSecond);
    deployable(DOMAIN, "A domain registered at cost with Cloudflare Registrar", List.of("domains"),
        paidFreeform("at cost, one-time per registration year"),
        object(props("domain_query", string(Map.of("minLength", 1, "description", "A name to search for")),
            "tld", string(Map.of("pattern", "^[a-z]{2,63}$")),
            "domain", string(Map.of("pattern", "^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9-]+)+$")),
            "years", Map.of("type", "integer", "minimum", 1, "maximum", 10),
            "auto_renew", Map.of("type", "boolean")), List.of()), false, createdEpochSecond);
  }

  /** Every service in listing order. */
  List<Service> all() {
    return List.copyOf(services.values());
  }

  @Nullable Service get(String id) {
    return services.get(id);
  }

  /**
   * What a plan costs up front for {@code configuration}, or null when free: the price the listing
   * states (the default price, or the one whose {@code configuration} matches).
   */
  @Nullable Money upfrontPrice(String serviceId, Map<String, Object> configuration) {
    if (!serviceId.equals(WORKERS_PAID)) {
      return null;
    }
    if (variants.contains(Variant.PRICING_PRICE_LIST) && "yearly".equals(configuration.get("billing_period"))) {
      return PAID_YEARLY;
    }
    return PAID_MONTHLY;
  }

  // ---------------------------------------------------------------- pricing forms

  private Map<String, Object> paidPlanPricing() {
    if (variants.contains(Variant.PRICING_PRICE_LIST)) {
      Map<String, Object> monthly = new LinkedHashMap<>();
      monthly.put("type", "freeform");
      monthly.put("freeform", "$5.00/month");
      monthly.put("is_default", true);
      monthly.put("configuration", Map.of("billing_period", "monthly"));
      Map<String, Object> yearly = new LinkedHashMap<>();
      yearly.put("type", "freeform");
      yearly.put("freeform", "$50.00/year");
      yearly.put("is_default", false);
      yearly.put("configuration", Map.of("billing_period", "yearly"));
      return pricing("paid", List.of(monthly, yearly));
    }
    if (variants.contains(Variant.PRICING_STRIPE_PRICE)) {
      Map<String, Object> paid = new LinkedHashMap<>();
      paid.put("type", "stripe_price");
      paid.put("stripe_price", PAID_STRIPE_PRICE);
      return pricing("paid", paid);
    }
    return paidFreeform("$5.00/month");
  }

  private Map<String, Object> workersPricing() {
    if (!variants.contains(Variant.PRICING_COMPONENT)) {
      return free();
    }
    Map<String, Object> option = new LinkedHashMap<>();
    option.put("type", "free");
    option.put("parent_service_ids", List.of(WORKERS_PAID, WORKERS_FREE));
    return pricing("component", Map.of("options", List.of(option)));
  }

  private Map<String, Object> d1Pricing() {
    if (!variants.contains(Variant.PRICING_COMPONENT)) {
      return free();
    }
    Map<String, Object> free = new LinkedHashMap<>();
    free.put("type", "free");
    free.put("parent_service_ids", List.of(WORKERS_FREE));
    Map<String, Object> paid = new LinkedHashMap<>();
    paid.put("type", "paid");
    paid.put("paid", Map.of("type", "freeform", "freeform", "$0.001 per 1,000 rows read beyond 25 billion a month"));
    paid.put("default", true);
    paid.put("parent_service_ids", List.of(WORKERS_PAID));
    return pricing("component", Map.of("options", List.of(free, paid)));
  }

  private Map<String, Object> workersAiPricing() {
    if (!variants.contains(Variant.PRICING_UNKNOWN_TYPE)) {
      return free();
    }
    Map<String, Object> usage = new LinkedHashMap<>();
    usage.put("unit", "neuron");
    usage.put("unit_amount_decimal", "0.000011");
    usage.put("currency", "usd");
    usage.put("included_per_day", 10000);
    return pricing("usage_based", usage);
  }

  private Map<String, Object> free() {
    return pricing("free", null);
  }

  private Map<String, Object> paidFreeform(String text) {
    Map<String, Object> paid = new LinkedHashMap<>();
    paid.put("type", "freeform");
    paid.put("freeform", text);
    return pricing("paid", paid);
  }

  /** {@code {type, <type>: body}}, with the unknown fields of {@link Variant#UNKNOWN_FIELDS}. */
  private Map<String, Object> pricing(String type, @Nullable Object body) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("type", type);
    if (body != null) {
      p.put(type, body);
    }
    if (variants.contains(Variant.UNKNOWN_FIELDS)) {
      p.put("tax_behavior", "exclusive");
      p.put("display", Map.of("badge", type.equals("free") ? "Free" : "Paid", "color", "#f38020"));
    }
    return p;
  }

  // ---------------------------------------------------------------- listings

  private void plan(String id, String description, Map<String, Object> pricing, List<Map<String, Object>> updates,
      Map<String, Object> schema, long created) {
    Map<String, Object> s = listing(id, description, List.of("compute"), "plan", pricing, schema, created);
    s.put("group", "workers");
    s.put("allowed_updates", updates);
    s.put("constraints", Map.of("max_per_account", 1));
    services.put(id, new Service(id, s, true, false, schema));
  }

  private void deployable(String id, String description, List<String> categories, Map<String, Object> pricing,
      Map<String, Object> schema, boolean needsPlan, long created) {
    Map<String, Object> s = listing(id, description, categories, "deployable", pricing, schema, created);
    s.put("allowed_updates", List.of());
    if (needsPlan) {
      s.put("constraints", Map.of("requires_any_of", List.of(WORKERS_FREE, WORKERS_PAID)));
    }
    if (id.equals(DOMAIN)) {
      s.put("kyc", Map.of("required_fields", List.of("email", "name", "country", "phone")));
    }
    services.put(id, new Service(id, s, false, needsPlan, schema));
  }

  private Map<String, Object> listing(String id, String description, List<String> categories, String kind,
      Map<String, Object> pricing, Map<String, Object> schema, long created) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("id", id);
    s.put("description", description);
    s.put("categories", categories);
    s.put("kind", kind);
    s.put("scope", "project");
    s.put("pricing", pricing);
    s.put("kyc", Map.of("required_fields", List.of("email")));
    s.put("configuration_schema", schema);
    if (variants.contains(Variant.UNKNOWN_FIELDS)) {
      s.put("object", "provisioning.service");
      s.put("created", created);
      s.put("docs_url", "https://developers.cloudflare.com/" + id.replace(':', '/') + "/");
      s.put("status_page", Map.of("component", id, "url", "https://www.cloudflarestatus.com/"));
    }
    return s;
  }

  private static Map<String, Object> update(String target, String direction) {
    Map<String, Object> u = new LinkedHashMap<>();
    u.put("service_id", target);
    u.put("direction", direction);
    return u;
  }

  private static Map<String, Object> object(Map<String, Object> properties, List<String> required) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("type", "object");
    o.put("properties", properties);
    if (!required.isEmpty()) {
      o.put("required", required);
    }
    return o;
  }

  private static Map<String, Object> string(Map<String, Object> constraints) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "string");
    s.putAll(constraints);
    return s;
  }

  /** An ordered map of property schemas from name, schema pairs. */
  private static Map<String, Object> props(Object... pairs) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], pairs[i + 1]);
    }
    return m;
  }
}
