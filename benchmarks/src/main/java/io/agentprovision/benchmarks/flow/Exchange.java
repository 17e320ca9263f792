package io.agentprovision.benchmarks.flow;

import java.util.List;
import java.util.Map;

/**
 * One HTTP exchange a flow made, as the delaying interceptor saw it on the wire: which step made it,
 * when it started and ended (nanoseconds on {@link System#nanoTime}), and everything needed to send
 * it again (method, URL, headers, body).
 *
 * @param step the step that made it ({@code "plan"} for the planner, {@code "(engine)"} outside any step)
 * @param app whether it went to the deployed app (through the sandbox's app client) rather than an API
 */
public record Exchange(long sequence, String step, String method, String url, List<Map.Entry<String, String>> headers,
    byte[] body, @org.jspecify.annotations.Nullable String contentType, long startNanos, long endNanos, int status,
    boolean app) {

  /** How long the exchange took, delay included. */
  public long nanos() {
    return endNanos - startNanos;
  }
}
