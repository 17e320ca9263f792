package io.agentprovision.benchmarks.flow;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The naive fleet beside {@link FleetClient}, in its own JVM with the same heap: the requests one
 * fleet flow makes (recorded by {@link Fleet} from a flow of its own), sent again by {@code flows}
 * flows at once with plain okhttp and nothing else (no SDK: no engine, stores, audit, JSON binding,
 * retries), under the same limits as the SDK's fleet: at most {@code steps} requests in flight in
 * all (the SDK's step threads, which make its requests; none when its steps ran on virtual threads) and at most {@code cap} in flight to each
 * provider endpoint (scheme, host and port; the SDK's per-provider cap), a request holding its place
 * until its answer's headers arrive, as in the SDK. Each exchange is delayed as the SDK's are, on
 * the thread that sends it. Each flow sends its requests one after another; the replayed requests
 * mostly repeat what the sandbox has already seen (an idempotency key it answered, a name that
 * exists), so the sandbox's work per request is, if anything, less than for the SDK's fleet.
 *
 * <p>What it shows: how long the sandbox, the simulated network and the limits alone take for the
 * fleet's requests on this machine, with a client whose own CPU is as small as plain okhttp's.
 */
public final class NaiveFleetClient {
  private NaiveFleetClient() {}

  /** One request to send again: what the wire saw. */
  record Replay(String method, String url, List<Map.Entry<String, String>> headers, byte[] body,
      @Nullable String contentType) {}

  /** Writes the exchanges the naive fleet replays (the deployed app's are left out: no runtime runs it). */
  static void write(List<Exchange> exchanges, OutputStream to) throws IOException {
    DataOutputStream out = new DataOutputStream(to);
    List<Exchange> api = exchanges.stream().filter(e -> !e.app()).toList();
    out.writeInt(api.size());
    for (Exchange e : api) {
      out.writeUTF(e.method());
      out.writeUTF(e.url());
      out.writeBoolean(e.contentType() != null);
      if (e.contentType() != null) {
        out.writeUTF(e.contentType());
      }
      out.writeInt(e.headers().size());
      for (Map.Entry<String, String> h : e.headers()) {
        out.writeUTF(h.getKey());
        out.writeUTF(h.getValue());
      }
      out.writeInt(e.body().length);
      out.write(e.body());
    }
    out.flush();
  }

  static List<Replay> read(InputStream from) throws IOException {
    DataInputStream in = new DataInputStream(from);
    int n = in.readInt();
    List<Replay> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String method = in.readUTF();
      String url = in.readUTF();
      String type = in.readBoolean() ? in.readUTF() : null;
      int headers = in.readInt();
      List<Map.Entry<String, String>> h = new ArrayList<>(headers);
      for (int j = 0; j < headers; j++) {
        h.add(Map.entry(in.readUTF(), in.readUTF()));
      }
      byte[] body = new byte[in.readInt()];
      in.readFully(body);
      out.add(new Replay(method, url, h, body, type));
    }
    return out;
  }

  /**
   * Places in flight to one endpoint: a request takes one or waits in line, without holding a thread,
   * and gives it back when its answer's headers are in.
   */
  private static final class Gate {
    private int free;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();

    Gate(int places) {
      this.free = places;
    }

    void enter(Runnable send) {
      synchronized (this) {
        if (free == 0) {
          waiting.add(send);
          return;
        }
        free--;
      }
      send.run();
    }

    void leave() {
      Runnable next;
      synchronized (this) {
        next = waiting.poll();
        if (next == null) {
          free++;
          return;
        }
      }
      next.run();
    }
  }

  /**
   * Arguments: the exchanges file, flows, latency in ms, requests in flight in all (0: no bound), in
   * flight per endpoint.
   */
  public static void main(String[] args) throws Exception {
    List<Replay> flow;
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      flow = read(in);
    }
    int flows = Integer.parseInt(args[1]);
    Duration latency = Duration.ofMillis(Long.parseLong(args[2]));
    // 0: no bound in all, as the SDK's steps on virtual threads have none
    int steps = Integer.parseInt(args[3]) > 0 ? Integer.parseInt(args[3]) : Integer.MAX_VALUE;
    int cap = Integer.parseInt(args[4]);
    OkHttpClient client = Clients.pooled(2 * cap).addNetworkInterceptor(DelayingRecorder.delayOnly(latency)).build();
    // the SDK's step threads bound its requests in flight in all; the gates bound them per endpoint
    client.dispatcher().setMaxRequests(steps);
    client.dispatcher().setMaxRequestsPerHost(steps);
    System.out.printf(Locale.ROOT, "JVM %s%n", Runtime.version());
    List<Request> requests = new ArrayList<>();
    List<Gate> gates = new ArrayList<>();
    Map<String, Gate> byOrigin = new HashMap<>();
    for (Replay r : flow) {
      Request.Builder b = new Request.Builder().url(r.url());
      for (Map.Entry<String, String> h : r.headers()) {
        b.addHeader(h.getKey(), h.getValue());
      }
      RequestBody body = null;
      if (r.body().length > 0 || r.method().equals("POST") || r.method().equals("PUT") || r.method().equals("PATCH")) {
        body = RequestBody.create(r.body(), r.contentType() == null ? null : MediaType.parse(r.contentType()));
      }
      requests.add(b.method(r.method(), body).build());
      HttpUrl u = HttpUrl.get(r.url());
      gates.add(byOrigin.computeIfAbsent(u.scheme() + "://" + u.host() + ":" + u.port(), k -> new Gate(cap)));
    }

    // one flow alone, after one to warm up, as the SDK's fleet client does
    run(client, requests, gates, 1).await(5, TimeUnit.MINUTES);
    long t0 = System.nanoTime();
    run(client, requests, gates, 1).await(5, TimeUnit.MINUTES);
    long single = System.nanoTime() - t0;
    System.out.printf(Locale.ROOT, "one flow alone: %.0f ms (%d requests, %d endpoints)%n", single / 1e6,
        requests.size(), byOrigin.size());

    FleetClient.HeapWatch watch = new FleetClient.HeapWatch();
    watch.start();
    watch.reset();
    FleetClient.ThreadCpu cpuBefore = FleetClient.ThreadCpu.now();
    long start = System.nanoTime();
    Fleet fleet = run(client, requests, gates, flows);
    fleet.await(30, TimeUnit.MINUTES);
    long total = System.nanoTime() - start;
    FleetClient.ThreadCpu cpu = FleetClient.ThreadCpu.now().minus(cpuBefore);
    watch.stop();
    List<Long> times = new ArrayList<>(fleet.done);
    Collections.sort(times);
    System.out.printf(Locale.ROOT, "fleet: %d flows; %d completed, %d requests failed, in %.1f s (%.1f x one flow)%n",
        flows, times.size(), fleet.failed.get(), total / 1e9, (double) total / single);
    if (!times.isEmpty()) {
      System.out.printf(Locale.ROOT, "completion times: first %.1f s, median %.1f s, last %.1f s%n",
          (times.get(0) - start) / 1e9, (times.get(times.size() / 2) - start) / 1e9,
          (times.get(times.size() - 1) - start) / 1e9);
    }
    System.out.printf(Locale.ROOT, "heap: peak used %d MB (sampled); CPU during the fleet %.1f ms per flow "
        + "(okhttp threads %.1f, JIT %.1f, GC %.1f)%n", watch.peak() >> 20, cpu.process / 1e6 / flows,
        cpu.app() / 1e6 / flows, cpu.jit / 1e6 / flows, cpu.gc / 1e6 / flows);
    FleetClient.figures(total, cpu.process, times.size());
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }

  /** Flows under way: each sends its requests one after another, each through its endpoint's gate. */
  private static final class Fleet {
    final CountDownLatch left;
    final ConcurrentLinkedQueue<Long> done = new ConcurrentLinkedQueue<>();
    final AtomicLong failed = new AtomicLong();

    Fleet(int flows) {
      this.left = new CountDownLatch(flows);
    }

    void await(long time, TimeUnit unit) throws InterruptedException {
      if (!left.await(time, unit)) {
        throw new IllegalStateException("the naive fleet did not finish in " + time + " " + unit);
      }
    }
  }

  private static Fleet run(OkHttpClient client, List<Request> requests, List<Gate> gates, int flows) {
    Fleet fleet = new Fleet(flows);
    for (int f = 0; f < flows; f++) {
      send(client, requests, gates, 0, fleet);
    }
    return fleet;
  }

  private static void send(OkHttpClient client, List<Request> requests, List<Gate> gates, int i, Fleet fleet) {
    if (i == requests.size()) {
      fleet.done.add(System.nanoTime());
      fleet.left.countDown();
      return;
    }
    Gate gate = gates.get(i);
    gate.enter(() -> client.newCall(requests.get(i)).enqueue(new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        gate.leave();
        fleet.failed.incrementAndGet();
        send(client, requests, gates, i + 1, fleet); // a replay may fail; what counts is the round trip
      }

      @Override
      public void onResponse(Call call, Response response) {
        gate.leave();
        try (response) {
          response.body().bytes();
        } catch (IOException e) {
          fleet.failed.incrementAndGet();
        }
        send(client, requests, gates, i + 1, fleet);
      }
    }));
  }
}
