package io.agentprovision.benchmarks;

import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.spi.AuditLog;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The CPU and the memory one audit append costs its thread, apart from the disk: a JSONL log on a
 * RAM-backed directory (where a force costs next to nothing), one thread, the thread's CPU time
 * (user and system) and the bytes it allocated per append, for the plain and the keyed log. On a
 * machine shared with other work the wall clock of {@link AuditAppendPairs} moves with the disk;
 * these do not, so they show what a change to the commit path's code saved.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.AuditCommitCpu [appends per round] [dir]
 * }</pre>
 *
 * <p>The directory defaults to {@code /dev/shm}. It uses only the public API, so the same class
 * runs against an older SDK jar placed after it on the class path, for a before/after comparison.
 */
public final class AuditCommitCpu {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final AuditRecord RECORD = AuditRecords.record(1);

  private AuditCommitCpu() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    Path base = Path.of(args.length > 1 ? args[1] : "/dev/shm");
    System.out.println("| log | rounds | CPU µs per append, median (min–max) | of it user | bytes allocated per append |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (boolean keyed : new boolean[] {false, true}) {
      Path dir = Files.createTempDirectory(base, "audit-cpu");
      AuditLog log = keyed ? Keyed.open(dir.resolve("audit.jsonl")) : AuditLog.jsonl(dir.resolve("audit.jsonl"));
      try {
        for (int i = 0; i < 2 * n; i++) { // warm-up: compiled code, a ring of head slots filled
          log.append(RECORD);
        }
        int rounds = 5;
        double[] cpu = new double[rounds];
        double[] user = new double[rounds];
        double[] alloc = new double[rounds];
        long thread = Thread.currentThread().getId();
        for (int r = 0; r < rounds; r++) {
          long c0 = THREADS.getCurrentThreadCpuTime();
          long u0 = THREADS.getCurrentThreadUserTime();
          long a0 = THREADS.getThreadAllocatedBytes(thread);
          for (int i = 0; i < n; i++) {
            log.append(RECORD);
          }
          cpu[r] = (THREADS.getCurrentThreadCpuTime() - c0) / 1e3 / n;
          user[r] = (THREADS.getCurrentThreadUserTime() - u0) / 1e3 / n;
          alloc[r] = (THREADS.getThreadAllocatedBytes(thread) - a0) / (double) n;
        }
        double[] sorted = cpu.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "| %s | %d | %.1f (%.1f–%.1f) | %.1f | %,.0f |%n", keyed ? "keyed" : "plain", rounds,
            sorted[rounds / 2], sorted[0], sorted[rounds - 1], median(user), median(alloc));
      } finally {
        if (log instanceof AutoCloseable c) {
          c.close();
        }
        BenchFiles.delete(dir);
      }
    }
  }

  /** Kept apart so that the key classes load only for the keyed log. */
  private static final class Keyed {
    static AuditLog open(Path file) {
      return AuditLog.jsonl(file, AuditKey.of("bench", Secret.of("benchmark-audit-key-0123456789abcdef0123")));
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }
}
