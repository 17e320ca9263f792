package io.agentprovision.benchmarks;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@code SpendLedger.inMemory}: one {@code reserve} against a monthly cap followed by its
 * {@code commit}, the pair every paid step makes, with {@code held} unsettled reservations counting
 * against the cap all along.
 *
 * <ul>
 *   <li>{@code oneThread}: one thread, one cap;
 *   <li>{@code oneCap16Threads}: sixteen threads spending as one agent, so all of them reserve
 *       against the same bucket of the cap;
 *   <li>{@code sixteenCaps16Threads}: sixteen threads, each spending as its own agent, so each has
 *       its own bucket of the per-agent cap (the {@code held} reservations are spread over the
 *       sixteen agents).
 * </ul>
 *
 * <p>The cap is a monthly per-agent limit high enough that nothing is ever refused: the benchmark
 * measures admission, not refusal. The clock is fixed, so nothing expires while it runs.
 *
 * <p><b>What stays steady, and what is outside the measured time.</b> Each measured pair commits
 * what it reserved, so the {@code held} population stays exactly as seeded for as long as a ledger
 * is in use. The ledger does keep every settled reservation (its history: a ledger answers for every
 * reservation it made), so each pair adds one to the history; a ledger is therefore replaced by a
 * freshly seeded one once the pairs have added {@code history} to it ({@link #HISTORY} unless
 * set), and the history a pair sees ranges from none to that many, at every {@code held}. Seeding runs in a setup between invocations,
 * outside the measured time; each invocation makes {@link #BATCH} pairs, so JMH's own time stamps
 * around an invocation cost a thousandth of a pair. (Until 2026-12-06 the ledger was replaced every
 * tenth of {@code held} pairs: at 100,000 held, 100,000 reservations were seeded for every 10,000
 * pairs measured, and the collector's work on them, two thirds of the measured time, was what the
 * benchmark measured there.) A freshly seeded ledger has each cap read once with {@code usage}, as
 * the engine's planner does before a run reserves, and one reservation per agent made and
 * committed, as a ledger in use has had. Under contention the other threads go on measuring while
 * one thread seeds the next ledger (one reservation seeded per pair at 100,000 held), and
 * their last pairs on the old ledger are not counted in the new one's history. With sixteen threads,
 * {@link SpendLedgerContention} measures the same work in turns seeded before their threads start.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Eight seconds of warm-up: with sixteen threads on two cores the compiler's threads get a small
// share of the cores. After three seconds of warm-up the first three measured seconds of a fork
// ran at a quarter to two thirds of the later ones; after eight, at 0.8 to 1.2 (2026-12-07, load
// 13-25). Short iterations, many: one second's figure moves by half with sixteen threads, and the
// error shrinks with their number.
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class SpendLedgerBenchmark {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final String PROVIDER = "cloudflare";
  static final Money CENT = Money.usd("0.01");
  static final Duration TTL = Duration.ofHours(1);
  static final int CAPS = 16;
  static final AgentId[] AGENTS = new AgentId[CAPS];
  static final SpendLimit CAP = SpendLimit.monthly(Money.usd("100000000.00")).perAgent();
  static final List<SpendLimit> LIMITS = List.of(CAP);
  /** Pairs per measured invocation. */
  static final int BATCH = 1_000;
  /** Settled reservations a ledger gathers before it is replaced by a freshly seeded one (the default of {@code history}). */
  static final long HISTORY = 100_000;

  static {
    for (int i = 0; i < CAPS; i++) {
      AGENTS[i] = AgentId.of("coding-agent-" + i);
    }
  }

  /** The shared ledger and its seeding; {@link #agents} says over how many caps the seeds are spread. */
  @State(Scope.Benchmark)
  public abstract static class Ledger {
    /** Unsettled reservations counting against the caps while the pairs are measured. */
    @Param({"0", "1000", "100000"})
    public int held;

    /**
     * Settled reservations (the pairs' history) a ledger gathers before it is replaced by a
     * freshly seeded one; {@code -p history=1000000} shows what a longer history costs the
     * collector.
     */
    @Param({"100000"})
    public long history;

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final AtomicLong added = new AtomicLong();
    private final AtomicBoolean seeding = new AtomicBoolean();
    private final int agents;
    private volatile SpendLedger ledger = SpendLedger.inMemory(clock);

    Ledger(int agents) {
      this.agents = agents;
    }

    @Setup(Level.Trial)
    public void seed() {
      ledger = seededLedger();
    }

    /**
     * A ledger holding {@code held} reservations of one cent each, made a minute ago and not yet
     * settled, spread evenly over the first {@code agents} agents; with each of their caps read once.
     */
    private SpendLedger seededLedger() {
      SpendLedger l = SpendLedger.inMemory(clock);
      Instant at = NOW.minus(Duration.ofMinutes(1));
      for (int i = 0; i < held; i++) {
        // Reserved against no limit, so seeding costs the same whatever the ledger does per limit;
        // the cap still counts them, as the usage read below checks.
        l.reserve(new ReservationRequest("seed-" + i, AGENTS[i % agents], PROVIDER, null, null, CENT, at, at.plus(TTL),
            List.of(), ZoneOffset.UTC, "seed"));
      }
      for (int a = 0; a < agents; a++) {
        long used = l.usage(CAP, AGENTS[a], PROVIDER, NOW, ZoneOffset.UTC).used().minorUnits();
        long expected = held / agents + (a < held % agents ? 1 : 0);
        if (used != expected) {
          throw new IllegalStateException("cap of " + AGENTS[a] + " counts " + used + " cents, not " + expected);
        }
        firstSpend(l, AGENTS[a]);
      }
      return l;
    }

    /**
     * The spender's first reservation in the ledger, committed: a ledger in use has had one, and the
     * measured pairs should not pay for whatever a store sets up on a spender's first spend.
     */
    static void firstSpend(SpendLedger l, AgentId agent) {
      String id = "first-" + agent.value();
      l.reserve(new ReservationRequest(id, agent, PROVIDER, null, null, CENT, NOW, NOW.plus(TTL), LIMITS,
          ZoneOffset.UTC, "first spend"));
      l.commit(id, CENT);
    }

    /** Counts the coming batch into the history, replacing the ledger first when it is full. */
    void beforeBatch() {
      if (added.get() >= history && seeding.compareAndSet(false, true)) {
        try {
          ledger = seededLedger();
          added.set(0);
        } finally {
          seeding.set(false);
        }
      }
      added.addAndGet(BATCH);
    }

    void reserveAndCommit(Caller caller, AgentId agent, Blackhole bh) {
      SpendLedger l = ledger;
      for (int i = 0; i < BATCH; i++) {
        String id = caller.nextId();
        l.reserve(new ReservationRequest(id, agent, PROVIDER, null, null, CENT, NOW, NOW.plus(TTL), LIMITS,
            ZoneOffset.UTC, "benchmark spend"));
        bh.consume(l.commit(id, CENT));
      }
    }
  }

  /** Every held reservation on the one cap the measured pairs reserve against. */
  public static class OneCap extends Ledger {
    public OneCap() {
      super(1);
    }
  }

  /** The held reservations spread over sixteen agents' caps, one per measuring thread. */
  public static class SixteenCaps extends Ledger {
    public SixteenCaps() {
      super(CAPS);
    }
  }

  /** One measuring thread: its own agent (for {@code sixteenCaps16Threads}) and reservation ids. */
  @State(Scope.Thread)
  public abstract static class Caller {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private final int index = THREADS.getAndIncrement();
    private final String prefix = "t" + index + "-";
    final AgentId ownAgent = AGENTS[index % CAPS];
    private long next;

    String nextId() {
      return prefix + (next++);
    }
  }

  /** A caller of the one-cap ledger, replacing it when full before a batch, outside the measured time. */
  public static class OneCapCaller extends Caller {
    @Setup(Level.Invocation)
    public void reseed(OneCap ledger) {
      ledger.beforeBatch();
    }
  }

  /** A caller of the sixteen-cap ledger, replacing it when full before a batch, outside the measured time. */
  public static class SixteenCapsCaller extends Caller {
    @Setup(Level.Invocation)
    public void reseed(SixteenCaps ledger) {
      ledger.beforeBatch();
    }
  }

  @Benchmark
  @Threads(1)
  @OperationsPerInvocation(BATCH)
  public void oneThread(OneCap ledger, OneCapCaller caller, Blackhole bh) {
    ledger.reserveAndCommit(caller, AGENTS[0], bh);
  }

  @Benchmark
  @Threads(16)
  @OperationsPerInvocation(BATCH)
  public void oneCap16Threads(OneCap ledger, OneCapCaller caller, Blackhole bh) {
    ledger.reserveAndCommit(caller, AGENTS[0], bh);
  }

  @Benchmark
  @Threads(16)
  @OperationsPerInvocation(BATCH)
  public void sixteenCaps16Threads(SixteenCaps ledger, SixteenCapsCaller caller, Blackhole bh) {
    ledger.reserveAndCommit(caller, caller.ownAgent, bh);
  }
}
