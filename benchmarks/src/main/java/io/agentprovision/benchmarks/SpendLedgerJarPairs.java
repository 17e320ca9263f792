package io.agentprovision.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Two SDK builds' in-memory ledgers in one process on one thread, in turns of one ledger's life each
 * ({@link SpendLedgerSlice}: 100,000 reserve+commit pairs, about 25 ms), each build loaded from its
 * own jar in a class loader of its own. On a machine shared with other builds, the CPU per pair of
 * one jar moves by half from one {@link SpendLedgerCpuTime} run to the next; turns of a few tens of
 * milliseconds, alternated, put the two builds under the same load. Prints, per number of held
 * reservations, each build's median and lowest CPU per pair and the median over turns of after ÷
 * before.
 *
 * <pre>{@code
 * java -Xms2g -Xmx2g -cp benchmarks.jar io.agentprovision.benchmarks.SpendLedgerJarPairs before.jar after.jar [turns]
 * }</pre>
 *
 * <p>Each jar needs only the SDK's public API: {@link SpendLedgerSlice} is taken from this jar and
 * defined beside the older build when its jar lacks it.
 */
public final class SpendLedgerJarPairs {
  private static final int[] HELD = {0, 1_000, 100_000};

  private SpendLedgerJarPairs() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: SpendLedgerJarPairs before.jar after.jar [turns]");
      System.exit(2);
    }
    int turns = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    Method[] sides = {slice(Path.of(args[0])), slice(Path.of(args[1]))};
    int warm = Math.max(3, turns / 5);
    List<List<double[]>> perHeld = new ArrayList<>();
    for (int h = 0; h < HELD.length; h++) {
      perHeld.add(new ArrayList<>());
    }
    for (int t = 0; t < warm + turns; t++) {
      for (int h = 0; h < HELD.length; h++) {
        double[] ns = new double[2];
        // who goes first alternates, so neither always follows the other's garbage
        for (int k = 0; k < 2; k++) {
          int side = (t + k) % 2;
          ns[side] = (long) sides[side].invoke(null, HELD[h]) / (double) SpendLedgerSlice.PAIRS;
        }
        if (t >= warm) {
          perHeld.get(h).add(ns);
        }
      }
    }
    System.out.printf(Locale.ROOT, "%d turns of %,d pairs per side and size after %d warm-up turns%n", turns,
        SpendLedgerSlice.PAIRS, warm);
    System.out.printf(Locale.ROOT, "%-8s %14s %14s %14s %14s %14s%n", "held", "before median", "before min",
        "after median", "after min", "after/before");
    for (int h = 0; h < HELD.length; h++) {
      List<double[]> rows = perHeld.get(h);
      double[] before = rows.stream().mapToDouble(r -> r[0]).toArray();
      double[] after = rows.stream().mapToDouble(r -> r[1]).toArray();
      double[] ratio = rows.stream().mapToDouble(r -> r[1] / r[0]).toArray();
      System.out.printf(Locale.ROOT, "%-8d %11.0f ns %11.0f ns %11.0f ns %11.0f ns %14.3f%n", HELD[h], median(before),
          Arrays.stream(before).min().orElse(0), median(after), Arrays.stream(after).min().orElse(0), median(ratio));
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** {@link SpendLedgerSlice#run} linked against the SDK in {@code jar}. */
  static Method slice(Path jar) throws Exception {
    return besideSdk(jar, SpendLedgerSlice.class).getMethod("run", int.class);
  }

  /**
   * {@code harness}, a class of this module that uses only the SDK's public API and has no nested
   * class, defined anew in a class loader of its own that links it against the SDK in {@code jar}.
   */
  static Class<?> besideSdk(Path jar, Class<?> harness) throws Exception {
    URLClassLoader sdk = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
    String name = harness.getName();
    byte[] bytes;
    try (InputStream in = harness.getResourceAsStream(harness.getSimpleName() + ".class")) {
      if (in == null) {
        throw new IOException("no " + harness.getSimpleName() + ".class beside " + harness);
      }
      bytes = in.readAllBytes();
    }
    ClassLoader withHarness = new ClassLoader(sdk) {
      @Override
      protected Class<?> findClass(String n) throws ClassNotFoundException {
        if (n.equals(name)) {
          return defineClass(n, bytes, 0, bytes.length);
        }
        throw new ClassNotFoundException(n);
      }
    };
    return withHarness.loadClass(name);
  }
}
