package io.agentprovision.benchmarks.flow;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.testing.oidc.OidcIssuerSandbox;
import io.agentprovision.testing.sandbox.LocalSandbox;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;

/**
 * A fleet of concurrent flows on one provisioner with a small heap: the sandbox runs here, the SDK
 * in a child JVM ({@link FleetClient}, {@code -Xmx256m} by default) that starts {@code --flows}
 * {@code provisionAndDeployAsync} runs at once, each for its own person and app, every exchange
 * delayed by {@code --latency-ms}, and reports when each completed and the heap it used.
 *
 * <p>Before the fleet it measures the sandbox's own capacity: the requests of one recorded flow
 * replayed by {@code --capacity-threads} threads at once without delay, for a few seconds, counting
 * answers per second. A fleet cannot finish faster than its requests divided by that rate.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.flow.Fleet \
 *     [--flows 1000] [--latency-ms 50] [--heap 256m] [--java /path/to/bin/java] [--capacity-seconds 10] \
 *     [--child-args "-XX:StartFlightRecording=filename=/tmp/fleet.jfr"] [--warmup-fleet 0] [--cap 32] [--naive true]
 * }</pre>
 *
 * <p>{@code --child-args} are added to the child JVM's command line (a profiler, say);
 * {@code --warmup-fleet N} has the child run N flows at once, unmeasured, before the fleet, to see the
 * steady state apart from the JIT's warm-up; {@code --cap N} sets the requests in flight at once to
 * Stripe and to Cloudflare (the SDK's default, 32, unless given). The child prints its CPU time during the fleet per flow,
 * split between the Java threads (the SDK's, okhttp's) and the JVM's JIT compilers and collector.
 *
 * <p>After the SDK's fleet, unless {@code --naive false}, the naive fleet ({@link NaiveFleetClient})
 * sends the same requests with plain okhttp under the same limits, in a child JVM with the same heap;
 * the harness ends with the SDK fleet's time over the naive fleet's and both children's CPU per flow,
 * which says how much of the fleet's time the sandbox, the network's delay and the limits account
 * for on this machine, and how much the SDK adds.
 *
 * <p>{@code -Dfleet.sdkClasspath=<class path>} runs the SDK's child on another build (put this build's
 * {@code io/agentprovision/benchmarks} classes first, for the same harness) while the sandbox and the naive
 * fleet stay this JVM's: the sandbox shares the machine's cores, so comparing two builds each with its own
 * sandbox compares their sandboxes too.
 *
 * <p>The fleet goes through Stripe Projects, as the Quickstart does: a first flow here links the
 * sandbox's Stripe account holder to the provider, so that the fleet's flows find the connection
 * (as a host that has been up a while would); the sandbox's workerd is off (a thousand Workers in
 * one local runtime measure the runtime), so each flow's check reports that no runtime ran the app.
 */
public final class Fleet {
  private Fleet() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = FlowLatency.options(args);
    int flows = Integer.parseInt(o.getOrDefault("flows", "1000"));
    Duration latency = Duration.ofMillis(Long.parseLong(o.getOrDefault("latency-ms", "50")));
    String heap = o.getOrDefault("heap", "256m");
    String java = o.getOrDefault("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    int capacitySeconds = Integer.parseInt(o.getOrDefault("capacity-seconds", "10"));
    int capacityThreads = Integer.parseInt(o.getOrDefault("capacity-threads", "64"));
    String extra = o.getOrDefault("child-args", "");
    int warmupFleet = Integer.parseInt(o.getOrDefault("warmup-fleet", "0"));
    String cap = o.get("cap");
    int places = ResiliencePolicy.DEFAULT_MAX_CONCURRENT_REQUESTS;
    if (cap != null) {
      places = Integer.parseInt(cap);
      extra = (extra + " -Dfleet.cap=" + places).trim();
    }
    boolean naive = Boolean.parseBoolean(o.getOrDefault("naive", "true"));
    run(flows, latency, heap, java, capacitySeconds, capacityThreads, extra, warmupFleet, naive ? places : 0,
        System.out);
  }

  public static int run(int flows, Duration latency, String heap, String javaBin, int capacitySeconds,
      int capacityThreads, String extraChildArgs, PrintStream out) throws Exception {
    return run(flows, latency, heap, javaBin, capacitySeconds, capacityThreads, extraChildArgs, 0, 0, out);
  }

