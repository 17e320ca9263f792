package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Fields;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.http.ResilienceInterceptor;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the Cloudflare v4 API: bearer-token authentication, the response envelope (checked
 * for {@code success} even on HTTP 200), typed errors ({@link CloudflareException}), the three
 * pagination styles, and the SDK's resilience layer (retries of safe calls on 408/429/5xx with
 * {@code Retry-After} honoured, pacing by the {@code Ratelimit} header, a circuit breaker and a
 * client-side rate limit of 1,200 calls per five minutes). Immutable and thread-safe; derive
 * variants with {@link #withToken} and {@link #toBuilder()}, which share connection pools.
 *
 * <pre>{@code
 * CloudflareClient cf = CloudflareClient.builder()
 *     .token(Secret.of(System.getenv("CLOUDFLARE_API_TOKEN")))
 *     .build();
 * String account = cf.accounts().list().get(0).id();
 * cf.workers(account).upload(WorkerApp.fromDirectory(Path.of("my-app")));
 * }</pre>
 *
 * <p>No token value reaches a log line or an exception message: requests are logged at debug level
 * by method, path, status and {@code CF-Ray} only, and remote error text is cleaned of anything
 * credential-shaped.
 */
public final class CloudflareClient {
  /** The provider name used in exceptions, events and audit entries. */
  public static final String PROVIDER = "cloudflare";
  /** Cloudflare's API base. */
  public static final String DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4";
  /**
   * The official SDKs' behaviour: the first call and two retries, backoff from 0.5 s doubling to
   * 8 s; and Cloudflare's global limit of 1,200 requests per five minutes per token.
   */
  public static final ResiliencePolicy DEFAULT_RESILIENCE = ResiliencePolicy.custom()
      .maxAttempts(3)
      .initialBackoff(Duration.ofMillis(500))
      .maxBackoff(Duration.ofSeconds(8))
      .rateLimit(1200, Duration.ofMinutes(5))
      .build();
  /** Page size used when walking page-numbered lists (Cloudflare accepts 5 to 50). */
  public static final int DEFAULT_PER_PAGE = 50;
  /** The most pages any list walk reads before it stops, so a misbehaving server cannot loop us. */
  public static final int MAX_PAGES = 1000;

  static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
  private static final Logger LOG = LoggerFactory.getLogger(CloudflareClient.class);
  private static final OkHttpClient SHARED_BASE = new OkHttpClient();

  private final HttpUrl baseUrl;
  private final @Nullable Secret token;
  private final OkHttpClient base;
  private final OkHttpClient http;
  private final ResiliencePolicy resilience;
  private final Clock clock;
  private final Sleeper sleeper;
  private final @Nullable RetryObserver retryObserver;
  private final String userAgent;

  private CloudflareClient(Builder b, @Nullable OkHttpClient sharedHttp) {
    this.baseUrl = b.baseUrl;
    this.token = b.token;
    this.base = b.httpClient;
    this.resilience = b.resilience;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.retryObserver = b.retryObserver;
    this.userAgent = b.userAgent;
    this.http = sharedHttp != null ? sharedHttp : ResilienceInterceptor.install(base, PROVIDER, resilience, sleeper, clock);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this client's settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.baseUrl = baseUrl;
    b.token = token;
    b.httpClient = base;
    b.resilience = resilience;
    b.clock = clock;
    b.sleeper = sleeper;
    b.retryObserver = retryObserver;
    b.userAgent = userAgent;
    return b;
  }

  /** The same client authenticating with another token; shares pools, retries and rate limit. */
  public CloudflareClient withToken(Secret otherToken) {
    Builder b = toBuilder();
    b.token = Objects.requireNonNull(otherToken, "token");
    return new CloudflareClient(b, http);
  }

  /** The same client reporting retries to {@code observer} (such as {@code ctx::retrying}). */
  public CloudflareClient withRetryObserver(@Nullable RetryObserver observer) {
    Builder b = toBuilder();
    b.retryObserver = observer;
    return new CloudflareClient(b, http);
  }

  public HttpUrl baseUrl() {
    return baseUrl;
  }

  public Clock clock() {
    return clock;
  }

  public Sleeper sleeper() {
    return sleeper;
  }

  public ResiliencePolicy resilience() {
    return resilience;
  }

  // ---- operation groups ---------------------------------------------------------------------

  /** {@code /accounts}: the accounts the token can see. */
  public Accounts accounts() {
    return new Accounts(this);
  }

  /** Account-owned API tokens, {@code /accounts/{id}/tokens}. */
  public ApiTokens accountTokens(String accountId) {
    return ApiTokens.forAccount(this, accountId);
  }

  /** User-owned API tokens, {@code /user/tokens} (same shapes as account-owned ones). */
  public ApiTokens userTokens() {
    return ApiTokens.forUser(this);
  }

  /** Workers of an account: subdomain, scripts, custom domains, routes. */
  public Workers workers(String accountId) {
    return new Workers(this, accountId);
  }

  /** Zones: lookup, creation, activation. */
  public Zones zones() {
    return new Zones(this);
  }

  /** The 2026 Registrar API of an account (billable: see {@link DomainPurchase}). */
  public Registrar registrar(String accountId) {
    return new Registrar(this, accountId, false);
  }

  /** Notification policies of an account (spend alerts). */
  public NotificationPolicies notificationPolicies(String accountId) {
    return new NotificationPolicies(this, accountId);
  }

  // ---- calls --------------------------------------------------------------------------------

  /** {@code GET path} with query parameters (lists become repeated parameters). */
  public CloudflareResponse get(String path, Map<String, ?> query) {
    return call("GET", path, query, null, Map.of());
  }

  public CloudflareResponse get(String path) {
    return get(path, Map.of());
  }

  /** {@code POST path} with a JSON body (maps, lists, strings, numbers, booleans). */
  public CloudflareResponse post(String path, Object jsonBody) {
    return call("POST", path, Map.of(), json(jsonBody), Map.of());
  }

  /** {@code PUT path} with a JSON body. */
  public CloudflareResponse put(String path, Object jsonBody) {
    return call("PUT", path, Map.of(), json(jsonBody), Map.of());
  }

  /** {@code PATCH path} with a JSON body. */
  public CloudflareResponse patch(String path, Object jsonBody) {
    return call("PATCH", path, Map.of(), json(jsonBody), Map.of());
  }

  /** {@code DELETE path} without a body. */
  public CloudflareResponse delete(String path, Map<String, ?> query) {
    return call("DELETE", path, query, null, Map.of());
  }

  public CloudflareResponse delete(String path) {
    return delete(path, Map.of());
  }

  static RequestBody json(Object body) {
    return RequestBody.create(Json.write(body), JSON);
  }

  /**
   * Walks a page-numbered list ({@code page}, {@code per_page}) until an empty page, or the last
   * page {@code result_info.total_pages} names.
   */
  public <T> List<T> listPages(String path, Map<String, ?> query, Function<Map<String, Object>, T> mapper) {
    List<T> out = new ArrayList<>();
    for (int page = 1; page <= MAX_PAGES; page++) {
      Map<String, Object> q = new LinkedHashMap<>(query);
      q.put("page", page);
      q.put("per_page", DEFAULT_PER_PAGE);
      CloudflareResponse r = get(path, q);
      List<Map<String, Object>> items = r.objects();
      for (Map<String, Object> item : items) {
        out.add(mapper.apply(item));
      }
      long totalPages = Fields.number(r.resultInfo(), "total_pages", -1);
      if (items.isEmpty() || (totalPages >= 0 && page >= totalPages)) {
        break;
      }
    }
    return out;
  }

  /** Walks a cursor list until {@code result_info.cursor} is absent or empty. */
  public <T> List<T> listCursor(String path, Map<String, ?> query, Function<Map<String, Object>, T> mapper) {
    List<T> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    String cursor = null;
    for (int n = 0; n < MAX_PAGES; n++) {
      Map<String, Object> q = new LinkedHashMap<>(query);
      if (cursor != null) {
        q.put("cursor", cursor);
      }
      CloudflareResponse r = get(path, q);
      for (Map<String, Object> item : r.objects()) {
        out.add(mapper.apply(item));
      }
      cursor = Fields.string(r.resultInfo(), "cursor");
      if (cursor == null || cursor.isEmpty() || !seen.add(cursor)) {
        break;
      }
    }
    return out;
  }

  /** Reads a list that comes in one page. */
  public <T> List<T> listSingle(String path, Map<String, ?> query, Function<Map<String, Object>, T> mapper) {
    List<T> out = new ArrayList<>();
    for (Map<String, Object> item : get(path, query).objects()) {
      out.add(mapper.apply(item));
    }
    return out;
  }

  /**
   * Checks and encodes one path segment (an account id, a script name, a domain): refuses empty
   * values and anything that could step outside the intended path.
   */
  public static String segment(String value, String field) {
    if (value == null || value.isBlank()) {
      throw new InvalidRequestException(field, "is empty", "pass the " + field);
    }
    String v = value.trim();
    if (v.equals(".") || v.equals("..") || v.contains("/") || v.contains("\\") || v.contains("?") || v.contains("#")
        || v.chars().anyMatch(c -> c <= ' ')) {
      throw new InvalidRequestException(field, "'" + value + "' cannot be part of a URL path",
          "pass the identifier as Cloudflare shows it, without '/', '?', '#' or spaces");
    }
    return HttpUrl.get("http://x/").newBuilder().addPathSegment(v).build().encodedPath().substring(1);
  }

  CloudflareResponse call(String method, String path, Map<String, ?> query, @Nullable RequestBody body,
      Map<String, String> headers) {
    if (token == null) {
      throw new InvalidRequestException("token", "is not set", "build the client with .token(Secret.of(...))");
    }
    HttpUrl.Builder url = baseUrl.newBuilder();
    String p = path.startsWith("/") ? path.substring(1) : path;
    if (!p.isEmpty()) {
      url.addEncodedPathSegments(p);
    }
    for (Map.Entry<String, ?> e : query.entrySet()) {
      Object v = e.getValue();
      if (v == null) {
        continue;
      }
      if (v instanceof Collection<?> c) {
        for (Object item : c) {
          url.addQueryParameter(e.getKey(), String.valueOf(item));
        }
      } else {
        url.addQueryParameter(e.getKey(), String.valueOf(v));
      }
    }
    Request.Builder rb = new Request.Builder().url(url.build())
        .header("Authorization", "Bearer " + token.reveal())
        .header("Accept", "application/json")
        .header("User-Agent", userAgent);
    headers.forEach(rb::header);
    if (body == null && (method.equals("POST") || method.equals("PUT") || method.equals("PATCH"))) {
      body = json(Map.of());
    }
    rb.method(method, body);
    if (retryObserver != null) {
      rb.tag(RetryObserver.class, retryObserver);
    }
    String context = method + " " + "/" + p;
    long start = System.nanoTime();
    try (Response response = http.newCall(rb.build()).execute()) {
      CloudflareResponse r = read(response, context);
      if (LOG.isDebugEnabled()) {
        LOG.debug("cloudflare {} -> {} ({} ms, cf-ray {})", context, response.code(),
            (System.nanoTime() - start) / 1_000_000, r.requestId());
      }
      return r;
    } catch (CloudflareException e) {
      LOG.debug("cloudflare {} -> {} failed: {}", context, e.status(), e.getMessage());
      throw e;
    } catch (IOException e) {
      LOG.debug("cloudflare {} failed: {}", context, e.getClass().getSimpleName());
      throw new ProviderException(PROVIDER, 0, "connection_failed", null, context + ": no response ("
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + Secret.scrub(e.getMessage())) + ")",
          true, e);
    }
  }

  private CloudflareResponse read(Response response, String context) throws IOException {
    int status = response.code();
    String requestId = response.header("CF-Ray");
    Duration retryAfter = ResilienceInterceptor.parseRetryAfter(response.header("Retry-After"), clock.instant());
    ResponseBody rb = response.body();
    String text = new String(rb.bytes(), StandardCharsets.UTF_8);
    boolean ok = status >= 200 && status < 300;
    if (text.isBlank()) {
      if (ok) {
        return new CloudflareResponse(status, null, Map.of(), List.of(), requestId);
      }
      throw new CloudflareException(status, List.of(), List.of(), requestId, retryAfter, context + " answered HTTP "
          + status + " with no body");
    }
    Object parsed;
    try {
      parsed = Json.parse(text);
    } catch (IllegalArgumentException e) {
      parsed = null;
    }
    if (!(parsed instanceof Map<?, ?>)) {
      throw new CloudflareException(status, List.of(CloudflareError.of(0, "the response is not a JSON envelope: "
          + Secret.scrub(text))), List.of(), requestId, retryAfter, context);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> envelope = (Map<String, Object>) parsed;
    List<CloudflareError> errors = errors(envelope, "errors");
    List<CloudflareError> messages = errors(envelope, "messages");
    Object success = envelope.get("success");
    if (!ok || Boolean.FALSE.equals(success)) {
      throw new CloudflareException(status, errors, messages, requestId, retryAfter, context);
    }
    return new CloudflareResponse(status, envelope.get("result"), Fields.object(envelope, "result_info"), messages,
        requestId);
  }

  private static List<CloudflareError> errors(Map<String, Object> envelope, String key) {
    List<CloudflareError> out = new ArrayList<>();
    Object v = envelope.get(key);
    if (v instanceof List<?> l) {
      for (Object o : l) {
        if (o instanceof Map<?, ?>) {
          @SuppressWarnings("unchecked")
          Map<String, Object> m = (Map<String, Object>) o;
          out.add(CloudflareError.from(m));
        } else if (o instanceof String s) {
          out.add(CloudflareError.of(0, Secret.scrub(s)));
        }
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "CloudflareClient{" + baseUrl + ", token=" + (token == null ? "none" : "[redacted]") + "}";
  }

  /** Builds a {@link CloudflareClient}; setters validate and name the field. */
  public static final class Builder {
    private HttpUrl baseUrl = HttpUrl.get(DEFAULT_BASE_URL);
    private @Nullable Secret token;
    private OkHttpClient httpClient = SHARED_BASE;
    private ResiliencePolicy resilience = DEFAULT_RESILIENCE;
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private @Nullable RetryObserver retryObserver;
    private String userAgent = "agentprovision-cloudflare/0.1";

    private Builder() {}

    /** The API base, {@link #DEFAULT_BASE_URL} unless a sandbox or proxy is used. */
    public Builder baseUrl(String url) {
      HttpUrl parsed = url == null ? null : HttpUrl.parse(url);
      if (parsed == null) {
        throw new InvalidRequestException("baseUrl", "'" + url + "' is not an http(s) URL",
            "pass a URL such as " + DEFAULT_BASE_URL);
      }
      return baseUrl(parsed);
    }

    public Builder baseUrl(HttpUrl url) {
      Objects.requireNonNull(url, "baseUrl");
      String path = url.encodedPath();
      this.baseUrl = path.endsWith("/") && path.length() > 1
          ? url.newBuilder().encodedPath(path.substring(0, path.length() - 1)).build() : url;
      return this;
    }

    /** The API token every call sends as {@code Authorization: Bearer}. */
    public Builder token(Secret apiToken) {
      this.token = Objects.requireNonNull(apiToken, "token");
      return this;
    }

    /** The okhttp client to derive from (pools, proxies, TLS); the resilience layer is added on top. */
    public Builder httpClient(OkHttpClient client) {
      this.httpClient = Objects.requireNonNull(client, "httpClient");
      return this;
    }

    public Builder resilience(ResiliencePolicy policy) {
      this.resilience = Objects.requireNonNull(policy, "resilience");
      return this;
    }

    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    public Builder sleeper(Sleeper s) {
      this.sleeper = Objects.requireNonNull(s, "sleeper");
      return this;
    }

    /** Told of each retry (pass {@code ctx::retrying} inside a step). */
    public Builder retryObserver(@Nullable RetryObserver observer) {
      this.retryObserver = observer;
      return this;
    }

    public Builder userAgent(String ua) {
      if (ua == null || ua.isBlank()) {
        throw new InvalidRequestException("userAgent", "is empty", "pass a product token such as \"my-app/1.0\"");
      }
      this.userAgent = ua;
      return this;
    }

    public CloudflareClient build() {
      return new CloudflareClient(this, null);
    }
  }
}
