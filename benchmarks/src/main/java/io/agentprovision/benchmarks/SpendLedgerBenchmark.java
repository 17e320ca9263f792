package io.agentprovision.benchmarks;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code SpendLedger.inMemory}: one {@code reserve} against a monthly limit followed by its
 * {@code commit}, the pair every paid step makes, with {@code window} committed reservations already
 * in the ledger. Single-threaded, and with four threads contending for the ledger's one lock.
 *
 * <p>{@code seeded} says where those reservations lie: {@code thisMonth}, inside the limit's window
 * (they count), or {@code lastMonth}, outside it (they do not count, but the ledger keeps them).
 *
 * <p>Each measured pair adds one reservation, and the ledger has no way to forget one; so that the
 * ledger keeps about {@code window} entries, a fresh one is seeded (outside the measured time)
 * whenever the benchmark has added a tenth of {@code window} (at least 10). Under contention other
 * threads keep reserving while it is seeded, so the ledger may briefly hold a little more.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class SpendLedgerBenchmark {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final AgentId AGENT = AgentId.of("coding-agent-7");
  static final String PROVIDER = "cloudflare";
  static final Money CENT = Money.usd("0.01");
  /** High enough that no reservation is ever refused: the benchmark measures admission, not refusal. */
  static final List<SpendLimit> LIMITS = List.of(SpendLimit.monthly(Money.usd("100000000.00")).perProvider());

  /** The shared ledger and its seeding. */
  @State(Scope.Benchmark)
  public static class Ledger {
    /** Reservations in the ledger before each measured pair. */
    @Param({"100", "10000"})
    public int window;

    /** Where the seeded reservations lie relative to the limit's monthly window. */
    @Param({"thisMonth", "lastMonth"})
    public String seeded;

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong added = new AtomicLong();
    private final AtomicBoolean seeding = new AtomicBoolean();
    private int slack;
    private volatile SpendLedger ledger = SpendLedger.inMemory(clock);

    @Setup(Level.Trial)
    public void seed() {
      if (!seeded.equals("thisMonth") && !seeded.equals("lastMonth")) {
        throw new IllegalArgumentException("seeded must be thisMonth or lastMonth, was " + seeded);
      }
      slack = Math.max(10, window / 10);
      ledger = seededLedger();
    }

    /** A ledger holding {@code window} committed reservations of one cent each. */
    private SpendLedger seededLedger() {
      SpendLedger l = SpendLedger.inMemory(clock);
      Instant at = seeded.equals("thisMonth") ? NOW.minus(Duration.ofDays(1)) : NOW.minus(Duration.ofDays(31));
      for (int i = 0; i < window; i++) {
        String id = "seed-" + i;
        // Reserved against no limit, so seeding is linear; the limit still counts them later.
        l.reserve(new ReservationRequest(id, AGENT, PROVIDER, null, null, CENT, at, at.plus(Duration.ofHours(1)),
            List.of(), ZoneOffset.UTC, "seed"));
        l.commit(id, CENT);
      }
      return l;
    }

    void reseedIfGrown() {
      if (added.get() >= slack && seeding.compareAndSet(false, true)) {
        try {
          ledger = seededLedger();
          added.set(0);
        } finally {
          seeding.set(false);
        }
      }
    }

    Reservation reserveAndCommit() {
      SpendLedger l = ledger;
      String id = "r-" + ids.incrementAndGet();
      l.reserve(new ReservationRequest(id, AGENT, PROVIDER, null, null, CENT, NOW, NOW.plus(Duration.ofHours(1)), LIMITS,
          ZoneOffset.UTC, "benchmark spend"));
      added.incrementAndGet();
      return l.commit(id, CENT);
    }
  }

  /** Runs the reseeding check on each thread before each measured pair, outside the measured time. */
  @State(Scope.Thread)
  public static class Reseed {
    @Setup(Level.Invocation)
    public void reseed(Ledger ledger) {
      ledger.reseedIfGrown();
    }
  }

  @Benchmark
  @Threads(1)
  public Reservation reserveAndCommit(Ledger ledger, Reseed reseed) {
    return ledger.reserveAndCommit();
  }

  @Benchmark
  @Threads(4)
  public Reservation reserveAndCommitContended(Ledger ledger, Reseed reseed) {
    return ledger.reserveAndCommit();
  }
}
