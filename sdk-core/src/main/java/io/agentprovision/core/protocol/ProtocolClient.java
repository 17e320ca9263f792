package io.agentprovision.core.protocol;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.http.ResilienceInterceptor;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.internal.protocol.ProtocolWire;
import io.agentprovision.core.internal.protocol.SecureUrls;
import io.agentprovision.core.orchestration.DeepLink;
import io.agentprovision.core.spi.ProvisioningProvider;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import org.jspecify.annotations.Nullable;

/**
 * The provider protocol client (Layer B, {@code 0.1d}): okhttp with the SDK's
 * {@link ResilienceInterceptor}, every request signed with the provider's shared secret
 * ({@link ProtocolSignature}) and sent with {@code API-Version}. One client speaks to one provider.
 * Immutable and thread-safe; build it once and share it.
 *
 * <pre>{@code
 * ProtocolClient cloudflare = ProtocolClient.builder()
 *     .provider("cloudflare")
 *     .baseUrl("https://provisioning.example-provider.com")
 *     .sharedSecret(Secret.of(System.getenv("PROVIDER_SHARED_SECRET")))
 *     .build();
 * cloudflare.checkVersion();                       // health + API-Version support
 * List<ServiceOffering> services = cloudflare.allServices();
 * }</pre>
 *
 * <p>Resource calls carry {@code Authorization: Bearer <access token>}; calls that change something
 * carry the caller's {@code Idempotency-Key}, which also lets the resilience layer retry them. Each
 * attempt is signed anew, so a retry after a backoff still falls within the provider's tolerance.
 * Redirects are not followed, so neither the signature nor a bearer token is sent elsewhere.
 */
public final class ProtocolClient implements ProvisioningProvider {
  /** The protocol version sent unless configured otherwise. */
  public static final String DEFAULT_API_VERSION = "0.1d";
  /** The request header naming the protocol version. */
  public static final String API_VERSION_HEADER = "API-Version";
  /** The {@code payment_credentials.type} for Stripe Shared Payment Tokens. */
  public static final String PAYMENT_CREDENTIALS_TYPE = "stripe_payment_token";

  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

  private final Shared shared;
  private final @Nullable RetryObserver observer;

  /** What every view of one client shares. */
  private static final class Shared {
    final String provider;
    final HttpUrl baseUrl;
    final String apiVersion;
    final Clock clock;
    final OkHttpClient http;

    Shared(Builder b) {
      this.provider = b.provider;
      this.baseUrl = b.baseUrl;
      this.apiVersion = b.apiVersion;
      this.clock = b.clock;
      ProtocolSignature signature = ProtocolSignature.of(b.sharedSecret);
      OkHttpClient base = b.httpClient.newBuilder().followRedirects(false).followSslRedirects(false).build();
      // The signer sits after the resilience layer, so each retried attempt is signed with a fresh timestamp.
      this.http = ResilienceInterceptor.install(base, b.provider, b.resilience, b.sleeper, b.clock).newBuilder()
          .addInterceptor(new Signer(signature, b.apiVersion, b.clock))
          .build();
    }
  }

  private ProtocolClient(Shared shared, @Nullable RetryObserver observer) {
    this.shared = shared;
    this.observer = observer;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return shared.provider;
  }

  @Override
  public String apiVersion() {
    return shared.apiVersion;
  }

  /** The provider's base URL. */
  public URI baseUrl() {
    return shared.baseUrl.uri();
  }

  @Override
  public ProvisioningProvider withRetryObserver(RetryObserver retryObserver) {
    return new ProtocolClient(shared, Objects.requireNonNull(retryObserver, "retryObserver"));
  }

  @Override
  public ProviderHealth health() {
    Map<String, Object> m = send(get(url("provisioning/health"), null));
    List<String> versions = new ArrayList<>();
    for (Object v : Json.list(m, "supported_versions")) {
      if (v != null) {
        versions.add(String.valueOf(v));
      }
    }
    String status = Json.string(m, "status");
    return new ProviderHealth(status == null ? "unknown" : status, versions);
  }

