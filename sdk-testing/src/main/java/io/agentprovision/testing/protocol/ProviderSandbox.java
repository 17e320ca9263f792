package io.agentprovision.testing.protocol;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.identity.Pkce;
import io.agentprovision.core.protocol.ProtocolSignature;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.NoDelayServerSocketFactory;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.stripe.Fault;
import io.agentprovision.testing.stripe.FaultQueue;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.ByteString;
import org.jspecify.annotations.Nullable;

/**
 * A stateful provider that speaks the provisioning protocol ({@code 0.1d}) on a loopback port, with
 * a Cloudflare-like catalog ({@code workers:free}, {@code workers:paid}, {@code workers},
 * {@code registrar:domain}, {@code kv}, {@code d1} and the rest). It checks every request's
 * {@code Stripe-Signature} and {@code API-Version}; creates accounts for new e-mails and asks
 * consent for known ones; issues, refreshes and checks OAuth tokens with PKCE; bills paid services
 * only with a payment token its {@link PaymentCharger} accepts; runs the domain needs-information
 * loop (query → choices → chosen name); answers {@code pending} for a few polls before
 * {@code complete}; rotates and removes.
 *
 * <pre>{@code
 * try (ProviderSandbox provider = ProviderSandbox.builder().sharedSecret(secret).clock(time).start()) {
 *   ProtocolClient client = ProtocolClient.builder().provider("cloudflare")
 *       .baseUrl(provider.baseUrl()).sharedSecret(secret).clock(time).sleeper(time).build();
 *   ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time)
 *       .respond(CheckpointKind.ACCOUNT_CONSENT, req -> provider.approveConsent(req.url()));
 * }
 * }</pre>
 *
 * <p><b>Answering needs-information.</b> The protocol publishes no call for it; this sandbox accepts
 * the form {@link io.agentprovision.core.protocol.DirectOrchestrator} sends:
 * {@code POST /provisioning/resources/{id}/update_service} with {@code configuration.domain} (the
 * chosen name, paid with {@code payment_credentials}) or {@code configuration.domain_query} (a new
 * search). The choices follow the convention {@code InformationRequest.fromSchema} reads: property
 * {@code domain} with a {@code oneOf} of {@code {const, title, x-price{amount, currency}, x-available}}.
 *
 * <p><b>Consent.</b> A known e-mail gets {@code requires_auth} with a redirect to
 * {@code <baseUrl>/consent/<id>}. {@link #approveConsent(URI)} "visits" that page as the person
 * would and returns the callback's {@code code} and {@code state} (the request's confirmation
 * secret); {@link #denyConsent(URI)} returns {@code error=access_denied}.
 *
 * <p>Every request is recorded ({@link #requests()}); the sandbox listens on loopback only.
 */
public final class ProviderSandbox implements Closeable {
  public static final List<String> DEFAULT_SUPPORTED_VERSIONS = List.of("0.1d");
  public static final int DEFAULT_PAGE_SIZE = 5;
  public static final int DEFAULT_PENDING_POLLS = 2;
  public static final Duration DEFAULT_ACCESS_TOKEN_TTL = Duration.ofHours(1);
  public static final Duration CODE_TTL = Duration.ofMinutes(5);
  public static final Duration CONSENT_TTL = Duration.ofMinutes(15);
  public static final String DEFAULT_SELLER = "cloudflare";
  public static final String DEFAULT_CALLBACK_URL = "http://127.0.0.1/oauth/callback";

  /** How a new e-mail's account request is answered. */
  public enum NewAccountAnswer {
    /** {@code type: credentials}: tokens at once. */
    CREDENTIALS,
    /** {@code type: oauth}: a code to redeem at the token endpoint. */
    OAUTH_CODE
  }

  private final MockWebServer server = new MockWebServer();
  private final Object lock = new Object();
  private final SecureRandom random = new SecureRandom();
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final List<PaymentCharger.Charge> charges = new CopyOnWriteArrayList<>();
  private final FaultQueue faults = new FaultQueue();

  private final ProtocolSignature signature;
  private final Clock clock;
  private final Backend backend;
  private final PaymentCharger charger;
  private final String seller;
  private final List<String> supportedVersions;
  private final int pageSize;
  private final Duration accessTokenTtl;
  private final String callbackUrl;
  private final Map<String, Svc> catalog;
  private volatile int pendingPolls;
  private volatile NewAccountAnswer newAccountAnswer;

  // state, guarded by lock
  private final Map<String, AccessToken> accessTokens = new HashMap<>();
  private final Map<String, String> refreshTokens = new HashMap<>();
  private final Map<String, Code> codes = new HashMap<>();
  private final Map<String, Consent> consents = new HashMap<>();
  private final Map<String, Res> resources = new LinkedHashMap<>();
  private final Map<String, Idem> idempotency = new HashMap<>();
  private int counter;

