package io.agentprovision.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * Two SDK builds' plain audit logs and a raw {@code write}+{@code force} of a line as long as
 * theirs, in one process on one thread, in rotating blocks of appends: each build is loaded from
 * its own benchmarks jar in a class loader of its own. On a disk shared with other work, whose
 * sync time moves tenfold within a minute, blocks of a few milliseconds put the three side by side
 * far closer in time than {@link AuditAppendPairs}'s one-second slices run one jar after another.
 * Prints each side's median block time per append and its thread's CPU per append, and the median
 * over blocks of each log's rate ÷ raw's.
 *
 * <pre>{@code
 * java -cp benchmarks.jar io.agentprovision.benchmarks.AuditJarPairs before.jar after.jar [blocks] [appends per block] [dir] [keyed]
 * }</pre>
 */
public final class AuditJarPairs {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private AuditJarPairs() {}

  /** One append of one side. */
  private interface Side {
    void append() throws IOException, ReflectiveOperationException;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: AuditJarPairs before.jar after.jar [blocks] [appends per block] [dir] [keyed]");
      System.exit(2);
    }
    int blocks = args.length > 2 ? Integer.parseInt(args[2]) : 150;
    int perBlock = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    Path dir = Files.createTempDirectory(Path.of(args.length > 4 ? args[4] : System.getProperty("java.io.tmpdir")),
        "audit-jar-pairs");
    boolean keyed = args.length > 5 && args[5].equals("keyed");
    try {
      Side[] sides = new Side[3];
      for (int j = 0; j < 2; j++) {
        sides[j + 1] = log(Path.of(args[j]), dir.resolve("log" + j + ".jsonl"), keyed);
      }
      sides[1].append();
      byte[] line = (Files.readAllLines(dir.resolve("log0.jsonl"), StandardCharsets.UTF_8).get(0) + "\n")
          .getBytes(StandardCharsets.UTF_8);
      try (FileChannel raw = FileChannel.open(dir.resolve("raw.jsonl"), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        long[] rawEnd = {0};
        sides[0] = () -> {
          ByteBuffer b = ByteBuffer.wrap(line);
          while (b.hasRemaining()) {
            rawEnd[0] += raw.write(b, rawEnd[0]);
          }
          raw.force(false);
        };
        run(sides, blocks, perBlock, line.length, keyed);
      }
    } finally {
      BenchFiles.delete(dir);
    }
  }

  /** A plain (or keyed) log at {@code file} of the SDK in {@code jar}, appended to by reflection. */
  private static Side log(Path jar, Path file, boolean keyed) throws Exception {
    URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
    Method recordOf = loader.loadClass("io.agentprovision.benchmarks.AuditRecords").getDeclaredMethod("record",
        long.class);
    recordOf.setAccessible(true);
    Object record = recordOf.invoke(null, 1L);
    Class<?> auditLog = loader.loadClass("io.agentprovision.core.spi.AuditLog");
    Object log;
    if (keyed) {
      Class<?> secret = loader.loadClass("io.agentprovision.core.Secret");
      Class<?> auditKey = loader.loadClass("io.agentprovision.core.audit.AuditKey");
      Object key = auditKey.getMethod("of", String.class, secret).invoke(null, "bench",
          secret.getMethod("of", String.class).invoke(null, "benchmark-audit-key-0123456789abcdef0123"));
      log = auditLog.getMethod("jsonl", Path.class, auditKey).invoke(null, file, key);
    } else {
      log = auditLog.getMethod("jsonl", Path.class).invoke(null, file);
    }
    Method append = auditLog.getMethod("append", loader.loadClass("io.agentprovision.core.audit.AuditRecord"));
    return () -> {
      try {
        append.invoke(log, record);
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw e;
      }
    };
  }

  private static void run(Side[] sides, int blocks, int perBlock, int lineBytes, boolean keyed) throws Exception {
    for (int w = 0; w < 5; w++) { // warm-up: compiled code, and the logs' directory older than a second
      for (Side s : sides) {
        for (int i = 0; i < perBlock; i++) {
          s.append();
        }
      }
    }
    double[][] micros = new double[3][blocks];
    long[] cpu = new long[3];
    for (int b = 0; b < blocks; b++) {
      for (int q = 0; q < 3; q++) {
        int k = (q + b) % 3; // each side first in turn
        long c0 = THREADS.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < perBlock; i++) {
          sides[k].append();
        }
        micros[k][b] = (System.nanoTime() - t0) / 1e3 / perBlock;
        cpu[k] += THREADS.getCurrentThreadCpuTime() - c0;
      }
    }
    System.out.printf(Locale.ROOT, "%s, line %d bytes, %d blocks of %d appends, load %s%n", keyed ? "keyed" : "plain",
        lineBytes, blocks, perBlock, Files.readString(Path.of("/proc/loadavg")).strip());
    String[] names = {"raw", "before", "after"};
    for (int k = 0; k < 3; k++) {
      double[] s = micros[k].clone();
      Arrays.sort(s);
      System.out.printf(Locale.ROOT, "%-6s median block %.0f µs per append (p25 %.0f, p75 %.0f), thread CPU %.0f µs per append%n",
          names[k], s[blocks / 2], s[blocks / 4], s[3 * blocks / 4], cpu[k] / 1e3 / blocks / perBlock);
    }
    double[] before = new double[blocks];
    double[] after = new double[blocks];
    for (int b = 0; b < blocks; b++) {
      before[b] = micros[0][b] / micros[1][b];
      after[b] = micros[0][b] / micros[2][b];
    }
    System.out.printf(Locale.ROOT, "log ÷ raw (rate), median of blocks: before %.2f×, after %.2f×%n", median(before),
        median(after));
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
}
