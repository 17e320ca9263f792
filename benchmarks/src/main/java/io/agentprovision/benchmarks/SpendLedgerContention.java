package io.agentprovision.benchmarks;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@link SpendLedgerBenchmark#oneCap16Threads} in turns of one ledger's life each
 * ({@link SpendLedgerContendedSlice}: by default 50,000 reserve+commit pairs by each of sixteen
 * threads on one cap, a fifth of a second or more; the ledger's history grows to 800,000 in a turn,
 * where the benchmark's is replaced at 100,000), with one or two SDK builds, each loaded from its own jar in a class loader of
 * its own and run in alternate turns. The JMH benchmark's error at sixteen threads was larger than
 * its figure: its iterations of seconds each moved by a factor of three on a shared machine. Here
 * every turn is a figure, and the median over many short turns, with a 95% interval taken from the
 * turns' own order (no assumption of a normal spread), says where the ledger stands; with two builds,
 * the median over turns of after ÷ before compares them under the same load. Each turn also tells how
 * many cores the sixteen threads kept busy (their CPU time ÷ the wall-clock time) and their CPU per
 * pair.
 *
 * <pre>{@code
 * java -Xms2g -Xmx2g -cp benchmarks.jar io.agentprovision.benchmarks.SpendLedgerContention before.jar [after.jar] [turns] [threads] [pairs per thread]
 * }</pre>
 */
public final class SpendLedgerContention {
  private static final int[] HELD = {0, 1_000, 100_000};
  /** {@code -Dturns=true}: every turn's figures too. */
  private static final boolean TURNS = Boolean.getBoolean("turns");

  private SpendLedgerContention() {}

  public static void main(String[] args) throws Exception {
    List<Path> jars = new ArrayList<>();
    int at = 0;
    while (at < args.length && args[at].endsWith(".jar") || at < args.length && Files.isDirectory(Path.of(args[at]))) {
      jars.add(Path.of(args[at++]));
    }
    if (jars.isEmpty() || jars.size() > 2) {
      System.err.println("usage: SpendLedgerContention before.jar [after.jar] [turns] [threads] [pairs per thread]");
      System.exit(2);
    }
    int turns = at < args.length ? Integer.parseInt(args[at++]) : 40;
    int threads = at < args.length ? Integer.parseInt(args[at++]) : 16;
    int each = at < args.length ? Integer.parseInt(args[at]) : 50_000;
    int sides = jars.size();
    Method[] run = new Method[sides];
    for (int s = 0; s < sides; s++) {
      run[s] = SpendLedgerJarPairs.besideSdk(jars.get(s), SpendLedgerContendedSlice.class)
          .getMethod("run", int.class, int.class, int.class);
    }
    int warm = Math.max(3, turns / 5);
    // per held, per side, per turn: {pairs per second, cores busy, CPU ns per pair}
    double[][][][] figures = new double[HELD.length][sides][turns][];
    String loadBefore = SpendLedgerContention.load();
    for (int t = 0; t < warm + turns; t++) {
      for (int h = 0; h < HELD.length; h++) {
        // who goes first alternates, so neither always follows the other's garbage
        for (int k = 0; k < sides; k++) {
          int side = (t + k) % sides;
          long[] r = turn(run[side], HELD[h], threads, each);
          if (t >= warm) {
            double pairs = (double) each * threads;
            figures[h][side][t - warm] = new double[] {pairs * 1e9 / r[0], (double) r[1] / r[0], r[1] / pairs,
                r[2] * 1000.0 / pairs, r[3] * 1000.0 / pairs};
            if (TURNS) {
              System.out.printf(Locale.ROOT, "turn %d held %d side %d: %.3f M/s, %.2f cores, %.0f ns CPU/pair, "
                  + "%d waits, %d preemptions%n", t - warm, HELD[h], side, pairs * 1e3 / r[0], (double) r[1] / r[0],
                  r[1] / pairs, r[2], r[3]);
            }
          }
        }
      }
    }
    System.out.printf(Locale.ROOT, "%d turns of %,d pairs on %d threads per side and size after %d warm-up turns; "
        + "load %s before, %s after%n", turns, (long) each * threads, threads, warm,
        loadBefore, load());
    for (int s = 0; s < sides; s++) {
      System.out.printf(Locale.ROOT, "%s: %s%n", s == 0 ? "before" : "after", jars.get(s));
    }
    System.out.printf(Locale.ROOT, "%-7s %-6s %26s %8s %8s %12s%n", "held", "side", "M pairs/s median [95%]",
        "min", "max", "cores, CPU/pair, waits and preemptions per 1,000 pairs");
    for (int h = 0; h < HELD.length; h++) {
      for (int s = 0; s < sides; s++) {
        double[] rate = column(figures[h][s], 0);
        double[] lo = interval(rate);
        System.out.printf(Locale.ROOT, "%-7d %-6s %8.2f [%5.2f, %5.2f] %8.2f %8.2f %6.2f, %4.0f ns, %5.1f, %5.1f%n",
            HELD[h],
            s == 0 ? "before" : "after", median(rate) / 1e6, lo[0] / 1e6, lo[1] / 1e6,
            Arrays.stream(rate).min().orElse(0) / 1e6, Arrays.stream(rate).max().orElse(0) / 1e6,
            median(column(figures[h][s], 1)), median(column(figures[h][s], 2)), median(column(figures[h][s], 3)),
            median(column(figures[h][s], 4)));
      }
      if (sides == 2) {
        double[] ratio = new double[turns];
        for (int t = 0; t < turns; t++) {
          ratio[t] = figures[h][1][t][0] / figures[h][0][t][0];
        }
        double[] ci = interval(ratio);
        System.out.printf(Locale.ROOT, "%-7d after/before, median of turns %.3f [%.3f, %.3f]%n", HELD[h], median(ratio),
            ci[0], ci[1]);
      }
    }
  }

  private static long[] turn(Method run, int held, int threads, int each) throws Exception {
    try {
      return (long[]) run.invoke(null, held, threads, each);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  private static double[] column(double[][] rows, int i) {
    return Arrays.stream(rows).mapToDouble(r -> r[i]).toArray();
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /**
   * A 95% interval for the median of what {@code v} samples, from its order statistics: the values of
   * ranks n/2 ∓ 0.98·√n (the normal approximation to the binomial count of turns below the median).
   */
  static double[] interval(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    double half = 0.98 * Math.sqrt(n);
    int lo = Math.max(0, (int) Math.floor(n / 2.0 - half) - 1);
    int hi = Math.min(n - 1, (int) Math.ceil(n / 2.0 + half));
    return new double[] {s[lo], s[hi]};
  }

  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0];
    } catch (Exception e) {
      return "?";
    }
  }
}
