package io.agentprovision.benchmarks.flow;

import io.agentprovision.cloudflare.CloudflareClient;
import io.agentprovision.cloudflare.CloudflareDeployer;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.stripe.StripeApi;
import io.agentprovision.stripe.StripeProjects;
import io.agentprovision.testing.sandbox.LocalSandbox;
import java.io.IOException;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;

/**
 * The SDK side of {@link Fleet}, in its own JVM: one provisioner with its defaults (executors,
 * in-memory stores) on the sandbox, one flow alone to know a single flow's time, then every flow at
 * once with {@code provisionAndDeployAsync}. Prints completion times, failures, the heap's peak and
 * the JVM's peak thread count, and which JVM ran it with which step executor. With {@code -Dfleet.jfr=<file>} (through {@link Fleet}'s
 * {@code --child-args}) it records the measured fleet alone with JFR.
 */
public final class FleetClient {
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private FleetClient() {}

  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
      p.load(r);
    }
    int flows = Integer.parseInt(p.getProperty("flows"));
    Duration latency = Duration.ofMillis(Long.parseLong(p.getProperty("latency.ms")));
    List<String> tokens = Files.readAllLines(Path.of(p.getProperty("tokens")), StandardCharsets.UTF_8);
    String allowIps = p.getProperty("allowIps");
    AtomicLong connects = new AtomicLong();
    // requests in flight at once to each provider (the SDK's default unless the fleet is run with --cap)
    int cap = Integer.getInteger("fleet.cap", ResiliencePolicy.DEFAULT_MAX_CONCURRENT_REQUESTS);
    // a pool that keeps a connection for every request the two providers' caps let be in flight at once
    OkHttpClient base = Clients.pooled(2 * cap).addNetworkInterceptor(DelayingRecorder.delayOnly(latency))
        .eventListener(Clients.countingConnects(connects)).build();
    HttpStack http = HttpStack.builder().okHttpClient(base).build();
    // without workerd nothing runs the apps: the check says so instead of failing
    OkHttpClient noRuntime = base.newBuilder().addInterceptor(chain -> {
      throw new IOException(CloudflareDeployer.NO_RUNTIME + ": the fleet's sandbox runs no workerd");
    }).build();
    Clock clock = Clock.systemUTC();
    SpendPolicy policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("10000000.00")).perProvider())
        .limit(SpendLimit.perTransaction(Money.usd("25.00"))).requireApprovalAbove(Money.usd("0.00")).build();
    HeapWatch watch = new HeapWatch(base.connectionPool());
    watch.start();
    try (AgentProvisioner provisioner = AgentProvisioner.builder()
        .http(http)
        .orchestrator(StripeProjects.builder().api(StripeApi.builder().apiKey(Secret.of(p.getProperty("stripe.apiKey")))
            .apiBase(p.getProperty("stripe.apiBase")).maxConcurrentRequests(cap).http(http).build())
            .pollBackoff(LocalSandbox.DEFAULT_POLL_BACKOFF).build())
        .deployer(CloudflareDeployer.builder().baseUrl(p.getProperty("cloudflare.baseUrl")).http(http)
            .resilience(ResiliencePolicy.from(CloudflareClient.DEFAULT_RESILIENCE).maxConcurrentRequests(cap).build())
            .appClient(noRuntime).build())
        .identity(OidcIdentityProvider.builder().issuer(p.getProperty("oidc.issuer"))
            .audience(p.getProperty("oidc.audience")).http(http).build())
        .spendPolicy(policy)
        .approvals(request -> ApprovalDecision.approved("fleet", "approved for the benchmark", clock.instant()))
        .build()) {
      // which JVM and step executor ran: Fleet gives the naive fleet the same bound on requests in flight
      // (the provisioner's documented default: virtual threads from Java 21 unless turned off)
      boolean virtual = Runtime.version().feature() >= 21
          && !"false".equalsIgnoreCase(System.getProperty("agentprovision.virtualThreads"));
      System.out.printf(Locale.ROOT, "JVM %s; steps on %s%n", Runtime.version(),
          virtual ? "virtual threads" : AgentProvisioner.DEFAULT_STEP_THREADS + " platform threads");
      System.out.println(STEPS + " " + (virtual ? 0 : AgentProvisioner.DEFAULT_STEP_THREADS));
      // one flow alone (after one to warm up), for the single-flow time the fleet is compared with
      provisioner.provisionAndDeploy(SandboxFlows.request(allowIps, 1, Secret.of(tokens.get(0))));
      long t0 = System.nanoTime();
      provisioner.provisionAndDeploy(SandboxFlows.request(allowIps, 2, Secret.of(tokens.get(1))));
      long single = System.nanoTime() - t0;
      System.out.printf(Locale.ROOT, "one flow alone: %.0f ms%n", single / 1e6);

      int warmFleet = Integer.parseInt(p.getProperty("warmup.fleet", "0"));
      if (warmFleet > 0) {
        // a fleet before the measured one: the JIT has compiled the flow's code, as in a host that has
        // been up a while, so the figures below are the steady state's, not the warm-up's
        List<CompletableFuture<Deployment>> warm = new ArrayList<>();
        for (int i = 0; i < warmFleet; i++) {
          warm.add(provisioner.provisionAndDeployAsync(
              SandboxFlows.request(allowIps, 100_000 + i, Secret.of(tokens.get(i % tokens.size())))));
        }
        CompletableFuture.allOf(warm.toArray(CompletableFuture[]::new)).handle((v, e) -> null)
            .get(30, TimeUnit.MINUTES);
        System.out.printf(Locale.ROOT, "warm-up fleet of %d flows done%n", warmFleet);
      }
      ConcurrentLinkedQueue<Long> done = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
      AtomicLong failed = new AtomicLong();
      AtomicLong completed = new AtomicLong();
      List<CompletableFuture<Deployment>> all = new ArrayList<>();
      watch.reset();
      long connectsBefore = connects.get();
      jdk.jfr.Recording jfr = startRecording();
      ThreadCpu cpuBefore = ThreadCpu.now();
      long[] javaBefore = javaThreads();
      // the process's CPU when the EARLY-th flow completed: the fleet's life in two parts
      int early = Math.min(EARLY, flows);
      java.util.concurrent.atomic.AtomicReference<long[]> atEarly = new java.util.concurrent.atomic.AtomicReference<>();
      long start = System.nanoTime();
      for (int i = 0; i < flows; i++) {
        CompletableFuture<Deployment> f = provisioner.provisionAndDeployAsync(
            SandboxFlows.request(allowIps, 1000 + i, Secret.of(tokens.get(i % tokens.size()))));
        // waited on through the callback's own future: allOf over the flows' futures may complete
        // before a flow's callback has counted it
        CompletableFuture<Deployment> counted = f.whenComplete((d, e) -> {
          if (e != null) {
            failed.incrementAndGet();
            if (errors.size() < 5) {
              errors.add(String.valueOf(e));
            }
          } else {
            done.add(System.nanoTime() - start);
          }
          if (completed.incrementAndGet() == early) {
            atEarly.set(new long[] {System.nanoTime() - start, processCpu()});
          }
        });
        all.add(counted);
      }
      long submitted = System.nanoTime() - start;
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).handle((v, e) -> null)
          .get(30, TimeUnit.MINUTES);
      long total = System.nanoTime() - start;
      ThreadCpu cpuFleet = ThreadCpu.now().minus(cpuBefore);
      long[] javaFleet = javaThreads();
      if (jfr != null) {
        jfr.stop();
        jfr.dump(Path.of(System.getProperty("fleet.jfr")));
        jfr.close();
      }
      List<Long> times = new ArrayList<>(done);
      Collections.sort(times);
      System.out.printf(Locale.ROOT, "fleet: %d flows submitted in %.0f ms; %d completed, %d failed, in %.1f s "
          + "(%.1f x one flow)%n", flows, submitted / 1e6, times.size(), failed.get(), total / 1e9,
          (double) total / single);
      if (!times.isEmpty()) {
        System.out.printf(Locale.ROOT, "completion times: first %.1f s, median %.1f s, 90th %.1f s, last %.1f s%n",
            times.get(0) / 1e9, times.get(times.size() / 2) / 1e9, times.get(times.size() * 9 / 10) / 1e9,
            times.get(times.size() - 1) / 1e9);
      }
      for (String e : errors) {
        System.out.println("  error: " + e);
      }
      System.out.printf(Locale.ROOT, "heap: max %d MB, peak used %d MB (sampled), %d MB (pools' peaks); peak threads "
          + "%d; CPU %.1f s%n", Runtime.getRuntime().maxMemory() >> 20, watch.peak() >> 20, poolPeaks() >> 20,
          ManagementFactory.getThreadMXBean().getPeakThreadCount(), processCpu() / 1e9);
      if (cpuFleet.known) {
        System.out.printf(Locale.ROOT, "CPU during the fleet: %.1f ms per flow (SDK and okhttp threads %.1f, "
            + "JIT compilers %.1f, GC %.1f, other JVM threads %.1f)%n", cpuFleet.process / 1e6 / flows,
            cpuFleet.app() / 1e6 / flows, cpuFleet.jit / 1e6 / flows, cpuFleet.gc / 1e6 / flows,
            cpuFleet.vm / 1e6 / flows);
      }
      System.out.printf(Locale.ROOT, "Java threads' CPU during the fleet per flow: step threads%s %.1f ms, okhttp %.1f, "
          + "other %.1f; allocated: step threads %.0f KB, okhttp %.0f, other %.0f%n",
          javaFleet[6] > 0 ? " (virtual: their " + javaFleet[6] + " carrier threads)" : "",
          (javaFleet[0] - javaBefore[0]) / 1e6 / flows, (javaFleet[1] - javaBefore[1]) / 1e6 / flows,
          (javaFleet[2] - javaBefore[2]) / 1e6 / flows, (javaFleet[3] - javaBefore[3]) / 1024.0 / flows,
          (javaFleet[4] - javaBefore[4]) / 1024.0 / flows, (javaFleet[5] - javaBefore[5]) / 1024.0 / flows);
      System.out.printf(Locale.ROOT, "connections: %d opened during the fleet; in the pool (sampled) at most %d, "
          + "%.0f on average; %d at the end%n", connects.get() - connectsBefore, watch.poolPeak(), watch.poolMean(),
          base.connectionPool().connectionCount());
      long[] mark = atEarly.get();
      if (mark != null && flows > early) {
        long cpuEarly = mark[1] - cpuBefore.process;
        System.out.printf(Locale.ROOT, "the fleet's life: until the %dth flow completed (%.1f s) CPU %.1f s, after it "
            + "(%.1f s) %.1f s%n", early, mark[0] / 1e9, cpuEarly / 1e9, (total - mark[0]) / 1e9,
            (cpuFleet.process - cpuEarly) / 1e9);
      }
      figures(total, cpuFleet.process, times.size());
    } finally {
      watch.stop();
      http.close();
    }
  }

  /**
   * With {@code -Dfleet.jfr=<file>}, a flight recording of the measured fleet only (not the flows
   * before it), with the settings of {@code -Dfleet.jfc=<file>} or the JDK's "profile".
   */
  private static jdk.jfr.@org.jspecify.annotations.Nullable Recording startRecording() throws Exception {
    if (System.getProperty("fleet.jfr") == null) {
      return null;
    }
    String jfc = System.getProperty("fleet.jfc");
    jdk.jfr.Configuration c = jfc == null ? jdk.jfr.Configuration.getConfiguration("profile")
        : jdk.jfr.Configuration.create(Path.of(jfc));
    jdk.jfr.Recording r = new jdk.jfr.Recording(c);
    r.start();
    return r;
  }

  /** The line {@link Fleet} reads from each child: the fleet's time, its CPU and the flows completed. */
  static void figures(long fleetNanos, long cpuNanos, int completed) {
    System.out.printf(Locale.ROOT, "%s %d %d %d%n", FIGURES, fleetNanos, cpuNanos, completed);
  }

  /** What starts the figures line; {@link Fleet} keeps it to itself. */
  static final String FIGURES = "fleet-figures:";

  /**
   * What starts the line giving the SDK's bound on steps at once (its step threads; 0 on virtual
   * threads, none), which {@link Fleet} gives the naive fleet as its bound on requests in flight.
   */
  static final String STEPS = "fleet-steps:";

  /** How many completed flows split the fleet's life into two parts in its figures. */
  private static final int EARLY = 200;

  /**
   * CPU nanoseconds of the live Java threads so far: the provisioner's step threads, okhttp's, the
   * rest (runs, approvals, the scheduler, this harness); then the bytes they allocated, in the same
   * order, which the machine's load does not change as it changes CPU time.
   */
  private static long[] javaThreads() {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long[] ids = mx.getAllThreadIds();
    java.lang.management.ThreadInfo[] info = mx.getThreadInfo(ids);
    long[] out = new long[7];
    for (int i = 0; i < ids.length; i++) {
      long cpu = mx.getThreadCpuTime(ids[i]);
      long allocated = mx.getThreadAllocatedBytes(ids[i]);
      if (info[i] == null || cpu < 0) {
        continue;
      }
      String name = info[i].getThreadName();
      // a virtual thread's CPU and allocation are its carrier's (the JVM lists carriers, not virtual threads)
      boolean carrier = name.startsWith("ForkJoinPool-") && name.contains("-worker-");
      out[6] += carrier ? 1 : 0;
      int group = name.startsWith("agentprovision-step") || carrier ? 0 : name.startsWith("OkHttp") ? 1 : 2;
      out[group] += cpu;
      out[3 + group] += Math.max(0, allocated);
    }
    return out;
  }

  private static long poolPeaks() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * The process's CPU time split by the JVM's own threads, from Linux's {@code /proc/self/task}
   * (their names say what they are: the JIT compilers, the garbage collector's, the VM's); what is
   * left is the Java threads' (the SDK's, okhttp's, this harness's). Unknown elsewhere.
   */
  static final class ThreadCpu {
    private static final double NANOS_PER_TICK = 1e9 / 100; // USER_HZ, 100 on Linux
    final boolean known;
    final long process;
    final long jit;
    final long gc;
    final long vm;

    private ThreadCpu(boolean known, long process, long jit, long gc, long vm) {
      this.known = known;
      this.process = process;
      this.jit = jit;
      this.gc = gc;
      this.vm = vm;
    }

    long app() {
      return process - jit - gc - vm;
    }

    ThreadCpu minus(ThreadCpu o) {
      return new ThreadCpu(known && o.known, process - o.process, jit - o.jit, gc - o.gc, vm - o.vm);
    }

    static ThreadCpu now() {
      long process = processCpu();
      long jit = 0;
      long gc = 0;
      long vm = 0;
      Path tasks = Path.of("/proc/self/task");
      if (!Files.isDirectory(tasks)) {
        return new ThreadCpu(false, process, 0, 0, 0);
      }
      try (var dirs = Files.list(tasks)) {
        for (Path t : (Iterable<Path>) dirs::iterator) {
          String stat;
          try {
            stat = Files.readString(t.resolve("stat"), StandardCharsets.US_ASCII);
          } catch (IOException gone) {
            continue; // the thread ended meanwhile
          }
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          String name = stat.substring(open + 1, close);
          String[] f = stat.substring(close + 2).split(" ");
          // after the name: state is field 3, utime 14 and stime 15 (1-based, of the whole line)
          long nanos = Math.round((Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK);
          if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
            jit += nanos;
          } else if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
            gc += nanos;
          } else if (name.startsWith("VM ") || name.equals("Service Thread") || name.startsWith("Sweeper")
              || name.startsWith("Monitor Deflati")) {
            vm += nanos;
          }
        }
      } catch (IOException | RuntimeException e) {
        return new ThreadCpu(false, process, 0, 0, 0);
      }
      return new ThreadCpu(true, process, jit, gc, vm);
    }
  }

  /** Samples the heap in use and the connections in the SDK's pool every 50 ms. */
  static final class HeapWatch {
    private volatile boolean running = true;
    private final AtomicLong peak = new AtomicLong();
    private final okhttp3.@org.jspecify.annotations.Nullable ConnectionPool pool;
    private final AtomicLong poolPeak = new AtomicLong();
    private final AtomicLong poolSum = new AtomicLong();
    private final AtomicLong poolSamples = new AtomicLong();
    private final Thread thread = new Thread(this::watch, "heap-watch");

    HeapWatch() {
      this(null);
    }

    HeapWatch(okhttp3.@org.jspecify.annotations.Nullable ConnectionPool pool) {
      this.pool = pool;
    }

    long poolPeak() {
      return poolPeak.get();
    }

    double poolMean() {
      long n = poolSamples.get();
      return n == 0 ? 0 : (double) poolSum.get() / n;
    }

    void start() {
      thread.setDaemon(true);
      thread.start();
    }

    void reset() {
      peak.set(0);
      poolPeak.set(0);
      poolSum.set(0);
      poolSamples.set(0);
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        pool.resetPeakUsage();
      }
    }

    long peak() {
      return peak.get();
    }

    void stop() {
      running = false;
    }

    private void watch() {
      while (running) {
        peak.accumulateAndGet(MEMORY.getHeapMemoryUsage().getUsed(), Math::max);
        int connections = pool == null ? 0 : pool.connectionCount();
        poolPeak.accumulateAndGet(connections, Math::max);
        poolSum.addAndGet(connections);
        poolSamples.incrementAndGet();
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }
}
