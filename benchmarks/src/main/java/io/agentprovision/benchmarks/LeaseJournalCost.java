package io.agentprovision.benchmarks;

import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.spi.RunJournal;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;

/**
 * What the file run journal's leases cost as the names ever leased grow: a journal that keeps a
 * slot per name ever leased (a released name kept for its last token) costs more with every run a
 * host ever ran; one that forgets released names costs what the leases held cost. For each number
 * of names already leased and released it prints:
 *
 * <ul>
 *   <li>the lease file's size and lines;
 *   <li>the heap a journal opened on the directory keeps once it read a lease (used heap after a
 *       full collection with four such journals reachable, less that before they were opened, per
 *       journal);
 *   <li>what a process opening the journal pays for its first lease read (bytes allocated and CPU
 *       time of the thread, the median of five fresh journals);
 *   <li>rounds of a run's lease use (acquire a new name, renew it, a read of it by another journal
 *       on the same directory, as another host's, and a release): bytes allocated and CPU time of
 *       the measuring thread per round. A journal rewrites the lease file once it holds 512 lines
 *       more than twice what it keeps, and another journal then reads it whole: each measurement
 *       spans at least two such rewrites of a file of every name (a round appends three lines), so
 *       that the figure is the amortised cost, not the luck of where a rewrite falls.
 * </ul>
 *
 * With {@code crashed} as the third argument it measures instead the leases of a host that died
 * holding them: for each number, a journal takes that many leases (until {@code T0 + 60 s}) and is
 * abandoned without releasing any; then another journal takes one lease at {@code T0 + 120 s}, when
 * they have all expired. It prints the file's size and lines before and after that acquire, the
 * acquire's own bytes and CPU, then, as above, the heap a journal keeps, a fresh journal's first
 * read, and rounds of a run's lease use (at {@code T0 + 120 s}) spanning two of the rewrites of a
 * journal that keeps the dead leases. With {@code held} instead, the same with leases that have
 * not expired (until {@code T0 + 1 h}): what a lease change costs while many leases are held alive.
 *
 * Counts the machine's load moves less than the wall clock.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.LeaseJournalCost [dir] [names,names,...] [crashed|held]
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
    String sizes = args.length > 1 ? args[1] : "1000,10000,100000";
    int rounds = 500;
    Path dir = Files.createTempDirectory(base, "lease-cost-");
    System.out.printf(Locale.ROOT, "load average %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
    if (args.length > 2 && (args[2].equals("crashed") || args[2].equals("held"))) {
      crashed(base, sizes, rounds, args[2].equals("held"));
      return;
    }
    RunJournal host = RunJournal.directory(dir);
    RunJournal other = RunJournal.directory(dir);
    measure(host, other, "warm-up", rounds, T0); // JIT, then history of `rounds` names
    for (int i = 0; i < 20; i++) {
      open(dir); // the JIT, for the first read of a fresh journal
    }
    int names = rounds;
    System.out.println("names used | file KB | file lines | heap kept KB | open: bytes | open: CPU µs"
        + " |  rounds | bytes per round | CPU µs per round");
    for (String size : sizes.split(",")) {
      int target = Integer.parseInt(size.trim());
      for (; names < target; names++) {
        Lease l = host.acquireLease("run:old_" + names, "host-a", T0, T0.plusSeconds(60)).orElseThrow();
        host.releaseLease(l);
      }
      other.lease("run:old_0"); // the other journal catches up outside the measurement
      Path file = dir.resolve(".leases.json");
      long fileBytes = Files.size(file);
      long lines = Files.readAllLines(file).size();
      long kept = kept(dir);
      long[][] opens = new long[5][];
      for (int i = 0; i < opens.length; i++) {
        opens[i] = open(dir);
      }
      System.out.printf(Locale.ROOT, "%10d | %7d | %10d | %12d | %11d | %12.1f | ", names, fileBytes / 1024, lines,
          kept / 1024, median(opens, 0), median(opens, 1) / 1e3);
      int spanning = Math.max(rounds, 2 * (names + 512) / 3 + 1);
      measure(host, other, String.valueOf(names), spanning, T0);
      names += spanning;
    }
  }

  /** The leases of a host that died holding them, for each number in {@code sizes}, in a directory of its own. */
  private static void crashed(Path base, String sizes, int rounds, boolean alive) throws IOException {
    Instant later = T0.plusSeconds(120); // every dead lease expired
    Path warm = Files.createTempDirectory(base, "lease-crashed-warm-");
    measure(RunJournal.directory(warm), RunJournal.directory(warm), "warm-up", rounds, later);
    for (int i = 0; i < 20; i++) {
      open(warm);
    }
    System.out.println("dead leases | before: KB | lines | acquire: bytes | CPU µs | after: KB | lines"
        + " | heap kept KB | open: bytes | open: CPU µs |  rounds | bytes per round | CPU µs per round");
    for (String size : sizes.split(",")) {
      int dead = Integer.parseInt(size.trim());
      Path dir = Files.createTempDirectory(base, "lease-crashed-");
      RunJournal dying = RunJournal.directory(dir);
      for (int i = 0; i < dead; i++) {
        dying.acquireLease("run:dead_" + i, "host-dead", T0, T0.plusSeconds(alive ? 3600 : 60)).orElseThrow();
      }
      dying = null; // the host died: nothing released
      Path file = dir.resolve(".leases.json");
      long beforeBytes = Files.size(file);
      long beforeLines = Files.readAllLines(file).size();
      RunJournal host = RunJournal.directory(dir);
      RunJournal other = RunJournal.directory(dir);
      long thread = Thread.currentThread().getId();
      long bytes = THREADS.getThreadAllocatedBytes(thread);
      long cpu = THREADS.getCurrentThreadCpuTime();
      host.acquireLease("run:first", "host-b", later, later.plusSeconds(60)).orElseThrow();
      long acquireBytes = THREADS.getThreadAllocatedBytes(thread) - bytes;
      long acquireCpu = THREADS.getCurrentThreadCpuTime() - cpu;
      other.lease("run:first");
      long afterBytes = Files.size(file);
      long afterLines = Files.readAllLines(file).size();
      long kept = kept(dir);
      long[][] opens = new long[5][];
      for (int i = 0; i < opens.length; i++) {
        opens[i] = open(dir);
      }
      System.out.printf(Locale.ROOT, "%11d | %10d | %5d | %14d | %6.1f | %9d | %5d | %12d | %11d | %12.1f | ", dead,
          beforeBytes / 1024, beforeLines, acquireBytes, acquireCpu / 1e3, afterBytes / 1024, afterLines,
          kept / 1024, median(opens, 0), median(opens, 1) / 1e3);
      measure(host, other, "after_" + dead, Math.max(rounds, 2 * (dead + 512) / 3 + 1), later);
    }
  }

  /** A fresh journal's first read of a lease: bytes allocated and CPU nanoseconds of this thread. */
  private static long[] open(Path dir) {
    long thread = Thread.currentThread().getId();
    long bytes = THREADS.getThreadAllocatedBytes(thread);
    long cpu = THREADS.getCurrentThreadCpuTime();
    RunJournal.directory(dir).lease("run:none");
    return new long[] {THREADS.getThreadAllocatedBytes(thread) - bytes, THREADS.getCurrentThreadCpuTime() - cpu};
  }

  /** The heap a journal keeps after its first read: four opened at once, per journal, the median of three tries. */
  private static long kept(Path dir) {
    long[][] tries = new long[3][];
    for (int t = 0; t < tries.length; t++) {
      long without = heapAfterGc();
      RunJournal[] fresh = new RunJournal[4];
      for (int i = 0; i < fresh.length; i++) {
        fresh[i] = RunJournal.directory(dir);
        fresh[i].lease("run:none");
      }
      long with = heapAfterGc();
      java.lang.ref.Reference.reachabilityFence(fresh);
      tries[t] = new long[] {(with - without) / fresh.length};
    }
    return median(tries, 0);
  }

  private static long median(long[][] runs, int column) {
    long[] v = Arrays.stream(runs).mapToLong(r -> r[column]).sorted().toArray();
    return v[v.length / 2];
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static void measure(RunJournal host, RunJournal other, String label, int rounds, Instant now) {
    long thread = Thread.currentThread().getId();
    long bytes = THREADS.getThreadAllocatedBytes(thread);
    long cpu = THREADS.getCurrentThreadCpuTime();
    for (int i = 0; i < rounds; i++) {
      String name = "run:" + label + "_" + i;
      Lease l = host.acquireLease(name, "host-a", now, now.plusSeconds(60)).orElseThrow();
      Lease renewed = host.renewLease(l, now.plusSeconds(90)).orElseThrow();
      if (!other.lease(name).equals(java.util.Optional.of(renewed))) {
        throw new IllegalStateException("the other journal did not see " + renewed);
      }
      host.releaseLease(renewed);
    }
    long allocated = THREADS.getThreadAllocatedBytes(thread) - bytes;
    long used = THREADS.getCurrentThreadCpuTime() - cpu;
    if (!label.equals("warm-up")) {
      System.out.printf(Locale.ROOT, "%7d | %15d | %16.1f%n", rounds, allocated / rounds, used / 1e3 / rounds);
    }
  }
}
