package io.agentprovision.core.protocol;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.MalformedResponseException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.http.RetryAfter;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.identity.Pkce;
import io.agentprovision.core.internal.protocol.ProtocolWire;
import io.agentprovision.core.internal.protocol.SecureUrls;
import io.agentprovision.core.orchestration.DeepLink;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.spi.ProvisioningProvider;
import io.agentprovision.core.wire.Json;
import io.agentprovision.core.wire.WireFormatException;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
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
 * The provider protocol client (Layer B, {@code 0.1d}): a client of the {@link HttpStack} (which
 * owns retries, honouring {@code Retry-After}), every request signed with the provider's shared secret
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
  /**
   * Error codes with which a provider refuses the {@code update_service} form of an answer to
   * {@code needs_information} (seen: {@code invalid_state}; the others by their names).
   */
  public static final Set<String> REFUSED_FORM_CODES = Set.of("invalid_state", "unsupported_operation",
      "not_supported", "method_not_allowed");

  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

  private final Shared shared;
  private final @Nullable RetryObserver observer;

  /** What every view of one client shares. */
  private static final class Shared {
    final String provider;
    final HttpUrl baseUrl;
    final String apiVersion;
    final Clock clock;
    final Sleeper sleeper;
    final OkHttpClient http;

    Shared(Builder b, String provider, HttpUrl baseUrl, Secret sharedSecret) {
      this.provider = provider;
      this.baseUrl = baseUrl;
      this.apiVersion = b.apiVersion;
      this.clock = b.clock;
      this.sleeper = b.sleeper;
      ProtocolSignature signature = ProtocolSignature.of(sharedSecret);
      // The signer sits after the stack's resilience layer, so each retried attempt is signed with a fresh timestamp.
      this.http = b.http.client(provider, b.resilience).newBuilder()
          .followRedirects(false)
          .followSslRedirects(false)
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
    Answer a = send(get(url("provisioning/health"), null));
    return read(a, ProtocolWire::health);
  }

  @Override
  public ServicePage services(@Nullable String cursor) {
    HttpUrl.Builder u = url("provisioning/services").newBuilder();
    if (cursor != null) {
      u.addQueryParameter("cursor", cursor);
    }
    Answer a = send(get(u.build(), null));
    return read(a, m -> ProtocolWire.services(m, shared.provider));
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
      body.put("code_challenge_method", Pkce.METHOD);
    }
    Answer a = send(post(url("provisioning/account_requests"), body, null, null));
    return read(a, m -> ProtocolWire.accountResponse(m, shared.clock));
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
    Answer a = send(req);
    return read(a, m -> ProtocolWire.tokens(m, shared.clock));
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
    return resource(send(post(url("provisioning/resources"), body, accessToken, key(idempotencyKey))), null);
  }

  @Override
  public ProviderResource getResource(Secret accessToken, String resourceId) {
    return resource(send(get(resourceUrl(resourceId, null), accessToken)), resourceId);
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
    Answer a = send(post(url("provisioning/deep_links"), Map.of("purpose", purpose), accessToken, null));
    return read(a, m -> ProtocolWire.deepLink(m, purpose));
  }

  /**
   * Answers a resource's {@code needs_information} in the form given: {@link InformationAnswer.ByUpdate}
   * as {@code update_service}, {@link InformationAnswer.ByNewRequest} as a new create. A provider that
   * does not take the update form (it answers {@code invalid_state}, {@code unsupported_operation} or
   * {@code not_supported}, or the route is missing: 404, 405, 501) is reported as an
   * {@link InformationAnswerRefusedException}, after which the other form may be tried.
   */
  @Override
  public ProviderResource answerInformation(Secret accessToken, InformationAnswer answer, String idempotencyKey) {
    Objects.requireNonNull(answer, "answer");
    if (answer instanceof InformationAnswer.ByNewRequest n) {
      return createResource(accessToken, n.request(), idempotencyKey);
    }
    InformationAnswer.ByUpdate u = (InformationAnswer.ByUpdate) answer;
    ProviderResource r;
    try {
      r = updateService(accessToken, u.resourceId(), new ProviderResourceUpdate(null, u.configuration(),
          u.paymentToken()), idempotencyKey);
    } catch (InformationAnswerRefusedException e) {
      throw e;
    } catch (ProviderException e) {
      if (refusesUpdateForm(e.status(), e.code())) {
        throw new InformationAnswerRefusedException(shared.provider, e.status(), e.code(), e.requestId(),
            "update_service", String.valueOf(e.getMessage()));
      }
      throw e;
    }
    if (r.status() == ResourceStatus.ERRORED && refusesUpdateForm(200, r.errorCode())) {
      throw new InformationAnswerRefusedException(shared.provider, 200, r.errorCode(), null, "update_service",
          r.errorMessage() == null ? "no reason given" : r.errorMessage());
    }
    return r;
  }

  private static boolean refusesUpdateForm(int status, @Nullable String code) {
    return status == 404 || status == 405 || status == 501
        || (code != null && REFUSED_FORM_CODES.contains(code));
  }

  private ProviderResource resourceAction(Secret accessToken, String resourceId, String action, Map<String, Object> body,
      String idempotencyKey) {
    return resource(send(post(resourceUrl(resourceId, action), body, accessToken, key(idempotencyKey))), resourceId);
  }

  /**
   * A resource answer. An {@code error} that names no resource is about the request, not a resource
   * (such as {@code requires_payment_credentials} or {@code invalid_configuration}, with HTTP 200 as
   * some providers send it): a {@link ProviderException} with the provider's code and message.
   */
  private ProviderResource resource(Answer a, @Nullable String resourceId) {
    ProtocolWire.ResourceAnswer r = read(a, m -> ProtocolWire.resource(m, resourceId));
    if (r.id() == null && r.status() == ResourceStatus.ERRORED) {
      throw new ProviderException(shared.provider, a.status(), r.errorCode() == null ? "error" : r.errorCode(),
          a.requestId(), a.what() + " was refused: " + (r.errorMessage() == null ? "no reason given"
              : r.errorMessage()), false);
    }
    return r.toResource();
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

  /** What came back for a call: its status, request id and JSON object. */
  private record Answer(String what, int status, @Nullable String requestId, Map<String, Object> body,
      boolean changes) {}

  private Answer send(Request request) {
    Request.Builder tagged = request.newBuilder().tag(Sleeper.class, shared.sleeper).tag(Clock.class, shared.clock);
    if (observer != null) {
      tagged.tag(RetryObserver.class, observer);
    }
    Request r = tagged.build();
    String what = r.method() + " " + r.url().encodedPath();
    String text;
    int code;
    String requestId;
    Duration retryAfter;
    try (Response response = shared.http.newCall(r).execute()) {
      code = response.code();
      retryAfter = RetryAfter.of(response, shared.clock);
      requestId = response.header("Request-Id");
      if (requestId == null) {
        requestId = response.header("X-Request-Id");
      }
      ResponseBody body = response.body();
      text = body == null ? "" : body.string();
    } catch (ProviderException e) {
      throw e;
    } catch (IOException e) {
      throw ProviderException.builder(shared.provider, what + " failed: "
          + Secret.scrub(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()))
          .code("network_error").retryable(true).cause(e)
          .outcome(ProviderException.Outcome.ofConnectionFailure(e, changes(r))).build();
    }
    if (code < 200 || code >= 300) {
      ProviderException refused = httpError(code, requestId, text, retryAfter);
      throw changes(r) ? refused : refused.withOutcome(ProviderException.Outcome.NOT_EXECUTED); // a read changed nothing
    }
    try {
      return new Answer(what, code, requestId, text.isBlank() ? Map.of() : Json.parseObject(text), changes(r));
    } catch (IllegalArgumentException e) {
      // a 2xx to a change: it was carried out, but what it made cannot be read; a read changed nothing
      throw new MalformedResponseException(shared.provider, code, requestId, what, "$", "is not a JSON object",
          changes(r) ? ProviderException.Outcome.UNKNOWN : ProviderException.Outcome.NOT_EXECUTED);
    }
  }

  /** Whether {@code r} may change something at the provider: anything but a read. */
  private static boolean changes(Request r) {
    return !"GET".equals(r.method()) && !"HEAD".equals(r.method());
  }

  /** The exception for an HTTP error answer, with the provider's code, message and request id. */
  private ProviderException httpError(int status, @Nullable String requestId, String body,
      @Nullable Duration retryAfter) {
    String code = null;
    String message = null;
    try {
      ProtocolWire.ErrorJson e = ProtocolWire.error(Json.parseObject(body));
      code = e.code();
      message = e.message();
    } catch (IllegalArgumentException notJson) {
      message = body.isBlank() ? null : body;
    }
    return new ProviderException(shared.provider, status, code, requestId,
        message == null || message.isBlank() ? "request failed" : Secret.scrub(message),
        ProviderException.retryableStatus(status) && status != 409, null, retryAfter);
  }

  /** Reads an answer with {@code reader}; a shape it cannot read is a {@link MalformedResponseException} naming the member. */
  private <T> T read(Answer a, Function<Map<String, Object>, T> reader) {
    try {
      return reader.apply(a.body());
    } catch (WireFormatException e) {
      throw new MalformedResponseException(shared.provider, a.status(), a.requestId(), a.what(), e.path(), e.problem(),
          a.changes() ? ProviderException.Outcome.UNKNOWN : ProviderException.Outcome.NOT_EXECUTED);
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
    private HttpStack http = HttpStack.shared();

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

    /** The sleeper for retry backoff (each request carries it to the stack's retry layer). */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    public Builder resilience(ResiliencePolicy policy) {
      this.resilience = Objects.requireNonNull(policy, "resilience");
      return this;
    }

    /**
     * The provisioner's HTTP stack: its connection pool, and the breaker, rate limiter and retries
     * kept per provider. Without one, the client uses {@link HttpStack#shared()}.
     */
    public Builder http(HttpStack stack) {
      this.http = Objects.requireNonNull(stack, "http");
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
      return new ProtocolClient(new Shared(this, provider, baseUrl, sharedSecret), null);
    }
  }
}
