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
 * @param on the thread that sent it and read its answer, with its CPU time at each ({@link OnThread#NONE} when not taken)
 */
public record Exchange(long sequence, String step, String method, String url, List<Map.Entry<String, String>> headers,
    byte[] body, @org.jspecify.annotations.Nullable String contentType, long startNanos, long endNanos, int status,
    boolean app, OnThread on) {

  /** An exchange whose thread was not noted. */
  public Exchange(long sequence, String step, String method, String url, List<Map.Entry<String, String>> headers,
      byte[] body, @org.jspecify.annotations.Nullable String contentType, long startNanos, long endNanos, int status,
      boolean app) {
    this(sequence, step, method, url, headers, body, contentType, startNanos, endNanos, status, app, OnThread.NONE);
  }

  /** How long the exchange took, delay included. */
  public long nanos() {
    return endNanos - startNanos;
  }
}