  @Override
  public ServicePage services(@Nullable String cursor) {
    HttpUrl.Builder u = url("provisioning/services").newBuilder();
    if (cursor != null) {
      u.addQueryParameter("cursor", cursor);
    }
    Map<String, Object> m = send(get(u.build(), null));
    List<ServiceOffering> out = new ArrayList<>();
    for (Object o : Json.list(m, "data")) {
      if (o instanceof Map<?, ?>) {
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) o;
        out.add(parse(() -> ProtocolWire.service(s, shared.provider)));
      }
    }
    return new ServicePage(out, Json.string(m, "next_cursor"));
  }

  @Override
  public AccountResponse requestAccount(AccountRequest r) {
    Objects.requireNonNull(r, "request");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", r.id());
    body.put("email", r.email());
    putIfPresent(body, "name", r.name());
    putIfPresent(body, "country", r.country());
    putIfPresent(body, "phone", r.phone());
    body.put("kyc", Map.of("verified_fields", r.verifiedFields().stream().sorted().toList()));
    body.put("scopes", r.scopes());
    body.put("client_capabilities", r.clientCapabilities());
    body.put("configuration", r.configuration());
    body.put("confirmation_secret", r.confirmationSecret().reveal());
    body.put("expires_at", r.expiresAt().getEpochSecond());
    body.put("orchestrator", r.orchestrator());
    if (r.codeChallenge() != null) {
      // Not in the published field list (M): a provider that ignores it issues codes without PKCE.
      body.put("code_challenge", r.codeChallenge());
      body.put("code_challenge_method", "S256");
    }
    Map<String, Object> m = send(post(url("provisioning/account_requests"), body, null, null));
    return parse(() -> ProtocolWire.accountResponse(m, shared.clock));
  }

  @Override
  public ProviderTokens exchangeCode(Secret code, @Nullable Secret codeVerifier) {
    FormBody.Builder f = new FormBody.Builder()
        .add("grant_type", "authorization_code")
        .add("code", Objects.requireNonNull(code, "code").reveal());
    if (codeVerifier != null) {
      f.add("code_verifier", codeVerifier.reveal());
    }
    return token(f.build());
  }

  @Override
  public ProviderTokens refresh(Secret refreshToken) {
    return token(new FormBody.Builder()
        .add("grant_type", "refresh_token")
        .add("refresh_token", Objects.requireNonNull(refreshToken, "refreshToken").reveal())
        .build());
  }

  private ProviderTokens token(FormBody form) {
    Request req = new Request.Builder().url(url("oauth/token")).post(form).build();
    Map<String, Object> m = send(req);
    return parse(() -> ProtocolWire.tokens(m, shared.clock));
  }

  @Override
  public ProviderResource createResource(Secret accessToken, ProviderResourceRequest r, String idempotencyKey) {
    Objects.requireNonNull(r, "request");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("service_id", r.serviceId());
    body.put("configuration", r.configuration());
    if (r.paymentToken() != null) {
      body.put("payment_credentials", paymentCredentials(r.paymentToken()));
    }
    body.put("project_id", r.projectId());
    body.put("orchestrator_resource_id", r.orchestratorResourceId());
    body.put("environment", r.environment());
    Map<String, Object> m = send(post(url("provisioning/resources"), body, accessToken, key(idempotencyKey)));
    return parse(() -> ProtocolWire.resource(m, null));
  }

  @Override
  public ProviderResource getResource(Secret accessToken, String resourceId) {
    Map<String, Object> m = send(get(resourceUrl(resourceId, null), accessToken));
    return parse(() -> ProtocolWire.resource(m, resourceId));
  }

  @Override
  public ProviderResource updateService(Secret accessToken, String resourceId, ProviderResourceUpdate u,
      String idempotencyKey) {
    Objects.requireNonNull(u, "update");
    Map<String, Object> body = new LinkedHashMap<>();
    putIfPresent(body, "service_id", u.serviceId());
    if (u.configuration() != null) {
      body.put("configuration", u.configuration());
    }
    if (u.paymentToken() != null) {
      body.put("payment_credentials", paymentCredentials(u.paymentToken()));
    }
    return resourceAction(accessToken, resourceId, "update_service", body, idempotencyKey);
  }

  @Override
  public ProviderResource rotateCredentials(Secret accessToken, String resourceId, String idempotencyKey) {
    return resourceAction(accessToken, resourceId, "rotate_credentials", Map.of(), idempotencyKey);
  }

  @Override
  public ProviderResource removeResource(Secret accessToken, String resourceId, String idempotencyKey) {
    return resourceAction(accessToken, resourceId, "remove", Map.of(), idempotencyKey);
  }

  @Override
  public DeepLink deepLink(Secret accessToken, String purpose) {
    Objects.requireNonNull(purpose, "purpose");
    Map<String, Object> m = send(post(url("provisioning/deep_links"), Map.of("purpose", purpose), accessToken, null));
    return parse(() -> {
      String u = Json.string(m, "url");
      if (u == null) {
        throw new IllegalArgumentException("a deep link without a url");
      }
      Instant exp = m.get("expires_at") instanceof Number n ? Instant.ofEpochSecond(n.longValue()) : null;
      String p = Json.string(m, "purpose");
      return new DeepLink(p == null ? purpose : p, URI.create(u), exp);
    });
  }

  private ProviderResource resourceAction(Secret accessToken, String resourceId, String action, Map<String, Object> body,
      String idempotencyKey) {
    Map<String, Object> m = send(post(resourceUrl(resourceId, action), body, accessToken, key(idempotencyKey)));
    return parse(() -> ProtocolWire.resource(m, resourceId));
  }

  private static Map<String, Object> paymentCredentials(Secret token) {
    return Map.of("type", PAYMENT_CREDENTIALS_TYPE, PAYMENT_CREDENTIALS_TYPE, token.reveal());
  }

  private static String key(String idempotencyKey) {
    if (idempotencyKey == null || idempotencyKey.isBlank()) {
      throw new InvalidRequestException("idempotencyKey", "is empty", "pass the step's idempotency key");
    }
    return idempotencyKey;
  }

  private static void putIfPresent(Map<String, Object> m, String k, @Nullable Object v) {
    if (v != null) {
      m.put(k, v);
    }
  }

  private HttpUrl url(String path) {
    return shared.baseUrl.newBuilder().addPathSegments(path).build();
  }

  private HttpUrl resourceUrl(String resourceId, @Nullable String action) {
    if (resourceId == null || resourceId.isBlank()) {
      throw new InvalidRequestException("resourceId", "is empty", "pass the provider's resource id");
    }
    HttpUrl.Builder b = shared.baseUrl.newBuilder().addPathSegments("provisioning/resources").addPathSegment(resourceId);
    if (action != null) {
      b.addPathSegment(action);
    }
    return b.build();
  }

  private Request get(HttpUrl url, @Nullable Secret bearer) {
    Request.Builder b = new Request.Builder().url(url).get();
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer.reveal());
    }
    return b.build();
  }

  private Request post(HttpUrl url, Map<String, Object> body, @Nullable Secret bearer, @Nullable String idempotencyKey) {
    Request.Builder b = new Request.Builder().url(url).post(RequestBody.create(Json.write(body), JSON));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer.reveal());
    }
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return b.build();
  }

  private Map<String, Object> send(Request request) {
    Request r = observer == null ? request : request.newBuilder().tag(RetryObserver.class, observer).build();
    String text;
    int code;
    String requestId;
    try (Response response = shared.http.newCall(r).execute()) {
      code = response.code();
      requestId = response.header("Request-Id");
      if (requestId == null) {
        requestId = response.header("X-Request-Id");
      }
      ResponseBody body = response.body();
      text = body == null ? "" : body.string();
    } catch (ProviderException e) {
      throw e;
    } catch (IOException e) {
      throw ProviderException.builder(shared.provider, r.method() + " " + r.url().encodedPath() + " failed: "
          + ProtocolWire.scrub(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()))
          .code("network_error").retryable(true).cause(e)
          .outcome(ProviderException.Outcome.ofConnectionFailure(e, changes(r))).build();
    }
    if (code < 200 || code >= 300) {
      ProviderException refused = ProtocolWire.httpError(shared.provider, code, requestId, text);
      throw changes(r) ? refused : refused.withOutcome(ProviderException.Outcome.NOT_EXECUTED);
    }
    try {
      return text.isBlank() ? Map.of() : Json.parseObject(text);
    } catch (IllegalArgumentException e) {
      // a 2xx to a change: it was carried out, but what it made cannot be read
      throw ProviderException.builder(shared.provider, r.method() + " " + r.url().encodedPath()
          + " answered with a body that is not a JSON object").status(code).code("malformed_response")
          .requestId(requestId).retryable(false).outcome(changes(r) ? ProviderException.Outcome.UNKNOWN
              : ProviderException.Outcome.NOT_EXECUTED).build();
    }
  }

  /** Whether {@code r} may change something at the provider: anything but a read. */
  private static boolean changes(Request r) {
    return !"GET".equals(r.method()) && !"HEAD".equals(r.method());
  }

  private <T> T parse(java.util.function.Supplier<T> reader) {
    try {
      return reader.get();
    } catch (IllegalArgumentException e) {
      throw new ProviderException(shared.provider, 200, "malformed_response", null,
          "the answer could not be read: " + ProtocolWire.scrub(e.getMessage()), false);
    }
  }

  @Override
  public String toString() {
    return "ProtocolClient{provider=" + shared.provider + ", baseUrl=" + shared.baseUrl + ", apiVersion="
        + shared.apiVersion + "}";
  }

  /** Signs each attempt and names the protocol version. */
  private static final class Signer implements Interceptor {
    private final ProtocolSignature signature;
    private final String apiVersion;
    private final Clock clock;

    Signer(ProtocolSignature signature, String apiVersion, Clock clock) {
      this.signature = signature;
      this.apiVersion = apiVersion;
      this.clock = clock;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
      Request request = chain.request();
      byte[] bytes = new byte[0];
      RequestBody body = request.body();
      if (body != null) {
        Buffer buffer = new Buffer();
        body.writeTo(buffer);
        bytes = buffer.readByteArray();
      }
      Request.Builder b = request.newBuilder()
          .header(API_VERSION_HEADER, apiVersion)
          .header(ProtocolSignature.HEADER, signature.sign(bytes, clock.instant()));
      if (body != null) {
        // the exact bytes signed are the bytes sent
        b.method(request.method(), RequestBody.create(bytes, body.contentType()));
      }
      return chain.proceed(b.build());
    }
  }

  /** Builds a {@link ProtocolClient}; setters validate and name the field. */
  public static final class Builder {
    private @Nullable String provider;
    private @Nullable HttpUrl baseUrl;
    private @Nullable Secret sharedSecret;
    private String apiVersion = DEFAULT_API_VERSION;
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private ResiliencePolicy resilience = ResiliencePolicy.ofDefaults();
    private OkHttpClient httpClient = DefaultHttp.CLIENT;

    private Builder() {}

    /** The provider's catalog name, such as {@code "cloudflare"}. Required. */
    public Builder provider(String name) {
      if (name == null || name.isBlank()) {
        throw new InvalidRequestException("provider", "is empty", "pass the provider's name, such as \"cloudflare\"");
      }
      this.provider = name;
      return this;
    }

    /**
     * The provider's protocol base URL. Required. Must be {@code https}, except on a loopback host
     * (a sandbox on this machine).
     */
    public Builder baseUrl(String url) {
      this.baseUrl = SecureUrls.require("baseUrl", url);
      return this;
    }

    /** {@link #baseUrl(String)} from a URI. */
    public Builder baseUrl(URI url) {
      return baseUrl(Objects.requireNonNull(url, "baseUrl").toString());
    }

    /** The secret this orchestrator shares with the provider, for request signatures. Required. */
    public Builder sharedSecret(Secret secret) {
      this.sharedSecret = Objects.requireNonNull(secret, "sharedSecret");
      return this;
    }

    /** The protocol version to send; default {@link #DEFAULT_API_VERSION}. */
    public Builder apiVersion(String version) {
      if (version == null || version.isBlank() || !version.matches("[A-Za-z0-9._-]{1,32}")) {
        throw new InvalidRequestException("apiVersion", "'" + version + "' is not a version string",
            "pass a version such as \"0.1d\"");
      }
      this.apiVersion = version;
      return this;
    }

    /** The clock for signature timestamps and token expiry. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The sleeper for retry backoff. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    public Builder resilience(ResiliencePolicy policy) {
      this.resilience = Objects.requireNonNull(policy, "resilience");
      return this;
    }

    /** A base okhttp client to share pools with; the client derives its own from it. */
    public Builder httpClient(OkHttpClient client) {
      this.httpClient = Objects.requireNonNull(client, "httpClient");
      return this;
    }

    public ProtocolClient build() {
      if (provider == null) {
        throw new InvalidRequestException("provider", "is not set", "call provider(\"cloudflare\")");
      }
      if (baseUrl == null) {
        throw new InvalidRequestException("baseUrl", "is not set", "call baseUrl(\"https://…\")");
      }
      if (sharedSecret == null) {
        throw new InvalidRequestException("sharedSecret", "is not set",
            "call sharedSecret(Secret.of(…)) with the secret the provider issued to this orchestrator");
      }
      return new ProtocolClient(new Shared(this), null);
    }
  }

  /** One shared default client, so that clients built without one share pools. */
  private static final class DefaultHttp {
    static final OkHttpClient CLIENT = new OkHttpClient();
  }
}
