package io.agentprovision.testing.stripe;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A Cloudflare-like provider living in the test's JVM, standing in for the provider protocol's
 * sandbox behind a {@link ProviderLink}. New e-mails get an account at once (bearer credentials);
 * e-mails registered with {@link Builder#existingAccount} need the human's consent (a redirect, then
 * an authorization code). Paid services charge the Shared Payment Token Stripe attaches, through
 * the sandbox's {@link TokenCharger}: {@code workers:paid} costs USD 5.00 and a domain its listed
 * price; a decline fails the call with {@code payment_failed}.
 *
 * <p>Catalog ({@link #cloudflare}): plans {@code workers:free} and {@code workers:paid} (each
 * changeable to the other), deployables {@code workers}, {@code d1}, {@code kv} (free) and
 * {@code registrar:domain} (priced per domain; answers {@code needs_information} with the candidate
 * names of its {@code domain_query} and their prices). Credentials are
 * {@code CLOUDFLARE_API_TOKEN} and {@code CLOUDFLARE_ACCOUNT_ID}; each rotation issues a new token.
 * Thread-safe.
 */
public final class InProcessProvider implements ProviderLink {
  /** What {@code workers:paid} costs. */
  public static final Money WORKERS_PAID_PRICE = Money.usd("5.00");

  private final Listing listing;
  private final TokenCharger charger;
  private final Set<String> existingAccounts;
  private final int pendingPolls;
  private final Map<String, Money> domainPrices;
  private final AtomicLong sequence = new AtomicLong();
  private final Map<String, String> accountsByToken = new LinkedHashMap<>();
  private final Map<String, String> accountsByEmail = new LinkedHashMap<>();
  private final Map<String, String> consentsByState = new LinkedHashMap<>();
  private final Map<String, String> codes = new LinkedHashMap<>();
  private final Map<String, Res> resources = new LinkedHashMap<>();
  private final Map<String, String> resourcesByKey = new LinkedHashMap<>();
  private final List<String> log = new ArrayList<>();

  private InProcessProvider(Builder b, TokenCharger charger) {
    this.listing = b.listing;
    this.charger = charger;
    this.existingAccounts = Set.copyOf(b.existingAccounts);
    this.pendingPolls = b.pendingPolls;
    this.domainPrices = Map.copyOf(b.domainPrices);
  }

  /** The default Cloudflare-like provider, charging through {@code charger}. */
  public static InProcessProvider cloudflare(TokenCharger charger) {
    return builder().build(charger);
  }

  public static Builder builder() {
    return new Builder();
  }

  private static final class Res {
    final String id;
    final String account;
    String serviceId;
    Map<String, Object> configuration;
    Status status;
    int pollsLeft;
    long generation = 1;
    @Nullable Map<String, Object> schema;

    Res(String id, String account, String serviceId, Map<String, Object> configuration, Status status) {
      this.id = id;
      this.account = account;
      this.serviceId = serviceId;
      this.configuration = configuration;
      this.status = status;
    }
  }

  private enum Status { PENDING, NEEDS_INFORMATION, COMPLETE, REMOVED }

  @Override
  public Listing listing() {
    return listing;
  }

  @Override
  public List<Map<String, Object>> services() {
    List<Map<String, Object>> out = new ArrayList<>();
    out.add(service("workers:free", "Workers Free plan", "plan", Map.of("type", "free"),
        List.of(Map.of("service", "workers:paid", "direction", "upgrade")), Map.of("type", "object")));
    out.add(service("workers:paid", "Workers Paid plan", "plan",
        Map.of("type", "paid", "paid", Map.of("type", "recurring", "description", "$5/month minimum + usage")),
        List.of(Map.of("service", "workers:free", "direction", "downgrade")), Map.of("type", "object")));
    out.add(service("workers", "Workers scripts", "deployable", Map.of("type", "free"), List.of(),
        Map.of("type", "object")));
    out.add(service("d1", "D1 database", "deployable", Map.of("type", "free"), List.of(), schema("name")));
    out.add(service("kv", "Workers KV namespace", "deployable", Map.of("type", "free"), List.of(), schema("title")));
    out.add(service("registrar:domain", "Domain registration", "deployable",
        Map.of("type", "component", "component", Map.of("options", List.of(Map.of("type", "paid", "is_default", true,
            "paid", Map.of("type", "one_time", "description", "Priced per domain, charged at registration"))))),
        List.of(), Map.of("type", "object", "properties", Map.of("domain_query", Map.of("type", "string")))));
    return out;
  }

  private static Map<String, Object> service(String id, String description, String kind, Map<String, Object> pricing,
      List<Map<String, Object>> allowedUpdates, Map<String, Object> schema) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("id", id);
    s.put("description", description);
    s.put("categories", List.of(kind.equals("plan") ? "plans" : "compute"));
    s.put("kind", kind);
    s.put("scope", "project");
    s.put("pricing", pricing);
    s.put("configuration_schema", schema);
    s.put("allowed_updates", allowedUpdates);
    return s;
  }

  private static Map<String, Object> schema(String field) {
    return Map.of("type", "object", "required", List.of(field), "properties", Map.of(field, Map.of("type", "string")));
  }

  @Override
  public synchronized AccountAnswer requestAccount(AccountRequest request) {
    log.add("account_request " + request.id());
    if (existingAccounts.contains(request.email())) {
      consentsByState.put(request.confirmationSecret().reveal(), request.email());
      return AccountAnswer.requiresAuth(URI.create("https://dash." + listing.name() + ".test/oauth/consent?state="
          + request.confirmationSecret().reveal()));
    }
    String account = accountsByEmail.computeIfAbsent(request.email(), e -> next("acct"));
    String token = next(listing.name() + "_at");
    accountsByToken.put(token, account);
    return AccountAnswer.credentials(new Grant(Secret.of(token), Secret.of(next(listing.name() + "_rt")),
        Duration.ofHours(1), account, request.name() == null ? request.email() : request.name() + "'s account",
        request.email(), true));
  }

  @Override
  public synchronized String consent(String state) {
    String email = consentsByState.remove(state);
    if (email == null) {
      throw new IllegalStateException("no consent pending for that state");
    }
    String code = next(listing.name() + "_code");
    codes.put(code, email);
    return code;
  }

  @Override
  public synchronized Grant exchangeCode(String code) {
    String email = codes.remove(code);
    if (email == null) {
      throw new IllegalStateException("invalid_grant: the code is unknown or was used");
    }
    String account = accountsByEmail.computeIfAbsent(email, e -> next("acct"));
    String token = next(listing.name() + "_at");
    accountsByToken.put(token, account);
    return new Grant(Secret.of(token), Secret.of(next(listing.name() + "_rt")), Duration.ofHours(1), account,
        email + "'s account", email, false);
  }

  @Override
  public synchronized ResourceAnswer createResource(Secret accessToken, ResourceCall call) {
    String account = account(accessToken);
    if (account == null) {
      return ResourceAnswer.error(null, "unauthorized", "The access token is not valid.");
    }
    String existing = resourcesByKey.get(call.idempotencyKey());
    if (existing != null) {
      // resources are never removed, and a key is recorded with the resource it created
      return answer(Objects.requireNonNull(resources.get(existing), "the resource the key created"));
    }
    log.add("create " + call.serviceId());
    Res r = new Res(next("cfres"), account, call.serviceId(), new LinkedHashMap<>(call.configuration()),
        Status.COMPLETE);
    if (call.serviceId().equals("registrar:domain")) {
      r.status = Status.NEEDS_INFORMATION;
      r.schema = domainSchema(String.valueOf(call.configuration().getOrDefault("domain_query", "my-app")));
    } else if (call.serviceId().equals("workers:paid")) {
      ResourceAnswer refused = pay(call.paymentToken(), WORKERS_PAID_PRICE, call.idempotencyKey(), r.id);
      if (refused != null) {
        return refused;
      }
    }
    resources.put(r.id, r);
    resourcesByKey.put(call.idempotencyKey(), r.id);
    if (r.status == Status.COMPLETE && pendingPolls > 0) {
      r.status = Status.PENDING;
      r.pollsLeft = pendingPolls;
    }
    return answer(r);
  }

  @Override
  public synchronized ResourceAnswer getResource(Secret accessToken, String resourceId) {
    Res r = owned(accessToken, resourceId);
    if (r == null) {
      return ResourceAnswer.error(resourceId, "not_found", "No such resource.");
    }
    if (r.status == Status.PENDING && --r.pollsLeft <= 0) {
      r.status = Status.COMPLETE;
    }
    return answer(r);
  }

  @Override
  public synchronized ResourceAnswer updateResource(Secret accessToken, String resourceId, @Nullable String serviceId,
      Map<String, Object> configuration, @Nullable Secret paymentToken, String idempotencyKey) {
    Res r = owned(accessToken, resourceId);
    if (r == null) {
      return ResourceAnswer.error(resourceId, "not_found", "No such resource.");
    }
    if (r.status == Status.NEEDS_INFORMATION) {
      Object domain = configuration.get("domain");
      Money price = domain == null ? null : domainPrices.get(String.valueOf(domain));
      if (price == null) {
        return ResourceAnswer.error(r.id, "domain_unavailable", "The domain " + domain + " cannot be registered.");
      }
      ResourceAnswer refused = pay(paymentToken, price, idempotencyKey, r.id);
      if (refused != null) {
        return refused;
      }
      log.add("register " + domain);
      r.configuration = new LinkedHashMap<>(configuration);
      r.schema = null;
      r.status = Status.COMPLETE;
      return answer(r);
    }
    if (serviceId != null && !serviceId.equals(r.serviceId)) {
      if (serviceId.equals("workers:paid")) {
        ResourceAnswer refused = pay(paymentToken, WORKERS_PAID_PRICE, idempotencyKey, r.id);
        if (refused != null) {
          return refused;
        }
      }
      log.add("change " + r.serviceId + " -> " + serviceId);
      r.serviceId = serviceId;
    }
    r.configuration.putAll(configuration);
    return answer(r);
  }

  @Override
  public synchronized ResourceAnswer rotateCredentials(Secret accessToken, String resourceId) {
    Res r = owned(accessToken, resourceId);
    if (r == null) {
      return ResourceAnswer.error(resourceId, "not_found", "No such resource.");
    }
    if (r.status != Status.COMPLETE) {
      return ResourceAnswer.error(r.id, "invalid_state", "Only a complete resource has credentials to rotate.");
    }
    r.generation++;
    log.add("rotate " + r.id);
    return answer(r);
  }

  @Override
  public synchronized ResourceAnswer removeResource(Secret accessToken, String resourceId) {
    Res r = owned(accessToken, resourceId);
    if (r == null) {
      return ResourceAnswer.error(resourceId, "not_found", "No such resource.");
    }
    r.status = Status.REMOVED;
    log.add("remove " + r.id);
    return answer(r);
  }

  /** The credentials the provider currently honours for one of its resources. */
  public synchronized Map<String, Secret> credentials(String providerResourceId) {
    Res r = resources.get(providerResourceId);
    if (r == null) {
      throw new IllegalArgumentException("no resource " + providerResourceId);
    }
    return credentials(r);
  }

  /** What the provider did, in order (account requests, creations, payments, rotations…), for assertions. */
  public synchronized List<String> log() {
    return List.copyOf(log);
  }

  private @Nullable ResourceAnswer pay(@Nullable Secret token, Money price, String key, String resourceId) {
    if (token == null) {
      return ResourceAnswer.error(resourceId, "requires_payment_credentials", "A paid service needs a payment token.");
    }
    ChargeResult c = charger.charge(token.reveal(), price, listing.sellerProfile(), key);
    if (!c.succeeded()) {
      log.add("declined " + price + " (" + c.declineCode() + ")");
      return ResourceAnswer.error(resourceId, "payment_failed", "The payment of " + price + " was declined: "
          + c.declineCode());
    }
    log.add("charged " + price);
    return null;
  }

  private ResourceAnswer answer(Res r) {
    switch (r.status) {
      case PENDING:
        return ResourceAnswer.pending(r.id);
      case NEEDS_INFORMATION:
        return ResourceAnswer.needsInformation(r.id, Objects.requireNonNull(r.schema));
      case REMOVED:
        return ResourceAnswer.removed(r.id);
      default:
        return ResourceAnswer.complete(r.id, credentials(r));
    }
  }

  private Map<String, Secret> credentials(Res r) {
    Map<String, Secret> c = new LinkedHashMap<>();
    c.put("CLOUDFLARE_API_TOKEN", Secret.of("cf_tok_" + r.id + "_g" + r.generation));
    c.put("CLOUDFLARE_ACCOUNT_ID", Secret.of(r.account));
    return c;
  }

  private Map<String, Object> domainSchema(String query) {
    List<Object> options = new ArrayList<>();
    for (String tld : List.of("com", "dev", "net")) {
      String name = query + "." + tld;
      Money price = domainPrices.get(name);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("const", name);
      o.put("title", name);
      o.put("x-available", price != null);
      if (price != null) {
        o.put("x-price", Map.of("amount", price.minorUnits(), "currency", price.currencyCode().toLowerCase()));
      }
      options.add(o);
    }
    return Map.of("type", "object", "required", List.of("domain"),
        "properties", Map.of("domain", Map.of("type", "string", "oneOf", options)));
  }

  private @Nullable String account(Secret token) {
    return accountsByToken.get(token.reveal());
  }

  private @Nullable Res owned(Secret token, String id) {
    String account = account(token);
    Res r = resources.get(id);
    return account == null || r == null || !r.account.equals(account) ? null : r;
  }

  private String next(String prefix) {
    return prefix + "_" + String.format("%05d", sequence.incrementAndGet());
  }

  /** Builds an {@link InProcessProvider}. */
  public static final class Builder {
    private Listing listing = new Listing("cloudflare", "Workers, storage and domains",
        List.of("compute", "domains"), "profile_cloudflare_sbx", "https://www.cloudflare.com/terms/");
    private final Set<String> existingAccounts = new LinkedHashSet<>();
    private int pendingPolls;
    private final Map<String, Money> domainPrices = new LinkedHashMap<>(Map.of(
        "my-app.com", Money.usd("10.44"), "my-app.dev", Money.usd("12.00")));

    private Builder() {}

    public Builder listing(Listing l) {
      this.listing = Objects.requireNonNull(l, "listing");
      return this;
    }

    /** This e-mail already has an account: linking it needs the human's consent. */
    public Builder existingAccount(String email) {
      existingAccounts.add(Objects.requireNonNull(email, "email"));
      return this;
    }

    /** New resources stay pending for this many reads at the provider. */
    public Builder pendingPolls(int polls) {
      this.pendingPolls = polls;
      return this;
    }

    /** A domain that can be registered, at this price. */
    public Builder domain(String name, Money price) {
      domainPrices.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(price, "price"));
      return this;
    }

    /** Builds the provider charging through {@code charger}. */
    public InProcessProvider build(TokenCharger charger) {
      return new InProcessProvider(this, Objects.requireNonNull(charger, "charger"));
    }
  }
}