  private ProviderSandbox(Builder b) throws IOException {
    this.signature = ProtocolSignature.of(b.sharedSecret).withTolerance(b.signatureTolerance);
    this.clock = b.clock;
    this.backend = b.backend;
    this.charger = b.charger != null ? b.charger : new InMemoryPaymentCharger(b.clock);
    this.seller = b.seller;
    this.supportedVersions = List.copyOf(b.supportedVersions);
    this.pageSize = b.pageSize;
    this.pendingPolls = b.pendingPolls;
    this.accessTokenTtl = b.accessTokenTtl;
    this.newAccountAnswer = b.newAccountAnswer;
    this.callbackUrl = b.callbackUrl;
    this.catalog = catalog(b.descriptions);
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        requests.add(request);
        Fault fault = faults.take(request.getMethod(), request.getUrl().encodedPath());
        if (fault == null) {
          return handle(request);
        }
        return withFault(fault, request);
      }
    });
    // Without TCP_NODELAY an answer written in two segments waits for the orchestrator's delayed ACK: ~40 ms
    server.setServerSocketFactory(NoDelayServerSocketFactory.INSTANCE);
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- public surface

  /** The protocol base URL, such as {@code http://127.0.0.1:53211/}. */
  public URI baseUrl() {
    return server.url("/").uri();
  }

  /** The seller name the sandbox charges payment tokens as. */
  public String seller() {
    return seller;
  }

  public Backend backend() {
    return backend;
  }

  public PaymentCharger charger() {
    return charger;
  }

  /** Every request received, in order. */
  public List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  /** The requests with this method whose path starts with {@code pathPrefix}. */
  public List<RecordedRequest> requests(String method, String pathPrefix) {
    List<RecordedRequest> out = new ArrayList<>();
    for (RecordedRequest r : requests) {
      if (r.getMethod().equals(method) && r.getUrl().encodedPath().startsWith(pathPrefix)) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Adds a failure for the next matching requests ({@link Fault} of the Stripe sandbox, which this
   * sandbox understands the same way: before or {@link Fault#afterExecution() after} the request
   * is carried out; {@code Stripe-Should-Retry} is not sent here).
   */
  public ProviderSandbox inject(Fault fault) {
    faults.add(Objects.requireNonNull(fault, "fault"));
    return this;
  }

  /** Drops every injected failure not used yet. */
  public ProviderSandbox clearFaults() {
    faults.clear();
    return this;
  }

  /** Every charge the sandbox made, in order. */
  public List<PaymentCharger.Charge> charges() {
    return List.copyOf(charges);
  }

  /** How many polls a new or changed resource stays {@code pending}. */
  public ProviderSandbox pendingPolls(int polls) {
    if (polls < 0) {
      throw new IllegalArgumentException("pendingPolls must not be negative");
    }
    this.pendingPolls = polls;
    return this;
  }

  /** How new e-mails' account requests are answered from now on. */
  public ProviderSandbox newAccountAnswer(NewAccountAnswer answer) {
    this.newAccountAnswer = Objects.requireNonNull(answer, "answer");
    return this;
  }

  /** Makes every access token issued so far expired (the next resource call answers 401). */
  public void expireAccessTokens() {
    synchronized (lock) {
      Instant past = clock.instant().minusSeconds(1);
      accessTokens.replaceAll((k, v) -> new AccessToken(v.accountId, past));
    }
  }

  /** How many access tokens were issued (by account requests, code exchanges and refreshes). */
  public int accessTokensIssued() {
    synchronized (lock) {
      return accessTokens.size();
    }
  }

  /** The status the sandbox holds for a resource, or null if unknown. */
  public @Nullable String resourceStatus(String resourceId) {
    synchronized (lock) {
      Res r = resources.get(resourceId);
      return r == null ? null : r.status;
    }
  }

  /** Visits the consent page as the person, approving; returns the callback's {@code code} and {@code state}. */
  public Map<String, String> approveConsent(URI redirectUrl) {
    return visitConsent(redirectUrl, "approve");
  }

  /** Visits the consent page as the person, refusing; returns the callback's {@code error} and {@code state}. */
  public Map<String, String> denyConsent(URI redirectUrl) {
    return visitConsent(redirectUrl, "deny");
  }

  private Map<String, String> visitConsent(URI redirectUrl, String decision) {
    Objects.requireNonNull(redirectUrl, "redirectUrl");
    HttpUrl u = HttpUrl.get(redirectUrl.toString()).newBuilder().setQueryParameter("decision", decision).build();
    OkHttpClient browser = new OkHttpClient.Builder().followRedirects(false).build();
    try (Response r = browser.newCall(new Request.Builder().url(u).get().build()).execute()) {
      String location = r.header("Location");
      if (r.code() != 302 || location == null) {
        throw new IllegalStateException("the consent page answered HTTP " + r.code() + " without a redirect");
      }
      HttpUrl cb = HttpUrl.get(location);
      Map<String, String> out = new LinkedHashMap<>();
      for (String name : cb.queryParameterNames()) {
        String v = cb.queryParameter(name);
        if (v != null) {
          out.put(name, v);
        }
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("could not visit the consent page: " + e.getMessage(), e);
    } finally {
      browser.dispatcher().executorService().shutdown();
      browser.connectionPool().evictAll();
    }
  }

  @Override
  public void close() {
    server.close();
  }

  // ---------------------------------------------------------------- dispatch

  /** An error answer. */
  private static final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;

    ApiError(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /** Answers {@code r} with {@code fault}: instead of handling it, or after handling it. */
  private MockResponse withFault(Fault fault, RecordedRequest r) {
    String requestId = "req_" + Integer.toHexString(random.nextInt());
    if (fault.kind() == Fault.Kind.SLOW) {
      if (clock instanceof VirtualTime vt) {
        vt.advance(fault.duration());
      }
      return handle(r);
    }
    MockResponse real = fault.phase() == Fault.Phase.AFTER ? handle(r) : null;
    switch (fault.kind()) {
      case RESET:
        return new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket(true, false, false)).build();
      case STALL: {
        MockResponse held = real != null ? real : json(503, Map.of("error", Map.of("code", "stalled",
            "message", "the sandbox stalled and did not handle the request")), requestId);
        return held.newBuilder().headersDelay(fault.duration().toMillis(), TimeUnit.MILLISECONDS).build();
      }
      case MALFORMED:
        return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
            .setHeader("Request-Id", requestId).body(Fault.MALFORMED_BODY).build();
      case RATE_LIMITED:
        return json(429, Map.of("error", Map.of("code", "rate_limited", "message", "too many requests")), requestId)
            .newBuilder().setHeader("Retry-After", Long.toString(Math.max(1, fault.duration().toSeconds()))).build();
      default:
        return json(fault.statusCode(), Map.of("error", Map.of("code", "injected", "message",
            "the sandbox injected an HTTP " + fault.statusCode())), requestId);
    }
  }

  private MockResponse handle(RecordedRequest r) {
    String path = r.getUrl().encodedPath();
    String requestId = "req_" + Integer.toHexString(random.nextInt());
    try {
      if (path.startsWith("/consent/")) {
        return consentPage(r, path.substring("/consent/".length()));
      }
      byte[] body = bytes(r);
      ProtocolSignature.Check check = signature.verify(r.getHeaders().get(ProtocolSignature.HEADER), body,
          clock.instant());
      if (check != ProtocolSignature.Check.VALID) {
        throw new ApiError(401, "invalid_signature", "the request signature is " + check.name().toLowerCase());
      }
      String version = r.getHeaders().get("API-Version");
      if (version == null || !supportedVersions.contains(version)) {
        throw new ApiError(400, "invalid_api_version", "API-Version '" + version + "' is not supported; supported: "
            + supportedVersions);
      }
      synchronized (lock) {
        Object answer = route(r, path, body);
        return json(200, answer, requestId);
      }
    } catch (ApiError e) {
      Map<String, Object> err = new LinkedHashMap<>();
      if (e.code.equals("invalid_grant") || e.code.equals("unsupported_grant_type") || e.code.equals("invalid_request_oauth")) {
        err.put("error", e.code.equals("invalid_request_oauth") ? "invalid_request" : e.code);
        err.put("error_description", e.getMessage());
      } else {
        err.put("error", Map.of("code", e.code, "message", String.valueOf(e.getMessage())));
      }
      return json(e.status, err, requestId);
    } catch (RuntimeException e) {
      return json(500, Map.of("error", Map.of("code", "internal_error", "message", String.valueOf(e))), requestId);
    }
  }

  private Object route(RecordedRequest r, String path, byte[] body) {
    String m = r.getMethod();
    if (m.equals("GET") && path.equals("/provisioning/health")) {
      return Map.of("status", "ok", "supported_versions", supportedVersions);
    }
    if (m.equals("GET") && path.equals("/provisioning/services")) {
      return services(r.getUrl().queryParameter("cursor"));
    }
    if (m.equals("POST") && path.equals("/provisioning/account_requests")) {
      return accountRequest(object(body));
    }
    if (m.equals("POST") && path.equals("/oauth/token")) {
      return token(form(body));
    }
    if (m.equals("POST") && path.equals("/provisioning/deep_links")) {
      String account = authenticate(r);
      Object purpose = object(body).get("purpose");
      return Map.of("purpose", purpose == null ? "dashboard" : String.valueOf(purpose),
          "url", server.url("/dashboard").newBuilder().addQueryParameter("account", account)
              .addQueryParameter("link", randomHex(12)).build().toString(),
          "expires_at", clock.instant().plus(Duration.ofMinutes(5)).getEpochSecond());
    }
    if (path.startsWith("/provisioning/resources")) {
      String account = authenticate(r);
      List<String> seg = r.getUrl().pathSegments();
      if (m.equals("POST") && seg.size() == 2) {
        return create(account, object(body), idempotencyKey(r), body);
      }
      if (seg.size() >= 3) {
        Res res = resources.get(seg.get(2));
        if (res == null || !res.accountId.equals(account)) {
          throw new ApiError(404, "resource_not_found", "no resource " + seg.get(2));
        }
        if (m.equals("GET") && seg.size() == 3) {
          poll(res);
          return view(res);
        }
        if (m.equals("POST") && seg.size() == 4) {
          String key = idempotencyKey(r);
          String scoped = account + "|" + res.id + "|" + seg.get(3) + "|" + key;
          Idem prior = idempotency.get(scoped);
          String canonical = Json.canonical(body.length == 0 ? Map.of() : object(body));
          if (prior != null) {
            if (!prior.canonicalBody.equals(canonical)) {
              throw new ApiError(409, "idempotency_conflict", "Idempotency-Key reused with another body");
            }
            return view(res);
          }
          Object answer;
          switch (seg.get(3)) {
            case "update_service":
              answer = update(res, object(body), key);
              break;
            case "rotate_credentials":
              answer = rotate(res);
              break;
            case "remove":
              answer = remove(res);
              break;
            default:
              throw new ApiError(404, "not_found", "no action " + seg.get(3));
          }
          idempotency.put(scoped, new Idem(canonical, res.id));
          return answer;
        }
      }
    }
    throw new ApiError(404, "not_found", "no route " + m + " " + path);
  }

  // ---------------------------------------------------------------- catalog

  private Map<String, Object> services(@Nullable String cursor) {
    List<Svc> all = new ArrayList<>(catalog.values());
    int start = 0;
    if (cursor != null) {
      try {
        start = Integer.parseInt(cursor.replace("cur_", ""));
      } catch (NumberFormatException e) {
        throw new ApiError(400, "invalid_cursor", "unknown cursor");
      }
    }
    int end = Math.min(all.size(), start + pageSize);
    List<Object> data = new ArrayList<>();
    for (Svc s : all.subList(Math.min(start, all.size()), end)) {
      data.add(s.json);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("object", "list");
    out.put("data", data);
    out.put("next_cursor", end < all.size() ? "cur_" + end : null);
    return out;
  }

  private record Svc(String id, String kind, String pricing, @Nullable Money price, List<String> allowedUpdates,
      Map<String, Object> json) {}

  /** The configuration schema of {@code d1}: a {@code name} is required, nothing unknown is accepted. */
  public static final Map<String, Object> D1_SCHEMA = Map.of("type", "object", "required", List.of("name"),
      "additionalProperties", false, "properties", Map.of(
          "name", Map.of("type", "string", "pattern", "^[a-z0-9][a-z0-9-]{0,62}$"),
          "location_hint", Map.of("type", "string", "enum", List.of("wnam", "enam", "weur", "eeur", "apac", "oc"))));
  /** The configuration schema of {@code kv}: a {@code title} of 1 to 512 characters is required. */
  public static final Map<String, Object> KV_SCHEMA = Map.of("type", "object", "required", List.of("title"),
      "additionalProperties", false,
      "properties", Map.of("title", Map.of("type", "string", "minLength", 1, "maxLength", 512)));

  private static Map<String, Svc> catalog(Map<String, String> descriptions) {
    Map<String, Svc> c = new LinkedHashMap<>();
    add(c, "workers:free", "plan", "Workers Free plan", "free", null, null, List.of("workers:paid"), Map.of());
    add(c, "workers:paid", "plan", "Workers Paid plan", "paid", Money.usd("5.00"), "month", List.of("workers:free"),
        Map.of());
    add(c, "workers", "deployable", "A Worker script", "free", null, null, List.of(), Map.of());
    add(c, "d1", "deployable", "D1 SQL database", "free", null, null, List.of(), D1_SCHEMA);
    add(c, "kv", "deployable", "Workers KV namespace", "free", null, null, List.of(), KV_SCHEMA);
    add(c, "queues", "deployable", "Queue", "free", null, null, List.of(), props("queue_name"));
    add(c, "hyperdrive", "deployable", "Hyperdrive", "free", null, null, List.of(), Map.of());
    add(c, "containers", "deployable", "Containers", "component", null, "usage", List.of(), Map.of());
    add(c, "workers-ai", "deployable", "Workers AI", "component", null, "usage", List.of(), Map.of());
    add(c, "browser-run", "deployable", "Browser Rendering", "component", null, "usage", List.of(), Map.of());
    add(c, "r2:bucket", "deployable", "R2 bucket", "component", null, "usage", List.of(), props("name"));
    add(c, "registrar:domain", "deployable", "Domain registration", "component", null, "one_time", List.of(),
        props("domain_query", "domain"));
    descriptions.forEach((id, text) -> {
      Svc s = c.get(id);
      if (s == null) {
        throw new IllegalArgumentException("the sandbox's catalog has no service '" + id + "' to describe");
      }
      s.json().put("description", text);
    });
    return c;
  }

  private static Map<String, Object> props(String... names) {
    Map<String, Object> p = new LinkedHashMap<>();
    for (String n : names) {
      p.put(n, Map.of("type", "string"));
    }
    return p;
  }

  private static void add(Map<String, Svc> c, String id, String kind, String description, String pricing,
      @Nullable Money price, @Nullable String interval, List<String> updates, Map<String, Object> propertiesOrSchema) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("type", pricing);
    if (price != null || interval != null) {
      Map<String, Object> detail = new LinkedHashMap<>();
      if (price != null) {
        detail.put("amount", price.minorUnits());
        detail.put("currency", price.currencyCode().toLowerCase());
      }
      if (interval != null) {
        detail.put("interval", interval);
      }
      p.put(pricing, detail);
    }
    if (price != null) {
      p.put("description", "$" + price.toDecimal().toPlainString() + "/" + interval + " minimum + usage");
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("id", id);
    s.put("description", description);
    s.put("categories", List.of(id.startsWith("registrar") ? "domains" : "compute"));
    s.put("kind", kind);
    s.put("scope", "project");
    s.put("group", id.startsWith("workers:") ? "workers" : id);
    s.put("pricing", p);
    s.put("kyc", Map.of("required_fields", List.of("email")));
    // a full schema is given as one ("type" at its top); otherwise the properties of an object
    s.put("configuration_schema", propertiesOrSchema.containsKey("type") ? propertiesOrSchema
        : Map.of("type", "object", "properties", propertiesOrSchema));
    s.put("allowed_updates", updates.stream().map(u -> Map.of("service", u, "direction",
        u.endsWith(":paid") ? "upgrade" : "downgrade")).toList());
    s.put("constraints", Map.of());
    c.put(id, new Svc(id, kind, pricing, price, updates, s));
  }

  // ---------------------------------------------------------------- accounts and tokens

  private Map<String, Object> accountRequest(Map<String, Object> req) {
    String email = Json.string(req, "email");
    String state = Json.string(req, "confirmation_secret");
    if (Json.string(req, "id") == null || email == null || state == null || !(req.get("expires_at") instanceof Long)) {
      throw new ApiError(400, "invalid_request", "id, email, confirmation_secret and expires_at are required");
    }
    Instant expires = Instant.ofEpochSecond((Long) req.get("expires_at"));
    if (!clock.instant().isBefore(expires)) {
      return Map.of("type", "error", "error", Map.of("code", "expired", "message", "the account request expired"));
    }
    String challenge = Json.string(req, "code_challenge");
    if (challenge != null && !"S256".equals(Json.string(req, "code_challenge_method"))) {
      throw new ApiError(400, "invalid_request", "only code_challenge_method S256 is supported");
    }
    String account = backend.findAccount(email);
    if (account == null) {
      account = backend.createAccount(email, Json.string(req, "name"));
      if (newAccountAnswer == NewAccountAnswer.OAUTH_CODE) {
        return Map.of("type", "oauth", "oauth", Map.of("code", newCode(account, challenge)));
      }
      return Map.of("type", "credentials", "credentials", Map.of("type", "bearer", "bearer", issueTokens(account)));
    }
    String consentId = "cns_" + randomHex(10);
    Instant until = clock.instant().plus(CONSENT_TTL);
    consents.put(consentId, new Consent(account, state, challenge, expires.isBefore(until) ? expires : until));
    return Map.of("type", "requires_auth", "requires_auth", Map.of("type", "redirect",
        "redirect", Map.of("url", server.url("/consent/" + consentId).toString())));
  }

  private MockResponse consentPage(RecordedRequest r, String consentId) {
    synchronized (lock) {
      Consent c = consents.remove(consentId);
      if (c == null || !clock.instant().isBefore(c.expiresAt)) {
        return new MockResponse.Builder().code(410).body("This consent link has expired or was used.").build();
      }
      HttpUrl.Builder cb = HttpUrl.get(callbackUrl).newBuilder();
      if ("deny".equals(r.getUrl().queryParameter("decision"))) {
        cb.addQueryParameter("error", "access_denied");
      } else {
        cb.addQueryParameter("code", newCode(c.accountId, c.challenge));
      }
      cb.addQueryParameter("state", c.state);
      return new MockResponse.Builder().code(302).setHeader("Location", cb.build().toString()).build();
    }
  }

  private String newCode(String account, @Nullable String challenge) {
    String code = "code_" + randomHex(16);
    codes.put(code, new Code(account, challenge, clock.instant().plus(CODE_TTL)));
    return code;
  }

  private Map<String, Object> token(Map<String, String> form) {
    String grant = form.get("grant_type");
    if ("authorization_code".equals(grant)) {
      String code = form.get("code");
      Code c = code == null ? null : codes.remove(code); // single use, also when the attempt fails
      if (c == null) {
        throw new ApiError(400, "invalid_grant", "the code is unknown or was already used");
      }
      if (!clock.instant().isBefore(c.expiresAt)) {
        throw new ApiError(400, "invalid_grant", "the code expired");
      }
      if (c.challenge != null) {
        String verifier = form.get("code_verifier");
        if (verifier == null) {
          throw new ApiError(400, "invalid_grant", "code_verifier is required for this code");
        }
        if (!Pkce.matches(verifier, c.challenge)) {
          throw new ApiError(400, "invalid_grant", "PKCE verification failed");
        }
      }
      return withTokenType(issueTokens(c.accountId));
    }
    if ("refresh_token".equals(grant)) {
      String rt = form.get("refresh_token");
      String account = rt == null ? null : refreshTokens.remove(rt); // rotated: each refresh token works once
      if (account == null) {
        throw new ApiError(400, "invalid_grant", "the refresh token is unknown or was already used");
      }
      return withTokenType(issueTokens(account));
    }
    throw new ApiError(400, "unsupported_grant_type", "grant_type '" + grant + "' is not supported");
  }

  private static Map<String, Object> withTokenType(Map<String, Object> tokens) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("token_type", "bearer");
    m.putAll(tokens);
    return m;
  }

  private Map<String, Object> issueTokens(String account) {
    String access = "cfat_" + randomHex(20);
    String refresh = "cfrt_" + randomHex(20);
    accessTokens.put(access, new AccessToken(account, clock.instant().plus(accessTokenTtl)));
    refreshTokens.put(refresh, account);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("access_token", access);
    m.put("refresh_token", refresh);
    m.put("expires_in", accessTokenTtl.toSeconds());
    m.put("account", Map.of("id", account, "payment_credentials", "orchestrator"));
    return m;
  }

  private String authenticate(RecordedRequest r) {
    String h = r.getHeaders().get("Authorization");
    if (h == null || !h.startsWith("Bearer ")) {
      throw new ApiError(401, "invalid_token", "a bearer access token is required");
    }
    AccessToken t = accessTokens.get(h.substring("Bearer ".length()));
    if (t == null) {
      throw new ApiError(401, "invalid_token", "the access token is unknown");
    }
    if (!clock.instant().isBefore(t.expiresAt)) {
      throw new ApiError(401, "invalid_token", "the access token expired");
    }
    return t.accountId;
  }

  // ---------------------------------------------------------------- resources

  private Map<String, Object> create(String account, Map<String, Object> req, String key, byte[] body) {
    String scoped = account + "|create|" + key;
    String canonical = Json.canonical(req);
    Idem prior = idempotency.get(scoped);
    if (prior != null) {
      if (!prior.canonicalBody.equals(canonical)) {
        throw new ApiError(409, "idempotency_conflict", "Idempotency-Key reused with another body");
      }
      // resources are never removed, and a key is recorded with the resource it created
      return view(Objects.requireNonNull(resources.get(prior.resourceId), "the resource the key created"));
    }
    String serviceId = Json.string(req, "service_id");
    Svc svc = serviceId == null ? null : catalog.get(serviceId);
    if (serviceId == null || svc == null) {
      throw new ApiError(400, "unknown_service", "no service '" + serviceId + "'");
    }
    if (svc.kind.equals("deployable") && !hasPlan(account)) {
      throw new ApiError(400, "requires_plan", serviceId + " needs a plan (workers:free or workers:paid) first");
    }
    Secret token = paymentToken(req);
    Map<String, Object> config = Json.object(req, "configuration");
    String id = String.format("res_%06d", ++counter);
    Res res = new Res(id, account, serviceId, config, Json.string(req, "orchestrator_resource_id"));
    if (svc.pricing.equals("paid")) {
      charge(token, Objects.requireNonNull(svc.price), serviceId + " for " + res.orchestratorId, id + ":create");
      res.status = "pending";
    } else if (serviceId.equals("registrar:domain")) {
      domainStep(res, config, token, id + ":create");
    } else {
      res.status = "pending";
    }
    res.pollsLeft = pendingPolls;
    resources.put(id, res);
    idempotency.put(scoped, new Idem(canonical, id));
    if (res.status.equals("pending") && res.pollsLeft == 0) {
      complete(res);
    }
    return view(res);
  }

  private boolean hasPlan(String account) {
    for (Res r : resources.values()) {
      if (r.accountId.equals(account) && serviceOf(r).kind.equals("plan") && !r.status.equals("removed")) {
        return true;
      }
    }
    return false;
  }

  /** A resource's catalog entry: a resource is created with, and changed to, catalog services only. */
  private Svc serviceOf(Res r) {
    return Objects.requireNonNull(catalog.get(r.serviceId), "the catalog entry of a resource's service");
  }

  private @Nullable Secret paymentToken(Map<String, Object> req) {
    if (!(req.get("payment_credentials") instanceof Map<?, ?>)) {
      return null;
    }
    Map<String, Object> pc = Json.object(req, "payment_credentials");
    String type = Json.string(pc, "type");
    String value = type == null ? null : Json.string(pc, type);
    if (!"stripe_payment_token".equals(type) || value == null || value.isEmpty()) {
      throw new ApiError(400, "invalid_payment_credentials", "payment_credentials must be "
          + "{type:\"stripe_payment_token\", stripe_payment_token:\"spt_…\"}");
    }
    return Secret.of(value);
  }

  private void charge(@Nullable Secret token, Money amount, String description, String chargeKey) {
    if (token == null) {
      throw new ApiError(402, "requires_payment_credentials", description + " costs " + amount
          + "; send payment_credentials");
    }
    try {
      charges.add(charger.charge(token, amount, seller, description, chargeKey));
    } catch (PaymentCharger.Declined d) {
      throw new ApiError(402, "payment_declined", d.code() + ": " + d.getMessage());
    }
  }

  /** The domain loop: a search answers needs_information with choices; a chosen, available name is paid and registered. */
  private void domainStep(Res res, Map<String, Object> config, @Nullable Secret token, String chargeKey) {
    String chosen = Json.string(config, "domain");
    String query = Json.string(config, "domain_query");
    if (chosen != null) {
      Backend.DomainOffer offer = null;
      for (Backend.DomainOffer o : backend.searchDomains(res.accountId, chosen)) {
        if (o.name().equalsIgnoreCase(chosen)) {
          offer = o;
        }
      }
      if (offer != null && offer.available()) {
        charge(token, offer.price(), "registration of " + offer.name(), chargeKey);
        backend.registerDomain(res.accountId, offer.name());
        res.domain = offer.name();
        res.status = "pending";
        res.pollsLeft = pendingPolls;
        res.schema = null;
        return;
      }
      res.message = chosen + " is not available; choose another";
      query = chosen;
    }
    if (query == null) {
      query = res.orchestratorId == null ? "my-app" : res.orchestratorId;
    }
    List<Object> oneOf = new ArrayList<>();
    for (Backend.DomainOffer o : backend.searchDomains(res.accountId, query)) {
      Map<String, Object> option = new LinkedHashMap<>();
      option.put("const", o.name());
      option.put("title", o.name() + " — " + o.price() + " for one year" + (o.available() ? "" : " (taken)"));
      option.put("x-price", Map.of("amount", o.price().minorUnits(), "currency", o.price().currencyCode()));
      option.put("x-available", o.available());
      oneOf.add(option);
    }
    Map<String, Object> domain = new LinkedHashMap<>();
    domain.put("type", "string");
    domain.put("title", "Choose a domain");
    domain.put("oneOf", oneOf);
    res.schema = Map.of("type", "object", "required", List.of("domain"), "properties", Map.of("domain", domain));
    res.status = "needs_information";
  }

  private Map<String, Object> update(Res res, Map<String, Object> req, String key) {
    if (res.status.equals("removed")) {
      throw new ApiError(400, "invalid_state", "the resource was removed");
    }
    Secret token = paymentToken(req);
    Map<String, Object> config = Json.object(req, "configuration");
    if (res.status.equals("needs_information")) {
      res.message = null;
      domainStep(res, config, token, res.id + ":update:" + key);
      if (res.status.equals("pending") && res.pollsLeft == 0) {
        complete(res);
      }
      return view(res);
    }
    if (res.status.equals("pending")) {
      throw new ApiError(400, "invalid_state", "the resource is still pending");
    }
    String target = Json.string(req, "service_id");
    if (target != null && !target.equals(res.serviceId)) {
      Svc current = serviceOf(res);
      Svc next = catalog.get(target);
      if (next == null) {
        throw new ApiError(400, "unknown_service", "no service '" + target + "'");
      }
      if (!current.allowedUpdates.contains(target)) {
        throw new ApiError(400, "destructive_update", res.serviceId + " cannot be changed to " + target);
      }
      if (next.pricing.equals("paid")) {
        charge(token, Objects.requireNonNull(next.price), target + " for " + res.orchestratorId, res.id + ":update:" + key);
      }
      res.serviceId = target;
      res.status = "pending";
      res.pollsLeft = pendingPolls;
    }
    if (!config.isEmpty()) {
      Map<String, Object> merged = new LinkedHashMap<>(res.configuration);
      merged.putAll(config);
      res.configuration = merged;
    }
    if (res.status.equals("pending") && res.pollsLeft == 0) {
      complete(res);
    }
    return view(res);
  }

  private Map<String, Object> rotate(Res res) {
    if (!res.status.equals("complete") || res.credentials.isEmpty()) {
      throw new ApiError(400, "invalid_state", "only a complete resource with credentials can be rotated");
    }
    res.credentials = backend.issueCredentials(res.accountId, res.id, res.serviceId, res.configuration);
    res.generation++;
    return view(res);
  }

  private Map<String, Object> remove(Res res) {
    if (!res.status.equals("removed")) {
      backend.revokeCredentials(res.accountId, res.id);
      backend.deprovision(res.accountId, res.id, res.serviceId);
      res.credentials = Map.of();
      res.status = "removed";
    }
    return Map.of("id", res.id, "status", "removed");
  }

  private void poll(Res res) {
    if (res.status.equals("pending")) {
      res.pollsLeft--;
      if (res.pollsLeft <= 0) {
        complete(res);
      }
    }
  }

  private void complete(Res res) {
    if (res.credentials.isEmpty() && !res.serviceId.startsWith("registrar:")) {
      res.credentials = backend.issueCredentials(res.accountId, res.id, res.serviceId, res.configuration);
    }
    res.status = "complete";
  }

  private Map<String, Object> view(Res res) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", res.id);
    m.put("object", "resource");
    m.put("service_id", res.serviceId);
    m.put("status", res.status);
    if (res.orchestratorId != null) {
      m.put("orchestrator_resource_id", res.orchestratorId);
    }
    if (res.domain != null) {
      m.put("domain", res.domain);
    }
    switch (res.status) {
      case "complete":
        m.put("complete", Map.of("access_configuration", res.credentials));
        break;
      case "needs_information":
        Map<String, Object> ni = new LinkedHashMap<>();
        ni.put("schema", res.schema);
        if (res.message != null) {
          ni.put("message", res.message);
        }
        m.put("needs_information", ni);
        break;
      default:
        break;
    }
    return m;
  }

  // ---------------------------------------------------------------- helpers

  private static String idempotencyKey(RecordedRequest r) {
    String key = r.getHeaders().get("Idempotency-Key");
    if (key == null || key.isBlank()) {
      throw new ApiError(400, "missing_idempotency_key", "this call needs an Idempotency-Key header");
    }
    return key;
  }

  private static byte[] bytes(RecordedRequest r) {
    ByteString b = r.getBody();
    return b == null ? new byte[0] : b.toByteArray();
  }

  private static Map<String, Object> object(byte[] body) {
    try {
      return Json.parseObject(new String(body, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new ApiError(400, "invalid_request", "the body is not a JSON object");
    }
  }

  private static Map<String, String> form(byte[] body) {
    Map<String, String> out = new LinkedHashMap<>();
    String s = new String(body, StandardCharsets.US_ASCII);
    if (s.isEmpty()) {
      return out;
    }
    for (String pair : s.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(k, v);
    }
    return out;
  }

  private static MockResponse json(int status, Object body, String requestId) {
    return new MockResponse.Builder().code(status)
        .setHeader("Content-Type", "application/json")
        .setHeader("Request-Id", requestId)
        .body(Json.write(body))
        .build();
  }

  private String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private record AccessToken(String accountId, Instant expiresAt) {}

  private record Code(String accountId, @Nullable String challenge, Instant expiresAt) {}

  private record Consent(String accountId, String state, @Nullable String challenge, Instant expiresAt) {}

  private record Idem(String canonicalBody, String resourceId) {}

  private static final class Res {
    final String id;
    final String accountId;
    final @Nullable String orchestratorId;
    String serviceId;
    Map<String, Object> configuration;
    String status = "pending";
    int pollsLeft;
    Map<String, String> credentials = Map.of();
    int generation;
    @Nullable Map<String, Object> schema;
    @Nullable String domain;
    @Nullable String message;

    Res(String id, String accountId, String serviceId, Map<String, Object> configuration, @Nullable String orchestratorId) {
      this.id = id;
      this.accountId = accountId;
      this.serviceId = serviceId;
      this.configuration = configuration;
      this.orchestratorId = orchestratorId;
    }
  }

  /** Builds and starts a {@link ProviderSandbox}. */
  public static final class Builder {
    private Secret sharedSecret = Secret.of("whsec_provider_sandbox");
    private Clock clock = Clock.systemUTC();
    private Backend backend = new InMemoryBackend();
    private @Nullable PaymentCharger charger;
    private String seller = DEFAULT_SELLER;
    private List<String> supportedVersions = DEFAULT_SUPPORTED_VERSIONS;
    private int pageSize = DEFAULT_PAGE_SIZE;
    private int pendingPolls = DEFAULT_PENDING_POLLS;
    private Duration accessTokenTtl = DEFAULT_ACCESS_TOKEN_TTL;
    private Duration signatureTolerance = ProtocolSignature.DEFAULT_TOLERANCE;
    private NewAccountAnswer newAccountAnswer = NewAccountAnswer.CREDENTIALS;
    private String callbackUrl = DEFAULT_CALLBACK_URL;
    private final Map<String, String> descriptions = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Lists service {@code serviceId} with {@code text} as its description instead of the default:
     * provider-written text, for tests of what an agent does with it (such as an injected instruction).
     */
    public Builder serviceDescription(String serviceId, String text) {
      descriptions.put(Objects.requireNonNull(serviceId, "serviceId"), Objects.requireNonNull(text, "text"));
      return this;
    }

    /** The secret shared with the orchestrator, for request signatures. */
    public Builder sharedSecret(Secret secret) {
      this.sharedSecret = Objects.requireNonNull(secret, "sharedSecret");
      return this;
    }

    /** The clock for signature tolerance and token, code and consent expiry (a {@code VirtualTime} in tests). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder backend(Backend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /** Charges payment tokens; default a new {@link InMemoryPaymentCharger} on the sandbox's clock. */
    public Builder charger(PaymentCharger charger) {
      this.charger = Objects.requireNonNull(charger, "charger");
      return this;
    }

    /** The seller name charges are made as. */
    public Builder seller(String seller) {
      this.seller = Objects.requireNonNull(seller, "seller");
      return this;
    }

    public Builder supportedVersions(String... versions) {
      this.supportedVersions = List.of(versions);
      return this;
    }

    public Builder pageSize(int size) {
      if (size < 1) {
        throw new IllegalArgumentException("pageSize must be at least 1");
      }
      this.pageSize = size;
      return this;
    }

    /** How many polls a new or changed resource stays pending (0: complete at once). */
    public Builder pendingPolls(int polls) {
      if (polls < 0) {
        throw new IllegalArgumentException("pendingPolls must not be negative");
      }
      this.pendingPolls = polls;
      return this;
    }

    public Builder accessTokenTtl(Duration ttl) {
      this.accessTokenTtl = Objects.requireNonNull(ttl, "accessTokenTtl");
      return this;
    }

    public Builder signatureTolerance(Duration tolerance) {
      this.signatureTolerance = Objects.requireNonNull(tolerance, "signatureTolerance");
      return this;
    }

    public Builder newAccountAnswer(NewAccountAnswer answer) {
      this.newAccountAnswer = Objects.requireNonNull(answer, "newAccountAnswer");
      return this;
    }

    /** Where the consent page redirects the person back to (the orchestrator's OAuth callback). */
    public Builder callbackUrl(String url) {
      this.callbackUrl = HttpUrl.get(url).toString();
      return this;
    }

    /** Starts the sandbox on a loopback port. */
    public ProviderSandbox start() {
      try {
        return new ProviderSandbox(this);
      } catch (IOException e) {
        throw new IllegalStateException("could not start the provider sandbox: " + e.getMessage(), e);
      }
    }
  }
}
