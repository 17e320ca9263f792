package io.agentprovision.testing.stripe;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.wire.Json;
import io.agentprovision.stripe.StripeApi;
import io.agentprovision.testing.NoDelayServerSocketFactory;
import io.agentprovision.testing.VirtualTime;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Headers;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateful loopback simulator of the Stripe endpoints the SDK uses, for tests and offline runs:
 * the Provisioning API v2 ({@code /v2/provisioning/...}), Shared Payment Tokens
 * ({@code /v1/shared_payment/issued_tokens}), saved payment methods and PaymentIntents that charge
 * tokens ({@code /v1/payment_intents}).
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.create();
 * try (StripeSandbox stripe = StripeSandbox.builder().time(time).provider(InProcessProvider::cloudflare).start()) {
 *   StripeProjects projects = StripeProjects.builder().api(stripe.api()).build();
 *   ...
 *   stripe.consent(stripe.latestConnectionRequest());   // the human consents at the provider
 * }
 * }</pre>
 *
 * <p>Like Stripe it checks the API key ({@code Authorization: Bearer}) and, on preview endpoints,
 * {@code Stripe-Version}; refuses unknown and missing parameters; stores objects; honours
 * {@code Idempotency-Key} (same key and same parameters: the stored answer again, marked
 * {@code Idempotent-Replayed}; same key with other parameters: an {@code idempotency_error}; a key
 * still executing: 409); drives connection requests through {@code pending_auth} (finished by
 * {@link #consent}) and {@code needs_information}, and resources through {@code pending} and
 * {@code needs_information}. It reaches providers through {@link ProviderLink}s as Stripe reaches
 * them over the provider protocol, so the credentials it reveals are the ones the provider issued
 * and the tokens it attaches are the ones the provider charges. It can inject {@link Fault}s.
 *
 * <p>Human pages are plain GETs without authentication, as a browser would make them:
 * {@code /sandbox/consent/{connection request}} (consent at the provider; answers the OAuth callback
 * parameters as JSON), {@code /sandbox/checkout/{payment method request}} (a card is added) and
 * {@code /sandbox/authenticate/{id}} (the person passes 3-D Secure for a token that answered
 * {@code requires_action}; see {@link #requireTokenAuthentication}). {@code GET /v1/prices/{id}}
 * answers the prices added with {@link #addPrice}.
 */
public final class StripeSandbox implements Closeable {
  /** The payment method a completed checkout puts on file (and the payment profile's card from then on). */
  public static final String CHECKOUT_PAYMENT_METHOD = "pm_sandbox_checkout";
  /** The sandbox's own API key unless configured. */
  public static final String DEFAULT_API_KEY = "sk_test_sandbox_platform_51Sandbox";

  private static final Logger LOG = LoggerFactory.getLogger(StripeSandbox.class);

  private final MockWebServer server = new MockWebServer();
  private final Settings settings;
  private final Clock clock;
  private final String apiKey;
  private final Map<String, String> sellerKeys;
  private final SandboxPayments payments;
  private final SandboxProvisioning provisioning;
  private final AtomicLong sequence = new AtomicLong();
  private final List<RecordedCall> calls = new CopyOnWriteArrayList<>();
  private final FaultQueue faults = new FaultQueue();
  private final Map<String, Stored> idempotent = new ConcurrentHashMap<>();
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  private StripeSandbox(Builder b) {
    this.settings = b.settings;
    this.clock = b.clock;
    this.apiKey = b.apiKey;
    this.sellerKeys = Map.copyOf(b.sellerKeys);
    Function<String, String> ids = prefix -> prefix + "_sbx" + String.format(Locale.ROOT, "%06d",
        sequence.incrementAndGet());
    this.payments = new SandboxPayments(clock, ids);
    List<ProviderLink> links = new ArrayList<>();
    for (Function<TokenCharger, ProviderLink> f : b.providers) {
      links.add(f.apply(payments));
    }
    this.provisioning = new SandboxProvisioning(clock, ids, payments, settings, links);
    if (b.cardOnFile) {
      provisioning.addCard("pm_sandbox_card", "4242");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- lifecycle and access

  private StripeSandbox start() {
    server.setDispatcher(new Router());
    server.setServerSocketFactory(NoDelayServerSocketFactory.INSTANCE);
    try {
      server.start(InetAddress.getLoopbackAddress(), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the Stripe sandbox", e);
    }
    provisioning.baseUrl(baseUrl());
    payments.baseUrl(baseUrl());
    return this;
  }

  /** The API base to point stripe-java at, such as {@code http://127.0.0.1:54321}. */
  public String baseUrl() {
    String url = server.url("/").toString();
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** The platform API key the sandbox accepts. */
  public Secret apiKey() {
    return Secret.of(apiKey);
  }

  /**
   * A {@link StripeApi} pointed at the sandbox with its key and versions, on the shared HTTP stack,
   * which retries a failed call once ({@code maxNetworkRetries(1)}) after half a second of real time
   * (give {@code StripeApi.builder().http(...)} a stack with a virtual sleeper to avoid the wait).
   */
  public StripeApi api() {
    return api(1);
  }

  /** Like {@link #api()} with another retry count. */
  public StripeApi api(int maxNetworkRetries) {
    return StripeApi.builder()
        .apiKey(apiKey())
        .apiBase(baseUrl())
        .provisioningVersion(settings.provisioningVersion)
        .sharedPaymentVersion(settings.sharedPaymentVersion)
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(10))
        .maxNetworkRetries(maxNetworkRetries)
        .build();
  }

  /** What Stripe's own tokens toward providers are charged through, in process. */
  public TokenCharger charger() {
    return payments;
  }

  @Override
  public void close() {
    server.close();
  }

  // ---------------------------------------------------------------- human and test controls

  /**
   * The human consents at the provider for a connection request in {@code pending_auth}; returns the
   * OAuth callback parameters ({@code code}, {@code state}). Without a {@code code_challenge} Stripe's
   * own callback completes the link at once; with one, the agent must return the code with its
   * {@code code_verifier}.
   */
  public Map<String, String> consent(String connectionRequestId) {
    return provisioning.consent(connectionRequestId);
  }

  /** {@link #consent(String)} for the request a consent URL ({@code redirect_url}) points at. */
  public Map<String, String> consent(URI redirectUrl) {
    return consent(lastSegment(redirectUrl));
  }

  /** The human declines consent: the connection request ends in {@code error} ({@code access_denied}). */
  public void denyConsent(String connectionRequestId) {
    provisioning.denyConsent(connectionRequestId);
  }

  /** The human finishes the checkout page of a payment method request (by id or its URL). */
  public void completeCheckout(String paymentMethodRequestId) {
    provisioning.completeCheckout(paymentMethodRequestId.contains("/") ? lastSegment(URI.create(paymentMethodRequestId))
        : paymentMethodRequestId);
  }

  /**
   * Whether Shared Payment Tokens issued from now on answer {@code status: "requires_action"}, as a
   * card whose issuer wants 3-D Secure does: each carries {@code next_action: {type:"redirect_to_url",
   * redirect_to_url:{url, return_url}}}, and cannot be charged ({@code authentication_required})
   * until the person visits that page ({@code GET /sandbox/authenticate/{id}}), which makes it active.
   * Off by default.
   */
  public void requireTokenAuthentication(boolean on) {
    payments.requireAuthentication(on);
  }

  /**
   * Adds a Stripe Price that {@code GET /v1/prices/{id}} answers, such as a provider's plan priced
   * only by its price id: {@code unit_amount} and {@code currency}, recurring every {@code interval}
   * ({@code "month"}, {@code "year"}) or one time when {@code interval} is null.
   */
  public void addPrice(String id, Money unitAmount, @Nullable String interval) {
    payments.addPrice(Objects.requireNonNull(id, "id"), Objects.requireNonNull(unitAmount, "unitAmount"), interval);
  }

  /**
   * Opens a checkout page for a new payment method without usage limits, as
   * {@code POST /v2/provisioning/payment_method_requests} would, and returns its URL. Visiting it (or
   * {@link #completeCheckout}) puts {@link #CHECKOUT_PAYMENT_METHOD} on file; visiting again changes
   * nothing more. A host that issues Shared Payment Tokens itself shows this page to its human.
   */
  public URI checkoutUrl() {
    return URI.create(String.valueOf(provisioning.createPaymentMethodRequest(Map.of()).get("checkout_session_url")));
  }

  /** Puts a card on file directly, as if a checkout had been completed earlier. */
  public void addCard(String last4) {
    provisioning.addCard("pm_sandbox_card_" + last4, last4);
  }

  /** Sets the payment profile's limit for a provider (by catalog name) without an API call. */
  public void setProviderLimit(String provider, Money max, String recurringInterval) {
    provisioning.setProviderLimit(provider, max, recurringInterval);
  }

  /** The id of the newest connection request, or null. */
  public @Nullable String latestConnectionRequest() {
    return provisioning.latestId("pcr");
  }

  /** The id of the newest payment method request, or null. */
  public @Nullable String latestPaymentMethodRequest() {
    return provisioning.latestId("pmreq");
  }

  /** The consent URL the provider gave for a connection request, or null. */
  public @Nullable URI providerConsentUrl(String connectionRequestId) {
    return provisioning.providerRedirect(connectionRequestId);
  }

  /** Charges a token in process: {@link TokenCharger#charge}. */
  public ChargeResult charge(String token, Money amount, String seller, @Nullable String idempotencyKey) {
    return payments.charge(token, amount, seller, idempotencyKey);
  }

  /** Adds a failure for the next matching requests. */
  public StripeSandbox inject(Fault fault) {
    faults.add(Objects.requireNonNull(fault, "fault"));
    return this;
  }

  /** Drops every injected failure not used yet. */
  public StripeSandbox clearFaults() {
    faults.clear();
    return this;
  }

  /** Every request received so far, in order. */
  public List<RecordedCall> calls() {
    return List.copyOf(calls);
  }

  /** The requests whose path starts with {@code prefix}. */
  public List<RecordedCall> calls(String method, String prefix) {
    List<RecordedCall> out = new ArrayList<>();
    for (RecordedCall c : calls) {
      if (c.method().equals(method) && c.path().startsWith(prefix)) {
        out.add(c);
      }
    }
    return out;
  }

  /** Every Shared Payment Token issued (by the API or to providers), as Stripe would show it. */
  public List<Map<String, Object>> tokens() {
    return payments.tokens();
  }

  /** Every successful PaymentIntent, with the {@code seller} and {@code token} it charged. */
  public List<Map<String, Object>> paymentIntents() {
    return payments.paymentIntents();
  }

  /** Every resource, as Stripe would show it once settled, with the provider's id. */
  public List<Map<String, Object>> resources() {
    return provisioning.resourcesSnapshot();
  }

  // ---------------------------------------------------------------- dispatch

  private final class Router extends Dispatcher {
    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String method = request.getMethod() == null ? "GET" : request.getMethod();
      String path = request.getUrl().encodedPath();
      String query = request.getUrl().encodedQuery();
      String body = request.getBody() == null ? "" : request.getBody().utf8();
      Map<String, String> headers = new LinkedHashMap<>();
      for (String name : request.getHeaders().names()) {
        headers.put(name.toLowerCase(Locale.ROOT), request.getHeaders().get(name));
      }
      Answer answer;
      try {
        answer = handle(method, path, query, headers, body);
      } catch (RuntimeException e) {
        LOG.warn("Stripe sandbox failed on {} {}", method, path, e);
        answer = Answer.of(500, Map.of("error", Map.of("type", "api_error", "message",
            "sandbox failure: " + e.getClass().getSimpleName())));
      }
      calls.add(new RecordedCall(method, path, query, headers, body, answer.reset ? 0 : answer.status));
      if (answer.reset) {
        return new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
      }
      MockResponse.Builder r = new MockResponse.Builder()
          .code(answer.status)
          .headers(withExtra(answer))
          .body(answer.raw != null ? answer.raw : Json.write(answer.body));
      if (!answer.stall.isZero()) {
        r.headersDelay(answer.stall.toMillis(), TimeUnit.MILLISECONDS);
      }
      return r.build();
    }

    private Headers withExtra(Answer a) {
      Headers.Builder h = new Headers.Builder()
          .add("Content-Type", "application/json")
          .add("Request-Id", "req_sbx" + String.format(Locale.ROOT, "%06d", sequence.incrementAndGet()));
      a.headers.forEach(h::add);
      return h.build();
    }
  }

  private Answer handle(String method, String path, @Nullable String query, Map<String, String> headers, String body) {
    if (path.startsWith("/sandbox/")) {
      return browser(method, path);
    }
    Fault fault = faults.take(method, path);
    if (fault != null && fault.phase() == Fault.Phase.AFTER) {
      // carried out (and stored for its idempotency key) first; the answer is lost on the way back
      Answer done = authorizedAndVersioned(method, path, query, headers, body);
      if (fault.kind() == Fault.Kind.STALL) {
        done.stall = fault.duration();
        return done;
      }
      if (fault.kind() == Fault.Kind.SLOW) {
        if (clock instanceof VirtualTime vt) {
          vt.advance(fault.duration());
        }
        return done;
      }
      return faultAnswer(fault);
    }
    if (fault != null) {
      switch (fault.kind()) {
        case SLOW:
          if (clock instanceof VirtualTime vt) {
            vt.advance(fault.duration());
          }
          break;
        case STALL: {
          // the answer is held back and the request never carried out: the caller times out first
          Answer a = Answer.of(503, Map.of("error", Map.of("type", "api_error", "message",
              "The sandbox stalled and did not handle the request.")));
          a.stall = fault.duration();
          return a;
        }
        default:
          return faultAnswer(fault);
      }
    }
    return authorizedAndVersioned(method, path, query, headers, body);
  }

  /** The answer a fault gives instead of the real one. */
  private static Answer faultAnswer(Fault fault) {
    switch (fault.kind()) {
      case RESET:
        return Answer.reset();
      case RATE_LIMITED: {
        Answer a = Answer.of(429, Map.of("error", Map.of("type", "invalid_request_error", "code", "rate_limit",
            "message", "Too many requests hit the API too quickly.")));
        a.headers.put("Retry-After", Long.toString(Math.max(1, fault.duration().toSeconds())));
        return a;
      }
      case MALFORMED: {
        Answer a = Answer.of(200, Map.of());
        a.raw = Fault.MALFORMED_BODY;
        return a;
      }
      default: {
        Answer a = Answer.of(fault.statusCode(), Map.of("error", Map.of("type", "api_error",
            "message", "The sandbox injected an HTTP " + fault.statusCode() + ".")));
        if (fault.shouldRetryHeader() != null) {
          a.headers.put("Stripe-Should-Retry", fault.shouldRetryHeader().toString());
        }
        return a;
      }
    }
  }

  private Answer authorizedAndVersioned(String method, String path, @Nullable String query, Map<String, String> headers,
      String body) {
    String auth = headers.getOrDefault("authorization", "");
    String key = auth.startsWith("Bearer ") ? auth.substring(7).trim() : "";
    String seller;
    if (key.equals(apiKey)) {
      seller = headers.getOrDefault("stripe-account", "platform");
    } else if (sellerKeys.containsKey(key)) {
      seller = sellerKeys.get(key);
    } else {
      String shown = key.length() > 8 ? key.substring(0, 8) + "****" : "****";
      return Answer.of(401, Map.of("error", Map.of("type", "invalid_request_error", "code", "api_key_invalid",
          "message", "Invalid API Key provided: " + shown)));
    }
    String version = headers.get("stripe-version");
    String wanted = path.startsWith("/v2/provisioning/") ? settings.provisioningVersion
        : path.startsWith("/v1/shared_payment/") ? settings.sharedPaymentVersion : null;
    if (wanted != null && !wanted.equals(version)) {
      return Answer.of(400, Map.of("error", Map.of("type", "invalid_request_error", "code", "invalid_api_version",
          "message", "This endpoint is in preview and needs Stripe-Version: " + wanted + " (got "
              + (version == null ? "none" : version) + ").")));
    }
    String idempotencyKey = headers.get("idempotency-key");
    if (!"POST".equals(method) || idempotencyKey == null) {
      return execute(method, path, query, body, seller, idempotencyKey, headers);
    }
    Map<String, Object> parsed;
    try {
      parsed = path.startsWith("/v2/") ? SandboxHttp.json(body) : SandboxHttp.form(body);
    } catch (SandboxHttp.ApiError e) {
      return Answer.of(e.status, e.body());
    }
    String scope = key + "|" + idempotencyKey;
    String fingerprint = method + " " + path + " " + Json.canonical(parsed);
    Stored stored = idempotent.get(scope);
    if (stored != null) {
      if (!stored.fingerprint.equals(fingerprint)) {
        return Answer.of(400, Map.of("error", Map.of("type", "idempotency_error", "message",
            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try"
                + " using a key other than '" + idempotencyKey + "' if you meant to execute a different request.")));
      }
      Answer replay = Answer.of(stored.status, stored.body);
      replay.headers.put("Idempotent-Replayed", "true");
      return replay;
    }
    if (!inFlight.add(scope)) {
      return Answer.of(409, Map.of("error", Map.of("type", "idempotency_error", "code", "idempotency_key_in_use",
          "message", "There is currently another in-progress request using this Idempotent Key.")));
    }
    try {
      Answer a = execute(method, path, query, body, seller, idempotencyKey, headers);
      if (a.store) {
        idempotent.put(scope, new Stored(fingerprint, a.status, a.body));
      }
      return a;
    } finally {
      inFlight.remove(scope);
    }
  }

  private Answer execute(String method, String path, @Nullable String query, String body, String seller,
      @Nullable String idempotencyKey, Map<String, String> headers) {
    try {
      if (path.startsWith("/v2/")) {
        if ("POST".equals(method) && !headers.getOrDefault("content-type", "").startsWith("application/json")) {
          throw SandboxHttp.invalid("invalid_content_type", null, "v2 requests take JSON bodies.");
        }
        Map<String, Object> json = "POST".equals(method) ? SandboxHttp.json(body) : Map.of();
        return Answer.of(200, v2(method, path, SandboxHttp.query(query), json, idempotencyKey));
      }
      if ("POST".equals(method)
          && !headers.getOrDefault("content-type", "").startsWith("application/x-www-form-urlencoded")) {
        throw SandboxHttp.invalid("invalid_content_type", null, "v1 requests take form-encoded bodies.");
      }
      Map<String, Object> form = "POST".equals(method) ? SandboxHttp.form(body) : Map.of();
      return Answer.of(200, v1(method, path, form, seller, idempotencyKey));
    } catch (SandboxHttp.ApiError e) {
      Answer a = Answer.of(e.status, e.body());
      a.store = e.executed;
      return a;
    }
  }

  private Map<String, Object> v2(String method, String path, Map<String, String> query, Map<String, Object> body,
      @Nullable String key) {
    String[] p = path.substring(1).split("/");
    if (p.length < 3 || !p[1].equals("provisioning")) {
      throw SandboxHttp.notFound("endpoint", path);
    }
    String base = p[2];
    boolean get = "GET".equals(method);
    boolean post = "POST".equals(method);
    switch (base) {
      case "projects":
        if (p.length == 3 && post) {
          return provisioning.createProject(body);
        }
        if (p.length == 3 && get) {
          return provisioning.listProjects();
        }
        break;
      case "catalog":
        if (p.length == 4 && get && p[3].equals("providers")) {
          return provisioning.listProviders(query);
        }
        if (p.length == 4 && get && p[3].equals("services")) {
          return provisioning.listServices(query);
        }
        break;
      case "eligibility":
        if (p.length == 3 && get) {
          return provisioning.eligibility();
        }
        break;
      case "provider_connection_requests":
        if (p.length == 3 && post) {
          return provisioning.createConnectionRequest(body);
        }
        if (p.length == 4 && get) {
          return provisioning.connectionRequest(p[3]);
        }
        if (p.length == 5 && post && p[4].equals("submit_information")) {
          return provisioning.submitConnectionInformation(p[3], body);
        }
        break;
      case "provider_connections":
        if (p.length == 3 && get) {
          return provisioning.listConnections();
        }
        if (p.length == 5 && post && p[4].equals("unlink")) {
          return provisioning.unlinkConnection(p[3], body);
        }
        break;
      case "resources":
        if (p.length == 3 && post) {
          return provisioning.createResource(body, key);
        }
        if (p.length == 4 && get) {
          return provisioning.resource(p[3]);
        }
        if (p.length == 4 && post) {
          return provisioning.updateResource(p[3], body, key);
        }
        if (p.length == 5 && post) {
          switch (p[4]) {
            case "submit_information":
              return provisioning.submitResourceInformation(p[3], body, key);
            case "reveal_access_configuration":
              return provisioning.reveal(p[3], body);
            case "rotate_credentials":
              return provisioning.rotate(p[3], body);
            case "remove":
              return provisioning.remove(p[3], body);
            case "unlink":
              return provisioning.unlinkResource(p[3], body);
            default:
              break;
          }
        }
        break;
      case "payment_profile":
        if (p.length == 3 && get) {
          return provisioning.paymentProfile();
        }
        if (p.length == 4 && post && p[3].equals("update_limit")) {
          return provisioning.updateLimit(body);
        }
        break;
      case "payment_method_requests":
        if (p.length == 3 && post) {
          return provisioning.createPaymentMethodRequest(body);
        }
        break;
      default:
        break;
    }
    throw SandboxHttp.notFound("endpoint", method + " " + path);
  }

  private Map<String, Object> v1(String method, String path, Map<String, Object> body, String seller,
      @Nullable String key) {
    String[] p = path.substring(1).split("/");
    boolean get = "GET".equals(method);
    boolean post = "POST".equals(method);
    if (p.length >= 3 && p[1].equals("shared_payment") && p[2].equals("issued_tokens")) {
      if (p.length == 3 && post) {
        return payments.issue(body);
      }
      if (p.length == 4 && get) {
        return payments.token(p[3]);
      }
      if (p.length == 5 && post && p[4].equals("revoke")) {
        return payments.revoke(p[3], body);
      }
    }
    if (p.length == 3 && get && p[1].equals("payment_methods")) {
      return payments.paymentMethod(p[2]);
    }
    if (p.length == 3 && get && p[1].equals("prices")) {
      return payments.price(p[2]);
    }
    if (p.length == 2 && post && p[1].equals("payment_intents")) {
      return payments.paymentIntent(body, seller, key);
    }
    throw SandboxHttp.notFound("endpoint", method + " " + path);
  }

  private Answer browser(String method, String path) {
    String[] p = path.substring(1).split("/");
    if (!"GET".equals(method) || p.length != 3) {
      return Answer.of(404, Map.of("error", Map.of("type", "invalid_request_error", "message", "No such page.")));
    }
    try {
      if (p[1].equals("consent")) {
        return Answer.of(200, new LinkedHashMap<>(provisioning.consent(p[2])));
      }
      if (p[1].equals("checkout")) {
        return Answer.of(200, provisioning.completeCheckout(p[2]));
      }
      if (p[1].equals("authenticate")) {
        return Answer.of(200, new LinkedHashMap<>(payments.authenticate(p[2])));
      }
    } catch (IllegalArgumentException | IllegalStateException | SandboxHttp.ApiError e) {
      return Answer.of(400, Map.of("error", Map.of("type", "invalid_request_error", "message",
          String.valueOf(e.getMessage()))));
    }
    return Answer.of(404, Map.of("error", Map.of("type", "invalid_request_error", "message", "No such page.")));
  }

  private static String lastSegment(URI uri) {
    String path = uri.getPath();
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private record Stored(String fingerprint, int status, Map<String, Object> body) {}

  private static final class Answer {
    final int status;
    final Map<String, Object> body;
    final Map<String, String> headers = new LinkedHashMap<>();
    boolean store = true;
    boolean reset;
    /** A body sent as it is instead of {@link #body} as JSON (a malformed answer). */
    @Nullable String raw;
    Duration stall = Duration.ZERO;

    private Answer(int status, Map<String, Object> body) {
      this.status = status;
      this.body = body;
    }

    static Answer of(int status, Map<String, Object> body) {
      Answer a = new Answer(status, body);
      a.store = status < 500;
      return a;
    }

    static Answer reset() {
      Answer a = new Answer(0, Map.of());
      a.reset = true;
      a.store = false;
      return a;
    }
  }

  /** What the sandbox simulates about the account and its behaviour. */
  static final class Settings {
    String provisioningVersion = StripeApi.DEFAULT_PROVISIONING_VERSION;
    String sharedPaymentVersion = StripeApi.DEFAULT_SHARED_PAYMENT_VERSION;
    String email = "ada@example.com";
    @Nullable String name = "Ada Lovelace";
    List<String> verifiedFields = List.of("email", "name");
    String profileId = "prfl_sbx_ada";
    boolean eligible = true;
    List<String> requirements = List.of();
    @Nullable Map<String, Object> linkSchema;
    int pendingReads = 1;
    SandboxProvisioning.Limit defaultLimit = new SandboxProvisioning.Limit("usd", 10000, "month");
    Duration tokenLifetime = Duration.ofMinutes(10);
  }

  /** Builds and starts a {@link StripeSandbox}. */
  public static final class Builder {
    private final Settings settings = new Settings();
    private Clock clock = VirtualTime.create();
    private String apiKey = DEFAULT_API_KEY;
    private final Map<String, String> sellerKeys = new LinkedHashMap<>();
    private final List<Function<TokenCharger, ProviderLink>> providers = new ArrayList<>();
    private boolean cardOnFile;

    private Builder() {}

    /** The clock objects are dated with and tokens expire by; a {@link VirtualTime} also lets {@link Fault#slow} advance it. */
    public Builder time(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** The platform key the sandbox accepts (must look like a Stripe secret key). */
    public Builder apiKey(String key) {
      if (!key.startsWith("sk_test_")) {
        throw new IllegalArgumentException("a sandbox key starts with sk_test_");
      }
      this.apiKey = key;
      return this;
    }

    /** A seller's own key: PaymentIntents made with it charge as {@code sellerProfile}. */
    public Builder sellerKey(String key, String sellerProfile) {
      sellerKeys.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(sellerProfile, "sellerProfile"));
      return this;
    }

    /** A provider reached through a link that charges tokens in process with the sandbox's charger. */
    public Builder provider(Function<TokenCharger, ProviderLink> link) {
      providers.add(Objects.requireNonNull(link, "link"));
      return this;
    }

    /** A provider reached through {@code link}. */
    public Builder provider(ProviderLink link) {
      Objects.requireNonNull(link, "link");
      providers.add(c -> link);
      return this;
    }

    /** The {@code Stripe-Version} the preview endpoints demand. */
    public Builder versions(String provisioning, String sharedPayment) {
      settings.provisioningVersion = Objects.requireNonNull(provisioning, "provisioning");
      settings.sharedPaymentVersion = Objects.requireNonNull(sharedPayment, "sharedPayment");
      return this;
    }

    /** The human as Stripe knows them. */
    public Builder account(String email, @Nullable String name, List<String> verifiedFields) {
      settings.email = Objects.requireNonNull(email, "email");
      settings.name = name;
      settings.verifiedFields = List.copyOf(verifiedFields);
      return this;
    }

    /** Makes the account ineligible to provision, with these outstanding requirements. */
    public Builder ineligible(List<String> requirements) {
      settings.eligible = false;
      settings.requirements = List.copyOf(requirements);
      return this;
    }

    /** Connection requests first ask for this information ({@code needs_information}). */
    public Builder linkNeedsInformation(Map<String, Object> schema) {
      settings.linkSchema = Map.copyOf(schema);
      return this;
    }

    /** How many reads still show {@code pending} after each change to a resource (default 1). */
    public Builder pendingReads(int reads) {
      if (reads < 0) {
        throw new IllegalArgumentException("pendingReads must not be negative");
      }
      settings.pendingReads = reads;
      return this;
    }

    /** The per-provider limit applied when a provider is linked (default USD 100.00 a month). */
    public Builder defaultProviderLimit(Money max, String recurringInterval) {
      settings.defaultLimit = new SandboxProvisioning.Limit(max.currencyCode().toLowerCase(Locale.ROOT),
          max.minorUnits(), recurringInterval);
      return this;
    }

    /** Starts with a card on file (no checkout needed). */
    public Builder cardOnFile() {
      this.cardOnFile = true;
      return this;
    }

    /** Starts the sandbox on a loopback port. */
    public StripeSandbox start() {
      return new StripeSandbox(this).start();
    }
  }

  @Override
  public String toString() {
    return "StripeSandbox{" + baseUrl() + ", calls=" + calls.size() + "}";
  }
}
