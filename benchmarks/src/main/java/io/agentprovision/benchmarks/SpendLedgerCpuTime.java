package io.agentprovision.benchmarks;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.spi.SpendLedger;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;

/**
 * {@link SpendLedgerBenchmark#oneThread}'s work measured in CPU time of the measuring thread
 * instead of wall-clock time: on a machine shared with other builds, the wall clock counts the time
 * other processes had the core, the thread's CPU time much less so. One thread, the same cap,
 * seeding and reseeding as the JMH benchmark; prints nanoseconds of CPU per reserve + commit for
 * each number of held reservations, and what that makes per second on one core.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.SpendLedgerCpuTime [seconds per size]
 * }</pre>
 *
 * <p>It uses only the public API, so the same class runs against an older SDK jar placed after it on
 * the class path, for a before/after comparison.
 */
public final class SpendLedgerCpuTime {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private SpendLedgerCpuTime() {}

  public static void main(String[] args) {
    long seconds = args.length > 0 ? Long.parseLong(args[0]) : 10;
    long clockCost = cpuClockCost();
    System.out.printf(Locale.ROOT, "reading the thread's CPU clock costs %d ns (subtracted)%n", clockCost);
    for (int held : new int[] {0, 1_000, 100_000}) {
      run(held, Math.max(2, seconds / 3), clockCost); // warm-up
      double ns = run(held, seconds, clockCost);
      System.out.printf(Locale.ROOT, "held=%-6d %6.0f ns CPU per reserve+commit  (%,.0f per second on one core)%n",
          held, ns, 1e9 / ns);
    }
  }

  /** CPU nanoseconds per measured pair, with the ledger reseeded as the JMH benchmark does. */
  private static double run(int held, long seconds, long clockCost) {
    Clock clock = Clock.fixed(SpendLedgerBenchmark.NOW, ZoneOffset.UTC);
    AgentId agent = SpendLedgerBenchmark.AGENTS[0];
    int slack = (int) SpendLedgerBenchmark.HISTORY;
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long cpu = 0;
    long pairs = 0;
    long next = 0;
    while (System.nanoTime() < end) {
      SpendLedger ledger = seeded(clock, held);
      long start = THREADS.getCurrentThreadCpuTime();
      for (int i = 0; i < slack; i++) {
        String id = "r-" + (next++);
        ledger.reserve(new ReservationRequest(id, agent, SpendLedgerBenchmark.PROVIDER, null, null,
            SpendLedgerBenchmark.CENT, SpendLedgerBenchmark.NOW, SpendLedgerBenchmark.NOW.plus(SpendLedgerBenchmark.TTL),
            SpendLedgerBenchmark.LIMITS, ZoneOffset.UTC, "benchmark spend"));
        ledger.commit(id, SpendLedgerBenchmark.CENT);
      }
      cpu += THREADS.getCurrentThreadCpuTime() - start - clockCost;
      pairs += slack;
    }
    return (double) cpu / pairs;
  }

  /**
   * {@code held} unsettled reservations of one cent on the cap, made a minute ago; the cap read once
   * and a first reservation made and committed, as in the JMH benchmark.
   */
  private static SpendLedger seeded(Clock clock, int held) {
    SpendLedger l = SpendLedger.inMemory(clock);
    Instant at = SpendLedgerBenchmark.NOW.minus(Duration.ofMinutes(1));
    for (int i = 0; i < held; i++) {
      l.reserve(new ReservationRequest("seed-" + i, SpendLedgerBenchmark.AGENTS[0], SpendLedgerBenchmark.PROVIDER, null,
          null, SpendLedgerBenchmark.CENT, at, at.plus(SpendLedgerBenchmark.TTL), List.of(), ZoneOffset.UTC, "seed"));
    }
    Money used = l.usage(SpendLedgerBenchmark.CAP, SpendLedgerBenchmark.AGENTS[0], SpendLedgerBenchmark.PROVIDER,
        SpendLedgerBenchmark.NOW, ZoneOffset.UTC).used();
    if (used.minorUnits() != held) {
      throw new IllegalStateException("the cap counts " + used + ", not " + held + " cents");
    }
    SpendLedgerBenchmark.Ledger.firstSpend(l, SpendLedgerBenchmark.AGENTS[0]);
    return l;
  }

  /** What one read of the thread's CPU clock costs, so that the per-batch readings can be taken out. */
  private static long cpuClockCost() {
    long best = Long.MAX_VALUE;
    for (int round = 0; round < 20; round++) {
      long t0 = System.nanoTime();
      long sink = 0;
      for (int i = 0; i < 10_000; i++) {
        sink += THREADS.getCurrentThreadCpuTime();
      }
      long per = (System.nanoTime() - t0) / 10_000;
      if (sink != 0) {
        best = Math.min(best, per);
      }
    }
    return best;
  }
}
