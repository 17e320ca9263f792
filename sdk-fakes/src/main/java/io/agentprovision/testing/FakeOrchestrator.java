package io.agentprovision.testing;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.core.wire.Json;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A stateful in-memory {@link Orchestrator}: accounts, a card on file, resources, charges and
 * credentials live in the fake, so the whole provisioning flow runs offline and a test can check
 * what was bought, for how much, and what was not bought twice. It keeps the SPI's contract: it is
 * thread-safe, every call that changes something is idempotent on
 * {@link StepContext#idempotencyKey()}, human steps go through {@link StepContext#checkpoint},
 * paid calls charge no more than the {@link PaymentAuthorization} allows, pending resources are
 * polled with {@link Polling#until} in the step's virtual time, and remote-style refusals are
 * {@link ProviderException}s with a status and a code.
 *
 * <p>The default catalog is Cloudflare's as seen through Stripe ({@link #cloudflareCatalog()}):
 * plans {@code workers:free} and {@code workers:paid} (USD 5.00 a month), deployables
 * {@code workers}, {@code kv} and {@code d1} (each needs a completed {@code workers:*} plan in the
 * account first) and {@code registrar:domain} (priced per chosen name, one-time).
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.create();
 * FakeOrchestrator orch = FakeOrchestrator.builder()
 *     .existingAccount("ada@example.com")      // linking sends Ada to a consent page
 *     .paymentMethodOnFile(true)
 *     .pendingPolls(2)                          // every resource is pending for two polls
 *     .domain("my-app.com", Money.usd("9.99"))  // overrides the .com default of USD 10.44
 *     .build();
 * // ... drive the engine, or call the SPI directly with a FakeStepContext ...
 * assertThat(orch.totalCharged("cloudflare")).isEqualTo(Money.usd("14.99"));
 * assertThat(orch.charges()).extracting(FakeOrchestrator.Charge::serviceId)
 *     .containsExactly("workers:paid", "registrar:domain");
 * }</pre>
 *
 * <h2>Behaviour</h2>
 * <ul>
 *   <li>{@code linkAccount}: a new e-mail gets a new account ({@link ProviderAccount.LinkAction#CREATED}).
 *       An e-mail registered with {@link Builder#existingAccount(String)} sends the human to a consent
 *       URL through an {@link CheckpointKind#ACCOUNT_CONSENT} checkpoint whose details carry a
 *       {@code state}; the approving decision's {@link ApprovalDecision#response()} must return that
 *       {@code state} and a {@code code}, as an OAuth callback does. A mismatched or missing
 *       {@code state} is refused with {@link IdentityRejectedException} (check {@code "state"}),
 *       because it means the callback was forged or belongs to another request (OAuth's CSRF
 *       defence); a missing {@code code} likewise (check {@code "code"}). Linking a linked e-mail
 *       again returns the same account without asking.</li>
 *   <li>{@code ensurePaymentMethod}: with no card on file, an {@link CheckpointKind#PAYMENT_METHOD}
 *       checkpoint with a checkout URL; approval puts a card on file.</li>
 *   <li>{@code provision}: unknown service → 404 {@code service_not_found}; account not linked → 403
 *       {@code account_not_linked}; a paid service without a payment authorization of at least its
 *       price (same currency, not expired) → 402 {@code requires_payment_credentials}; a deployable
 *       without its plan → 400 {@code requires_plan}. A paid service is charged its price once.
 *       {@code registrar:domain} with {@code domain_query} answers
 *       {@link ResourceStatus#NEEDS_INFORMATION} with choices in the schema convention
 *       {@link InformationRequest#fromSchema} reads; with {@code domain} it registers that name
 *       directly.</li>
 *   <li>Idempotency: a call repeated with the same key and the same parameters returns the first
 *       call's result and charges nothing more; the same key with other parameters is refused with
 *       400 {@code idempotency_error}. A call refused before doing anything records nothing, so it
 *       may be retried with other parameters under the same key.</li>
 *   <li>{@code update}: only to services in the current service's {@code allowedUpdates} (400
 *       {@code update_not_allowed}); moving to a paid service charges its price.</li>
 *   <li>{@code revealCredentials}: {@code <PROVIDER>_API_TOKEN} and {@code <PROVIDER>_ACCOUNT_ID}
 *       (such as {@code CLOUDFLARE_API_TOKEN}); the same values until {@code rotateCredentials}
 *       makes a new generation.</li>
 *   <li>{@code remove}: marks the resource removed and records it in {@link #removals()}; nothing is
 *       refunded; removing again is a no-op.</li>
 * </ul>
 *
 * <p>Faults: {@link #failOn}, {@link #crashBefore} and {@link #crashAfter} on any SPI method name
 * ({@link #METHODS}); see {@link FaultInjector}.
 */
public final class FakeOrchestrator implements Orchestrator {
  /** The provider of the default catalog. */
  public static final String CLOUDFLARE = "cloudflare";
  /** The service whose resources go through the domain needs-information loop. */
  public static final String DOMAIN_SERVICE = "registrar:domain";
  /** The orchestrator name when none is given. */
  public static final String DEFAULT_NAME = "fake-orchestrator";
  /** The card shown once a payment method is on file. */
  public static final String DEFAULT_CARD_DISPLAY = "card •••• 4242";
  /** The backoff between polls of a pending resource. */
  public static final Polling.Backoff POLL_BACKOFF = new Polling.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
  /** The SPI methods that are recorded and can be faulted. */
  public static final List<String> METHODS = List.of("catalog", "linkAccount", "ensurePaymentMethod", "provision",
      "submitInformation", "resource", "update", "revealCredentials", "rotateCredentials", "remove", "providerLimits",
      "updateProviderLimit", "unlinkAccount");

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String name;
  private final Map<String, Catalog> catalogs;
  private final Map<String, String> requiresPlan;
  private final int pendingPolls;
  private final Map<String, Integer> pendingPollsByService;
  private final Map<String, @Nullable Money> tlds;
  private final Map<String, @Nullable Money> domains;
  private final List<String> extraOffers;
  private final boolean termsCheckpoint;
  private final FaultInjector faults = new FaultInjector(METHODS);
  private final byte[] stateSecret = new byte[32];

  private final Object lock = new Object();
  private final Map<String, Account> accounts = new LinkedHashMap<>();
  private final Map<String, Res> resources = new LinkedHashMap<>();
  private final Map<String, Memo> memos = new HashMap<>();
  private final List<Charge> charges = new ArrayList<>();
  private final List<Removal> removals = new ArrayList<>();
  private final List<Unlink> unlinks = new ArrayList<>();
  private final Map<String, Money> requestedCaps = new LinkedHashMap<>();
  private final Map<String, List<SpendLimit>> providerLimits = new HashMap<>();
  private boolean cardOnFile;
  private int nextId;

  private FakeOrchestrator(Builder b) {
    this.name = b.name;
    this.catalogs = Map.copyOf(b.catalogs.isEmpty() ? Map.of(CLOUDFLARE, cloudflareCatalog()) : b.catalogs);
    this.requiresPlan = Map.copyOf(b.requiresPlan);
    this.pendingPolls = b.pendingPolls;
    this.pendingPollsByService = Map.copyOf(b.pendingPollsByService);
    this.tlds = new LinkedHashMap<>(b.tlds);
    this.domains = new HashMap<>(b.domains);
    this.extraOffers = List.copyOf(b.extraOffers);
    this.termsCheckpoint = b.termsCheckpoint;
    this.cardOnFile = b.cardOnFile;
    RANDOM.nextBytes(stateSecret);
    for (String[] pe : b.existing) {
      for (String provider : pe[0] == null ? catalogs.keySet() : List.of(pe[0])) {
        if (!catalogs.containsKey(provider)) {
          throw new InvalidRequestException("existingAccount", "provider '" + provider + "' has no catalog",
              "add its catalog with catalog(...) or use one of " + catalogs.keySet());
        }
        accounts.put(accountKey(provider, pe[1]), new Account(provider, newId("acct_fake"), pe[1], true));
      }
    }
    b.providerLimits.forEach((p, l) -> providerLimits.put(p, List.copyOf(l)));
  }

  /** A builder with the Cloudflare catalog and every default. */
  public static Builder builder() {
    return new Builder();
  }

  /** A fake with every default: the Cloudflare catalog, no card on file, nothing pending. */
  public static FakeOrchestrator create() {
    return builder().build();
  }

  /** The default catalog: Cloudflare as seen through Stripe Projects (see {@code docs/protocol.md}). */
  public static Catalog cloudflareCatalog() {
    ProviderInfo info = new ProviderInfo(CLOUDFLARE, "prvdr_fake_cloudflare", "Cloudflare",
        "Workers, storage, databases and domains", URI.create("https://www.cloudflare.com/terms/"),
        URI.create("https://www.cloudflare.com/privacypolicy/"), URI.create("https://www.cloudflare.com/"));
    Map<String, Object> empty = Map.of("type", "object", "properties", Map.of());
    List<ServiceOffering> services = List.of(
        new ServiceOffering("workers:free", CLOUDFLARE, "Workers Free plan", List.of("compute"), ServiceOffering.KIND_PLAN,
            "project", Pricing.free(), empty, List.of("workers:paid")),
        new ServiceOffering("workers:paid", CLOUDFLARE, "Workers Paid plan", List.of("compute"), ServiceOffering.KIND_PLAN,
            "project", Pricing.atLeast(Money.usd("5.00"), Pricing.Interval.MONTHLY, "$5/month minimum + usage"), empty,
            List.of("workers:free")),
        new ServiceOffering("workers", CLOUDFLARE, "A Worker script", List.of("compute"), ServiceOffering.KIND_DEPLOYABLE,
            "project", Pricing.free(), empty, List.of()),
        new ServiceOffering("kv", CLOUDFLARE, "Workers KV namespace", List.of("storage"), ServiceOffering.KIND_DEPLOYABLE,
            "project", Pricing.free(), KV_SCHEMA, List.of()),
        new ServiceOffering("d1", CLOUDFLARE, "D1 SQL database", List.of("database"), ServiceOffering.KIND_DEPLOYABLE,
            "project", Pricing.free(), D1_SCHEMA, List.of()),
        new ServiceOffering(DOMAIN_SERVICE, CLOUDFLARE, "Domain registration", List.of("domains"),
            ServiceOffering.KIND_DEPLOYABLE, "project",
            Pricing.builder(Pricing.Type.COMPONENT, Pricing.Kind.UNKNOWN).interval(Pricing.Interval.ONE_TIME)
                .description("priced per domain; one-time, non-refundable").build(),
            Map.of("type", "object", "properties", Map.of("domain_query", Map.of("type", "string"), "domain",
                Map.of("type", "string"))),
            List.of()));
    return new Catalog(info, services);
  }

  /**
   * The configuration schema of {@code kv} in the default catalog: a {@code title} of 1 to 512
   * characters is required; nothing else is accepted.
   */
  public static final Map<String, Object> KV_SCHEMA = Map.of("type", "object", "required", List.of("title"),
      "additionalProperties", false,
      "properties", Map.of("title", Map.of("type", "string", "minLength", 1, "maxLength", 512)));

  /**
   * The configuration schema of {@code d1} in the default catalog: a {@code name} of lower-case
   * letters, digits and '-' is required; {@code location_hint} is one of Cloudflare's regions.
   */
  public static final Map<String, Object> D1_SCHEMA = Map.of("type", "object", "required", List.of("name"),
      "additionalProperties", false,
      "properties", Map.of("name", Map.of("type", "string", "pattern", "^[a-z0-9][a-z0-9-]{0,62}$"),
          "location_hint", Map.of("type", "string", "enum", List.of("wnam", "enam", "weur", "eeur", "apac", "oc"))));

  // ---------------------------------------------------------------- fault injection

  /** The {@code nth} call of {@code method} from now on throws {@code error} without doing anything. */
  public FakeOrchestrator failOn(String method, int nth, RuntimeException error) {
    faults.failOn(method, nth, error);
    return this;
  }

  /** The {@code nth} call of {@code method} from now on throws {@link SimulatedCrash} without doing anything. */
  public FakeOrchestrator crashBefore(String method, int nth) {
    faults.crashBefore(method, nth);
    return this;
  }

  /** The {@code nth} call of {@code method} from now on does its work, then throws {@link SimulatedCrash}. */
  public FakeOrchestrator crashAfter(String method, int nth) {
    faults.crashAfter(method, nth);
    return this;
  }

  /** The call recorder and fault injector behind this fake. */
  public FaultInjector faults() {
    return faults;
  }

  // ---------------------------------------------------------------- SPI

  @Override
  public String name() {
    return name;
  }

  @Override
  public Catalog catalog(String provider) {
    Objects.requireNonNull(provider, "provider");
    return faults.call("catalog", false, () -> catalogOf(provider));
  }

  @Override
  public ProviderAccount linkAccount(AccountLinkRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("linkAccount", true, () -> link(request, ctx));
  }

  private ProviderAccount link(AccountLinkRequest request, StepContext ctx) {
    String provider = request.provider();
    Principal principal = request.principal();
    String email = principal.email();
    if (email == null || email.isBlank()) {
      throw new InvalidRequestException("principal.email", "is missing",
          "attest the human with an identity provider that returns a verified e-mail");
    }
    if (!principal.emailVerified()) {
      throw new IdentityRejectedException("email_verified",
          "the provider links accounts only to a verified e-mail; " + email + " is not verified");
    }
    Catalog catalog = catalogOf(provider);
    Account found;
    synchronized (lock) {
      found = accounts.get(accountKey(provider, email));
      if (found != null && found.linked) {
        return found.view();
      }
    }
    if (found == null) {
      URI terms = catalog.provider().termsOfService();
      if (termsCheckpoint && terms != null) {
        ctx.checkpoint(new CheckpointRequest(CheckpointKind.TERMS_OF_SERVICE, "Accept the " + provider + " terms of service",
            "a " + provider + " account will be created for " + email, null, terms, Map.of("provider", provider), null));
      }
      synchronized (lock) {
        Account a = accounts.get(accountKey(provider, email));
        if (a == null) {
          a = new Account(provider, newId("acct_fake"), email.trim().toLowerCase(Locale.ROOT), false);
          accounts.put(accountKey(provider, email), a);
        }
        if (!a.linked) {
          a.linked = true;
          a.linkAction = a.preexisting ? ProviderAccount.LinkAction.LINKED_EXISTING : ProviderAccount.LinkAction.CREATED;
          a.connectionId = newId("conn_fake");
          a.displayName = principal.name() != null ? principal.name() : email;
        }
        return a.view();
      }
    }
    // derived from the step's key (keyed by this fake's secret), so that a step run again after its run
    // parked for the consent asks the same question and the person's answer, with this state, fits it
    String state = stateFor(ctx.idempotencyKey());
    URI consent = URI.create("https://consent." + provider + ".fake/oauth2/authorize?client_id=" + name + "&state=" + state);
    ApprovalDecision decision = ctx.checkpoint(new CheckpointRequest(CheckpointKind.ACCOUNT_CONSENT,
        "Link your existing " + provider + " account " + email,
        email + " already has a " + provider + " account; linking it needs your consent", null, consent,
        Map.of("state", state, "provider", provider, "email", email), null));
    String returned = decision.response().get("state");
    if (returned == null || !MessageDigest.isEqual(returned.getBytes(StandardCharsets.UTF_8),
        state.getBytes(StandardCharsets.UTF_8))) {
      throw new IdentityRejectedException("state", "the consent callback's state "
          + (returned == null ? "is missing" : "does not match the request") + "; the callback may be forged or "
          + "belong to another request, so the " + provider + " account was not linked");
    }
    String code = decision.response().get("code");
    if (code == null || code.isBlank()) {
      throw new IdentityRejectedException("code", "the consent callback carried no authorization code; the "
          + provider + " account was not linked");
    }
    synchronized (lock) {
      if (!found.linked) {
        found.linked = true;
        found.linkAction = ProviderAccount.LinkAction.LINKED_EXISTING;
        found.connectionId = newId("conn_fake");
        found.displayName = principal.name() != null ? principal.name() : email;
      }
      return found.view();
    }
  }

  @Override
  public PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(usageCap, "usageCap").requireNonNegative("usageCap");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("ensurePaymentMethod", true, () -> {
      catalogOf(provider);
      String session;
      synchronized (lock) {
        requestedCaps.put(provider, usageCap);
        if (cardOnFile) {
          return new PaymentMethodStatus(true, DEFAULT_CARD_DISPLAY);
        }
        // one session per step, as a real checkout keyed by the step's key: a step run again after its run
        // parked for the card asks the same question, and the person's answer to it fits
        session = "cs_fake_" + stateFor(ctx.idempotencyKey());
      }
      ctx.checkpoint(new CheckpointRequest(CheckpointKind.PAYMENT_METHOD, "Add a payment method for " + provider,
          "paid steps with " + provider + " need a card on file; the agent's use is capped at " + usageCap, null,
          URI.create("https://checkout.stripe.fake/c/pay/" + session),
          Map.of("provider", provider, "usage_cap", usageCap.toString(), "checkout_session", session), null));
      synchronized (lock) {
        cardOnFile = true;
      }
      return new PaymentMethodStatus(true, DEFAULT_CARD_DISPLAY);
    });
  }

  @Override
  public ResourceState provision(ResourceRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("provision", true, () -> {
      String key = ctx.idempotencyKey();
      Memo memo;
      synchronized (lock) {
        Catalog catalog = catalogOf(request.provider());
        ServiceOffering service = serviceOf(catalog, request.serviceId());
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("provider", request.provider());
        params.put("service", request.serviceId());
        params.put("name", request.name());
        params.put("configuration", request.configuration());
        params.put("account", request.account().accountId());
        params.put("project", request.project());
        params.put("environment", request.environment());
        memo = replay("provision", key, params, request.provider());
        if (memo == null) {
          memo = createResource(request, service, key, params, ctx);
        }
      }
      return settle(memo, ctx);
    });
  }

  private Memo createResource(ResourceRequest request, ServiceOffering service, String key, Map<String, Object> params,
      StepContext ctx) {
    String provider = request.provider();
    Account account = accounts.values().stream()
        .filter(a -> a.provider.equals(provider) && a.accountId.equals(request.account().accountId()) && a.linked)
        .findFirst()
        .orElseThrow(() -> new ProviderException(provider, 403, "account_not_linked", requestId(),
            "account " + request.account().accountId() + " is not linked to " + name + "; link it first", false));
    String planPrefix = requiresPlan.get(service.id());
    if (planPrefix != null && !hasCompletePlan(provider, account.accountId, planPrefix)) {
      throw new ProviderException(provider, 400, "requires_plan", requestId(), service.id()
          + " needs a " + planPrefix + "* plan in account " + account.accountId + " first; provision one such as "
          + planPrefix + "free", false);
    }
    Instant now = ctx.clock().instant();
    Res r = new Res(provider, newId("res_fake"), service.id(), request.name(), account.accountId, request.project(),
        request.environment(), request.configuration());
    Money charged = null;
    ResourceStatus settlesTo = ResourceStatus.COMPLETE;
    if (DOMAIN_SERVICE.equals(service.id())) {
      Object query = request.configuration().get("domain_query");
      Object exact = request.configuration().get("domain");
      if (exact instanceof String d && !d.isBlank()) {
        Available offer = offerFor(provider, d.trim().toLowerCase(Locale.ROOT), List.of(offer(d.trim().toLowerCase(Locale.ROOT))));
        charged = offer.price;
        requirePayment(provider, "domain " + offer.name, charged, request.payment(), now);
        r.attributes.put("domain", offer.name);
      } else if (query instanceof String q && !q.isBlank()) {
        r.domainQuery = q.trim().toLowerCase(Locale.ROOT);
        r.attributes.put("domain_query", r.domainQuery);
        settlesTo = ResourceStatus.NEEDS_INFORMATION;
      } else {
        throw new ProviderException(provider, 400, "invalid_configuration", requestId(),
            DOMAIN_SERVICE + " needs a configuration with domain_query (to search) or domain (to register a name)", false);
      }
    } else if (service.pricing().isPaid()) {
      // the fake charges what buying costs at least: the price, or a plan's monthly minimum
      Money price = service.pricing().minimum();
      if (price == null) {
        throw new ProviderException(provider, 400, "unsupported_pricing", requestId(), "the fake cannot price "
            + service.id() + " (" + service.pricing().type() + " without an amount)", false);
      }
      requirePayment(provider, service.id(), price, request.payment(), now);
      charged = price;
    }
    if (charged != null) {
      charges.add(new Charge(provider, service.id(), r.id, charged, key, Objects.requireNonNull(request.payment())
          .reservationId(), now));
    }
    r.attributes.put("account_id", account.accountId);
    startPending(r, settlesTo);
    resources.put(r.id, r);
    Memo memo = new Memo(Json.canonical(params), r.id, charged, null);
    memos.put("provision\n" + key, memo);
    return memo;
  }

  private boolean hasCompletePlan(String provider, String accountId, String planPrefix) {
    Catalog catalog = catalogOf(provider);
    for (Res r : resources.values()) {
      if (r.provider.equals(provider) && r.accountId.equals(accountId) && r.status == ResourceStatus.COMPLETE
          && r.serviceId.startsWith(planPrefix)
          && catalog.service(r.serviceId).map(ServiceOffering::isPlan).orElse(false)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(information, "information");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("submitInformation", true, () -> {
      String key = ctx.idempotencyKey();
      Memo memo;
      synchronized (lock) {
        Res r = resourceOf(resource);
        Map<String, Object> params = Map.of("resource", r.id, "information", new LinkedHashMap<>(information));
        memo = replay("submitInformation", key, params, r.provider);
        if (memo == null) {
          if (r.status != ResourceStatus.NEEDS_INFORMATION || r.domainQuery == null) {
            throw invalidState(r, "does not need information");
          }
          Object chosen = information.get("domain");
          if (!(chosen instanceof String d) || d.isBlank()) {
            throw new ProviderException(r.provider, 400, "invalid_information", requestId(),
                "the answer must carry the chosen name as 'domain'", false);
          }
          Available offer = offerFor(r.provider, d.trim().toLowerCase(Locale.ROOT), offers(r.domainQuery));
          Instant now = ctx.clock().instant();
          requirePayment(r.provider, "domain " + offer.name, offer.price, payment, now);
          charges.add(new Charge(r.provider, r.serviceId, r.id, offer.price, key,
              Objects.requireNonNull(payment).reservationId(), now));
          r.attributes.put("domain", offer.name);
          r.configuration.put("domain", offer.name);
          r.information = null;
          startPending(r, ResourceStatus.COMPLETE);
          memo = new Memo(Json.canonical(params), r.id, offer.price, null);
          memos.put("submitInformation\n" + key, memo);
        }
      }
      return settle(memo, ctx);
    });
  }

  @Override
  public ResourceState resource(ResourceRef resource, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    return faults.call("resource", false, () -> {
      synchronized (lock) {
        Res r = resourceOf(resource);
        poll(r);
        return r.state(null);
      }
    });
  }

  @Override
  public ResourceState update(ResourceRef resource, @Nullable String newServiceId, Map<String, Object> configuration,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(configuration, "configuration");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("update", true, () -> {
      String key = ctx.idempotencyKey();
      synchronized (lock) {
        Res r = resourceOf(resource);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("resource", r.id);
        params.put("service", newServiceId);
        params.put("configuration", new LinkedHashMap<>(configuration));
        Memo memo = replay("update", key, params, r.provider);
        if (memo != null) {
          return Objects.requireNonNull(memo.state);
        }
        if (r.status != ResourceStatus.COMPLETE) {
          throw invalidState(r, "cannot be updated while " + r.status.name().toLowerCase(Locale.ROOT));
        }
        Money charged = null;
        Instant now = ctx.clock().instant();
        if (newServiceId != null && !newServiceId.equals(r.serviceId)) {
          Catalog catalog = catalogOf(r.provider);
          ServiceOffering current = serviceOf(catalog, r.serviceId);
          if (!current.allowsUpdateTo(newServiceId)) {
            throw new ProviderException(r.provider, 400, "update_not_allowed", requestId(), r.serviceId + " cannot be "
                + "changed to " + newServiceId + "; allowed: " + current.allowedUpdates(), false);
          }
          ServiceOffering next = serviceOf(catalog, newServiceId);
          if (next.pricing().isPaid()) {
            Money price = next.pricing().minimum();
            if (price == null) {
              throw new ProviderException(r.provider, 400, "unsupported_pricing", requestId(), "the fake cannot price "
                  + next.id(), false);
            }
            requirePayment(r.provider, next.id(), price, payment, now);
            charged = price;
            charges.add(new Charge(r.provider, next.id(), r.id, price, key,
                Objects.requireNonNull(payment).reservationId(), now));
          }
          r.serviceId = newServiceId;
        }
        r.configuration.putAll(configuration);
        ResourceState state = r.state(charged);
        memos.put("update\n" + key, new Memo(Json.canonical(params), r.id, charged, state));
        return state;
      }
    });
  }

  @Override
  public AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("revealCredentials", false, () -> {
      synchronized (lock) {
        Res r = resourceOf(resource);
        if (r.status != ResourceStatus.COMPLETE) {
          throw invalidState(r, "has no credentials while " + r.status.name().toLowerCase(Locale.ROOT));
        }
        if (r.credentials == null) {
          r.credentials = mint(r, 1, ctx.clock().instant());
        }
        return r.credentials;
      }
    });
  }

  @Override
  public AccessConfiguration rotateCredentials(ResourceRef resource, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(ctx, "ctx");
    return faults.call("rotateCredentials", true, () -> {
      String key = ctx.idempotencyKey();
      synchronized (lock) {
        Res r = resourceOf(resource);
        Map<String, Object> params = Map.of("resource", r.id);
        Memo memo = replay("rotateCredentials", key, params, r.provider);
        if (memo != null) {
          return Objects.requireNonNull(memo.credentials);
        }
        if (r.status != ResourceStatus.COMPLETE) {
          throw invalidState(r, "cannot rotate credentials while " + r.status.name().toLowerCase(Locale.ROOT));
        }
        long generation = r.credentials == null ? 2 : r.credentials.generation() + 1;
        r.credentials = mint(r, generation, ctx.clock().instant());
        memos.put("rotateCredentials\n" + key, new Memo(Json.canonical(params), r.id, null, null, r.credentials));
        return r.credentials;
      }
    });
  }

  @Override
  public void remove(ResourceRef resource, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(ctx, "ctx");
    faults.run("remove", true, () -> {
      synchronized (lock) {
        Res r = resourceOf(resource);
        if (r.status == ResourceStatus.REMOVED) {
          return;
        }
        r.status = ResourceStatus.REMOVED;
        r.information = null;
        r.credentials = null;
        removals.add(new Removal(r.provider, r.serviceId, r.id, ctx.idempotencyKey(), ctx.clock().instant()));
      }
    });
  }

  @Override
  public boolean supportsAccountUnlink() {
    return true;
  }

  /** Forgets the link: the account and its resources stay (a later link finds the account again). */
  @Override
  public void unlinkAccount(ProviderAccount account, StepContext ctx) {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(ctx, "ctx");
    faults.run("unlinkAccount", true, () -> {
      synchronized (lock) {
        for (Account a : accounts.values()) {
          if (a.provider.equals(account.provider()) && a.accountId.equals(account.accountId()) && a.linked) {
            a.linked = false;
            unlinks.add(new Unlink(a.provider, a.accountId, ctx.idempotencyKey(), ctx.clock().instant()));
          }
        }
      }
    });
  }

  @Override
  public List<SpendLimit> providerLimits(String provider) {
    Objects.requireNonNull(provider, "provider");
    return faults.call("providerLimits", false, () -> {
      synchronized (lock) {
        return providerLimits.getOrDefault(provider, List.of());
      }
    });
  }

  /** Replaces the fake's cap for {@code provider} (or every provider when null) with {@code limit}. */
  @Override
  public Optional<SpendLimit> updateProviderLimit(@Nullable String provider, SpendLimit limit, StepContext ctx) {
    Objects.requireNonNull(limit, "limit");
    return faults.call("updateProviderLimit", true, () -> {
      synchronized (lock) {
        for (String p : provider == null ? catalogs.keySet() : List.of(provider)) {
          providerLimits.put(p, List.of(limit));
        }
        return Optional.of(limit);
      }
    });
  }

  // ---------------------------------------------------------------- observation

  /** Every charge made, in order. */
  public List<Charge> charges() {
    synchronized (lock) {
      return List.copyOf(charges);
    }
  }

  /** The sum charged by {@code provider}; zero USD when nothing was. */
  public Money totalCharged(String provider) {
    synchronized (lock) {
      Money total = null;
      for (Charge c : charges) {
        if (c.provider.equals(provider)) {
          total = total == null ? c.amount : total.plus(c.amount);
        }
      }
      return total != null ? total : Money.zero("USD");
    }
  }

  /** Every SPI call made, in order, with whether it can have side effects. */
  public List<FaultInjector.Call> calls() {
    return faults.calls();
  }

  /** The accounts linked so far (created or existing), in order of registration. */
  public List<ProviderAccount> accounts() {
    synchronized (lock) {
      return accounts.values().stream().filter(a -> a.linked).map(Account::view).toList();
    }
  }

  /** Every resource, in order of creation, as it stands now. */
  public List<Resource> resources() {
    synchronized (lock) {
      return resources.values().stream().map(Res::snapshot).toList();
    }
  }

  /** Every removal, in order. Removing refunds nothing. */
  public List<Removal> removals() {
    synchronized (lock) {
      return List.copyOf(removals);
    }
  }

  /** Every account unlink, in order. */
  public List<Unlink> unlinks() {
    synchronized (lock) {
      return List.copyOf(unlinks);
    }
  }

  /** Whether a card is on file (from the builder or an approved payment-method checkpoint). */
  public boolean paymentMethodOnFile() {
    synchronized (lock) {
      return cardOnFile;
    }
  }

  /** The usage cap last asked for with {@link #ensurePaymentMethod} for {@code provider}, if any. */
  public Optional<Money> requestedUsageCap(String provider) {
    synchronized (lock) {
      return Optional.ofNullable(requestedCaps.get(provider));
    }
  }

  /**
   * Whether {@code token} is the current API token of a resource that is not removed: false for a
   * value rotated away, for a removed resource, and for a value the fake never issued.
   */
  public boolean isCurrentCredential(Secret token) {
    Objects.requireNonNull(token, "token");
    synchronized (lock) {
      for (Res r : resources.values()) {
        if (r.credentials != null) {
          Secret current = r.credentials.value(tokenName(r.provider));
          if (current != null && current.matches(token)) {
            return true;
          }
        }
      }
      return false;
    }
  }

  // ---------------------------------------------------------------- internals

  private Catalog catalogOf(String provider) {
    Catalog c = catalogs.get(provider);
    if (c == null) {
      throw new ProviderException(name, 404, "provider_not_found", requestId(), "no provider named '" + provider
          + "' in the catalog; known: " + new java.util.TreeSet<>(catalogs.keySet()), false);
    }
    return c;
  }

  private ServiceOffering serviceOf(Catalog catalog, String serviceId) {
    return catalog.service(serviceId).orElseThrow(() -> new ProviderException(catalog.provider().name(), 404,
        "service_not_found", requestId(), "no service '" + serviceId + "' in the " + catalog.provider().name()
        + " catalog", false));
  }

  private Res resourceOf(ResourceRef ref) {
    Res r = resources.get(ref.id());
    if (r == null || !r.provider.equals(ref.provider())) {
      throw new ProviderException(ref.provider(), 404, "resource_missing", requestId(), "no resource " + ref.id(), false);
    }
    return r;
  }

  private ProviderException invalidState(Res r, String what) {
    return new ProviderException(r.provider, 400, "invalid_state", requestId(), "resource " + r.id + " (" + r.serviceId
        + ") " + what, false);
  }

  private @Nullable Memo replay(String method, String key, Map<String, Object> params, String provider) {
    Memo m = memos.get(method + "\n" + key);
    if (m != null && !m.fingerprint.equals(Json.canonical(params))) {
      throw new ProviderException(provider, 400, "idempotency_error", requestId(), "the idempotency key of this "
          + method + " was used before with other parameters; derive a new key for a different request", false);
    }
    return m;
  }

  private void requirePayment(String provider, String what, Money price, @Nullable PaymentAuthorization payment,
      Instant now) {
    String problem = null;
    if (payment == null) {
      problem = "no payment authorization was given";
    } else if (!payment.maxAmount().sameCurrency(price)) {
      problem = "the authorization is in " + payment.maxAmount().currencyCode() + ", the price in " + price.currencyCode();
    } else if (payment.maxAmount().lessThan(price)) {
      problem = "the authorization allows at most " + payment.maxAmount();
    } else if (!now.isBefore(payment.expiresAt())) {
      problem = "the authorization expired at " + payment.expiresAt();
    }
    if (problem != null) {
      throw new ProviderException(provider, 402, "requires_payment_credentials", requestId(), what + " costs " + price
          + " and " + problem, false);
    }
  }

  private void startPending(Res r, ResourceStatus settlesTo) {
    int polls = pendingPollsByService.getOrDefault(r.serviceId, pendingPolls);
    r.settlesTo = settlesTo;
    r.pendingLeft = polls;
    r.status = polls > 0 ? ResourceStatus.PENDING : settlesTo;
    if (r.status == ResourceStatus.NEEDS_INFORMATION) {
      r.information = information(r.domainQuery);
    }
  }

  /** One poll of a pending resource: counts down, then settles. Caller holds the lock. */
  private void poll(Res r) {
    if (r.status != ResourceStatus.PENDING) {
      return;
    }
    if (r.pendingLeft > 0) {
      r.pendingLeft--;
      return;
    }
    r.status = r.settlesTo;
    if (r.status == ResourceStatus.NEEDS_INFORMATION) {
      r.information = information(r.domainQuery);
    }
  }

  private ResourceState settle(Memo memo, StepContext ctx) {
    return Polling.until(ctx, "resource " + memo.resourceId, () -> {
      synchronized (lock) {
        // resources are never removed, and a memo is made together with its resource
        Res r = Objects.requireNonNull(resources.get(memo.resourceId), "the memo's resource");
        poll(r);
        return r.state(memo.charged);
      }
    }, s -> s.status() != ResourceStatus.PENDING, POLL_BACKOFF);
  }

  private AccessConfiguration mint(Res r, long generation, Instant now) {
    return new AccessConfiguration(Map.of(tokenName(r.provider), Secret.of(tokenPrefix(r.provider) + randomHex(20)),
        prefix(r.provider) + "_ACCOUNT_ID", Secret.of(r.accountId)), null, now, generation);
  }

  private static String prefix(String provider) {
    return provider.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  private static String tokenName(String provider) {
    return prefix(provider) + "_API_TOKEN";
  }

  private static String tokenPrefix(String provider) {
    return (CLOUDFLARE.equals(provider) ? "cf" : provider.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", ""))
        + "_fake_";
  }

  // ---- domains

  private record Offer(String name, @Nullable Money price) {}

  /** An offer that can be bought: {@link #offerFor} hands out only these. */
  private record Available(String name, Money price) {}

  private List<Offer> offers(String query) {
    if (query.contains(".")) {
      return List.of(offer(query));
    }
    List<Offer> out = new ArrayList<>();
    for (String tld : tlds.keySet()) {
      out.add(offer(query + "." + tld));
    }
    for (String extra : extraOffers) {
      out.add(offer(extra));
    }
    return out;
  }

  private Offer offer(String domainName) {
    if (domains.containsKey(domainName)) {
      return new Offer(domainName, domains.get(domainName));
    }
    String tld = domainName.substring(domainName.lastIndexOf('.') + 1);
    return new Offer(domainName, tlds.get(tld));
  }

  private Available offerFor(String provider, String chosen, List<Offer> offered) {
    for (Offer o : offered) {
      if (o.name.equals(chosen)) {
        if (o.price == null) {
          throw new ProviderException(provider, 400, "domain_unavailable", requestId(), chosen
              + " is not available for registration; choose another name", false);
        }
        return new Available(o.name, o.price);
      }
    }
    throw new ProviderException(provider, 400, "invalid_domain_choice", requestId(), chosen
        + " is not one of the names offered: " + offered.stream().map(Offer::name).toList(), false);
  }

  private InformationRequest information(@Nullable String query) {
    List<Object> oneOf = new ArrayList<>();
    for (Offer o : offers(Objects.requireNonNull(query))) {
      Map<String, Object> option = new LinkedHashMap<>();
      option.put("const", o.name);
      if (o.price != null) {
        option.put("title", o.name + " (" + o.price + ")");
        option.put("x-price", Map.of("amount", o.price.minorUnits(), "currency", o.price.currencyCode()));
        option.put("x-available", true);
      } else {
        option.put("title", o.name + " (unavailable)");
        option.put("x-available", false);
      }
      oneOf.add(Map.copyOf(option));
    }
    Map<String, Object> schema = Map.of("type", "object", "required", List.of("domain"), "properties",
        Map.of("domain", Map.of("type", "string", "title", "Domain to register", "oneOf", List.copyOf(oneOf))));
    return InformationRequest.fromSchema(schema);
  }

  // ---- ids

  private String newId(String prefix) {
    synchronized (lock) {
      return prefix + "_" + (++nextId);
    }
  }

  private String requestId() {
    return newId("req_fake");
  }

  /** The consent request's state for the step with {@code key}: an HMAC of the key under this fake's secret. */
  private String stateFor(String key) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(stateSecret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(key.getBytes(StandardCharsets.UTF_8)), 0, 16);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static String accountKey(String provider, String email) {
    return provider + "\n" + email.trim().toLowerCase(Locale.ROOT);
  }

  // ---------------------------------------------------------------- records

  /**
   * A charge the fake made to the human's payment method on a provider's behalf.
   *
   * @param provider who charged
   * @param serviceId what for, such as {@code "workers:paid"} or {@code "registrar:domain"}
   * @param resourceId the resource charged for
   * @param amount how much
   * @param idempotencyKey the key of the call that charged
   * @param reservationId the engine's reservation behind the payment authorization
   * @param at when
   */
  public record Charge(String provider, String serviceId, String resourceId, Money amount, String idempotencyKey,
      String reservationId, Instant at) {}

  /**
   * A resource as it stands in the fake.
   *
   * @param ref the resource (with its current service)
   * @param accountId the provider account it belongs to
   * @param status its state
   * @param project the orchestrator project
   * @param environment its environment
   * @param configuration its configuration, including a chosen domain
   * @param attributes non-secret facts, such as {@code domain} once registered
   * @param credentialGeneration the generation of its credentials, 0 before they were first revealed
   */
  public record Resource(ResourceRef ref, String accountId, ResourceStatus status, String project, String environment,
      Map<String, Object> configuration, Map<String, String> attributes, long credentialGeneration) {}

  /**
   * A resource removed (a plan cancelled): recorded, never refunded.
   *
   * @param provider the provider
   * @param serviceId its service
   * @param resourceId the resource
   * @param idempotencyKey the key of the removing call
   * @param at when
   */
  public record Removal(String provider, String serviceId, String resourceId, String idempotencyKey, Instant at) {}

  /**
   * An account the orchestrator was told to forget; the account and its resources stay.
   *
   * @param provider the provider
   * @param accountId the account
   * @param idempotencyKey the key of the unlinking call
   * @param at when
   */
  public record Unlink(String provider, String accountId, String idempotencyKey, Instant at) {}

  private static final class Memo {
    final String fingerprint;
    final String resourceId;
    final @Nullable Money charged;
    final @Nullable ResourceState state;
    final @Nullable AccessConfiguration credentials;

    Memo(String fingerprint, String resourceId, @Nullable Money charged, @Nullable ResourceState state) {
      this(fingerprint, resourceId, charged, state, null);
    }

    Memo(String fingerprint, String resourceId, @Nullable Money charged, @Nullable ResourceState state,
        @Nullable AccessConfiguration credentials) {
      this.fingerprint = fingerprint;
      this.resourceId = resourceId;
      this.charged = charged;
      this.state = state;
      this.credentials = credentials;
    }
  }

  private static final class Account {
    final String provider;
    final String accountId;
    final String email;
    final boolean preexisting;
    boolean linked;
    ProviderAccount.LinkAction linkAction = ProviderAccount.LinkAction.UNKNOWN;
    @Nullable String connectionId;
    @Nullable String displayName;

    Account(String provider, String accountId, String email, boolean preexisting) {
      this.provider = provider;
      this.accountId = accountId;
      this.email = email;
      this.preexisting = preexisting;
    }

    ProviderAccount view() {
      return new ProviderAccount(provider, accountId, connectionId, displayName, email, linkAction,
          Map.of("payment_credentials", "orchestrator"));
    }
  }

  private static final class Res {
    final String provider;
    final String id;
    String serviceId;
    final String name;
    final String accountId;
    final String project;
    final String environment;
    final Map<String, Object> configuration;
    final Map<String, String> attributes = new LinkedHashMap<>();
    ResourceStatus status = ResourceStatus.PENDING;
    ResourceStatus settlesTo = ResourceStatus.COMPLETE;
    int pendingLeft;
    @Nullable String domainQuery;
    @Nullable InformationRequest information;
    @Nullable AccessConfiguration credentials;

    Res(String provider, String id, String serviceId, String name, String accountId, String project, String environment,
        Map<String, Object> configuration) {
      this.provider = provider;
      this.id = id;
      this.serviceId = serviceId;
      this.name = name;
      this.accountId = accountId;
      this.project = project;
      this.environment = environment;
      this.configuration = new LinkedHashMap<>(configuration);
    }

    ResourceRef ref() {
      return new ResourceRef(provider, id, serviceId, name);
    }

    ResourceState state(@Nullable Money charged) {
      return new ResourceState(ref(), status, status == ResourceStatus.NEEDS_INFORMATION ? information : null, null, null,
          status == ResourceStatus.NEEDS_INFORMATION ? "choose a domain to register" : null, charged, attributes);
    }

    Resource snapshot() {
      return new Resource(ref(), accountId, status, project, environment,
          java.util.Collections.unmodifiableMap(new LinkedHashMap<>(configuration)), Map.copyOf(attributes),
          credentials == null ? 0 : credentials.generation());
    }
  }

  // ---------------------------------------------------------------- builder

  /** Builds a {@link FakeOrchestrator}. Not thread-safe; the fake it builds is. */
  public static final class Builder {
    private String name = DEFAULT_NAME;
    private final Map<String, Catalog> catalogs = new LinkedHashMap<>();
    private final Map<String, String> requiresPlan = new HashMap<>(Map.of("workers", "workers:", "kv", "workers:",
        "d1", "workers:"));
    private int pendingPolls;
    private final Map<String, Integer> pendingPollsByService = new HashMap<>();
    private final Map<String, @Nullable Money> tlds = new LinkedHashMap<>();
    private final Map<String, @Nullable Money> domains = new HashMap<>();
    private final List<String> extraOffers = new ArrayList<>();
    private final List<String[]> existing = new ArrayList<>();
    private final Map<String, List<SpendLimit>> providerLimits = new HashMap<>();
    private boolean cardOnFile;
    private boolean termsCheckpoint;

    private Builder() {
      tlds.put("com", Money.usd("10.44"));
      tlds.put("dev", Money.usd("12.00"));
      tlds.put("io", null);
    }

    /** The orchestrator's name, for logs and audit; {@link #DEFAULT_NAME} by default. */
    public Builder name(String orchestratorName) {
      if (orchestratorName == null || orchestratorName.isBlank()) {
        throw new InvalidRequestException("name", "is empty", "pass a name such as \"fake-orchestrator\"");
      }
      this.name = orchestratorName;
      return this;
    }

    /**
     * Adds (or replaces) a provider's catalog. When no catalog is added, the fake holds
     * {@link #cloudflareCatalog()}; once one is added, only the added ones.
     */
    public Builder catalog(Catalog catalog) {
      Objects.requireNonNull(catalog, "catalog");
      catalogs.put(catalog.provider().name(), catalog);
      return this;
    }

    /**
     * Makes {@code deployableService} refuse to provision until the account has a completed plan
     * whose id starts with {@code planPrefix}. By default {@code workers}, {@code kv} and {@code d1}
     * need a {@code "workers:"} plan.
     */
    public Builder requiresPlan(String deployableService, String planPrefix) {
      requiresPlan.put(Objects.requireNonNull(deployableService, "deployableService"),
          Objects.requireNonNull(planPrefix, "planPrefix"));
      return this;
    }

    /** Lets {@code deployableService} be provisioned without a plan. */
    public Builder noPlanRequired(String deployableService) {
      requiresPlan.remove(deployableService);
      return this;
    }

    /** An account that already exists for {@code email} at every provider: linking it needs consent. */
    public Builder existingAccount(String email) {
      existing.add(new String[] {null, email(email)});
      return this;
    }

    /** An account that already exists for {@code email} at {@code provider}. */
    public Builder existingAccount(String provider, String email) {
      existing.add(new String[] {Objects.requireNonNull(provider, "provider"), email(email)});
      return this;
    }

    private static String email(String email) {
      if (email == null || !email.contains("@")) {
        throw new InvalidRequestException("email", "'" + email + "' is not an e-mail address", "pass such as \"ada@example.com\"");
      }
      return email.trim().toLowerCase(Locale.ROOT);
    }

    /** Whether a card is already on file; false by default, so the first paid run asks for one. */
    public Builder paymentMethodOnFile(boolean onFile) {
      this.cardOnFile = onFile;
      return this;
    }

    /** Every resource stays {@link ResourceStatus#PENDING} for {@code polls} polls before it settles; 0 by default. */
    public Builder pendingPolls(int polls) {
      this.pendingPolls = nonNegative("pendingPolls", polls);
      return this;
    }

    /** Resources of {@code serviceId} stay pending for {@code polls} polls (overrides {@link #pendingPolls(int)}). */
    public Builder pendingPolls(String serviceId, int polls) {
      pendingPollsByService.put(Objects.requireNonNull(serviceId, "serviceId"), nonNegative("pendingPolls", polls));
      return this;
    }

    private static int nonNegative(String field, int n) {
      if (n < 0) {
        throw new InvalidRequestException(field, "must be 0 or more (was " + n + ")", "pass 0 to settle at once");
      }
      return n;
    }

    /**
     * Offers {@code <query>.<tld>} at {@code price} on every domain search, after the TLDs already
     * offered. Defaults: {@code com} USD 10.44, {@code dev} USD 12.00, {@code io} unavailable.
     */
    public Builder tld(String tld, Money price) {
      tlds.put(label("tld", tld), Objects.requireNonNull(price, "price").requireNonNegative("price"));
      return this;
    }

    /** Offers {@code <query>.<tld>} on searches, as unavailable. */
    public Builder unavailableTld(String tld) {
      tlds.put(label("tld", tld), null);
      return this;
    }

    /** Offers no TLDs on searches (before adding one's own with {@link #tld}). */
    public Builder clearTlds() {
      tlds.clear();
      return this;
    }

    /** Prices one exact name, overriding its TLD's price or availability. */
    public Builder domain(String domainName, Money price) {
      domains.put(label("domain", domainName), Objects.requireNonNull(price, "price").requireNonNegative("price"));
      return this;
    }

    /**
     * Also offers {@code domainName} at {@code price} on every domain search, after the query's own
     * names: a provider suggesting a related name, such as a look-alike. The name is kept exactly
     * as given (it may be Unicode or not a valid name at all), as a provider's offer would be.
     */
    public Builder alsoOffer(String domainName, Money price) {
      Objects.requireNonNull(domainName, "domainName");
      domains.put(domainName, Objects.requireNonNull(price, "price").requireNonNegative("price"));
      extraOffers.add(domainName);
      return this;
    }

    /** Makes one exact name unavailable (already registered by someone else). */
    public Builder unavailableDomain(String domainName) {
      domains.put(label("domain", domainName), null);
      return this;
    }

    private static String label(String field, String value) {
      if (value == null || value.isBlank() || value.startsWith(".")) {
        throw new InvalidRequestException(field, "'" + value + "' is empty or starts with a dot", "pass such as \"com\" or \"my-app.com\"");
      }
      return value.trim().toLowerCase(Locale.ROOT);
    }

    /** The spend cap the fake reports for {@code provider} from {@link #providerLimits}; none by default. */
    public Builder providerLimit(String provider, SpendLimit limit) {
      providerLimits.computeIfAbsent(Objects.requireNonNull(provider, "provider"), p -> new ArrayList<>())
          .add(Objects.requireNonNull(limit, "limit"));
      return this;
    }

    /**
     * Whether creating a new account first puts a {@link CheckpointKind#TERMS_OF_SERVICE} checkpoint
     * with the catalog's terms URL; false by default, on the assumption that the engine puts the
     * terms to the human itself from {@link ProviderInfo#termsOfService()}.
     */
    public Builder termsCheckpoint(boolean ask) {
      this.termsCheckpoint = ask;
      return this;
    }

    public FakeOrchestrator build() {
      return new FakeOrchestrator(this);
    }
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return "FakeOrchestrator{" + name + ", providers=" + catalogs.keySet() + ", accounts=" + accounts.size()
          + ", resources=" + resources.size() + ", charges=" + charges.size() + "}";
    }
  }
}
