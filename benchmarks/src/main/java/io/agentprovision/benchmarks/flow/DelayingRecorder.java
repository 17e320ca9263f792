package io.agentprovision.benchmarks.flow;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import org.jspecify.annotations.Nullable;

/**
 * An okhttp network interceptor that adds a fixed latency to every exchange (as a network between
 * the SDK and the providers would) and, when recording, keeps each exchange with the step that made
 * it ({@link StepAttribution}). Installed as a <em>network</em> interceptor, so that a retry made by
 * the SDK's resilience layer is delayed and recorded like any other exchange.
 *
 * <p>The delay is a sleep on the calling thread before the request is sent: what a blocking client
 * spends waiting on a slow network. The same interceptor, not recording, delays the naive client.
 */
public final class DelayingRecorder implements Interceptor {
  /** Headers okhttp sets itself; a replay lets it set them again. */
  private static final Set<String> TRANSPORT_HEADERS = Set.of("host", "content-length", "connection",
      "accept-encoding", "transfer-encoding", "user-agent");

  private final long delayNanos;
  private final boolean app;
  private final @Nullable ConcurrentLinkedQueue<Exchange> sink;
  private final AtomicLong sequence;

  private DelayingRecorder(Duration delay, boolean app, @Nullable ConcurrentLinkedQueue<Exchange> sink,
      AtomicLong sequence) {
    this.delayNanos = delay.toNanos();
    this.app = app;
    this.sink = sink;
    this.sequence = sequence;
  }

  /** Delays every exchange by {@code delay}, recording nothing. */
  public static DelayingRecorder delayOnly(Duration delay) {
    return new DelayingRecorder(delay, false, null, new AtomicLong());
  }

  /** Delays and records into {@code sink}. */
  public static DelayingRecorder recording(Duration delay, ConcurrentLinkedQueue<Exchange> sink, AtomicLong sequence) {
    return new DelayingRecorder(delay, false, sink, sequence);
  }

  /** The same, marking the exchanges as ones with the deployed app. */
  public DelayingRecorder forApp() {
    return new DelayingRecorder(Duration.ofNanos(delayNanos), true, sink, sequence);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    long startCpu = sink == null ? 0 : OnThread.cpuNow();
    long start = System.nanoTime();
    if (delayNanos > 0) {
      try {
        Thread.sleep(delayNanos / 1_000_000, (int) (delayNanos % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting on the simulated network");
      }
    }
    Response response = chain.proceed(request);
    ConcurrentLinkedQueue<Exchange> s = sink;
    if (s != null) {
      // the body is read by the caller after this returns; the exchange counts as ended when the headers arrive
      long end = System.nanoTime();
      OnThread on = OnThread.current(startCpu);
      s.add(new Exchange(sequence.incrementAndGet(), StepAttribution.current(), request.method(),
          request.url().toString(), headers(request), body(request.body()), contentType(request.body()), start, end,
          response.code(), app, on));
    }
    return response;
  }

  private static List<Map.Entry<String, String>> headers(Request request) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (kotlin.Pair<? extends String, ? extends String> h : request.headers()) {
      if (!TRANSPORT_HEADERS.contains(h.getFirst().toLowerCase(Locale.ROOT))) {
        out.add(Map.entry(h.getFirst(), h.getSecond()));
      }
    }
    return out;
  }

  private static byte[] body(@Nullable RequestBody body) throws IOException {
    if (body == null) {
      return new byte[0];
    }
    Buffer b = new Buffer();
    body.writeTo(b);
    return b.readByteArray();
  }

  private static @Nullable String contentType(@Nullable RequestBody body) {
    return body == null || body.contentType() == null ? null : String.valueOf(body.contentType());
  }
}
