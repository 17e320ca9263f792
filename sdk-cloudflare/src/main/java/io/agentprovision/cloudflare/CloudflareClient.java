package io.agentprovision.cloudflare;

import com.squareup.moshi.JsonDataException;
import com.squareup.moshi.JsonEncodingException;
import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.http.RetryAfter;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.lang.reflect.Type;
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
import java.util.function.Predicate;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the Cloudflare v4 API: bearer-token authentication, the response envelope (checked
 * for {@code success} even on HTTP 200) bound to typed records, typed errors
 * ({@link CloudflareException}, also for an answer that lacks a required field), the three
 * pagination styles, and the {@link HttpStack}'s resilience layer (retries of safe calls on
 * 408/429/5xx with {@code Retry-After} honoured, pacing by the {@code Ratelimit} and
 * {@code Ratelimit-Policy} headers, a circuit breaker and a client-side rate limit of 1,200 calls
 * per five minutes per token, all kept by the stack for as long as it lives). Immutable and
 * thread-safe; derive variants with {@link #withToken} and {@link #toBuilder()}, which cost nothing:
 * every client of one stack shares its okhttp client, breaker and limiters.
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
   * {@link #DEFAULT_BASE_URL} parsed once: a client is built per step, and parsing a URL (its host
   * through IDNA) is work a fleet of runs would otherwise repeat. {@link HttpUrl} is immutable.
   */
  private static final HttpUrl DEFAULT_BASE = HttpUrl.get(DEFAULT_BASE_URL);
  /** The URL {@link #segment} encodes a path segment against, parsed once (it is immutable). */
  private static final HttpUrl SEGMENT_BASE = HttpUrl.get("http://x/");
  /**
   * The official SDKs' behaviour: the first call and two retries, backoff from 0.5 s doubling to
   * 8 s; and Cloudflare's global limit of 1,200 requests per five minutes, counted per token.
   */
  public static final ResiliencePolicy DEFAULT_RESILIENCE = ResiliencePolicy.custom()
      .maxAttempts(3)
      .initialBackoff(Duration.ofMillis(500))
      .maxBackoff(Duration.ofSeconds(8))
      .rateLimit(1200, Duration.ofMinutes(5))
      .rateLimitPerCredential(true)
      .build();
  /** Page size used when walking page-numbered lists (Cloudflare accepts 5 to 50). */
  public static final int DEFAULT_PER_PAGE = 50;
  /** The most pages any list walk reads before it stops, so a misbehaving server cannot loop us. */
  public static final int MAX_PAGES = 1000;

  static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
  private static final Logger LOG = LoggerFactory.getLogger(CloudflareClient.class);

  private final HttpUrl baseUrl;
  private final @Nullable Secret token;
  private final HttpStack stack;
  private final OkHttpClient http;
  private final ResiliencePolicy resilience;
  private final Clock clock;
  private final Sleeper sleeper;
  private final @Nullable RetryObserver retryObserver;
  private final String userAgent;

  private CloudflareClient(Builder b) {
    this.baseUrl = b.baseUrl;
    this.token = b.token;
    this.stack = b.http;
    this.resilience = b.resilience;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.retryObserver = b.retryObserver;
    this.userAgent = b.userAgent;
    // the stack builds this once per policy; every client and step shares it, its breaker and its limiters
    this.http = stack.client(PROVIDER, resilience);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this client's settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.baseUrl = baseUrl;
    b.token = token;
    b.http = stack;
    b.resilience = resilience;
    b.clock = clock;
    b.sleeper = sleeper;
    b.retryObserver = retryObserver;
    b.userAgent = userAgent;
    return b;
  }

  /** The same client authenticating with another token (whose rate limit Cloudflare counts apart). */
  public CloudflareClient withToken(Secret otherToken) {
    Builder b = toBuilder();
    b.token = Objects.requireNonNull(otherToken, "token");
    return new CloudflareClient(b);
  }

  /** The same client reporting retries to {@code observer} (such as {@code ctx::retrying}). */
  public CloudflareClient withRetryObserver(@Nullable RetryObserver observer) {
    Builder b = toBuilder();
    b.retryObserver = observer;
    return new CloudflareClient(b);
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

  /** The HTTP stack the client calls through. */
  public HttpStack http() {
    return stack;
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

  /**
   * {@code GET path} with query parameters (lists become repeated parameters), the {@code result}
   * bound to {@code resultType} with moshi (unknown fields ignored; on the module path, open the
   * type's package to {@code com.squareup.moshi}).
   */
  public <T> CloudflareResponse<T> get(String path, Map<String, ?> query, Class<T> resultType) {
    return this.<T>exchange("GET", path, query, null, Map.of(), resultType).response();
  }

  /** {@code POST path} with a JSON body (maps, lists, strings, numbers, booleans); never retried. */
  public <T> CloudflareResponse<T> post(String path, Object jsonBody, Class<T> resultType) {
    return this.<T>exchange("POST", path, Map.of(), json(jsonBody), Map.of(), resultType).response();
  }

  /** {@code PUT path} with a JSON body. */
  public <T> CloudflareResponse<T> put(String path, Object jsonBody, Class<T> resultType) {
    return this.<T>exchange("PUT", path, Map.of(), json(jsonBody), Map.of(), resultType).response();
  }

  /** {@code PATCH path} with a JSON body; never retried. */
  public <T> CloudflareResponse<T> patch(String path, Object jsonBody, Class<T> resultType) {
    return this.<T>exchange("PATCH", path, Map.of(), json(jsonBody), Map.of(), resultType).response();
  }

  /** {@code DELETE path} without a body; whatever result comes back is not read. */
  public CloudflareResponse<Void> delete(String path, Map<String, ?> query) {
    return this.<Void>exchange("DELETE", path, query, null, Map.of(), Void.class).response();
  }

  public CloudflareResponse<Void> delete(String path) {
    return delete(path, Map.of());
  }

  static RequestBody json(Object body) {
    return RequestBody.create(Json.write(body), JSON);
  }

  /**
   * Walks a page-numbered list ({@code page}, {@code per_page}) until an empty page, or the last
   * page {@code result_info.total_pages} names.
   */
  public <T> List<T> listPages(String path, Map<String, ?> query, Class<T> itemType) {
    return listPages(path, query, itemType, Function.identity());
  }

  /** Walks a cursor list until {@code result_info.cursor} is absent or empty. */
  public <T> List<T> listCursor(String path, Map<String, ?> query, Class<T> itemType) {
    return listCursor(path, query, itemType, Function.identity());
  }

  /** Reads a list that comes in one page. */
  public <T> List<T> listSingle(String path, Map<String, ?> query, Class<T> itemType) {
    return listSingle(path, query, itemType, Function.identity());
  }

  <T, R> List<R> listPages(String path, Map<String, ?> query, Class<T> itemType, Function<? super T, R> mapper) {
    return listPages(path, query, itemType, item -> true, mapper);
  }

  /**
   * Walks a page-numbered list keeping only the items {@code keep} accepts (tested on the wire
   * form, before mapping): one page at a time is held, so searching a list that grows with use (an
   * account's tokens) costs a page of memory, not the whole list.
   */
  <T, R> List<R> listPages(String path, Map<String, ?> query, Class<T> itemType, Predicate<? super T> keep,
      Function<? super T, R> mapper) {
    List<R> out = new ArrayList<>();
    Type listType = Wire.listOf(itemType);
    for (int page = 1; page <= MAX_PAGES; page++) {
      Map<String, Object> q = new LinkedHashMap<>(query);
      q.put("page", page);
      q.put("per_page", DEFAULT_PER_PAGE);
      Answer<List<T>> a = this.<List<T>>exchange("GET", path, q, null, Map.of(), listType);
      int seen = a.<T, @Nullable R>items(item -> keep.test(item) ? mapper.apply(item) : null, out);
      Integer totalPages = a.response().page().totalPages();
      if (seen == 0 || (totalPages != null && page >= totalPages)) {
        break;
      }
    }
    return out;
  }

  <T, R> List<R> listCursor(String path, Map<String, ?> query, Class<T> itemType, Function<? super T, R> mapper) {
    List<R> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Type listType = Wire.listOf(itemType);
    String cursor = null;
    for (int n = 0; n < MAX_PAGES; n++) {
      Map<String, Object> q = new LinkedHashMap<>(query);
      if (cursor != null) {
        q.put("cursor", cursor);
      }
      Answer<List<T>> a = this.<List<T>>exchange("GET", path, q, null, Map.of(), listType);
      out.addAll(a.items(mapper));
      cursor = a.response().page().cursor();
      if (cursor == null || cursor.isEmpty() || !seen.add(cursor)) {
        break;
      }
    }
    return out;
  }

  <T, R> List<R> listSingle(String path, Map<String, ?> query, Class<T> itemType, Function<? super T, R> mapper) {
    Answer<List<T>> a = this.<List<T>>exchange("GET", path, query, null, Map.of(),
        Wire.listOf(itemType));
    return a.items(mapper);
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
    return SEGMENT_BASE.newBuilder().addPathSegment(v).build().encodedPath().substring(1);
  }

  /**
   * One answer and where it came from, so that turning its result into the SDK's types can name a
   * missing field ({@code result.id}, {@code result[2].hostname}) in a typed error.
   */
  record Answer<T>(CloudflareResponse<T> response, String context) {
    /** The result, required, through {@code mapper}. */
    <R> R map(Function<? super T, R> mapper) {
      T result = response.result();
      if (result == null) {
        throw malformed("result", null);
      }
      return apply(mapper, result, "result.");
    }

    /** The result through {@code mapper}, or null when there is none. */
    <R> @Nullable R mapOrNull(Function<? super T, R> mapper) {
      T result = response.result();
      return result == null ? null : apply(mapper, result, "result.");
    }

    <E, R> List<R> items(Function<? super E, R> mapper) {
      List<R> out = new ArrayList<>();
      items(mapper, out);
      return out;
    }

    /** Adds each item's mapping that is not null to {@code out}; returns how many items the page held. */
    <E, R> int items(Function<? super E, @Nullable R> mapper, List<? super R> out) {
      Object result = response.result();
      if (!(result instanceof List<?> list)) {
        return 0;
      }
      int i = 0;
      for (Object item : list) {
        if (item != null) {
          @SuppressWarnings("unchecked")
          E e = (E) item;
          R r = apply(mapper, e, "result[" + i + "].");
          if (r != null) {
            out.add(r);
          }
        }
        i++;
      }
      return i;
    }

    private <E, R> R apply(Function<? super E, R> mapper, E value, String prefix) {
      try {
        return mapper.apply(value);
      } catch (Wire.MissingField e) {
        throw malformed(prefix + e.field(), e);
      }
    }

    private CloudflareException malformed(String field, Wire.@Nullable MissingField cause) {
      String meaning = cause == null ? null : cause.meaning();
      CloudflareException e = CloudflareException.malformed(response.status(), (meaning == null ? "" : meaning + ": ")
          + "the answer lacks the required field '" + field + "'", response.requestId(), context);
      return e;
    }
  }

  <T> Answer<T> exchange(String method, String path, Map<String, ?> query, @Nullable RequestBody body,
      Map<String, String> headers, Type resultType) {
    Secret t = token;
    if (t == null) {
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
        .header("Authorization", "Bearer " + t.reveal())
        .header("Accept", "application/json")
        .header("User-Agent", userAgent)
        .tag(Sleeper.class, sleeper)
        .tag(Clock.class, clock);
    headers.forEach(rb::header);
    RequestBody sent = body;
    if (sent == null && (method.equals("POST") || method.equals("PUT") || method.equals("PATCH"))) {
      sent = json(Map.of());
    }
    rb.method(method, sent);
    if (retryObserver != null) {
      rb.tag(RetryObserver.class, retryObserver);
    }
    String context = method + " " + "/" + p;
    long start = System.nanoTime();
    try (Response response = http.newCall(rb.build()).execute()) {
      CloudflareResponse<T> r = read(response, context, resultType);
      if (LOG.isDebugEnabled()) {
        LOG.debug("cloudflare {} -> {} ({} ms, cf-ray {})", context, response.code(),
            (System.nanoTime() - start) / 1_000_000, r.requestId());
      }
      return new Answer<>(r, context);
    } catch (CloudflareException e) {
      LOG.debug("cloudflare {} -> {} failed: {}", context, e.status(), e.getMessage());
      throw e;
    } catch (IOException e) {
      LOG.debug("cloudflare {} failed: {}", context, e.getClass().getSimpleName());
      String m = e.getMessage();
      throw new ProviderException(PROVIDER, 0, "connection_failed", null, context + ": no response ("
          + e.getClass().getSimpleName() + (m == null ? "" : ": " + Secret.scrub(m)) + ")", true, e);
    }
  }

  private <T> CloudflareResponse<T> read(Response response, String context, Type resultType) throws IOException {
    int status = response.code();
    String requestId = response.header("CF-Ray");
    Duration retryAfter = RetryAfter.of(response, clock);
    String text = new String(response.body().bytes(), StandardCharsets.UTF_8);
    boolean ok = status >= 200 && status < 300;
    if (text.isBlank()) {
      if (ok) {
        return new CloudflareResponse<>(status, null, CloudflareResponse.PageInfo.NONE, List.of(), requestId);
      }
      throw new CloudflareException(status, List.of(), List.of(), requestId, retryAfter, context + " answered HTTP "
          + status + " with no body");
    }
    // An error's result is never read; a delete's neither.
    Type bound = ok && resultType != Void.class ? resultType : Object.class;
    Wire.Envelope<Object> envelope;
    try {
      envelope = Wire.envelope(bound).fromJson(text);
    } catch (JsonDataException e) {
      String m = String.valueOf(e.getMessage());
      if (ok && m.contains("$.result")) {
        throw CloudflareException.malformed(status, "the answer does not have the documented shape: " + m, requestId,
            context);
      }
      envelope = null;
    } catch (JsonEncodingException | java.io.EOFException e) {
      envelope = null;
    }
    if (envelope == null) {
      throw new CloudflareException(status, List.of(CloudflareError.of(0, "the response is not a JSON envelope: "
          + Secret.scrub(text))), List.of(), requestId, retryAfter, context);
    }
    List<CloudflareError> errors = errors(envelope.errorList());
    List<CloudflareError> messages = errors(envelope.messageList());
    if (!ok || Boolean.FALSE.equals(envelope.success())) {
      throw new CloudflareException(status, errors, messages, requestId, retryAfter, context);
    }
    @SuppressWarnings("unchecked")
    T result = resultType == Void.class ? null : (T) envelope.result();
    return new CloudflareResponse<>(status, result, page(envelope.resultInfo()), messages, requestId);
  }

  private static CloudflareResponse.PageInfo page(Wire.@Nullable ResultInfo info) {
    return info == null ? CloudflareResponse.PageInfo.NONE : new CloudflareResponse.PageInfo(info.page(), info.perPage(),
        info.count(), info.totalCount(), info.totalPages(), info.cursor());
  }

  private static List<CloudflareError> errors(List<Wire.Message> entries) {
    List<CloudflareError> out = new ArrayList<>();
    for (Wire.Message m : entries) {
      out.add(CloudflareError.from(m));
    }
    return out;
  }

  @Override
  public String toString() {
    return "CloudflareClient{" + baseUrl + ", token=" + (token == null ? "none" : "[redacted]") + "}";
  }

  /** Builds a {@link CloudflareClient}; setters validate and name the field. */
  public static final class Builder {
    private HttpUrl baseUrl = DEFAULT_BASE;
    private @Nullable Secret token;
    private HttpStack http = HttpStack.shared();
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

    /**
     * The provisioner's HTTP stack (its okhttp client with the host's proxy and TLS settings, and the
     * breaker, rate limiter and retries kept per provider). Without one, {@link HttpStack#shared()}.
     */
    public Builder http(HttpStack stack) {
      this.http = Objects.requireNonNull(stack, "http");
      return this;
    }

    public Builder resilience(ResiliencePolicy policy) {
      this.resilience = Objects.requireNonNull(policy, "resilience");
      return this;
    }

    /** The clock for {@code Retry-After} dates (each request carries it to the stack). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** The sleeper for retry waits (each request carries it to the stack): a step's virtual time in tests. */
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
      return new CloudflareClient(this);
    }
  }
}
