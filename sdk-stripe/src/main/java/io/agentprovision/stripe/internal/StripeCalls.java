package io.agentprovision.stripe.internal;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.net.ApiResource;
import com.stripe.net.FormEncoder;
import com.stripe.net.RawRequestOptions;
import com.stripe.net.RequestOptions;
import com.stripe.net.StripeResponse;
import io.agentprovision.core.MalformedResponseException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.wire.Json;
import io.agentprovision.core.wire.WireFormatException;
import java.lang.reflect.Type;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Raw calls to Stripe through stripe-java's {@link StripeClient#rawRequest}, so authentication and
 * idempotency keys stay stripe-java's (retries are the HTTP stack's, see {@link StripeTransport}): JSON
 * bodies for {@code /v2} paths, form encoding for {@code /v1}, a per-call {@code Stripe-Version} and
 * {@code Idempotency-Key}, answers bound to the records of {@link ProvisioningJson} and
 * {@link SharedPaymentJson} by {@link StripeWire#WIRE}, and failures mapped by {@link StripeErrors}. An
 * answer that does not fit its record is a {@link MalformedResponseException} naming the member.
 */
public final class StripeCalls {
  /** Lists are followed for at most this many pages. */
  public static final int MAX_PAGES = 20;

  private final StripeClient client;

  public StripeCalls(StripeClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * An answer: its body as a record, whether Stripe replayed it for a repeated idempotency key, and
   * what a {@link MalformedResponseException} about it says (the call, the status, the request id,
   * and whether the call changes something at Stripe).
   */
  public record Answer<T>(T body, boolean replayed, @Nullable String requestId, int status, String operation,
      boolean changes) {
    /**
     * {@code reader} applied to the body; a member it finds missing or unusable
     * ({@link WireFormatException}) is this answer's {@link MalformedResponseException}.
     */
    public <R> R read(Function<? super T, R> reader) {
      try {
        return reader.apply(body);
      } catch (WireFormatException e) {
        throw malformed(e.path(), e.problem());
      }
    }

    /**
     * The error for a member at {@code path} of this answer that is missing or unusable. Stripe
     * answered 2xx, so a change was carried out though what it made cannot be read (its outcome is
     * {@code UNKNOWN}); a read changed nothing ({@code NOT_EXECUTED}).
     */
    public MalformedResponseException malformed(String path, String problem) {
      return StripeCalls.malformed(operation, status, requestId, changes, path, problem);
    }
  }

  /** {@code GET path?query}, the answer bound to {@code type}. */
  public <T> Answer<T> get(String operation, String path, Map<String, ?> query, String version,
      RetryObserver observer, Class<T> type) {
    Exchange x = send(operation, ApiResource.RequestMethod.GET, path + queryString(query), null, null, version,
        observer);
    return x.answer(type);
  }

  /**
   * {@code POST path} with {@code body}, JSON for v2 paths and form-encoded for v1 paths, the answer
   * bound to {@code type}.
   */
  public <T> Answer<T> post(String operation, String path, Map<String, ?> body, String idempotencyKey, String version,
      RetryObserver observer, Class<T> type) {
    return post(operation, path, body, idempotencyKey, version, observer).answer(type);
  }

  /** {@link #post(String, String, Map, String, String, RetryObserver, Class)} for a call whose answer is not read. */
  public void postWithoutAnswer(String operation, String path, Map<String, ?> body, String idempotencyKey,
      String version, RetryObserver observer) {
    post(operation, path, body, idempotencyKey, version, observer);
  }

  private Exchange post(String operation, String path, Map<String, ?> body, String idempotencyKey, String version,
      RetryObserver observer) {
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    String content = path.startsWith("/v2/") ? Json.write(body) : form(body);
    return send(operation, ApiResource.RequestMethod.POST, path, content, idempotencyKey, version, observer);
  }

  /** Every element of a v2 list, following {@code next_page_url}, each bound to {@code item}. */
  public <T> List<T> list(String operation, String path, Map<String, ?> query, String version,
      RetryObserver observer, Class<T> item) {
    List<T> out = new ArrayList<>();
    Type page = StripeWire.listOf(item);
    String next = path + queryString(query);
    for (int n = 0; next != null && n < MAX_PAGES; n++) {
      StripeWire.ListJson<T> body = send(operation, ApiResource.RequestMethod.GET, next, null, null, version, observer)
          .bind(page);
      for (T o : body.data()) {
        if (o != null) {
          out.add(o);
        }
      }
      String url = body.nextPageUrl();
      next = url == null || url.isBlank() ? null : relative(url);
    }
    return out;
  }

  private Exchange send(String operation, ApiResource.RequestMethod method, String path, @Nullable String content,
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
    boolean replayed = response.headers().firstValue("Idempotent-Replayed").map("true"::equalsIgnoreCase)
        .orElse(false);
    String body = response.body();
    return new Exchange(operation, body == null ? "" : body, response.code(), response.requestId(), replayed,
        method != ApiResource.RequestMethod.GET);
  }

  /** One exchange's answer, before it is bound. */
  private record Exchange(String operation, String body, int status, @Nullable String requestId, boolean replayed,
      boolean changes) {
    <T> Answer<T> answer(Class<T> type) {
      return new Answer<>(bind(type), replayed, requestId, status, operation, changes);
    }

    <T> T bind(Type type) {
      try {
        return StripeWire.WIRE.read(type, body);
      } catch (WireFormatException e) {
        // a body that is not JSON is "$ is not valid JSON", under the same rule as a missing member
        throw malformed(operation, status, requestId, changes, e.path(), e.problem());
      }
    }
  }

  private static MalformedResponseException malformed(String operation, int status, @Nullable String requestId,
      boolean changes, String path, String problem) {
    return new MalformedResponseException(StripeErrors.PROVIDER, status, requestId, operation, path, problem,
        changes ? ProviderException.Outcome.UNKNOWN : ProviderException.Outcome.NOT_EXECUTED);
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
