package io.agentprovision.benchmarks;

import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.spi.RunJournal;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/**
 * What a lease operation of the file run journal costs as the lease file's history grows: the
 * journal keeps a slot per name ever leased (a released name keeps its last token), so a cost that
 * follows the number of names grows with every run a host ever ran. For each number of names
 * already leased and released, it measures rounds of a run's lease use (acquire a new name, renew
 * it, a read of it by another journal on the same directory, as another host's, and a release), and
 * prints bytes allocated and CPU time of the measuring thread per round: counts the machine's load
 * moves less than the wall clock. The journal rewrites the lease file (every slot) once it holds
 * 512 lines more than names, and another journal then reads it whole: a cost of every name, paid
 * once per that many lines. Each measurement spans at least two such rewrites (a round appends
 * three lines), so that the figure is the amortised cost, not the luck of where a rewrite falls.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.LeaseJournalCost [dir] [names,names,...]
 * }</pre>
 *
 * <p>The directory should be on a memory file system ({@code /dev/shm}): a lease change waits for a
 * force, which counts neither bytes nor CPU here but makes building a long history slow. The class
 * uses only the public API, so it runs as a source file against an older SDK jar
 * ({@code java -cp old.jar LeaseJournalCost.java}) for a before/after comparison.
 */
public final class LeaseJournalCost {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final Instant T0 = Instant.parse("2026-12-07T08:00:00Z");

  private LeaseJournalCost() {}

  public static void main(String[] args) throws IOException {
    Path base = Path.of(args.length > 0 ? args[0] : "/dev/shm");
    String sizes = args.length > 1 ? args[1] : "2000,10000,30000";
    int rounds = 500;
    Path dir = Files.createTempDirectory(base, "lease-cost-");
    System.out.printf(Locale.ROOT, "load average %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
    RunJournal host = RunJournal.directory(dir);
    RunJournal other = RunJournal.directory(dir);
    measure(host, other, "warm-up", rounds); // JIT, then history of `rounds` names
    int names = rounds;
    System.out.println("names before |  rounds | bytes allocated per round | CPU µs per round");
    for (String size : sizes.split(",")) {
      int target = Integer.parseInt(size.trim());
      for (; names < target; names++) {
        Lease l = host.acquireLease("run:old_" + names, "host-a", T0, T0.plusSeconds(60)).orElseThrow();
        host.releaseLease(l);
      }
      other.lease("run:old_0"); // the other journal catches up outside the measurement
      int spanning = Math.max(rounds, 2 * (names + 512) / 3 + 1);
      measure(host, other, String.valueOf(names), spanning);
      names += spanning;
    }
  }

  private static void measure(RunJournal host, RunJournal other, String label, int rounds) {
    long thread = Thread.currentThread().getId();
    long bytes = THREADS.getThreadAllocatedBytes(thread);
    long cpu = THREADS.getCurrentThreadCpuTime();
    for (int i = 0; i < rounds; i++) {
      String name = "run:" + label + "_" + i;
      Lease l = host.acquireLease(name, "host-a", T0, T0.plusSeconds(60)).orElseThrow();
      Lease renewed = host.renewLease(l, T0.plusSeconds(90)).orElseThrow();
      if (!other.lease(name).equals(java.util.Optional.of(renewed))) {
        throw new IllegalStateException("the other journal did not see " + renewed);
      }
      host.releaseLease(renewed);
    }
    long allocated = THREADS.getThreadAllocatedBytes(thread) - bytes;
    long used = THREADS.getCurrentThreadCpuTime() - cpu;
    if (!label.equals("warm-up")) {
      System.out.printf(Locale.ROOT, "%12s | %7d | %25d | %16.1f%n", label, rounds, allocated / rounds, used / 1e3 / rounds);
    }
  }
}
