package io.agentprovision.testing.stripe;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request the sandbox received and what it answered, for assertions.
 *
 * @param method the HTTP method
 * @param path the path, without the query
 * @param query the raw query string, or null
 * @param headers the request headers as sent, names lower case (the sandbox's keys are test keys)
 * @param body the raw request body
 * @param status the status answered; 0 when the connection was cut
 */
public record RecordedCall(String method, String path, @Nullable String query, Map<String, String> headers, String body,
    int status) {
  public RecordedCall {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    headers = Map.copyOf(headers);
    Objects.requireNonNull(body, "body");
  }

  /** A header's value, by any case of its name, or null. */
  public @Nullable String header(String name) {
    return headers.get(name.toLowerCase(java.util.Locale.ROOT));
  }

  public @Nullable String idempotencyKey() {
    return header("Idempotency-Key");
  }

  public @Nullable String stripeVersion() {
    return header("Stripe-Version");
  }
}
