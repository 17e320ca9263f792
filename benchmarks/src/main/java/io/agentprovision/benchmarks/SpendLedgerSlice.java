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

/**
 * One ledger's life in {@link SpendLedgerCpuTime}'s terms, for {@link SpendLedgerJarPairs}: a ledger
 * seeded with {@code held} unsettled reservations, then 100,000 reserve+commit pairs on one cap,
 * timed in CPU of the thread. It uses only the public API and nothing else of this module, so
 * {@link SpendLedgerJarPairs} can load it beside any SDK build, whatever that build's own benchmarks.
 */
public final class SpendLedgerSlice {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final String PROVIDER = "cloudflare";
  private static final Money CENT = Money.usd("0.01");
  private static final Duration TTL = Duration.ofHours(1);
  private static final AgentId AGENT = AgentId.of("coding-agent-0");
  private static final SpendLimit CAP = SpendLimit.monthly(Money.usd("100000000.00")).perAgent();
  private static final List<SpendLimit> LIMITS = List.of(CAP);
  /** Pairs per ledger: the benchmark's history. */
  public static final int PAIRS = 100_000;

  private static long next;

  private SpendLedgerSlice() {}

  /** CPU nanoseconds of the thread for {@link #PAIRS} pairs on a ledger seeded with {@code held} (seeding not counted). */
  public static long run(int held) {
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
    long start = THREADS.getCurrentThreadCpuTime();
    for (int i = 0; i < PAIRS; i++) {
      String id = "r-" + (next++);
      ledger.reserve(new ReservationRequest(id, AGENT, PROVIDER, null, null, CENT, NOW, NOW.plus(TTL), LIMITS,
          ZoneOffset.UTC, "benchmark spend"));
      ledger.commit(id, CENT);
    }
    return THREADS.getCurrentThreadCpuTime() - start;
  }
}
