package io.agentprovision.benchmarks;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * One ledger's life under {@link SpendLedgerBenchmark#oneCap16Threads}'s load, for
 * {@link SpendLedgerContention}: a ledger seeded with {@code held} unsettled reservations on one cap
 * (not timed), then {@code each} reserve+commit pairs on that cap by each of {@code threads}
 * threads that start together, timed from their start to the last one's end. Each thread's share
 * must last many of the scheduler's time slices (a few milliseconds) for the threads to contend as
 * they do in the JMH benchmark's seconds: 6,250 pairs a thread, about a millisecond, ran nearly
 * one thread after the other, at one thread's speed. Like
 * {@link SpendLedgerSlice} it uses only the public API and nothing else of this module (no nested
 * class), so it can be defined beside any SDK build's jar.
 */
public final class SpendLedgerContendedSlice {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final String PROVIDER = "cloudflare";
  private static final Money CENT = Money.usd("0.01");
  private static final Duration TTL = Duration.ofHours(1);
  private static final AgentId AGENT = AgentId.of("coding-agent-0");
  private static final SpendLimit CAP = SpendLimit.monthly(Money.usd("100000000.00")).perAgent();
  private static final List<SpendLimit> LIMITS = List.of(CAP);

  private static int turn;

  private SpendLedgerContendedSlice() {}

  /**
   * Runs {@code each} pairs on each of {@code threads} threads on a ledger seeded with {@code held};
   * returns the wall-clock nanoseconds from their start to the last one's end, the CPU
   * nanoseconds all of them took in that time, and their voluntary and involuntary context switches.
   */
  public static long[] run(int held, int threads, int each) throws InterruptedException {
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    SpendLedger ledger = SpendLedger.inMemory(clock);
    Instant at = NOW.minus(Duration.ofMinutes(1));
    for (int i = 0; i < held; i++) {
      ledger.reserve(new ReservationRequest("seed-" + i, AGENT, PROVIDER, null, null, CENT, at, at.plus(TTL), List.of(),
          ZoneOffset.UTC, "seed"));
    }
    if (ledger.usage(CAP, AGENT, PROVIDER, NOW, ZoneOffset.UTC).used().minorUnits() != held) {
      throw new IllegalStateException("the cap does not count the " + held + " seeded cents");
    }
    ledger.reserve(new ReservationRequest("first", AGENT, PROVIDER, null, null, CENT, NOW, NOW.plus(TTL), LIMITS,
        ZoneOffset.UTC, "first spend"));
    ledger.commit("first", CENT);
    String prefix = "r" + (turn++) + "-";
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    long[] ends = new long[threads];
    long[] cpus = new long[threads];
    long[] waits = new long[threads];
    long[] preempted = new long[threads];
    Thread[] all = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int k = t;
      all[t] = new Thread(() -> {
        String own = prefix + k + "-";
        ready.countDown();
        try {
          go.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        long[] switches0 = switches();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        for (int i = 0; i < each; i++) {
          String id = own + i;
          ledger.reserve(new ReservationRequest(id, AGENT, PROVIDER, null, null, CENT, NOW, NOW.plus(TTL), LIMITS,
              ZoneOffset.UTC, "benchmark spend"));
          ledger.commit(id, CENT);
        }
        ends[k] = System.nanoTime();
        cpus[k] = THREADS.getCurrentThreadCpuTime() - cpu0;
        long[] switches1 = switches();
        waits[k] = switches1[0] - switches0[0];
        preempted[k] = switches1[1] - switches0[1];
      });
      all[t].start();
    }
    ready.await();
    long start = System.nanoTime();
    go.countDown();
    for (Thread t : all) {
      t.join();
    }
    long end = Long.MIN_VALUE;
    long cpu = 0;
    long waited = 0;
    long taken = 0;
    for (int t = 0; t < threads; t++) {
      end = Math.max(end, ends[t]);
      cpu += cpus[t];
      waited += waits[t];
      taken += preempted[t];
    }
    long expected = held + 1 + (long) each * threads;
    if (ledger.usage(CAP, AGENT, PROVIDER, NOW, ZoneOffset.UTC).used().minorUnits() != expected) {
      throw new IllegalStateException("the cap does not count " + expected + " cents");
    }
    return new long[] {end - start, cpu, waited, taken};
  }

  /**
   * The calling thread's context switches so far, from Linux's {@code /proc/thread-self/status}:
   * voluntary (it waited: a lock it could not take) and involuntary (the scheduler took its core);
   * zeros where there is no such file.
   */
  private static long[] switches() {
    long[] out = new long[2];
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/thread-self/status"))) {
        if (line.startsWith("voluntary_ctxt_switches:")) {
          out[0] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
          out[1] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux: no counts
    }
    return out;
  }
}
