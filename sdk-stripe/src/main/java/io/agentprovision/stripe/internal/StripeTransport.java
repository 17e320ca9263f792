package io.agentprovision.stripe.internal;

import com.stripe.Stripe;
import com.stripe.exception.ApiConnectionException;
import com.stripe.exception.StripeException;
import com.stripe.net.HttpClient;
import com.stripe.net.HttpContent;
import com.stripe.net.ApiMode;
import com.stripe.net.HttpHeaders;
import com.stripe.net.StripeRequest;
import com.stripe.net.StripeResponse;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.wire.WireFormatException;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * stripe-java's transport for this SDK: each exchange goes through the provisioner's
 * {@link io.agentprovision.core.http.HttpStack} client for Stripe, so Stripe shares the okhttp pool
 * and the stack's retry layer is the one owner of Stripe's retries. stripe-java's own loop never
 * runs ({@link #requestWithRetries} makes a single exchange): it would not retry a 429, would not
 * read {@code Retry-After}, and would sleep in real time. The stack's Stripe policy retries what
 * stripe-java would (connection failures, 409, 5xx, and whatever {@code Stripe-Should-Retry} says)
 * plus 429, honouring {@code Retry-After}, with the same {@code Idempotency-Key} (stripe-java puts
 * one on every POST).
 *
 * <p>An error answer without a JSON error body (empty, or an HTML page from a proxy) is replaced by a
 * synthetic Stripe error that keeps the status and never echoes the body, so stripe-java maps it to
 * the right exception instead of failing on it. Retries are reported to the {@link RetryObserver}
 * of the calling thread ({@link #observe}).
 *
 * <p>stripe-java's two user-agent headers are built once and kept, not built per request: building
 * {@code X-Stripe-Client-User-Agent} reads gson's version from its jar and serializes a map, which
 * was a tenth of the SDK's CPU for each Stripe call. They are the same text stripe-java builds; what
 * they say changes only with {@code Stripe.setAppInfo} and {@code Stripe.enableTelemetry}, which are
 * compared on every request, so a change shows in the next one.
 */
public final class StripeTransport extends HttpClient {
  private static final ThreadLocal<RetryObserver> CURRENT = new ThreadLocal<>();

  private final OkHttpClient http;
  private volatile @Nullable UserAgents agents;

  /**
   * stripe-java's user-agent headers for one app info and telemetry setting: the client's, and the
   * plain one per API mode (it names v1 or v2), built when first needed. Read without a lock: every
   * Stripe call of every run reads them, and a monitor here was where a fleet's calls queued. Two
   * threads that find a mode's header missing both build it; the text is the same.
   */
  private static final class UserAgents {
    final @Nullable Map<String, String> appInfo;
    final boolean telemetry;
    final String client;
    private volatile @Nullable String v1;
    private volatile @Nullable String v2;

    UserAgents(@Nullable Map<String, String> appInfo, boolean telemetry, String client) {
      this.appInfo = appInfo;
      this.telemetry = telemetry;
      this.client = client;
    }

    boolean current(@Nullable Map<String, String> info, boolean tele) {
      return tele == telemetry && Objects.equals(info, appInfo);
    }

    String userAgent(StripeRequest request) {
      boolean isV2 = request.apiMode() == ApiMode.V2;
      String ua = isV2 ? v2 : v1;
      if (ua == null) {
        ua = buildUserAgentString(request);
        if (isV2) {
          v2 = ua;
        } else {
          v1 = ua;
        }
      }
      return ua;
    }
  }

  /** @param http the stack's client for Stripe ({@code stack.client("stripe", policy)}) */
  public StripeTransport(OkHttpClient http) {
    this.http = Objects.requireNonNull(http, "http");
  }

  /** A call made while a {@link RetryObserver} listens. */
  @FunctionalInterface
  public interface StripeCall<T> {
    T run() throws StripeException;
  }

  /** Runs {@code call} on this thread, telling {@code observer} about every retry the stack makes. */
  public static <T> T observe(RetryObserver observer, StripeCall<T> call) throws StripeException {
    RetryObserver previous = CURRENT.get();
    CURRENT.set(observer);
    try {
      return call.run();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }

  /** One exchange: the stack's retry layer owns the retries, so stripe-java's loop is bypassed. */
  @Override
  public StripeResponse requestWithRetries(StripeRequest request) throws StripeException {
    return request(request);
  }

  @Override
  public StripeResponse request(StripeRequest request) throws StripeException {
    try {
      return normalize(exchange(request));
    } catch (IOException e) {
      throw new ApiConnectionException("could not complete the request to Stripe: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"), e);
    }
  }

  private StripeResponse exchange(StripeRequest request) throws IOException {
    Request.Builder b = new Request.Builder().url(request.url().toString());
    for (Map.Entry<String, List<String>> h : request.headers().map().entrySet()) {
      b.header(h.getKey(), String.join(",", h.getValue()));
    }
    UserAgents ua = userAgents();
    b.header("User-Agent", ua.userAgent(request));
    b.header("X-Stripe-Client-User-Agent", ua.client);
    HttpContent content = request.content();
    RequestBody body = content == null ? null
        : RequestBody.create(content.byteArrayContent(), mediaType(content.contentType()));
    String method = request.method().name();
    if (body == null && (method.equals("POST") || method.equals("PUT") || method.equals("PATCH"))) {
      body = RequestBody.create(new byte[0], null);
    }
    b.method(method, body);
    RetryObserver observer = CURRENT.get();
    if (observer != null) {
      b.tag(RetryObserver.class, observer);
    }
    try (Response r = http.newCall(b.build()).execute()) {
      String text = r.body().string();
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (String name : r.headers().names()) {
        headers.put(name, r.headers(name));
      }
      return new StripeResponse(r.code(), HttpHeaders.of(headers), text);
    }
  }

  /** The user-agent headers for the current app info and telemetry setting: kept, rebuilt when either changed. */
  private UserAgents userAgents() {
    Map<String, String> info = Stripe.getAppInfo();
    boolean telemetry = Stripe.enableTelemetry;
    UserAgents a = agents;
    if (a == null || !a.current(info, telemetry)) {
      // a copy: stripe-java changes its app info map in place
      a = new UserAgents(info == null ? null : new HashMap<>(info), telemetry, buildXStripeClientUserAgentString());
      agents = a;
    }
    return a;
  }

  private static final String FORM = "application/x-www-form-urlencoded;charset=UTF-8";
  private static final MediaType FORM_TYPE = MediaType.get(FORM);
  private static final String JSON = "application/json";
  private static final MediaType JSON_TYPE = MediaType.get(JSON);

  /** The body's media type; stripe-java's two usual ones parsed once. */
  private static @Nullable MediaType mediaType(String contentType) {
    if (contentType.equals(FORM)) {
      return FORM_TYPE;
    }
    if (contentType.equals(JSON)) {
      return JSON_TYPE;
    }
    return MediaType.parse(contentType);
  }

  private static StripeResponse normalize(StripeResponse response) {
    int code = response.code();
    if ((code >= 200 && code < 300) || hasErrorObject(response.body())) {
      return response;
    }
    String synthetic = "{\"error\":{\"type\":\"api_error\",\"message\":\"Stripe answered HTTP " + code
        + " without a JSON error body\"}}";
    return new StripeResponse(code, response.headers(), synthetic);
  }

  /**
   * Whether {@code body} is Stripe's error body, v1 or v2 ({@link StripeWire.ErrorBodyJson}), which
   * stripe-java reads itself; an OAuth-style {@code error} string, another shape or no JSON is not.
   */
  private static boolean hasErrorObject(@Nullable String body) {
    if (body == null || body.isBlank()) {
      return false;
    }
    try {
      return StripeWire.WIRE.read(StripeWire.ErrorBodyJson.class, body).error() != null;
    } catch (WireFormatException e) {
      return false;
    }
  }
}
