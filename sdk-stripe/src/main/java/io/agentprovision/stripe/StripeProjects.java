package io.agentprovision.stripe;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.CatalogCache;
import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.identity.Pkce;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.core.wire.Json;
import io.agentprovision.core.wire.WireRecords;
import io.agentprovision.stripe.internal.ProjectDirectory;
import io.agentprovision.stripe.internal.ProvisioningJson;
import io.agentprovision.stripe.internal.ProvisioningWire;
import io.agentprovision.stripe.internal.RecentlyUsed;
import io.agentprovision.stripe.internal.StripeCalls;
import io.agentprovision.stripe.internal.StripeErrors;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stripe as {@link Orchestrator}, over Stripe's Provisioning API v2 ({@code /v2/provisioning/...},
 * a private preview called with a preview {@code Stripe-Version}) through stripe-java's raw
 * requests on one shared {@link StripeApi} client.
 *
 * <pre>{@code
 * StripeProjects stripe = StripeProjects.builder()
 *     .api(StripeApi.builder().apiKey(Secret.of(System.getenv("STRIPE_SECRET_KEY"))).build())
 *     .build();
 * Catalog catalog = stripe.catalog("cloudflare");
 * ProviderAccount account = stripe.linkAccount(linkRequest, ctx);   // may ask the human to consent
 * ResourceState plan = stripe.provision(planRequest, ctx);          // polls while pending
 * AccessConfiguration creds = stripe.revealCredentials(plan.ref(), ctx);
 * }</pre>
 *
 * <p>What it does with the SDK's contract:
 * <ul>
 *   <li><b>Idempotency.</b> Every POST carries a key derived from {@link StepContext#idempotencyKey()}
 *       (project creation: from the project's catalog and name), so stripe-java's retries and a
 *       resumed run repeat nothing. When Stripe replays an answer ({@code Idempotent-Replayed}),
 *       the object is read again before it is trusted.</li>
 *   <li><b>Humans.</b> Consent to link an existing provider account ({@code pending_auth}) is an
 *       {@link CheckpointKind#ACCOUNT_CONSENT} checkpoint sending the human to Stripe's
 *       {@code redirect_url}; a checkout page for a payment method is a
 *       {@link CheckpointKind#PAYMENT_METHOD} checkpoint; raising a Stripe limit is a
 *       {@link CheckpointKind#RAISE_LIMIT} checkpoint; information a provider asks for while linking
 *       that the request does not hold is an {@link CheckpointKind#ACTION_REQUIRED} checkpoint.</li>
 *   <li><b>PKCE.</b> Connection requests carry {@code code_challenge} (S256). When the consent
 *       checkpoint's decision carries the OAuth callback's {@code code}, it is returned to Stripe
 *       with the matching {@code code_verifier} through {@code submit_information} (M: Stripe's
 *       generated SDKs say the callback must supply the verifier, not through which call).</li>
 *   <li><b>Money.</b> Stripe pays the provider itself with its own Shared Payment Token, capped by
 *       the payment profile's limits; the Provisioning API takes no per-call amount. So a paid call
 *       is refused with a {@link PolicyViolationException} before anything is sent when the
 *       profile's limit for the provider is below the authorization's {@code maxAmount} (or in
 *       another currency), and nothing else is sent that could raise what Stripe may charge. Keep
 *       Stripe's cap at or below the SDK's with {@link #mirrorSpendPolicy}.</li>
 *   <li><b>Waiting.</b> Pending resources and connection requests are polled with
 *       {@link Polling#until} in the step's time until its deadline.</li>
 *   <li><b>Errors.</b> Every failure is a {@link ProviderException} from {@code "stripe"} with status,
 *       code and request id; stripe-java's own retries are reported as retry events.</li>
 * </ul>
 *
 * <p>Thread-safe. Catalog providers and projects are cached for the life of the instance, each
 * provider's catalog for {@link Builder#catalogTtl} (dropped when Stripe refuses a call that relied
 * on it), and the payment profile for the run that read it: the payment-method step and every paid
 * call of one run share one read.
 */
public final class StripeProjects implements Orchestrator {
  /** The orchestrator's name in events and audit entries. */
  public static final String NAME = "stripe-projects";
  /** The catalog partition used unless configured: Stripe's production catalog. */
  public static final String DEFAULT_CATALOG = "prod";
  /** How pending objects are polled unless configured. */
  public static final Polling.Backoff DEFAULT_POLL_BACKOFF = Polling.Backoff.DEFAULT;
  /** Stripe's cap for a provider when the payment profile names none: USD 100.00 a month (C). */
  public static final Money STRIPE_DEFAULT_PROVIDER_CAP = Money.usd("100.00");

  static final String PROVIDERS = "/v2/provisioning/catalog/providers";
  static final String SERVICES = "/v2/provisioning/catalog/services";
  static final String ELIGIBILITY = "/v2/provisioning/eligibility";
  static final String CONNECTION_REQUESTS = "/v2/provisioning/provider_connection_requests";
  static final String CONNECTIONS = "/v2/provisioning/provider_connections";
  static final String RESOURCES = "/v2/provisioning/resources";
  static final String PAYMENT_PROFILE = "/v2/provisioning/payment_profile";
  static final String PAYMENT_METHOD_REQUESTS = "/v2/provisioning/payment_method_requests";
  private static final int PAGE_SIZE = 100;
  private static final int MAX_LINK_ROUNDS = 8;
  private static final RetryObserver QUIET = (attempt, delay, reason) -> { };
  /** How many runs' payment profiles are remembered at once (a run reads it within minutes). */
  private static final int MAX_RUN_PROFILES = 1024;
  /** A run reads the payment profile again after this long (a person may change it meanwhile). */
  static final Duration PROFILE_REUSE = Duration.ofMinutes(5);
  private static final Logger LOG = LoggerFactory.getLogger(StripeProjects.class);

  private final StripeApi api;
  private final StripeCalls calls;
  private final String catalogPartition;
  private final Polling.Backoff backoff;
  private final ProjectDirectory projects;
  private final Map<String, ProvisioningJson.ProviderJson> providers = new ConcurrentHashMap<>();
  private final CatalogCache<CatalogIndex> catalogs;
  private final Clock clock;
  /** The payment profile as each recent run last read it: one read per run, not one per paid call. */
  private final RecentlyUsed<RunId, ProfileRead> runProfiles = new RecentlyUsed<>(MAX_RUN_PROFILES);

  private record ProfileRead(PaymentProfile profile, Instant readAt) {}

  private StripeProjects(Builder b) {
    this.api = Objects.requireNonNull(b.api, "api");
    this.calls = new StripeCalls(api.client());
    this.catalogPartition = b.catalog;
    this.backoff = b.backoff;
    this.projects = api.projectDirectory(b.clock);
    this.clock = b.clock;
    this.catalogs = CatalogCache.of(b.catalogTtl, b.clock);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The shared client this orchestrator calls Stripe with. */
  public StripeApi api() {
    return api;
  }

  /** The catalog partition: {@code prod}, {@code dev} or {@code testing}. */
  public String catalogPartition() {
    return catalogPartition;
  }

  // ---------------------------------------------------------------- catalog

  /**
   * The provider's catalog from Stripe, read at most once per catalog TTL
   * ({@link Builder#catalogTtl}) and again after Stripe refused a call that relied on it.
   */
  @Override
  public Catalog catalog(String provider) {
    requireText(provider, "provider", "name the provider, such as \"cloudflare\"");
    return catalogs.get(provider, p -> loadCatalog(p, QUIET)).catalog();
  }

  private CatalogIndex loadCatalog(String provider, RetryObserver observer) {
    requireText(provider, "provider", "name the provider, such as \"cloudflare\"");
    ProvisioningJson.ProviderJson p = providerRecord(provider, observer);
    Map<String, Object> query = new LinkedHashMap<>();
    query.put("provider_name", p.name());
    query.put("catalog", catalogPartition);
    query.put("limit", PAGE_SIZE);
    List<ProvisioningJson.ServiceJson> rows = calls.list("list Stripe catalog services of " + provider, SERVICES,
        query, api.provisioningVersion(), observer, ProvisioningJson.ServiceJson.class);
    Map<String, String> refToId = new LinkedHashMap<>();
    Map<String, String> idToRef = new LinkedHashMap<>();
    List<ProvisioningJson.ServiceJson> mine = new ArrayList<>();
    for (ProvisioningJson.ServiceJson s : rows) {
      String owner = s.provider();
      String ownerName = s.providerName();
      boolean ours = (owner != null && owner.equals(p.id()))
          || (ownerName != null && ownerName.equalsIgnoreCase(p.name()))
          || (owner == null && ownerName == null);
      if (!ours) {
        continue;
      }
      mine.add(s);
      refToId.put(s.serviceId(), s.serviceId());
      refToId.put(s.id(), s.serviceId());
      idToRef.put(s.serviceId(), s.id());
    }
    List<ServiceOffering> services = new ArrayList<>();
    for (ProvisioningJson.ServiceJson s : mine) {
      services.add(ProvisioningWire.service(s, provider, r -> refToId.getOrDefault(r, r)));
    }
    ProviderInfo base = ProvisioningWire.provider(p);
    ProviderInfo info = new ProviderInfo(provider, base.id(), base.displayName(), base.description(),
        base.termsOfService(), base.privacyPolicy(), base.website());
    return new CatalogIndex(new Catalog(info, services), refToId, idToRef);
  }

  private CatalogIndex index(String provider, RetryObserver observer) {
    return catalogs.get(provider, p -> loadCatalog(p, observer));
  }

  /** Drops the provider's catalog after Stripe refused a call: a service or price it listed may be gone. */
  private void staleCatalog(String provider, RuntimeException e) {
    if (!(e instanceof AgentProvisionException a && a.retryable())) {
      catalogs.invalidate(provider);
    }
  }

  /** The catalog provider record for {@code provider} (its Stripe name or {@code prvdr_} id, any case). */
  private ProvisioningJson.ProviderJson providerRecord(String provider, RetryObserver observer) {
    ProvisioningJson.ProviderJson p = providers.get(provider.toLowerCase(Locale.ROOT));
    if (p != null) {
      return p;
    }
    Map<String, Object> query = new LinkedHashMap<>();
    query.put("catalog", catalogPartition);
    query.put("limit", PAGE_SIZE);
    List<ProvisioningJson.ProviderJson> all = calls.list("list Stripe catalog providers", PROVIDERS, query,
        api.provisioningVersion(), observer, ProvisioningJson.ProviderJson.class);
    List<String> names = new ArrayList<>();
    for (ProvisioningJson.ProviderJson row : all) {
      providers.put(row.name().toLowerCase(Locale.ROOT), row);
      providers.put(row.id().toLowerCase(Locale.ROOT), row);
      names.add(row.name());
    }
    p = providers.get(provider.toLowerCase(Locale.ROOT));
    if (p == null) {
      throw new InvalidRequestException("provider", "'" + provider + "' is not in Stripe's " + catalogPartition
          + " catalog", names.isEmpty() ? "check the account's access to the Provisioning preview"
          : "use one of " + names);
    }
    return p;
  }

  private String providerRef(String provider, RetryObserver observer) {
    return providerRecord(provider, observer).id();
  }

  /** The catalog name for a provider reference Stripe returned ({@code prvdr_…} or a name). */
  private String providerName(String ref) {
    ProvisioningJson.ProviderJson p = providers.get(ref.toLowerCase(Locale.ROOT));
    return p == null ? ref : p.name().toLowerCase(Locale.ROOT);
  }

  /** Whether Stripe lets this account provision now, and what it still needs. Read-only. */
  public Eligibility eligibility() {
    return eligibility(QUIET);
  }

  private Eligibility eligibility(RetryObserver observer) {
    ProvisioningJson.EligibilityJson e = calls.get("read Stripe provisioning eligibility", ELIGIBILITY, Map.of(),
        api.provisioningVersion(), observer, ProvisioningJson.EligibilityJson.class).body();
    return new Eligibility(e.eligible(), ProvisioningWire.requirements(e));
  }

  // ---------------------------------------------------------------- projects

  /**
   * The id of the project named {@code name} in this orchestrator's catalog partition, created when
   * there is none. Creation is audited.
   */
  public String projectId(String name, StepContext ctx) {
    requireText(name, "project", "name the project, such as \"my-app\"");
    ProjectDirectory.Found found = projects.ensure(name, catalogPartition, ctx::retrying);
    if (found.created()) {
      ctx.audit("stripe.project.create", "created", Map.of("project", found.id(), "name", name));
    }
    return found.id();
  }

  /**
   * Finds or creates the run's project (free, idempotent) while the account and the payment method
   * are made ready, so that the first resource the run provisions does not wait for it.
   */
  @Override
  public void prepare(String provider, String project, StepContext ctx) {
    projectId(project, ctx);
  }

  // ---------------------------------------------------------------- account linking

  @Override
  public ProviderAccount linkAccount(AccountLinkRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    if (!request.scopes().isEmpty()) {
      throw new InvalidRequestException("scopes", "Stripe's provider connection requests take no scopes",
          "leave scopes empty; Stripe asks the provider for its default scopes");
    }
    String provider = request.provider();
    String providerRef = providerRef(provider, ctx::retrying);
    // whether Stripe lets the account provision matters only without a connection; asked at the same
    // time, it costs no wait when it does
    StepContext.Forked<Eligibility> eligible = ctx.fork(() -> eligibility(ctx::retrying));
    ProvisioningJson.ConnectionJson existing = activeConnection(providerRef, ctx::retrying);
    if (existing != null) {
      return ProvisioningWire.account(provider, existing);
    }
    Eligibility eligibility = eligible.join();
    if (!eligibility.eligible()) {
      throw new AgentProvisionException("Stripe does not let this account provision yet; outstanding requirements: "
          + eligibility.requirements() + " (complete them in the Stripe dashboard, then run again)");
    }
    String key = ctx.idempotencyKey("stripe.connection_request");
    Secret verifier = Pkce.derivedVerifier(api.apiKey(), key);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("provider", providerRef);
    body.put("configuration", new LinkedHashMap<>(request.configuration()));
    body.put("code_challenge", Pkce.challenge(verifier));
    body.put("code_challenge_method", Pkce.METHOD);
    StripeCalls.Answer<ProvisioningJson.ConnectionRequestJson> created = calls.post("request a Stripe connection to "
        + provider, CONNECTION_REQUESTS, body, key, api.provisioningVersion(), ctx::retrying,
        ProvisioningJson.ConnectionRequestJson.class);
    String id = created.body().id();
    ctx.audit("stripe.connection_request.create", "requested", Map.of("provider", provider, "connection_request", id));
    StripeCalls.Answer<ProvisioningJson.ConnectionRequestJson> req = created.replayed() ? connectionRequest(id, ctx)
        : created;
    boolean consentAsked = false;
    int informationRounds = 0;
    for (int round = 0; round < MAX_LINK_ROUNDS; round++) {
      String status = requestStatus(req.body());
      switch (status) {
        case "complete": {
          ProvisioningJson.ConnectionJson connection = req.body().providerConnection();
          if (connection == null) {
            connection = activeConnection(providerRef, ctx::retrying);
          }
          if (connection == null) {
            throw req.malformed("$.provider_connection", "is missing, and Stripe lists no active connection");
          }
          ProviderAccount account = ProvisioningWire.account(provider, connection);
          ctx.audit("stripe.connection.linked", "linked", Map.of("provider", provider, "connection",
              String.valueOf(account.connectionId()), "link_action", account.linkAction().name()));
          return account;
        }
        case "error": {
          ProvisioningJson.ErrorJson error = req.body().error();
          String code = error == null ? null : error.code();
          String message = error == null ? null : error.message();
          ctx.audit("stripe.connection.linked", "failed", Map.of("provider", provider, "connection_request", id,
              "code", code == null ? "unknown" : code));
          throw new ProviderException(StripeErrors.PROVIDER, 0, code == null ? "connection_request_error" : code, null,
              "linking a " + provider + " account failed: "
                  + (message == null ? "no reason given" : Secret.scrub(message)), false);
        }
        case "needs_information": {
          informationRounds++;
          Map<String, Object> answers = answer(WireRecords.object(req.body().needsInformationSchema()), request, ctx);
          StripeCalls.Answer<ProvisioningJson.ConnectionRequestJson> a = calls.post(
              "answer Stripe's questions for linking " + provider,
              CONNECTION_REQUESTS + "/" + id + "/submit_information", Map.of("information", answers),
              ctx.idempotencyKey("stripe.connection_request.information." + informationRounds),
              api.provisioningVersion(), ctx::retrying, ProvisioningJson.ConnectionRequestJson.class);
          ctx.audit("stripe.connection_request.information", "submitted", Map.of("provider", provider,
              "connection_request", id, "fields", String.join(",", answers.keySet())));
          req = a.replayed() ? connectionRequest(id, ctx) : a;
          continue;
        }
        case "pending_auth": {
          if (!consentAsked) {
            consentAsked = true;
            URI url = req.read(r -> ProvisioningWire.url(r.redirectUrl(), "$.redirect_url"));
            ApprovalDecision decision = ctx.checkpoint(new CheckpointRequest(CheckpointKind.ACCOUNT_CONSENT,
                "Link your existing " + provider + " account",
                "An account for " + email(ctx) + " already exists at " + provider + "; linking it needs your consent"
                    + " on " + provider + "'s page", null, url,
                Map.of("provider", provider, "connection_request", id), null));
            String code = decision.response().get("code");
            if (code != null && !code.isBlank()) {
              Map<String, Object> callback = new LinkedHashMap<>();
              callback.put("code", code);
              String state = decision.response().get("state");
              if (state != null) {
                callback.put("state", state);
              }
              callback.put("code_verifier", verifier.reveal());
              StripeCalls.Answer<ProvisioningJson.ConnectionRequestJson> a = calls.post("return the " + provider
                  + " consent to Stripe", CONNECTION_REQUESTS + "/" + id + "/submit_information",
                  Map.of("information", callback), ctx.idempotencyKey("stripe.connection_request.callback"),
                  api.provisioningVersion(), ctx::retrying, ProvisioningJson.ConnectionRequestJson.class);
              ctx.audit("stripe.connection_request.consent", "returned", Map.of("provider", provider,
                  "connection_request", id));
              req = a.replayed() ? connectionRequest(id, ctx) : a;
              continue;
            }
          }
          req = waitWhilePending(id, ctx);
          continue;
        }
        case "requested":
          req = waitWhilePending(id, ctx);
          continue;
        default:
          throw new ProviderException(StripeErrors.PROVIDER, 0, "unexpected_status", null, "linking a " + provider
              + " account stopped in a state this SDK does not know: '" + status + "' (connection request " + id
              + ")", false);
      }
    }
    throw new AgentProvisionException("linking a " + provider + " account did not settle after " + MAX_LINK_ROUNDS
        + " rounds with Stripe (connection request " + id + "); resume the run to continue", null, true);
  }

  private StripeCalls.Answer<ProvisioningJson.ConnectionRequestJson> waitWhilePending(String id, StepContext ctx) {
    return Polling.until(ctx, "Stripe connection request " + id, () -> connectionRequest(id, ctx),
        r -> !List.of("pending_auth", "requested").contains(requestStatus(r.body())), backoff);
  }

  private StripeCalls.Answer<ProvisioningJson.ConnectionRequestJson> connectionRequest(String id, StepContext ctx) {
    return calls.get("read Stripe connection request " + id, CONNECTION_REQUESTS + "/" + id, Map.of(),
        api.provisioningVersion(), ctx::retrying, ProvisioningJson.ConnectionRequestJson.class);
  }

  /** {@code request_status}, which Stripe unsets once the workflow completes. */
  private static String requestStatus(ProvisioningJson.ConnectionRequestJson req) {
    String s = req.requestStatus();
    if (s == null || s.isBlank()) {
      return req.providerConnection() != null ? "complete" : "requested";
    }
    return s.toLowerCase(Locale.ROOT);
  }

  private ProvisioningJson.@Nullable ConnectionJson activeConnection(String providerRef, RetryObserver observer) {
    for (ProvisioningJson.ConnectionJson c : calls.list("list Stripe provider connections", CONNECTIONS,
        Map.of("limit", PAGE_SIZE), api.provisioningVersion(), observer, ProvisioningJson.ConnectionJson.class)) {
      String p = c.provider();
      if (p != null && (p.equalsIgnoreCase(providerRef) || providerName(p).equalsIgnoreCase(providerName(providerRef)))
          && "active".equals(c.status())) {
        return c;
      }
    }
    return null;
  }

  /**
   * Answers a linking {@code needs_information_schema} from the request's configuration and the
   * principal's attested e-mail and name; asks the human for the rest.
   */
  private static Map<String, Object> answer(Map<String, Object> schema, AccountLinkRequest request, StepContext ctx) {
    Map<String, Object> out = new LinkedHashMap<>();
    // a JSON Schema is free-form: its members are read as parsed JSON
    List<String> fields = new ArrayList<>(Json.object(schema, "properties").keySet());
    List<String> required = new ArrayList<>();
    for (Object r : Json.list(schema, "required")) {
      if (r instanceof String name) {
        required.add(name);
      }
    }
    for (String r : required) {
      if (!fields.contains(r)) {
        fields.add(r);
      }
    }
    Principal principal = request.principal();
    for (String f : fields) {
      Object v = request.configuration().get(f);
      if (v == null && f.equals("email") && principal.emailVerified()) {
        v = principal.email();
      }
      if (v == null && f.equals("name")) {
        v = principal.name();
      }
      if (v != null) {
        out.put(f, v);
      }
    }
    List<String> missing = new ArrayList<>();
    for (String r : required) {
      if (!out.containsKey(r)) {
        missing.add(r);
      }
    }
    if (!missing.isEmpty()) {
      ApprovalDecision d = ctx.checkpoint(new CheckpointRequest(CheckpointKind.ACTION_REQUIRED,
          "Answer " + request.provider() + "'s questions to link your account",
          request.provider() + " needs " + missing + " before it can create or link the account", null, null,
          Map.of("provider", request.provider(), "fields", String.join(",", missing)), null));
      for (String m : missing) {
        String v = d.response().get(m);
        if (v == null || v.isBlank()) {
          throw new InvalidRequestException(m, "is required by " + request.provider() + " to link the account and"
              + " was not given", "answer it at the checkpoint or put it in the account link configuration");
        }
        out.put(m, v);
      }
    }
    return out;
  }

  private static String email(StepContext ctx) {
    Principal p = ctx.principal();
    return p == null || p.email() == null ? "you" : p.email();
  }

  @Override
  public boolean supportsAccountUnlink() {
    return true;
  }

  /**
   * Unlinks the account's provider connection at Stripe ({@code POST
   * /v2/provisioning/provider_connections/{id}/unlink}); the account and its resources stay at the
   * provider.
   *
   * @throws InvalidRequestException when the account carries no connection id
   */
  @Override
  public void unlinkAccount(ProviderAccount account, StepContext ctx) {
    Objects.requireNonNull(account, "account");
    String connection = account.connectionId();
    if (connection == null || connection.isBlank()) {
      throw new InvalidRequestException("account", account.provider() + " account " + account.accountId()
          + " has no Stripe provider connection id", "unlink it from the Stripe dashboard");
    }
    unlinkConnection(connection, ctx);
  }

  /** Forgets a provider connection at Stripe; resources created through it can no longer be changed. */
  public void unlinkConnection(String connectionId, StepContext ctx) {
    requireText(connectionId, "connectionId", "pass the ProviderAccount's connectionId");
    calls.postWithoutAnswer("unlink Stripe provider connection " + connectionId,
        CONNECTIONS + "/" + connectionId + "/unlink", Map.of(), ctx.idempotencyKey("stripe.connection.unlink"),
        api.provisioningVersion(), ctx::retrying);
    ctx.audit("stripe.connection.unlink", "unlinked", Map.of("connection", connectionId));
  }

  // ---------------------------------------------------------------- payment

  /** Stripe's payment profile: the card on file and the limits Stripe enforces. Read-only. */
  public PaymentProfile paymentProfile() {
    return paymentProfile(QUIET);
  }

  /**
   * The payment profile as the step's run read it: read once per run (again after
   * {@link #PROFILE_REUSE}, or after this orchestrator changed it), not once per paid call.
   */
  private PaymentProfile runProfile(StepContext ctx) {
    RunId run = ctx.runId();
    Instant now = clock.instant();
    ProfileRead r = runProfiles.get(run);
    if (r != null && now.isBefore(r.readAt().plus(PROFILE_REUSE))) {
      return r.profile();
    }
    PaymentProfile p = paymentProfile(ctx::retrying);
    runProfiles.put(run, new ProfileRead(p, now));
    return p;
  }

  private PaymentProfile paymentProfile(RetryObserver observer) {
    ProvisioningJson.PaymentProfileJson p = calls.get("read the Stripe payment profile", PAYMENT_PROFILE, Map.of(),
        api.provisioningVersion(), observer, ProvisioningJson.PaymentProfileJson.class).body();
    return profile(p, observer);
  }

  /** The profile Stripe answered with, its {@code prvdr_…} references named by the catalog. */
  private PaymentProfile profile(ProvisioningJson.PaymentProfileJson p, RetryObserver observer) {
    Map<String, SpendLimit> perProvider = new LinkedHashMap<>();
    for (ProvisioningJson.ProviderLimitJson row : WireRecords.list(p.providers())) {
      if (row == null) {
        continue;
      }
      String ref = row.provider();
      if (!providers.containsKey(ref.toLowerCase(Locale.ROOT)) && ref.startsWith("prvdr_")) {
        try {
          providerRecord(ref, observer);
        } catch (InvalidRequestException e) {
          LOG.debug("payment profile names provider {} that the catalog does not list", ref);
        }
      }
      String name = providerName(ref);
      SpendLimit limit = ProvisioningWire.limit(row.usageLimits(), name);
      if (limit != null) {
        perProvider.put(name.toLowerCase(Locale.ROOT), limit);
      }
    }
    String last4 = p.cardLast4();
    return new PaymentProfile(last4 == null || last4.isBlank() ? null : last4,
        ProvisioningWire.limit(p.usageLimits(), null), perProvider);
  }

  @Override
  public PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx) {
    requireText(provider, "provider", "name the provider, such as \"cloudflare\"");
    Objects.requireNonNull(usageCap, "usageCap");
    if (!usageCap.isPositive()) {
      throw new InvalidRequestException("usageCap", "must be more than zero (was " + usageCap + ")",
          "pass the monthly cap to ask for, such as Money.usd(\"100.00\")");
    }
    PaymentProfile profile = runProfile(ctx);
    if (profile.hasPaymentMethod()) {
      return new PaymentMethodStatus(true, profile.display());
    }
    runProfiles.remove(ctx.runId()); // the person is about to change it
    Map<String, Object> body = Map.of("usage_limits",
        ProvisioningWire.usageLimits(usageCap, SpendInterval.MONTHLY, "usageCap"));
    StripeCalls.Answer<ProvisioningJson.PaymentMethodRequestJson> a = calls.post("ask Stripe for a payment method",
        PAYMENT_METHOD_REQUESTS, body, ctx.idempotencyKey("stripe.payment_method_request"), api.provisioningVersion(),
        ctx::retrying, ProvisioningJson.PaymentMethodRequestJson.class);
    ctx.audit("stripe.payment_method_request.create", "requested", Map.of("provider", provider,
        "usage_cap", usageCap.toString()));
    if (!"complete".equals(a.body().status())) {
      URI url = a.read(r -> ProvisioningWire.url(r.checkoutSessionUrl(), "$.checkout_session_url"));
      ctx.checkpoint(new CheckpointRequest(CheckpointKind.PAYMENT_METHOD, "Add a payment method at Stripe",
          "Paid " + provider + " services are charged to a card you add on Stripe's checkout page; Stripe will cap "
              + "charges at " + usageCap + " a month",
          null, url, Map.of("provider", provider, "usage_cap", usageCap.toString()), null));
    }
    PaymentProfile ready = Polling.until(ctx, "Stripe payment method", () -> paymentProfile(ctx::retrying),
        PaymentProfile::hasPaymentMethod, backoff);
    runProfiles.put(ctx.runId(), new ProfileRead(ready, clock.instant()));
    ctx.audit("stripe.payment_method", "ready", Map.of("provider", provider, "card", String.valueOf(ready.display())));
    return new PaymentMethodStatus(true, ready.display());
  }

  /**
   * Refuses a paid call that Stripe's payment profile would not let through: no card, or a limit
   * for the provider below {@code payment.maxAmount()} or in another currency.
   */
  private void requirePaymentAllowed(String provider, PaymentAuthorization payment, StepContext ctx) {
    if (!payment.expiresAt().isAfter(ctx.clock().instant())) {
      throw new InvalidRequestException("payment", "the authorization " + payment.reservationId() + " lapsed at "
          + payment.expiresAt(), "authorize the spend again");
    }
    PaymentProfile profile = runProfile(ctx);
    if (!profile.hasPaymentMethod()) {
      throw new AgentProvisionException("Stripe has no payment method on file to pay " + provider
          + "; call ensurePaymentMethod first so the human can add one");
    }
    Optional<SpendLimit> limit = profile.limitFor(provider);
    Money cap = limit.map(SpendLimit::amount).orElse(STRIPE_DEFAULT_PROVIDER_CAP);
    String key = "stripe:payment_profile/" + (limit.isPresent() && limit.get().provider() == null ? "all"
        : "provider=" + provider) + "/" + limit.map(l -> l.interval().name().toLowerCase(Locale.ROOT)).orElse("monthly");
    Money asked = payment.maxAmount();
    if (!cap.sameCurrency(asked)) {
      throw new PolicyViolationException(key, asked, Money.zero(cap.currency()), cap,
          "Stripe's limit for " + provider + " is in " + cap.currencyCode() + " and cannot cap a charge in "
              + asked.currencyCode());
    }
    if (cap.lessThan(asked)) {
      throw new PolicyViolationException(key, asked, Money.zero(cap.currency()), cap,
          "Stripe's payment-profile limit for " + provider + " is " + cap + ", below the authorized " + asked
              + "; raise it with updateProviderLimit (a human checkpoint)");
    }
  }

  @Override
  public List<SpendLimit> providerLimits(String provider) {
    requireText(provider, "provider", "name the provider, such as \"cloudflare\"");
    return limits(provider, paymentProfile(QUIET));
  }

  /** {@link #providerLimits(String)} from the payment profile the step's run already read. */
  @Override
  public List<SpendLimit> providerLimits(String provider, StepContext ctx) {
    requireText(provider, "provider", "name the provider, such as \"cloudflare\"");
    return limits(provider, runProfile(ctx));
  }

  /** The provider's own limit (Stripe's default when the profile names none) and the overall one. */
  private static List<SpendLimit> limits(String provider, PaymentProfile profile) {
    List<SpendLimit> out = new ArrayList<>();
    out.add(profile.providerLimit(provider)
        .orElseGet(() -> SpendLimit.monthly(STRIPE_DEFAULT_PROVIDER_CAP).forProvider(provider)));
    if (profile.overallLimit() != null) {
      out.add(profile.overallLimit());
    }
    return out;
  }

  /**
   * Sets Stripe's limit for {@code provider} (the payment method's overall limit when null).
   * Raising it, or replacing it with one not clearly tighter (another currency or interval), first
   * asks the human at a {@link CheckpointKind#RAISE_LIMIT} checkpoint; lowering it does not.
   */
  @Override
  public Optional<SpendLimit> updateProviderLimit(@Nullable String provider, SpendLimit limit, StepContext ctx) {
    Objects.requireNonNull(limit, "limit");
    Map<String, Object> usage = ProvisioningWire.usageLimits(limit.amount(), limit.interval(), "limit");
    PaymentProfile profile = runProfile(ctx);
    SpendLimit current = provider == null ? profile.overallLimit() : profile.providerLimit(provider).orElse(null);
    if (current == null && provider != null) {
      current = SpendLimit.monthly(STRIPE_DEFAULT_PROVIDER_CAP).forProvider(provider);
    }
    String scope = provider == null ? "all providers" : provider;
    boolean tighter = current != null && current.amount().sameCurrency(limit.amount())
        && current.interval() == limit.interval() && !limit.amount().greaterThan(current.amount());
    if (!tighter) {
      ctx.checkpoint(new CheckpointRequest(CheckpointKind.RAISE_LIMIT,
          "Raise Stripe's spend limit for " + scope + " to " + limit.amount() + " " + interval(limit.interval()),
          "Stripe stops charges for " + scope + " above its limit"
              + (current == null ? "" : " (now " + current.amount() + " " + interval(current.interval()) + ")"),
          limit.amount(), null, Map.of("provider", scope, "from", current == null ? "none" : current.toString(),
              "to", limit.amount() + " " + interval(limit.interval())), null));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    if (provider != null) {
      body.put("provider", providerRef(provider, ctx::retrying));
    }
    body.put("usage_limits", usage);
    String key = "stripe.limit." + (provider == null ? "all" : provider) + "." + limit.amount().minorUnits()
        + limit.amount().currencyCode().toLowerCase(Locale.ROOT) + "."
        + ProvisioningWire.wireInterval(limit.interval(), "limit");
    runProfiles.remove(ctx.runId()); // changed below: the run reads it again
    ProvisioningJson.PaymentProfileJson updated = calls.post("update Stripe's limit for " + scope,
        PAYMENT_PROFILE + "/update_limit", body, ctx.idempotencyKey(key), api.provisioningVersion(), ctx::retrying,
        ProvisioningJson.PaymentProfileJson.class).body();
    ctx.audit("stripe.limit.update", "updated", Map.of("provider", scope, "from",
        current == null ? "none" : current.toString(), "to", limit.amount() + " " + interval(limit.interval())));
    SpendLimit now = null;
    if (provider == null) {
      now = ProvisioningWire.limit(updated.usageLimits(), null);
    } else {
      for (ProvisioningJson.ProviderLimitJson row : WireRecords.list(updated.providers())) {
        if (row != null && providerName(row.provider()).equalsIgnoreCase(provider)) {
          now = ProvisioningWire.limit(row.usageLimits(), provider);
        }
      }
    }
    if (now == null) {
      SpendLimit asSet = SpendLimit.of(limit.amount(), limit.interval());
      now = provider == null ? asSet : asSet.forProvider(provider);
    }
    return Optional.of(now);
  }

  /**
   * Mirrors the SDK's monthly cap for {@code provider} to Stripe when it is tighter than Stripe's,
   * so the cap holds on both sides, by the rule {@link SpendPolicy#capToMirror} owns (the engine
   * applies the same one): the policy's tightest monthly cap for the provider becomes Stripe's
   * per-provider limit when it is below Stripe's in the same currency (Stripe's default, USD 100.00
   * a month, when the profile names none). Returns the limit set, or empty when Stripe's already
   * holds. Lowering needs no human; a cap in another currency or interval is left to a human
   * through {@link #updateProviderLimit}.
   */
  public Optional<SpendLimit> mirrorSpendPolicy(SpendPolicy policy, String provider, StepContext ctx) {
    Objects.requireNonNull(policy, "policy");
    requireText(provider, "provider", "name the provider, such as \"cloudflare\"");
    return policy.capToMirror(provider, limits(provider, runProfile(ctx)))
        .flatMap(change -> updateProviderLimit(provider, change.to(), ctx));
  }

  // ---------------------------------------------------------------- resources

  @Override
  public ResourceState provision(ResourceRequest request, StepContext ctx) {
    Objects.requireNonNull(request, "request");
    requireText(request.serviceId(), "serviceId", "pass a catalog service id such as \"workers:paid\"");
    requireText(request.name(), "name", "pass a deterministic resource name");
    requireText(request.project(), "project", "name the project");
    String environment = environment(request.environment());
    CatalogIndex idx = notSentYet(() -> index(request.provider(), ctx::retrying));
    ServiceOffering service = idx.catalog().service(request.serviceId()).orElse(null);
    if (service == null) {
      catalogs.invalidate(request.provider()); // the next read may list it
      throw new InvalidRequestException("serviceId", "'" + request.serviceId() + "' is not in " + request.provider()
          + "'s catalog", "use one of " + serviceIds(idx));
    }
    PaymentAuthorization payment = request.payment();
    if (payment == null && service.pricing().requiresPayment()) {
      throw new InvalidRequestException("payment", request.serviceId() + " is " + service.pricing().describe()
          + ", and no payment authorization was given", "authorize the spend with ctx.authorizeSpend(...) and pass it");
    }
    if (payment != null) {
      requirePaymentAllowed(request.provider(), payment, ctx);
    }
    try {
      return create(request, idx, environment, payment, ctx);
    } catch (RuntimeException e) {
      staleCatalog(request.provider(), e);
      throw e;
    }
  }

  private ResourceState create(ResourceRequest request, CatalogIndex idx, String environment,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    String projectId = notSentYet(() -> projectId(request.project(), ctx));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("provider", notSentYet(() -> providerRef(request.provider(), ctx::retrying)));
    body.put("service_ref", idx.ref(request.serviceId()));
    body.put("configuration", new LinkedHashMap<>(request.configuration()));
    body.put("project", projectId);
    body.put("name", request.name());
    body.put("environment", environment);
    StripeCalls.Answer<ProvisioningJson.ResourceJson> a;
    try {
      a = calls.post("provision " + request.serviceId() + " at " + request.provider(), RESOURCES, body,
          ctx.idempotencyKey("stripe.resource.create"), api.provisioningVersion(), ctx::retrying,
          ProvisioningJson.ResourceJson.class);
    } catch (ProviderException e) {
      if (e.status() == 404) {
        // something the request names is missing; the project is the one thing kept across runs, so the
        // next lookup reads the account's list again (and recreates it if it is gone) rather than trusting memory
        projects.forget(request.project(), catalogPartition, projectId);
      }
      throw e;
    }
    ResourceRef ref = new ResourceRef(request.provider(), a.body().id(), request.serviceId(), request.name());
    ctx.audit("stripe.resource.create", "requested", auditDetails(ref, payment, Map.of("project", projectId)));
    return afterSent(() -> settle(ref, a, ctx));
  }

  @Override
  public ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(information, "information");
    if (information.isEmpty()) {
      throw new InvalidRequestException("information", "is empty", "answer the fields of the resource's InformationRequest");
    }
    if (payment != null) {
      requirePaymentAllowed(resource.provider(), payment, ctx);
    }
    StripeCalls.Answer<ProvisioningJson.ResourceJson> a = calls.post("answer " + resource.provider()
        + "'s questions for " + resource.id(), RESOURCES + "/" + resource.id() + "/submit_information",
        Map.of("submitted_information", new LinkedHashMap<>(information)),
        // one key per answer: a provider may ask again, and each round's answer is a request of its own
        ctx.idempotencyKey("stripe.resource.submit_information." + io.agentprovision.core.wire.Digests.sha256Hex(
            io.agentprovision.core.wire.Json.canonical(information)).substring(0, 16)),
        api.provisioningVersion(), ctx::retrying, ProvisioningJson.ResourceJson.class);
    ctx.audit("stripe.resource.submit_information", "submitted", auditDetails(resource, payment,
        Map.of("fields", String.join(",", information.keySet()))));
    return afterSent(() -> settle(resource, a, ctx));
  }

  @Override
  public ResourceState resource(ResourceRef resource, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    return read(resource, ctx::retrying);
  }

  private ResourceState read(ResourceRef resource, RetryObserver observer) {
    StripeCalls.Answer<ProvisioningJson.ResourceJson> r = calls.get("read Stripe resource " + resource.id(),
        RESOURCES + "/" + resource.id(), Map.of(), api.provisioningVersion(), observer,
        ProvisioningJson.ResourceJson.class);
    return state(r, resource);
  }

  @Override
  public ResourceState update(ResourceRef resource, @Nullable String newServiceId, Map<String, Object> configuration,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(configuration, "configuration");
    // the service to change to, or null when the service stays
    String next = newServiceId != null && !newServiceId.equals(resource.serviceId()) ? newServiceId : null;
    boolean serviceChange = next != null;
    if (!serviceChange && configuration.isEmpty()) {
      throw new InvalidRequestException("configuration", "neither a new service nor a configuration was given",
          "pass the service to change to, a configuration, or both");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    if (next != null) {
      CatalogIndex idx = index(resource.provider(), ctx::retrying);
      // without the current service in the catalog no change can be shown to be allowed
      idx.catalog().service(resource.serviceId()).orElseThrow(() -> new InvalidRequestException("resource",
          resource.serviceId() + " is no longer in " + resource.provider() + "'s catalog",
          "check the service id; a service the catalog does not list cannot be changed"))
          .requireUpdateTo(next);
      ServiceOffering target = idx.catalog().service(next).orElseThrow(() -> new InvalidRequestException(
          "newServiceId", "'" + next + "' is not in " + resource.provider() + "'s catalog",
          "use one of " + serviceIds(idx)));
      if (payment == null && target.pricing().requiresPayment()) {
        throw new InvalidRequestException("payment", next + " is " + target.pricing().describe() + ", and no"
            + " payment authorization was given", "authorize the spend and pass it");
      }
      body.put("service_ref", idx.ref(next));
    }
    if (payment != null) {
      requirePaymentAllowed(resource.provider(), payment, ctx);
    }
    if (!configuration.isEmpty()) {
      body.put("configuration", new LinkedHashMap<>(configuration));
    }
    StripeCalls.Answer<ProvisioningJson.ResourceJson> a;
    try {
      a = calls.post("update Stripe resource " + resource.id(), RESOURCES + "/" + resource.id(), body,
          ctx.idempotencyKey("stripe.resource.update"), api.provisioningVersion(), ctx::retrying,
          ProvisioningJson.ResourceJson.class);
    } catch (RuntimeException e) {
      staleCatalog(resource.provider(), e);
      throw e;
    }
    ResourceRef target = next != null ? new ResourceRef(resource.provider(), resource.id(), next, resource.name())
        : resource;
    ctx.audit("stripe.resource.update", "requested", auditDetails(target, payment,
        Map.of("from_service", resource.serviceId())));
    return afterSent(() -> settle(target, a, ctx));
  }

  @Override
  public AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    return reveal(resource, ctx.idempotencyKey("stripe.resource.reveal"), ctx);
  }

  private AccessConfiguration reveal(ResourceRef resource, String key, StepContext ctx) {
    AccessConfiguration access = calls.post("reveal the credentials of Stripe resource " + resource.id(),
        RESOURCES + "/" + resource.id() + "/reveal_access_configuration", Map.of(), key, api.provisioningVersion(),
        ctx::retrying, ProvisioningJson.AccessConfigurationJson.class).read(ProvisioningWire::access);
    ctx.audit("stripe.credentials.reveal", "revealed", Map.of("provider", resource.provider(), "resource",
        resource.id(), "names", String.join(",", new java.util.TreeSet<>(access.values().keySet())),
        "generation", Long.toString(access.generation())));
    return access;
  }

  /**
   * Rotates the resource's credentials, waits while the resource is pending, then reveals the new
   * generation. (A reveal repeated under one idempotency key replays its first answer, so the reveal
   * after a rotation uses a key of its own.)
   */
  @Override
  public AccessConfiguration rotateCredentials(ResourceRef resource, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    StripeCalls.Answer<ProvisioningJson.ResourceJson> a = calls.post("rotate the credentials of Stripe resource "
        + resource.id(), RESOURCES + "/" + resource.id() + "/rotate_credentials", Map.of(),
        ctx.idempotencyKey("stripe.resource.rotate"), api.provisioningVersion(), ctx::retrying,
        ProvisioningJson.ResourceJson.class);
    ctx.audit("stripe.credentials.rotate", "requested", Map.of("provider", resource.provider(), "resource",
        resource.id()));
    ResourceState s = settle(resource, a, ctx);
    if (s.status() == ResourceStatus.ERRORED) {
      throw new ProviderException(StripeErrors.PROVIDER, 0, s.errorCode() == null ? "rotation_failed" : s.errorCode(),
          null, "rotating the credentials of " + resource.id() + " failed: "
              + (s.errorMessage() == null ? "no reason given" : s.errorMessage()), false);
    }
    return reveal(resource, ctx.idempotencyKey("stripe.resource.reveal_after_rotate"), ctx);
  }

  @Override
  public void remove(ResourceRef resource, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    if (read(resource, ctx::retrying).status() == ResourceStatus.REMOVED) {
      return;
    }
    StripeCalls.Answer<ProvisioningJson.ResourceJson> a = calls.post("remove Stripe resource " + resource.id(),
        RESOURCES + "/" + resource.id() + "/remove", Map.of(), ctx.idempotencyKey("stripe.resource.remove"),
        api.provisioningVersion(), ctx::retrying, ProvisioningJson.ResourceJson.class);
    ctx.audit("stripe.resource.remove", "requested", Map.of("provider", resource.provider(), "resource",
        resource.id(), "service", resource.serviceId()));
    ResourceState s = settle(resource, a, ctx);
    if (s.status() == ResourceStatus.ERRORED) {
      throw new ProviderException(StripeErrors.PROVIDER, 0, s.errorCode() == null ? "remove_failed" : s.errorCode(),
          null, "removing " + resource.id() + " failed: "
              + (s.errorMessage() == null ? "no reason given" : s.errorMessage()), false);
    }
  }

  /** Forgets the resource at Stripe without deprovisioning it at the provider. */
  public void unlink(ResourceRef resource, StepContext ctx) {
    Objects.requireNonNull(resource, "resource");
    calls.postWithoutAnswer("unlink Stripe resource " + resource.id(), RESOURCES + "/" + resource.id() + "/unlink",
        Map.of(), ctx.idempotencyKey("stripe.resource.unlink"), api.provisioningVersion(), ctx::retrying);
    ctx.audit("stripe.resource.unlink", "unlinked", Map.of("provider", resource.provider(), "resource",
        resource.id()));
  }

  /**
   * Runs what a paid call needs before it is sent (the catalog, the project): whatever fails there,
   * the paid call was never made, so nothing was charged.
   */
  private static <T> T notSentYet(java.util.function.Supplier<T> before) {
    try {
      return before.get();
    } catch (ProviderException e) {
      throw e.withOutcome(ProviderException.Outcome.NOT_EXECUTED);
    }
  }

  /**
   * Waits out a change Stripe accepted: a read that fails now says nothing about the change, which
   * went through and may have been charged, so such a failure's outcome is unknown.
   */
  private static ResourceState afterSent(java.util.function.Supplier<ResourceState> after) {
    try {
      return after.get();
    } catch (ProviderException e) {
      throw e.outcome() == ProviderException.Outcome.NOT_EXECUTED ? e.withOutcome(ProviderException.Outcome.UNKNOWN) : e;
    }
  }

  /** Uses the answer when it is fresh and settled; otherwise reads the resource until it is no longer pending. */
  private ResourceState settle(ResourceRef ref, StripeCalls.Answer<ProvisioningJson.ResourceJson> answer,
      StepContext ctx) {
    ResourceState first = state(answer, ref);
    if (!answer.replayed() && first.status() != ResourceStatus.PENDING) {
      return first;
    }
    ResourceRef current = first.ref();
    return Polling.until(ctx, "Stripe resource " + current.id(), () -> read(current, ctx::retrying),
        s -> s.status() != ResourceStatus.PENDING, backoff);
  }

  private ResourceState state(StripeCalls.Answer<ProvisioningJson.ResourceJson> answer, ResourceRef fallback) {
    CatalogIndex idx = catalogs.ifLoaded(fallback.provider());
    // Without the catalog (a fresh instance resuming a run) Stripe's service_ref cannot be named; the
    // service only changes through update(), which loads the catalog, so the caller's id stands.
    return answer.read(r -> ProvisioningWire.resource(r, fallback,
        ref -> idx == null ? fallback.serviceId() : idx.refToServiceId().getOrDefault(ref, ref)));
  }

  // ---------------------------------------------------------------- helpers

  private static Map<String, String> auditDetails(ResourceRef ref, @Nullable PaymentAuthorization payment,
      Map<String, String> more) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("provider", ref.provider());
    d.put("resource", ref.id());
    d.put("service", ref.serviceId());
    d.put("name", ref.name());
    if (payment != null) {
      d.put("reservation", payment.reservationId());
      d.put("max_amount", payment.maxAmount().toString());
    }
    d.putAll(more);
    return d;
  }

  private static List<String> serviceIds(CatalogIndex idx) {
    List<String> ids = new ArrayList<>();
    for (ServiceOffering s : idx.catalog().services()) {
      ids.add(s.id());
    }
    return ids;
  }

  /** Stripe knows two environments, {@code prod} and {@code dev}. */
  private static String environment(String env) {
    switch (env.toLowerCase(Locale.ROOT)) {
      case "prod":
      case "production":
        return "prod";
      case "dev":
      case "development":
        return "dev";
      default:
        throw new InvalidRequestException("environment", "'" + env + "' is not an environment Stripe knows",
            "use \"production\" or \"development\"");
    }
  }

  private static String interval(SpendInterval i) {
    switch (i) {
      case WEEKLY:
        return "a week";
      case MONTHLY:
        return "a month";
      case YEARLY:
        return "a year";
      default:
        return i.name().toLowerCase(Locale.ROOT);
    }
  }

  private static void requireText(@Nullable String value, String field, String fix) {
    if (value == null || value.isBlank()) {
      throw new InvalidRequestException(field, "is empty", fix);
    }
  }

  /** A provider's catalog with Stripe's service references ({@code prvsvc_…}) both ways. */
  private record CatalogIndex(Catalog catalog, Map<String, String> refToServiceId, Map<String, String> serviceIdToRef) {
    String ref(String serviceId) {
      return serviceIdToRef.getOrDefault(serviceId, serviceId);
    }
  }

  /** Builds a {@link StripeProjects}. */
  public static final class Builder {
    private @Nullable StripeApi api;
    private String catalog = DEFAULT_CATALOG;
    private Polling.Backoff backoff = DEFAULT_POLL_BACKOFF;
    private Duration catalogTtl = CatalogCache.DEFAULT_TTL;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * How long a provider's catalog is used before it is read from Stripe again, default
     * {@link CatalogCache#DEFAULT_TTL}; zero reads it every time. A call Stripe refuses drops it sooner.
     */
    public Builder catalogTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "catalogTtl");
      if (ttl.isNegative()) {
        throw new InvalidRequestException("catalogTtl", "must not be negative (was " + ttl + ")",
            "pass zero to read the catalog every time");
      }
      this.catalogTtl = ttl;
      return this;
    }

    /** The clock the catalog's age and a run's payment-profile read are measured on (default system UTC). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** The shared Stripe client and settings. */
    public Builder api(StripeApi stripeApi) {
      this.api = Objects.requireNonNull(stripeApi, "api");
      return this;
    }

    /** Shorthand for {@code api(StripeApi.builder().apiKey(key).build())}. */
    public Builder apiKey(Secret key) {
      this.api = StripeApi.builder().apiKey(key).build();
      return this;
    }

    /** The catalog partition: {@code prod} (default), {@code dev} or {@code testing}. */
    public Builder catalog(String partition) {
      this.catalog = ProvisioningWire.catalogPartition(partition);
      return this;
    }

    /** How pending resources and connection requests are polled ({@link Polling.Backoff} checks itself). */
    public Builder pollBackoff(Polling.Backoff pollBackoff) {
      this.backoff = Objects.requireNonNull(pollBackoff, "pollBackoff");
      return this;
    }

    public StripeProjects build() {
      if (api == null) {
        throw new InvalidRequestException("api", "is not set", "call api(StripeApi) or apiKey(Secret)");
      }
      return new StripeProjects(this);
    }
  }
}
