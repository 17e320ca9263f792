package io.agentprovision.stripe.internal;

import com.stripe.exception.ApiConnectionException;
import com.stripe.exception.StripeException;
import com.stripe.net.HttpClient;
import com.stripe.net.HttpHeaders;
import com.stripe.net.StripeRequest;
import com.stripe.net.StripeResponse;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * stripe-java's transport for this SDK: one HTTP exchange per call over {@link HttpURLConnection},
 * like stripe-java's own {@code HttpURLConnectionClient}, with two differences. An error answer
 * without a JSON error body (empty, or an HTML page from a proxy) is replaced by a synthetic Stripe
 * error that keeps the status and never echoes the body, so stripe-java maps it to the right
 * exception instead of failing on it. And each attempt is reported to the {@link RetryObserver} of
 * the calling thread, so that stripe-java's own retries become progress events.
 *
 * <p>Retrying stays stripe-java's: its {@code sendWithRetries} calls {@link #request} again with the
 * same request (and so the same {@code Idempotency-Key}).
 */
public final class ObservingHttpClient extends HttpClient {
  private static final ThreadLocal<Attempts> CURRENT = new ThreadLocal<>();

  /** A call made while a {@link RetryObserver} listens. */
  @FunctionalInterface
  public interface StripeCall<T> {
    T run() throws StripeException;
  }

  /** Runs {@code call} on this thread, telling {@code observer} about every attempt after the first. */
  public static <T> T observe(RetryObserver observer, StripeCall<T> call) throws StripeException {
    Attempts previous = CURRENT.get();
    CURRENT.set(new Attempts(observer));
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

  @Override
  public StripeResponse request(StripeRequest request) throws ApiConnectionException {
    Attempts attempts = CURRENT.get();
    if (attempts != null) {
      attempts.starting();
    }
    try {
      StripeResponse response = exchange(request);
      if (attempts != null) {
        attempts.ended("HTTP " + response.code());
      }
      return normalize(response);
    } catch (IOException e) {
      if (attempts != null) {
        attempts.ended(e.getClass().getSimpleName());
      }
      throw new ApiConnectionException("could not complete the request to Stripe: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"), e);
    }
  }

  private static StripeResponse exchange(StripeRequest request) throws IOException {
    HttpURLConnection conn = request.options().getConnectionProxy() != null
        ? (HttpURLConnection) request.url().openConnection(request.options().getConnectionProxy())
        : (HttpURLConnection) request.url().openConnection();
    boolean answered = false;
    try {
      conn.setConnectTimeout(request.options().getConnectTimeout());
      conn.setReadTimeout(request.options().getReadTimeout());
      conn.setUseCaches(false);
      conn.setInstanceFollowRedirects(false);
      for (Map.Entry<String, List<String>> h : request.headers().map().entrySet()) {
        conn.setRequestProperty(h.getKey(), String.join(",", h.getValue()));
      }
      conn.setRequestProperty("User-Agent", buildUserAgentString(request));
      conn.setRequestProperty("X-Stripe-Client-User-Agent", buildXStripeClientUserAgentString());
      conn.setRequestMethod(request.method().name());
      if (request.content() != null) {
        conn.setDoOutput(true);
        conn.setRequestProperty("Content-Type", request.content().contentType());
        try (OutputStream out = conn.getOutputStream()) {
          out.write(request.content().byteArrayContent());
        }
      }
      int code = conn.getResponseCode();
      InputStream in = code >= 200 && code < 300 ? conn.getInputStream() : conn.getErrorStream();
      String body = in == null ? "" : readAll(in);
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (Map.Entry<String, List<String>> h : conn.getHeaderFields().entrySet()) {
        if (h.getKey() != null) {
          headers.put(h.getKey(), h.getValue());
        }
      }
      answered = true;
      return new StripeResponse(code, HttpHeaders.of(headers), body);
    } finally {
      if (!answered) {
        // A connection that failed mid-exchange is not returned to the JDK's keep-alive pool.
        conn.disconnect();
      }
    }
  }

  private static String readAll(InputStream in) throws IOException {
    try (InputStream s = in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      s.transferTo(out);
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  private static StripeResponse normalize(StripeResponse response) {
    int code = response.code();
    if (code >= 200 && code < 300) {
      return response;
    }
    if (hasErrorObject(response.body())) {
      return response;
    }
    String synthetic = "{\"error\":{\"type\":\"api_error\",\"message\":\"Stripe answered HTTP " + code
        + " without a JSON error body\"}}";
    return new StripeResponse(code, response.headers(), synthetic);
  }

  private static boolean hasErrorObject(@Nullable String body) {
    if (body == null || body.isBlank()) {
      return false;
    }
    try {
      return Json.parseObject(body).get("error") instanceof Map;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Counts the attempts of one call and reports the retries among them. */
  private static final class Attempts {
    private final RetryObserver observer;
    private int count;
    private long lastEnded;
    private String lastOutcome = "";

    Attempts(RetryObserver observer) {
      this.observer = observer;
    }

    void starting() {
      count++;
      if (count > 1) {
        observer.retrying(count, Duration.ofNanos(Math.max(0, System.nanoTime() - lastEnded)),
            "stripe-java retry after " + lastOutcome);
      }
    }

    void ended(String outcome) {
      lastEnded = System.nanoTime();
      lastOutcome = outcome;
    }
  }
}
