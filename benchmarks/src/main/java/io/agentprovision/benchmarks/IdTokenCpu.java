package io.agentprovision.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link IdTokenBenchmark}'s two verifiers measured by the CPU time of the thread that runs them,
 * not by the wall clock: on a machine shared with other work JMH's averages of a check of 60 µs
 * (RS256) or a millisecond (ES256) moved by more than the difference between the two. The same
 * issuer, token and verifiers ({@link IdTokenBenchmark.Issuer}); blocks of checks alternated between
 * the SDK's {@code attest} and raw nimbus, the first four blocks a warm-up, then the median CPU time
 * per check of each over the rest and their ratio.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.IdTokenCpu [checks per block]
 * }</pre>
 *
 * <p>It uses only the SDK's public API, so the same class runs against an older SDK jar placed
 * after it on the class path, for a before/after comparison.
 */
public final class IdTokenCpu {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final int WARMUP_BLOCKS = 4;
  private static final int BLOCKS = 20;

  private IdTokenCpu() {}

  public static void main(String[] args) throws Exception {
    int rsaChecks = args.length > 0 ? Integer.parseInt(args[0]) : 400;
    System.out.println("| alg | checks per block | SDK µs CPU per check | raw nimbus µs CPU | SDK ÷ nimbus | SDK bytes per check |"
        + " nimbus bytes |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    for (String alg : new String[] {"RS256", "ES256"}) {
      // an ES256 check costs about fifteen RS256 ones on the JDK's EC code: fewer per block
      int n = alg.equals("ES256") ? Math.max(1, rsaChecks / 8) : rsaChecks;
      System.out.println(row(alg, n));
    }
  }

  /** One algorithm's row: medians of {@link #BLOCKS} blocks of {@code n} checks each. */
  static String row(String alg, int n) throws Exception {
    IdTokenBenchmark bench = new IdTokenBenchmark();
    IdTokenBenchmark.Issuer s = new IdTokenBenchmark.Issuer();
    s.alg = alg;
    s.start();
    try {
      long thread = Thread.currentThread().getId();
      double[] sdk = new double[BLOCKS];
      double[] raw = new double[BLOCKS];
      double[] sdkBytes = new double[BLOCKS];
      double[] rawBytes = new double[BLOCKS];
      for (int b = -WARMUP_BLOCKS; b < BLOCKS; b++) {
        long c0 = THREADS.getCurrentThreadCpuTime();
        long a0 = THREADS.getThreadAllocatedBytes(thread);
        for (int i = 0; i < n; i++) {
          bench.sdk(s);
        }
        long c1 = THREADS.getCurrentThreadCpuTime();
        long a1 = THREADS.getThreadAllocatedBytes(thread);
        for (int i = 0; i < n; i++) {
          bench.rawNimbus(s);
        }
        long c2 = THREADS.getCurrentThreadCpuTime();
        long a2 = THREADS.getThreadAllocatedBytes(thread);
        if (b >= 0) {
          sdk[b] = (c1 - c0) / 1e3 / n;
          raw[b] = (c2 - c1) / 1e3 / n;
          sdkBytes[b] = (a1 - a0) / (double) n;
          rawBytes[b] = (a2 - a1) / (double) n;
        }
      }
      double ms = median(sdk);
      double mr = median(raw);
      return String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.3f | %.0f | %.0f |", alg, n, ms, mr, ms / mr,
          median(sdkBytes), median(rawBytes));
    } finally {
      s.stop();
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }
}
