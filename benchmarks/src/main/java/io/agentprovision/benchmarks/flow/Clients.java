package io.agentprovision.benchmarks.flow;

import io.agentprovision.core.http.HttpStack;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;

/**
 * The okhttp clients the harnesses give the SDK and their naive clients: each keeps as many idle
 * connections as the SDK's own stack does ({@link HttpStack#IDLE_CONNECTIONS}), as a host that
 * passes its own client is told to, so that neither side pays for connections okhttp's default
 * pool of 5 would close between calls. {@code -Dflow.idleConnections=5} gives them okhttp's default
 * instead, to see what that costs.
 */
final class Clients {
  private Clients() {}

  /** A client builder with the SDK's pool size. */
  static OkHttpClient.Builder pooled() {
    return pooled(0);
  }

  /**
   * A client builder whose pool keeps the SDK's number of idle connections, or more when
   * {@code inFlight} requests may be in flight at once (each provider's cap, added up): the fleet's
   * requests on virtual threads are bounded by the caps alone, and a pool smaller than them closes
   * connections that the next request opens again.
   */
  static OkHttpClient.Builder pooled(int inFlight) {
    int idle = Integer.getInteger("flow.idleConnections", Math.max(HttpStack.IDLE_CONNECTIONS, inFlight));
    return new OkHttpClient.Builder().connectionPool(new ConnectionPool(idle, 5, TimeUnit.MINUTES));
  }

  /** Counts the connections the client opens (each TCP connect attempt). */
  static EventListener countingConnects(AtomicLong connects) {
    return new EventListener() {
      @Override
      public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
        connects.incrementAndGet();
      }
    };
  }
}
