package io.agentprovision.stripe.internal;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.net.ApiResource;
import com.stripe.net.FormEncoder;
import com.stripe.net.RawRequestOptions;
import com.stripe.net.RequestOptions;
import com.stripe.net.StripeResponse;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.wire.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Raw calls to Stripe through stripe-java's {@link StripeClient#rawRequest}, so authentication and
 * idempotency keys stay stripe-java's (retries are the HTTP stack's, see {@link StripeTransport}): JSON bodies for {@code /v2} paths, form encoding for
 * {@code /v1}, a per-call {@code Stripe-Version} and {@code Idempotency-Key}, answers parsed to
 * maps, and failures mapped by {@link StripeErrors}.
 */
public final class StripeCalls {
  /** Lists are followed for at most this many pages. */
  public static final int MAX_PAGES = 20;

  private final StripeClient client;

  public StripeCalls(StripeClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** An answer: the parsed body and whether Stripe replayed it for a repeated idempotency key. */
  public record Answer(Map<String, Object> body, boolean replayed, @Nullable String requestId) {}

  /** {@code GET path?query}. */
  public Map<String, Object> get(String operation, String path, Map<String, ?> query, String version,
      RetryObserver observer) {
    return send(operation, ApiResource.RequestMethod.GET, path + queryString(query), null, null, version, observer)
        .body();
  }

  /** {@code POST path} with {@code body}, JSON for v2 paths and form-encoded for v1 paths. */
  public Answer post(String operation, String path, Map<String, ?> body, String idempotencyKey, String version,
      RetryObserver observer) {
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    String content = path.startsWith("/v2/") ? Json.write(body) : form(body);
    return send(operation, ApiResource.RequestMethod.POST, path, content, idempotencyKey, version, observer);
  }

  /** Every element of a v2 list, following {@code next_page_url}. */
  public List<Map<String, Object>> list(String operation, String path, Map<String, ?> query, String version,
      RetryObserver observer) {
    List<Map<String, Object>> out = new ArrayList<>();
    String next = path + queryString(query);
    for (int page = 0; next != null && page < MAX_PAGES; page++) {
      Map<String, Object> body = send(operation, ApiResource.RequestMethod.GET, next, null, null, version, observer)
          .body();
      for (Object o : Json.list(body, "data")) {
        if (o instanceof Map<?, ?>) {
          out.add(Wire.object(o));
        }
      }
      String url = Json.string(body, "next_page_url");
      next = url == null || url.isBlank() ? null : relative(url);
    }
    return out;
  }

  private Answer send(String operation, ApiResource.RequestMethod method, String path, @Nullable String content,
      @Nullable String idempotencyKey, String version, RetryObserver observer) {
    RawRequestOptions.RawRequestOptionsBuilder options = RawRequestOptions.builder();
    RequestOptions.RequestOptionsBuilder.unsafeSetStripeVersionOverride(options, version);
    if (idempotencyKey != null) {
      options.setIdempotencyKey(idempotencyKey);
    }
    StripeResponse response;
    try {
      response = StripeTransport.observe(observer,
          () -> client.rawRequest(method, path, content, options.build()));
    } catch (StripeException e) {
      throw StripeErrors.map(operation, e, method != ApiResource.RequestMethod.GET);
    }
    String body = response.body();
    Map<String, Object> parsed;
    try {
      parsed = body == null || body.isBlank() ? new LinkedHashMap<>() : Json.parseObject(body);
    } catch (IllegalArgumentException e) {
      // Stripe answered 2xx: a change was carried out, but what it made cannot be read; a read changed nothing
      throw ProviderException.builder(StripeErrors.PROVIDER, operation + " failed: Stripe's answer was not a JSON object")
          .status(response.code()).code("invalid_response").requestId(response.requestId()).retryable(false)
          .outcome(method == ApiResource.RequestMethod.GET ? ProviderException.Outcome.NOT_EXECUTED
              : ProviderException.Outcome.UNKNOWN).build();
    }
    boolean replayed = response.headers().firstValue("Idempotent-Replayed").map("true"::equalsIgnoreCase)
        .orElse(false);
    return new Answer(parsed, replayed, response.requestId());
  }

  /** Form encoding as Stripe's v1 API reads it: {@code a[b]=c}, lists as {@code a[0]=x}. */
  static String form(Map<String, ?> body) {
    Map<String, Object> params = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : body.entrySet()) {
      if (e.getValue() != null) {
        params.put(e.getKey(), e.getValue());
      }
    }
    return FormEncoder.createQueryString(params);
  }

  static String queryString(Map<String, ?> query) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, ?> e : query.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      sb.append(sb.length() == 0 ? '?' : '&')
          .append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(String.valueOf(e.getValue()), StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  /** A {@code next_page_url} may be absolute; rawRequest wants the path and query. */
  private static String relative(String url) {
    if (url.startsWith("/")) {
      return url;
    }
    int scheme = url.indexOf("://");
    int slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
    return slash < 0 ? "/" : url.substring(slash);
  }
}
