package io.agentprovision.benchmarks.flow;

import io.agentprovision.benchmarks.flow.SandboxFlows.Stores;
import io.agentprovision.benchmarks.flow.SandboxFlows.Via;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.ProvisioningListener;
import io.agentprovision.testing.sandbox.LocalSandbox;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * End-to-end latency of one Quickstart flow on a {@link LocalSandbox} behind a simulated network:
 * every HTTP exchange of the SDK (the APIs and the deployed app) waits {@code --latency-ms} more.
 * For each flow it records every exchange with the step that made it, counts them per step, and
 * computes the {@link CriticalPath} from the plan's step graph and the exchanges' times. Beside it, in
 * the same run, a naive client sends the same requests one after another with plain okhttp (each
 * recorded request replayed in order against a fresh sandbox, through the same delay). Prints the
 * three times and their ratios, for the in-memory stores and the Quickstart's file stores, with the
 * disk syncs per flow for the latter (counted with JFR's {@code jdk.FileForce} events).
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.flow.FlowLatency \
 *     [--latency-ms 50] [--flows 5] [--warmup 3] [--stores memory,file] [--via stripe|direct] [--workerd true|false]
 *     [--timeline true] [--gaps true] [--store-times true] [--count-syncs false]
 * }</pre>
 *
 * <p>{@code --gaps true} prints, over all measured flows, the median time the SDK took at each gap of
 * the critical path ({@link ChainGaps}): before each request of a step on it, from the last answer
 * to the send, and from the last answer to the flow's end; then the same gaps split into the CPU the
 * chain's thread used and the time it waited, and how often the chain changed threads there
 * ({@link ChainGaps#threads}); then the flow's start and its end piece by piece ({@link HandOvers}).
 *
 * <p>For each kind of stores it prints the CPU time the measured flows cost per flow, by thread
 * (the provisioner's step and run threads, okhttp's, the rest of the process: the sandbox, the
 * collector, the JIT), and with {@code --store-times true} the time spent inside each store's
 * methods per flow ({@link StoreTimes}).
 *
 * <p>The provisioner is long-lived: the warm-up flows run first on the same provisioner (the JIT,
 * connections and the SDK's caches are warm, as in a host that has been up a while); each measured
 * flow provisions its own app and domain. A replayed request mostly fails at the fresh sandbox (its
 * ids are unknown there), which makes the naive client's server time, if anything, shorter.
 */
public final class FlowLatency {
  private FlowLatency() {}

  /** What one measured flow gave. */
  record Measured(long flowNanos, CriticalPath path, List<Exchange> exchanges, Map<String, List<String>> graph,
      Map<String, Long> stepNanos, long startNanos, Map<String, long[]> spans, List<PersonAnswer> answers,
      List<HandOvers.Mark> marks) {}

  /** Whether to print the median flow's steps and requests on one time line ({@code --timeline true}). */
  private static boolean timeline;

  /** Whether to print the median of each gap of the critical path over the flows ({@code --gaps true}). */
  private static boolean gaps;

  /** Whether to time the calls to the stores ({@code --store-times true}). */
  private static boolean storeTimes;

  /** Whether to count the file stores' disk syncs with JFR ({@code --count-syncs false} runs them unwatched). */
  private static boolean countSyncs = true;

  public static void main(String[] args) throws Exception {
    Map<String, String> o = options(args);
    Duration latency = Duration.ofMillis(Long.parseLong(o.getOrDefault("latency-ms", "50")));
    int flows = Integer.parseInt(o.getOrDefault("flows", "5"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "3"));
    Via via = Via.valueOf(o.getOrDefault("via", "stripe").toUpperCase(Locale.ROOT));
    boolean workerd = Boolean.parseBoolean(o.getOrDefault("workerd", "true"));
    timeline = Boolean.parseBoolean(o.getOrDefault("timeline", "false"));
    gaps = Boolean.parseBoolean(o.getOrDefault("gaps", "false"));
    storeTimes = Boolean.parseBoolean(o.getOrDefault("store-times", "false"));
    countSyncs = Boolean.parseBoolean(o.getOrDefault("count-syncs", "true"));
    List<Stores> stores = new ArrayList<>();
    for (String s : o.getOrDefault("stores", "memory,file").split(",")) {
      stores.add(Stores.valueOf(s.trim().toUpperCase(Locale.ROOT)));
    }
    PrintStream out = System.out;
    out.printf(Locale.ROOT, "FlowLatency: latency %d ms per exchange, %d measured flows after %d warm-up, via %s, "
        + "workerd %s, JDK %s, %d cores, load average %.2f%n", latency.toMillis(), flows, warmup,
        via.name().toLowerCase(Locale.ROOT), workerd, Runtime.version(), Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    for (Stores s : stores) {
      run(s, via, latency, flows, warmup, workerd, out);
    }
  }

  /** The connections the SDK's client opened per measured flow in the last {@link #run}. */
  private static double connectsPerFlow;

  /** Runs the flows and the naive replays for one kind of stores; returns the summary figures. */
  public static Summary run(Stores stores, Via via, Duration latency, int flows, int warmup, boolean workerd,
      PrintStream out) throws Exception {
    ConcurrentLinkedQueue<Exchange> recorded = new ConcurrentLinkedQueue<>();
    DelayingRecorder recorder = DelayingRecorder.recording(latency, recorded, new AtomicLong());
    AtomicLong connects = new AtomicLong();
    OkHttpClient base = Clients.pooled().addNetworkInterceptor(recorder).eventListener(Clients.countingConnects(connects))
        .build();
    Path dir = Files.createTempDirectory("flow-latency-");
    List<Measured> measured = new ArrayList<>();
    FsyncCounter fsyncs = new FsyncCounter(dir);
    Map<String, Long> stepNanos = new ConcurrentHashMap<>();
    // when each step started and ended on this machine's clock, for --timeline
    Map<String, long[]> spans = new ConcurrentHashMap<>();
    ProvisioningListener stepTimes = e -> {
      if (e instanceof ProvisioningEvent.StepStarted st) {
        spans.put(st.step().value(), new long[] {System.nanoTime(), 0});
      } else if (e instanceof ProvisioningEvent.StepFinished f) {
        stepNanos.merge(f.step().value(), f.took().toNanos(), Long::sum);
        long[] span = spans.get(f.step().value());
        if (span != null) {
          span[1] = System.nanoTime();
        }
      }
    };
    // the person's answers, timed around the gate: the flow waits for them as for the network
    ConcurrentLinkedQueue<PersonAnswer> answers = new ConcurrentLinkedQueue<>();
    // the flow's start and end piece by piece, for --gaps
    HandOvers handOvers = gaps ? new HandOvers() : null;
    List<ProvisioningListener> listeners = handOvers == null ? List.of(StepAttribution.listener(), stepTimes)
        : List.of(StepAttribution.listener(), stepTimes, handOvers.listener());
    LocalSandbox sb = null;
    List<Exchange> firstFlow = null;
    StoreTimes times = storeTimes ? new StoreTimes() : null;
    Map<String, long[]> cpuBefore = Map.of();
    Map<String, long[]> cpuAfter = Map.of();
    long processCpu = 0;
    try (HttpStack http = HttpStack.builder().okHttpClient(base).build()) {
      sb = SandboxFlows.sandbox(http, workerd);
      Executors executors = Executors.forFlows();
      ApprovalGate person = timed(SandboxFlows.approveAll(sb), answers);
      try (AgentProvisioner p = SandboxFlows.provisioner(sb, http, via, stores, dir, executors.steps(),
          executors.runs(), listeners, person, times)) {
        if (countSyncs) {
          // before the warm-up, and for either kind of stores: a recording's start makes the JIT compile
          // again what it had compiled (FsyncCounter says why), which the warm-up absorbs
          fsyncs.start();
        }
        for (int i = 0; i < warmup; i++) {
          flow(p, SandboxFlows.request(sb, i, "ada@example.com"), i, handOvers);
          if (handOvers != null) {
            handOvers.take();
          }
        }
        if (countSyncs) {
          fsyncs.mark();
        }
        long connectsBefore = connects.get();
        if (times != null) {
          times.on = true;
        }
        cpuBefore = ThreadCpu.byGroup();
        processCpu = ThreadCpu.process();
        for (int i = 0; i < flows; i++) {
          recorded.clear();
          answers.clear();
          stepNanos.clear();
          spans.clear();
          // the person signed in before the host calls the SDK: the identity provider's signature is not the flow's time
          ProvisionRequest request = SandboxFlows.request(sb, warmup + i, "ada@example.com");
          long t0 = System.nanoTime();
          ProvisionPlan plan = flow(p, request, warmup + i, handOvers);
          long took = System.nanoTime() - t0;
          List<Exchange> ex = new ArrayList<>(recorded);
          ex.sort(Comparator.comparingLong(Exchange::startNanos));
          Map<String, List<String>> graph = graph(plan);
          List<PersonAnswer> answered = new ArrayList<>(answers);
          measured.add(new Measured(took, CriticalPath.of(graph, ex, answered), ex, graph, new TreeMap<>(stepNanos), t0,
              new TreeMap<>(spans), answered, handOvers == null ? List.of() : handOvers.take()));
          if (firstFlow == null) {
            firstFlow = ex;
          }
        }
        processCpu = ThreadCpu.process() - processCpu;
        cpuAfter = ThreadCpu.byGroup();
        if (times != null) {
          times.on = false;
        }
        if (countSyncs) {
          fsyncs.stop();
        }
        connectsPerFlow = (double) (connects.get() - connectsBefore) / flows;
      } finally {
        executors.shutdown();
      }
    } finally {
      if (sb != null) {
        sb.close();
      }
    }
    List<Long> naive = naive(sb, measured, latency, workerd);
    Summary summary = summarize(stores, measured, naive, fsyncs.count(), flows);
    if (stores == Stores.FILE && countSyncs) {
      out.printf(Locale.ROOT, "disk syncs per flow by file (syncs, ms spent syncing):%n");
      for (Map.Entry<String, long[]> f : fsyncs.byFile().entrySet()) {
        out.printf(Locale.ROOT, "  %-28s %7.1f %9.1f%n", f.getKey(), (double) f.getValue()[0] / flows,
            f.getValue()[1] / 1e6 / flows);
      }
      out.printf(Locale.ROOT, "  %-28s %7.1f %9.1f%n", "all", (double) fsyncs.count() / flows,
          fsyncs.nanos() / 1e6 / flows);
      out.printf(Locale.ROOT, "  %-28s %7.1f %9.1f%n", "on the callers' threads", (double) fsyncs.inline() / flows,
          fsyncs.inlineNanos() / 1e6 / flows);
    }
    print(summary, measured, out);
    out.printf(Locale.ROOT, "connections the SDK opened per flow: %.1f%n", connectsPerFlow);
    ThreadCpu.print(cpuBefore, cpuAfter, processCpu, flows, out);
    if (times != null) {
      times.print(out, flows);
    }
    deleteTree(dir);
    return summary;
  }

  /** {@code gate}, noting when it began and ended each answer. */
  static ApprovalGate timed(ApprovalGate gate, ConcurrentLinkedQueue<PersonAnswer> answers) {
    return new ApprovalGate() {
      @Override
      public ApprovalDecision decide(ApprovalRequest request) throws InterruptedException {
        long startCpu = OnThread.cpuNow();
        long start = System.nanoTime();
        try {
          return gate.decide(request);
        } finally {
          long end = System.nanoTime();
          answers.add(new PersonAnswer(request.step() == null ? null : request.step().value(), request.kind().name(),
              start, end, OnThread.current(startCpu)));
        }
      }

      @Override
      public boolean answersAtOnce(ApprovalRequest request) {
        return gate.answersAtOnce(request);
      }
    };
  }

  private static ProvisionPlan flow(AgentProvisioner p, ProvisionRequest request, int n, @Nullable HandOvers marks) {
    if (marks != null) {
      marks.mark(HandOvers.FLOW_START);
    }
    StepAttribution.set(CriticalPath.PLAN);
    ProvisionPlan plan;
    try {
      plan = p.plan(request);
    } finally {
      StepAttribution.clear();
    }
    if (marks != null) {
      marks.mark(HandOvers.PLAN_MADE);
    }
    Deployment d = p.execute(plan);
    if (marks != null) {
      marks.mark(HandOvers.FLOW_END);
    }
    if (d.url() == null) {
      throw new IllegalStateException("flow " + n + " ended without an app: " + d);
    }
    return plan;
  }

  private static Map<String, List<String>> graph(ProvisionPlan plan) {
    Map<String, List<String>> g = new LinkedHashMap<>();
    for (PlannedStep s : plan.steps()) {
      g.put(s.id().value(), s.dependsOn().stream().map(StepId::value).toList());
    }
    return g;
  }

  /**
   * Replays each measured flow's requests one after another against a fresh sandbox, through the same
   * delay, with a plain okhttp client; returns each replay's time. The first flow is replayed once
   * before, untimed, to warm up the client.
   */
  private static List<Long> naive(LocalSandbox recordedOn, List<Measured> flows, Duration latency, boolean workerd) {
    OkHttpClient plain = Clients.pooled().addNetworkInterceptor(DelayingRecorder.delayOnly(latency)).build();
    List<Long> out = new ArrayList<>();
    try (LocalSandbox fresh = SandboxFlows.sandbox(HttpStack.builder().build(), workerd)) {
      OkHttpClient app = fresh.cloudflare().appClient(plain);
      Map<String, String> origins = new LinkedHashMap<>();
      origins.put(origin(recordedOn.cloudflare().baseUrl()), origin(fresh.cloudflare().baseUrl()));
      origins.put(origin(recordedOn.provider().baseUrl().toString()), origin(fresh.provider().baseUrl().toString()));
      origins.put(origin(recordedOn.stripe().baseUrl()), origin(fresh.stripe().baseUrl()));
      origins.put(origin(recordedOn.oidc().issuer()), origin(fresh.oidc().issuer()));
      if (!flows.isEmpty()) {
        replay(flows.get(0).exchanges(), plain, app, origins);
      }
      for (Measured m : flows) {
        long t0 = System.nanoTime();
        replay(m.exchanges(), plain, app, origins);
        out.add(System.nanoTime() - t0);
      }
    } finally {
      plain.dispatcher().executorService().shutdown();
      plain.connectionPool().evictAll();
    }
    return out;
  }

  private static void replay(List<Exchange> exchanges, OkHttpClient plain, OkHttpClient app,
      Map<String, String> origins) {
    replayCounting(exchanges, plain, app, origins);
  }

  /** Sends {@code exchanges} again one after another; returns how many were answered. */
  static int replayCounting(List<Exchange> exchanges, OkHttpClient plain, OkHttpClient app,
      Map<String, String> origins) {
    int answered = 0;
    for (Exchange e : exchanges) {
      String url = e.url();
      for (Map.Entry<String, String> o : origins.entrySet()) {
        if (url.startsWith(o.getKey())) {
          url = o.getValue() + url.substring(o.getKey().length());
          break;
        }
      }
      Request.Builder r = new Request.Builder().url(url);
      for (Map.Entry<String, String> h : e.headers()) {
        r.addHeader(h.getKey(), h.getValue());
      }
      RequestBody body = null;
      if (e.body().length > 0 || requiresBody(e.method())) {
        MediaType type = e.contentType() == null ? null : MediaType.parse(e.contentType());
        body = RequestBody.create(e.body(), type);
      }
      r.method(e.method(), body);
      try (Response resp = (e.app() ? app : plain).newCall(r.build()).execute()) {
        resp.body().bytes();
        answered++;
      } catch (IOException ex) {
        // a replay may fail at the fresh sandbox; what counts is the round trip
      }
    }
    return answered;
  }

  private static boolean requiresBody(String method) {
    return method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
  }

  private static String origin(String url) {
    okhttp3.HttpUrl u = okhttp3.HttpUrl.get(url);
    return u.scheme() + "://" + u.host() + ":" + u.port();
  }

  /** The figures of one kind of stores. */
  public record Summary(Stores stores, long flowNanos, long pathNanos, long naiveNanos, int exchanges, int onPath,
      double fsyncsPerFlow, long personNanos, long networkPathNanos) {
    /** The flow over its critical path: the exchanges and the person's answers it waited for. */
    public double flowOverPath() {
      return (double) flowNanos / pathNanos;
    }

    /** The flow over the chain of its exchanges alone, the person's answers counted as the SDK's time (rounds 1 to 6). */
    public double flowOverNetworkPath() {
      return (double) flowNanos / networkPathNanos;
    }

    public double flowOverNaive() {
      return (double) flowNanos / naiveNanos;
    }
  }

  private static Summary summarize(Stores stores, List<Measured> measured, List<Long> naive, long fsyncs, int flows) {
    List<Long> flow = measured.stream().map(Measured::flowNanos).sorted().toList();
    List<Long> path = measured.stream().map(m -> m.path().nanos()).sorted().toList();
    List<Long> n = naive.stream().sorted().toList();
    Measured mid = measured.stream().sorted(Comparator.comparingLong(Measured::flowNanos)).toList()
        .get(measured.size() / 2);
    List<Long> network = measured.stream().map(m -> CriticalPath.of(m.graph(), m.exchanges()).nanos()).sorted().toList();
    return new Summary(stores, median(flow), median(path), median(n), mid.exchanges().size(), mid.path().exchanges(),
        stores == Stores.FILE ? (double) fsyncs / flows : 0, mid.path().personNanos(), median(network));
  }

  private static long median(List<Long> sorted) {
    return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
  }

  private static void print(Summary s, List<Measured> measured, PrintStream out) {
    Measured mid = measured.stream().sorted(Comparator.comparingLong(Measured::flowNanos)).toList()
        .get(measured.size() / 2);
    out.printf(Locale.ROOT, "%n== stores: %s ==%n", s.stores().name().toLowerCase(Locale.ROOT));
    out.printf(Locale.ROOT, "the median flow, step by step:%n");
    out.printf(Locale.ROOT, "  %-16s %8s %8s %10s %10s%n", "step", "requests", "in chain", "step ms", "chain ms");
    Map<String, Integer> counts = new LinkedHashMap<>();
    counts.put(CriticalPath.PLAN, 0);
    for (String step : mid.graph().keySet()) {
      counts.put(step, 0);
    }
    for (Exchange e : mid.exchanges()) {
      String step = mid.graph().containsKey(e.step()) ? e.step() : CriticalPath.PLAN;
      counts.merge(step, 1, Integer::sum);
    }
    for (Map.Entry<String, Integer> c : counts.entrySet()) {
      Long took = mid.stepNanos().get(c.getKey());
      out.printf(Locale.ROOT, "  %-16s %8d %8d %10s %10.1f%n", c.getKey(), c.getValue(),
          mid.path().stepChain(c.getKey()), took == null ? "-" : String.format(Locale.ROOT, "%.1f", took / 1e6),
          mid.path().stepWeight(c.getKey()) / 1e6);
    }
    out.printf(Locale.ROOT, "  critical path through %s%n", String.join(" > ", mid.path().steps()));
    if (timeline) {
      printTimeline(mid, out);
    }
    if (gaps) {
      out.printf(Locale.ROOT, "  the SDK's time before each request of the critical path's steps, from the last answer "
          + "(ms; median, 75th percentile, flows):%n");
      List<Map<String, Long>> each = new ArrayList<>();
      for (Measured m : measured) {
        each.add(ChainGaps.of(m.startNanos(), m.startNanos() + m.flowNanos(), m.exchanges(), m.answers(),
            m.path().steps()));
      }
      for (String line : ChainGaps.table(each)) {
        out.println(line);
      }
      out.printf(Locale.ROOT, "  the same gaps split: the CPU the chain's thread used from the last answer to the send, "
          + "and the time it waited (ms, medians over the flows where the chain stayed on one thread; moved: flows "
          + "where the next link left on another thread):%n");
      List<Map<String, ChainGaps.Gap>> split = new ArrayList<>();
      for (Measured m : measured) {
        split.add(ChainGaps.threads(m.startNanos(), m.startNanos() + m.flowNanos(), m.exchanges(), m.answers(),
            m.path().steps()));
      }
      for (String line : ChainGaps.threadTable(split)) {
        out.println(line);
      }
      out.printf(Locale.ROOT, "  the flow's start and end piece by piece, from the host's call and the provisioner's "
          + "events (ms, medians; cpu where both marks were on one thread; moved: flows where they were not):%n");
      List<Map<String, ChainGaps.Gap>> ends = new ArrayList<>();
      for (Measured m : measured) {
        ends.add(HandOvers.pieces(m.marks(), m.exchanges(), m.answers()));
      }
      for (String line : ChainGaps.threadTable(ends)) {
        out.println(line);
      }
    }
    out.printf(Locale.ROOT, "  requests: %s%n", requestsLine(mid.exchanges()));
    out.printf(Locale.ROOT, "flows (ms):          %s%n", millis(measured.stream().map(Measured::flowNanos).toList()));
    out.printf(Locale.ROOT, "critical paths (ms): %s%n", millis(measured.stream().map(m -> m.path().nanos()).toList()));
    out.printf(Locale.ROOT, "median flow %.0f ms, critical path %.0f ms (%d of %d requests one after another, "
        + "and %d answers of the person: %.1f ms), naive client %.0f ms%n", s.flowNanos() / 1e6, s.pathNanos() / 1e6,
        s.onPath(), s.exchanges(), mid.answers().size(), s.personNanos() / 1e6, s.naiveNanos() / 1e6);
    out.printf(Locale.ROOT, "flow / critical path = %.3f   flow / naive = %.3f   (flow / its exchanges' chain alone = %.3f)%n",
        s.flowOverPath(), s.flowOverNaive(), s.flowOverNetworkPath());
    if (s.stores() == Stores.FILE && countSyncs) {
      out.printf(Locale.ROOT, "disk syncs per flow: %.1f%n", s.fsyncsPerFlow());
    }
  }

  /**
   * The median flow on one time line (milliseconds from the flow's start): when each step started
   * and ended, and when each request left and was answered, so that the time between them (the
   * SDK's own work, and waits for threads, locks and disks) shows where it is.
   */
  private static void printTimeline(Measured m, PrintStream out) {
    record Mark(long at, String what) {}
    List<Mark> marks = new ArrayList<>();
    for (Map.Entry<String, long[]> s : m.spans().entrySet()) {
      marks.add(new Mark(s.getValue()[0], "step " + s.getKey() + " starts"));
      if (s.getValue()[1] != 0) {
        marks.add(new Mark(s.getValue()[1], "step " + s.getKey() + " ends (" + String.format(Locale.ROOT, "%.1f",
            (s.getValue()[1] - s.getValue()[0]) / 1e6) + " ms)"));
      }
    }
    for (Exchange e : m.exchanges()) {
      String path = okhttp3.HttpUrl.get(e.url()).encodedPath();
      marks.add(new Mark(e.startNanos(), "  " + e.step() + " " + e.method() + " " + path + " sent"));
      marks.add(new Mark(e.endNanos(), "  " + e.step() + " " + e.method() + " " + path + " answered ("
          + String.format(Locale.ROOT, "%.1f", e.nanos() / 1e6) + " ms)"));
    }
    for (PersonAnswer a : m.answers()) {
      marks.add(new Mark(a.startNanos(), "  " + a.step() + " asks the person: " + a.kind()));
      marks.add(new Mark(a.endNanos(), "  " + a.step() + " the person answered " + a.kind() + " ("
          + String.format(Locale.ROOT, "%.1f", a.nanos() / 1e6) + " ms)"));
    }
    marks.sort(Comparator.comparingLong(Mark::at));
    out.printf(Locale.ROOT, "  time line of the median flow (ms from its start):%n");
    for (Mark k : marks) {
      out.printf(Locale.ROOT, "    %8.1f  %s%n", (k.at() - m.startNanos()) / 1e6, k.what());
    }
    out.printf(Locale.ROOT, "    %8.1f  flow ends%n", m.flowNanos() / 1e6);
  }

  private static String requestsLine(List<Exchange> ex) {
    StringBuilder b = new StringBuilder();
    for (Exchange e : ex) {
      String path = okhttp3.HttpUrl.get(e.url()).encodedPath();
      b.append("\n    ").append(String.format(Locale.ROOT, "%-14s %-6s %s", e.step(), e.method(), path));
    }
    return b.toString();
  }

  private static String millis(List<Long> nanos) {
    return nanos.stream().map(n -> String.format(Locale.ROOT, "%.0f", n / 1e6)).toList().toString();
  }

  static Map<String, String> options(String[] args) {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + List.of(args));
      }
      o.put(args[i].substring(2), args[++i]);
    }
    return o;
  }

  static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // a leftover in the temporary directory
        }
      });
    } catch (IOException e) {
      // nothing to clean
    }
  }

  /** The executors given to the provisioner: the SDK's defaults, carrying the step mark to sub-tasks. */
  record Executors(@Nullable ExecutorService steps, @Nullable ExecutorService runs) {
    static Executors forFlows() {
      return new Executors(StepAttribution.propagating(java.util.concurrent.Executors.newFixedThreadPool(
          AgentProvisioner.DEFAULT_STEP_THREADS, daemon("flow-step"))),
          StepAttribution.propagating(java.util.concurrent.Executors.newCachedThreadPool(daemon("flow-run"))));
    }

    void shutdown() {
      if (steps != null) {
        steps.shutdownNow();
      }
      if (runs != null) {
        runs.shutdownNow();
      }
    }
  }

  static java.util.concurrent.ThreadFactory daemon(String prefix) {
    AtomicLong n = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