  /**
   * Like {@link #run(int, Duration, String, String, int, int, String, PrintStream)}, the child first
   * running a fleet of {@code warmupFleet} flows that is not measured (0: none), so that the measured
   * fleet shows the steady state of a host whose JIT has compiled the flow's code; with
   * {@code naiveCap} above 0, the naive fleet ({@link NaiveFleetClient}) runs after it, in a child JVM
   * with the same heap, {@code naiveCap} requests in flight to each endpoint (the SDK's cap), and the
   * two fleets' times and CPU are compared.
   */
  public static int run(int flows, Duration latency, String heap, String javaBin, int capacitySeconds,
      int capacityThreads, String extraChildArgs, int warmupFleet, int naiveCap, PrintStream out) throws Exception {
    out.printf(Locale.ROOT, "Fleet: %d concurrent flows, latency %d ms per exchange, SDK heap -Xmx%s, load average "
        + "%.2f, %d cores%n", flows, latency.toMillis(), heap,
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().availableProcessors());
    ConcurrentLinkedQueue<Exchange> recorded = new ConcurrentLinkedQueue<>();
    OkHttpClient base = Clients.pooled()
        .addNetworkInterceptor(DelayingRecorder.recording(Duration.ZERO, recorded, new AtomicLong())).build();
    Path dir = Files.createTempDirectory("fleet-");
    try (HttpStack http = HttpStack.builder().okHttpClient(base).build();
        LocalSandbox sb = SandboxFlows.sandbox(http, false)) {
      // two flows here: the first links the Stripe account holder (and fetches what a provisioner keeps,
      // such as the identity provider's keys); the second makes the requests of a flow in the fleet,
      // which the capacity probe and the naive fleet send again
      try (AgentProvisioner p = SandboxFlows.provisioner(sb, http, SandboxFlows.Via.STRIPE, SandboxFlows.Stores.MEMORY,
          null, null, null, List.of())) {
        p.provisionAndDeploy(SandboxFlows.request(sb, 0, "fleet-0@example.com"));
        recorded.clear();
        p.provisionAndDeploy(SandboxFlows.request(sb, 999_999, "fleet-recorded@example.com"));
      }
      List<Exchange> oneFlow = new ArrayList<>(recorded);
      oneFlow.sort(java.util.Comparator.comparingLong(Exchange::startNanos)); // in the order they were sent
      double capacity = capacity(sb, oneFlow, capacityThreads, Duration.ofSeconds(capacitySeconds));
      out.printf(Locale.ROOT, "sandbox capacity: %.0f requests/s with %d threads replaying a flow's %d requests "
          + "without delay (a fleet of %d such flows needs at least %.1f s)%n", capacity, capacityThreads,
          oneFlow.size(), flows, flows * oneFlow.size() / capacity);

      Path config = dir.resolve("fleet.properties");
      Properties p = new Properties();
      p.setProperty("flows", Integer.toString(flows));
      p.setProperty("latency.ms", Long.toString(latency.toMillis()));
      p.setProperty("stripe.apiBase", sb.stripe().baseUrl());
      p.setProperty("stripe.apiKey", sb.stripe().apiKey().reveal());
      p.setProperty("cloudflare.baseUrl", sb.cloudflare().baseUrl());
      p.setProperty("oidc.issuer", sb.oidc().issuer());
      p.setProperty("oidc.audience", OidcIssuerSandbox.DEFAULT_AUDIENCE);
      p.setProperty("allowIps", sb.defaultAllowedIps());
      p.setProperty("warmup.fleet", Integer.toString(warmupFleet));
      Path tokens = dir.resolve("tokens.txt");
      try (Writer w = Files.newBufferedWriter(tokens, StandardCharsets.UTF_8)) {
        for (int i = 1; i <= flows; i++) {
          w.write(sb.signIn("fleet-" + i + "@example.com").reveal());
          w.write('\n');
        }
      }
      p.setProperty("tokens", tokens.toString());
      try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
        p.store(w, "fleet settings for the child JVM");
      }
      List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx" + heap, "-XX:+UseG1GC"));
      for (String a : extraChildArgs.split(" ")) {
        if (!a.isBlank()) {
          cmd.add(a);
        }
      }
      // -Dfleet.sdkClasspath puts another build's SDK in the child while this JVM's sandbox and naive fleet stay
      // the same: the sandbox shares the two cores with the SDK, so a change of its code moves both fleets' times
      String sdkClasspath = System.getProperty("fleet.sdkClasspath", System.getProperty("java.class.path"));
      cmd.addAll(List.of("-cp", sdkClasspath, FleetClient.class.getName(), config.toString()));
      out.println("child: " + String.join(" ", cmd.subList(0, cmd.size() - 3)) + " ... " + FleetClient.class.getSimpleName()
          + (sdkClasspath.equals(System.getProperty("java.class.path")) ? "" : " (SDK from " + sdkClasspath + ")"));
      long[] sdk = new long[3];
      // the SDK's steps at once: its step threads on Java 17 to 20, no bound on virtual threads (0)
      int[] steps = {AgentProvisioner.DEFAULT_STEP_THREADS};
      long sandboxBefore = ThreadCpu.process();
      int status = child(cmd, sdk, steps, out);
      // this JVM is the sandbox (and the delaying proxy's threads): its CPU is the fleet's other tenant of the cores
      out.printf(Locale.ROOT, "  the sandbox's CPU while the SDK's child ran: %.1f ms per flow%n",
          (ThreadCpu.process() - sandboxBefore) / 1e6 / flows);
      if (status != 0 || naiveCap <= 0) {
        return status;
      }
      Path replays = dir.resolve("flow.bin");
      try (var w = Files.newOutputStream(replays)) {
        NaiveFleetClient.write(oneFlow, w);
      }
      List<String> naiveCmd = List.of(javaBin, "-Xmx" + heap, "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"),
          NaiveFleetClient.class.getName(), replays.toString(), Integer.toString(flows),
          Long.toString(latency.toMillis()), Integer.toString(steps[0]), Integer.toString(naiveCap));
      out.printf(Locale.ROOT, "naive fleet: the same %d flows, each sending the recorded flow's requests one after "
          + "another with plain okhttp, %s and %d per endpoint; child %s -Xmx%s ... %s%n", flows,
          steps[0] > 0 ? "at most " + steps[0] + " in flight in all (the SDK's step threads)"
              : "no bound in all (the SDK's steps ran on virtual threads)", naiveCap, javaBin, heap,
          NaiveFleetClient.class.getSimpleName());
      long[] naive = new long[3];
      sandboxBefore = ThreadCpu.process();
      status = child(naiveCmd, naive, new int[1], out);
      out.printf(Locale.ROOT, "  the sandbox's CPU while the naive child ran: %.1f ms per flow%n",
          (ThreadCpu.process() - sandboxBefore) / 1e6 / flows);
      if (status == 0 && sdk[0] > 0 && naive[0] > 0) {
        out.printf(Locale.ROOT, "SDK fleet / naive fleet: %.1f s / %.1f s = %.2fx (completed %d and %d of %d); "
            + "CPU during the fleet per flow: SDK %.1f ms, naive %.1f ms; load average %.2f%n", sdk[0] / 1e9,
            naive[0] / 1e9, (double) sdk[0] / naive[0], sdk[2], naive[2], flows, sdk[1] / 1e6 / flows,
            naive[1] / 1e6 / flows,
            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      }
      return status;
    } finally {
      FlowLatency.deleteTree(dir);
    }
  }

  /**
   * Runs a child JVM, passing its lines on (not its log's, nor its figures line, which fills
   * {@code figures}: the fleet's time and CPU in nanoseconds, the flows completed; nor the SDK's
   * bound on steps at once, which fills {@code steps[0]}); its exit status.
   */
  private static int child(List<String> cmd, long[] figures, int[] steps, PrintStream out) throws Exception {
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.startsWith(FleetClient.STEPS)) {
          steps[0] = Integer.parseInt(line.substring(FleetClient.STEPS.length()).trim());
        } else if (line.startsWith(FleetClient.FIGURES)) {
          String[] f = line.substring(FleetClient.FIGURES.length()).trim().split(" ");
          for (int i = 0; i < figures.length; i++) {
            figures[i] = Long.parseLong(f[i]);
          }
        } else if (!line.startsWith("[")) { // the child's slf4j-simple log lines
          out.println("  " + line);
        }
      }
    }
    return child.waitFor();
  }

  /** Requests per second the sandbox answers with {@code threads} clients replaying one flow without delay. */
  static double capacity(LocalSandbox sb, List<Exchange> flow, int threads, Duration duration) throws Exception {
    OkHttpClient plain = new OkHttpClient.Builder().build();
    plain.dispatcher().setMaxRequestsPerHost(threads);
    plain.connectionPool();
    OkHttpClient app = sb.cloudflare().appClient(plain);
    Map<String, String> same = Map.of();
    AtomicLong answered = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long end = System.nanoTime() + duration.toNanos();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      pool.execute(() -> {
        while (System.nanoTime() < end) {
          answered.addAndGet(FlowLatency.replayCounting(flow, plain, app, same));
        }
      });
    }
    pool.shutdown();
    pool.awaitTermination(duration.toSeconds() + 120, TimeUnit.SECONDS);
    double secs = (System.nanoTime() - start) / 1e9;
    plain.dispatcher().executorService().shutdown();
    plain.connectionPool().evictAll();
    return answered.get() / secs;
  }
}
