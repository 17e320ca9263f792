package io.agentprovision.stripe.internal;

import com.stripe.exception.ApiConnectionException;
import com.stripe.exception.IdempotencyException;
import com.stripe.exception.StripeException;
import com.stripe.model.StripeError;
import com.stripe.net.StripeResponse;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.RetryAfter;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Maps stripe-java's exceptions to the SDK's {@link ProviderException}: provider {@code "stripe"},
 * the HTTP status (0 when no answer arrived), Stripe's error code (or its error type when it gave
 * no code), the request id, and whether repeating the call may succeed. Messages are Stripe's own
 * words with anything that looks like a credential removed; response bodies are never copied in.
 */
public final class StripeErrors {
  /** The provider name on every exception. */
  public static final String PROVIDER = "stripe";

  private StripeErrors() {}

  /**
   * The SDK exception for a failed Stripe call that may change something; {@code operation} says
   * what was attempted. See {@link #map(String, StripeException, boolean)}.
   */
  public static ProviderException map(String operation, StripeException e) {
    return map(operation, e, true);
  }

  /**
   * The SDK exception for a failed Stripe call; {@code operation} says what was attempted and
   * {@code changes} whether the call changes anything (a POST). Its {@link ProviderException#outcome()}:
   * a read changes nothing, so it was {@code NOT_EXECUTED} in effect; a change that never reached
   * Stripe (connection refused, no such host, a connect timeout) or that Stripe refused as invalid
   * (a 4xx other than 408, 409, 429, and not an idempotency conflict) was {@code NOT_EXECUTED};
   * anything else (a reset or read timeout after sending, a 5xx, a 429, a key in use or reused)
   * is {@code UNKNOWN}: Stripe may have carried it out.
   */
  public static ProviderException map(String operation, StripeException e, boolean changes) {
    if (e instanceof ApiConnectionException) {
      Throwable cause = e.getCause();
      String what = cause == null ? "no answer" : cause.getClass().getSimpleName()
          + (cause.getMessage() == null ? "" : ": " + Secret.scrub(cause.getMessage()));
      return ProviderException.builder(PROVIDER, operation + " failed: Stripe could not be reached or did not answer ("
          + what + ")").code("connection_failed").retryable(true).cause(cause)
          .outcome(ProviderException.Outcome.ofConnectionFailure(cause, changes)).build();
    }
    int status = e.getStatusCode() == null ? 0 : e.getStatusCode();
    StripeError error = e.getStripeError();
    String type = error == null ? null : error.getType();
    String code = firstNonBlank(error == null ? null : error.getCode(), e.getCode(), type);
    String message = error == null ? null : error.getMessage();
    if (message == null || message.isBlank()) {
      message = defaultMessage(status);
    }
    StringBuilder text = new StringBuilder(operation).append(" failed: ").append(Secret.scrub(message));
    String hint = hint(status);
    if (hint != null) {
      text.append(" (").append(hint).append(')');
    }
    Duration retryAfter = RetryAfter.parse(header(error, "Retry-After"), Instant.now());
    if (retryAfter != null) {
      text.append("; retry after ").append(retryAfter.toSeconds()).append(" s");
    }
    boolean idempotencyConflict = e instanceof IdempotencyException || "idempotency_error".equals(type);
    boolean retryable;
    if (idempotencyConflict) {
      // The same key with other parameters never succeeds; a key still in use by a concurrent call does.
      retryable = code != null && code.toLowerCase(Locale.ROOT).contains("in_use");
    } else if ("false".equals(header(error, "Stripe-Should-Retry")) && status < 500) {
      retryable = false;
    } else {
      retryable = ProviderException.retryableStatus(status);
    }
    ProviderException.Outcome outcome = !changes ? ProviderException.Outcome.NOT_EXECUTED
        : idempotencyConflict ? ProviderException.Outcome.UNKNOWN // something ran, or runs, under this key
        : ProviderException.Outcome.forStatus(status);
    return ProviderException.builder(PROVIDER, text.toString()).status(status).code(code).requestId(e.getRequestId())
        .retryable(retryable).retryAfter(retryAfter).outcome(outcome).build();
  }

  private static @Nullable String header(@Nullable StripeError error, String name) {
    if (error == null) {
      return null;
    }
    StripeResponse r = error.getLastResponse();
    return r == null ? null : r.headers().firstValue(name).orElse(null);
  }

  private static @Nullable String firstNonBlank(@Nullable String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  private static String defaultMessage(int status) {
    return status > 0 ? "Stripe answered HTTP " + status : "Stripe gave no answer";
  }

  private static @Nullable String hint(int status) {
    switch (status) {
      case 401:
        return "check the API key; a restricted key needs the Provisioning permissions";
      case 402:
        return "the payment method was declined or a payment limit was reached";
      case 403:
        return "the key is not allowed to do this; the Provisioning API is a private preview that must be enabled"
            + " for the account";
      case 404:
        return "the object does not exist in this account and mode, or the preview is not enabled";
      case 429:
        return "rate limited by Stripe";
      default:
        return null;
    }
  }
}
