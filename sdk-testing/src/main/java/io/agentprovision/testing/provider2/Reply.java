package io.agentprovision.testing.provider2;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One answer of the simulator before it is written: a status, a JSON body (or a page) and headers.
 * {@code replayable} says whether an idempotency key keeps it: answers that made or changed a
 * resource are kept, refusals that changed nothing are not, so a retry under the same key (with a
 * fresh payment token, say) is judged afresh.
 */
record Reply(int status, @Nullable Map<String, Object> json, @Nullable String html, Map<String, String> headers,
    boolean replayable) {
  Reply {
    headers = Map.copyOf(headers);
  }

  static Reply json(int status, Map<String, Object> body) {
    return new Reply(status, Objects.requireNonNull(body, "body"), null, Map.of(), false);
  }

  static Reply html(int status, String page) {
    return new Reply(status, null, page, Map.of(), false);
  }

  static Reply redirect(String location) {
    return new Reply(302, null, "", Map.of("Location", location), false);
  }

  Reply withHeader(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new Reply(status, json, html, h, replayable);
  }

  Reply keptForReplay() {
    return new Reply(status, json, html, headers, true);
  }
}
