package io.agentprovision.testing.provider2;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One request the {@link IndependentProviderSimulator} received and what it answered, for tests to
 * assert on the wire: the bytes sent, the headers, and the answer. Header names are lower case.
 * {@code toString} shows neither bodies nor credential headers, since both may hold tokens.
 *
 * @param at when the simulator received it, on its clock
 * @param method the HTTP method
 * @param path the raw path, such as {@code /provisioning/resources/res_1/remove}
 * @param query the raw query string, or null
 * @param headers the request headers, names in lower case
 * @param body the request body as text (UTF-8)
 * @param status the HTTP status answered
 * @param responseBody the answer's body as text
 */
public record RecordedExchange(Instant at, String method, String path, @Nullable String query,
    Map<String, List<String>> headers, String body, int status, String responseBody) {
  public RecordedExchange {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    headers = Map.copyOf(headers);
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(responseBody, "responseBody");
  }

  /** The first value of header {@code name} (any case), or null. */
  public @Nullable String header(String name) {
    List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  /** {@code "POST /provisioning/resources"}: method and path, for readable assertions. */
  public String call() {
    return method + " " + path;
  }

  @Override
  public String toString() {
    return "RecordedExchange{" + call() + (query == null ? "" : "?…") + " -> " + status + ", body=" + body.length()
        + " chars, response=" + responseBody.length() + " chars}";
  }
}
