package io.agentprovision.benchmarks.flow;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time and bytes allocated by the JVM's live threads, added up by kind of thread (the name
 * without its number), so that a run can say what a flow cost in CPU apart from its wall time, which
 * a busy machine stretches. A thread that ends between two snapshots loses its share; the process's
 * total ({@link #process()}) also counts the collector and the JIT, which no Java thread shows.
 */
final class ThreadCpu {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private ThreadCpu() {}

  /** Each live thread's CPU nanoseconds and bytes allocated, by thread id, with its kind. */
  static Map<String, long[]> byGroup() {
    long[] ids = THREADS.getAllThreadIds();
    long[] cpu = THREADS.getThreadCpuTime(ids);
    long[] alloc = THREADS.getThreadAllocatedBytes(ids);
    java.lang.management.ThreadInfo[] info = THREADS.getThreadInfo(ids);
    Map<String, long[]> out = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (info[i] == null || cpu[i] < 0) {
        continue;
      }
      out.put(ids[i] + " " + kind(info[i].getThreadName()), new long[] {cpu[i], Math.max(0, alloc[i])});
    }
    return out;
  }

  /** The process's CPU nanoseconds so far, every thread of it (the JIT and the collector too). */
  static long process() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** A thread's kind: the provisioner's steps and runs, okhttp, or its name without numbers. */
  static String kind(String name) {
    if (name.startsWith("flow-step")) {
      return "provisioner steps";
    }
    if (name.startsWith("flow-run")) {
      return "provisioner runs";
    }
    if (name.startsWith("OkHttp")) {
      return "okhttp";
    }
    return "other";
  }

  /** Prints the CPU and allocation per flow between two snapshots, by kind of thread. */
  static void print(Map<String, long[]> before, Map<String, long[]> after, long processNanos, int flows,
      PrintStream out) {
    Map<String, long[]> byKind = new TreeMap<>();
    for (Map.Entry<String, long[]> e : after.entrySet()) {
      long[] b = before.getOrDefault(e.getKey(), new long[2]);
      long[] k = byKind.computeIfAbsent(e.getKey().substring(e.getKey().indexOf(' ') + 1), x -> new long[2]);
      k[0] += e.getValue()[0] - b[0];
      k[1] += e.getValue()[1] - b[1];
    }
    StringBuilder line = new StringBuilder();
    for (Map.Entry<String, long[]> k : byKind.entrySet()) {
      line.append(String.format(Locale.ROOT, "  %s %.2f ms, %.0f KB;", k.getKey(), k.getValue()[0] / 1e6 / flows,
          k.getValue()[1] / 1024.0 / flows));
    }
    out.printf(Locale.ROOT, "CPU per flow:%s process %.2f ms (the JIT and the collector included)%n", line,
        processNanos / 1e6 / flows);
  }
}
