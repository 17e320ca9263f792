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
import java.util.concurrent.atomic.AtomicInteger;
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
 * {@code SpendLedger.inMemory}: one {@code reserve} against a monthly cap followed by its
 * {@code commit}, the pair every paid step makes, with {@code held} unsettled reservations already
 * counting against the cap.
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
 * <p>Each measured pair leaves one committed reservation in the cap's month, and the ledger keeps
 * every reservation it has seen; so that the ledger stays near its {@code held} size (which is what a
 * ledger whose cost grows with what it holds is sensitive to), a fresh one is seeded (outside the
 * measured time) whenever the benchmark has added a tenth of {@code held} (at least 10). A freshly
 * seeded ledger has each cap read once with {@code usage}, as the engine's planner does before a run
 * reserves, and one reservation per agent made and committed, as a ledger in use has had. Under
 * contention other threads keep reserving while it is seeded, so the ledger may briefly hold a
 * little more.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
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

  static {
    for (int i = 0; i < CAPS; i++) {
      AGENTS[i] = AgentId.of("coding-agent-" + i);
    }
  }

  /** The shared ledger and its seeding; {@link #agents} says over how many caps the seeds are spread. */
  @State(Scope.Benchmark)
  public abstract static class Ledger {
    /** Unsettled reservations counting against the caps before the measured pairs. */
    @Param({"0", "1000", "100000"})
    public int held;

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final AtomicLong added = new AtomicLong();
    private final AtomicBoolean seeding = new AtomicBoolean();
    private final int agents;
    private int slack;
    private volatile SpendLedger ledger = SpendLedger.inMemory(clock);

    Ledger(int agents) {
      this.agents = agents;
    }

    @Setup(Level.Trial)
    public void seed() {
      slack = Math.max(10, held / 10);
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

    Reservation reserveAndCommit(Caller caller, AgentId agent) {
      SpendLedger l = ledger;
      String id = caller.nextId();
      l.reserve(new ReservationRequest(id, agent, PROVIDER, null, null, CENT, NOW, NOW.plus(TTL), LIMITS,
          ZoneOffset.UTC, "benchmark spend"));
      added.incrementAndGet();
      return l.commit(id, CENT);
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

  /** A caller of the one-cap ledger, reseeding it before each measured pair, outside the measured time. */
  public static class OneCapCaller extends Caller {
    @Setup(Level.Invocation)
    public void reseed(OneCap ledger) {
      ledger.reseedIfGrown();
    }
  }

  /** A caller of the sixteen-cap ledger, reseeding it before each measured pair, outside the measured time. */
  public static class SixteenCapsCaller extends Caller {
    @Setup(Level.Invocation)
    public void reseed(SixteenCaps ledger) {
      ledger.reseedIfGrown();
    }
  }

  @Benchmark
  @Threads(1)
  public Reservation oneThread(OneCap ledger, OneCapCaller caller) {
    return ledger.reserveAndCommit(caller, AGENTS[0]);
  }

  @Benchmark
  @Threads(16)
  public Reservation oneCap16Threads(OneCap ledger, OneCapCaller caller) {
    return ledger.reserveAndCommit(caller, AGENTS[0]);
  }

  @Benchmark
  @Threads(16)
  public Reservation sixteenCaps16Threads(SixteenCaps ledger, SixteenCapsCaller caller) {
    return ledger.reserveAndCommit(caller, caller.ownAgent);
  }
}
