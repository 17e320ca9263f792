package io.agentprovision.benchmarks;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.jdbc.JdbcStores;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Reservations per second on PostgreSQL ({@code JdbcStores.ledger()}), beside the in-memory ledger in
 * the same run: {@code reserve} one cent against a monthly cap, then {@code commit} it, from 16
 * writer threads, on one cap (every thread spends as one agent: one bucket, one row every
 * transaction locks) and on 16 caps (each thread its own agent and per-agent bucket). Then the same
 * 16 threads against a cap of {@value #SMALL_CAP_CENTS} cents until it refuses everyone, to show
 * that contention admits exactly the cap and not a cent more.
 *
 * <p>PostgreSQL is zonky's embedded server (started and removed by this harness; nothing to
 * install), with {@code fsync} and {@code synchronous_commit} as PostgreSQL ships them: every
 * ledger transaction is durable when it returns. A harness rather than JMH, because the figure is
 * one of a server and its disk, measured over seconds, not of a method.
 *
 * <pre>{@code
 * ./mvnw -q -B -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.JdbcLedgerThroughput [seconds] [threads]
 * }</pre>
 *
 * <p>Besides pairs per second it prints the CPU time each pair cost, in this JVM and in the
 * server's processes (from Linux's {@code /proc}): on a machine shared with other work, the rate
 * follows the share of the cores the run got, the CPU per pair much less so. The JVM's figure
 * includes the JIT compiling during the run. {@code -Dbench.quick=true} runs only PostgreSQL on one
 * cap; {@code -Dbench.batch=N -Dbench.tx=M} set the ledger's batching
 * ({@code JdbcStores.Builder.ledgerBatching}); {@code -Dbench.wait=MICROS} how long the next batch
 * may wait to fill while another transaction decides ({@code JdbcStores.Builder.ledgerFillWait}, 0 =
 * never).
 */
public final class JdbcLedgerThroughput {
  static final String PROVIDER = "cloudflare";
  static final Money CENT = Money.usd("0.01");
  static final long SMALL_CAP_CENTS = 2_000;

  private JdbcLedgerThroughput() {}

  /** One figure: what ran, how many reserve+commit pairs per second, and how many the ledger admitted. */
  record Result(String ledger, String caps, double pairsPerSecond, long admitted, long refused, double jvmCpuPerPair,
      double serverCpuPerPair) {
    Result(String ledger, String caps, double pairsPerSecond, long admitted, long refused) {
      this(ledger, caps, pairsPerSecond, admitted, refused, Double.NaN, Double.NaN);
    }
  }

  /** CPU time used so far, in nanoseconds: this JVM's, and (when known) the PostgreSQL server's. */
  private static final LongSupplier JVM_CPU = () -> ((com.sun.management.OperatingSystemMXBean)
      ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  private static LongSupplier serverCpu = () -> 0;

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    List<Result> results = run(Duration.ofMillis((long) (seconds * 1000)), threads, SMALL_CAP_CENTS, System.out);
    System.out.println();
    System.out.println(table(results));
  }

  /**
   * Runs every case for {@code measure} each (after a warm-up of a third of it), the last ones until
   * a cap of {@code smallCapCents} is full, and returns the figures.
   */
  static List<Result> run(Duration measure, int threads, long smallCapCents, PrintStream log)
      throws IOException, SQLException {
    List<Result> out = new ArrayList<>();
    Clock clock = Clock.systemUTC();
    boolean quick = Boolean.getBoolean("bench.quick"); // only PostgreSQL on one cap: to compare changes
    if (!quick) {
      out.add(measure("in-memory", "1 cap", () -> SpendLedger.inMemory(clock), threads, true, measure));
      out.add(measure("in-memory", threads + " caps", () -> SpendLedger.inMemory(clock), threads, false, measure));
    }
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      log.println("PostgreSQL up on port " + pg.getPort());
      serverCpu = serverCpu(pg);
      List<JdbcStores> open = new ArrayList<>();
      Supplier<SpendLedger> fresh = () -> {
        JdbcStores s = JdbcStores.builder().jdbcUrl(freshDatabase(pg)).username("postgres")
            .maximumPoolSize(Math.max(4, threads / 2))
            .ledgerBatching(Integer.getInteger("bench.batch", 64), Integer.getInteger("bench.tx", 2))
            .ledgerFillWait(Duration.ofNanos(1000L * Integer.getInteger("bench.wait", 2000))).build();
        open.add(s);
        return s.ledger();
      };
      try {
        out.add(measure("postgresql", "1 cap", fresh, threads, true, measure));
        if (!quick) {
          out.add(measure("postgresql", threads + " caps", fresh, threads, false, measure));
          out.add(untilRefused("postgresql", fresh.get(), threads, smallCapCents));
        }
      } finally {
        open.forEach(JdbcStores::close);
      }
    }
    if (!quick) {
      out.add(untilRefused("in-memory", SpendLedger.inMemory(clock), threads, smallCapCents));
    }
    return out;
  }

  private static final AtomicLong DATABASES = new AtomicLong();

  /**
   * The CPU time of the server's processes (the postmaster and its children, read from Linux's
   * {@code /proc}), or zero where that cannot be read. Connections stay in the pool while a case
   * runs, so their backends' time is all counted.
   */
  private static LongSupplier serverCpu(EmbeddedPostgres pg) {
    long postmaster;
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      postmaster = Long.parseLong(procStat(rs.getLong(1))[3]);
    } catch (SQLException | IOException | RuntimeException e) {
      return () -> 0;
    }
    return () -> {
      long ticks = 0;
      try (var dirs = Files.list(Path.of("/proc"))) {
        for (Path d : (Iterable<Path>) dirs::iterator) {
          String n = d.getFileName().toString();
          if (!n.chars().allMatch(Character::isDigit)) {
            continue;
          }
          try {
            String[] f = procStat(Long.parseLong(n));
            if (Long.parseLong(n) == postmaster || Long.parseLong(f[3]) == postmaster) {
              ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
            }
          } catch (IOException | RuntimeException gone) {
            // the process ended meanwhile
          }
        }
      } catch (IOException e) {
        return 0;
      }
      return ticks * 10_000_000L; // USER_HZ is 100 on Linux
    };
  }

  /** The fields of {@code /proc/pid/stat}, from the state on (index 2), the command name removed. */
  private static String[] procStat(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    String[] out = new String[rest.length + 2];
    System.arraycopy(rest, 0, out, 2, rest.length);
    return out;
  }

  private static String freshDatabase(EmbeddedPostgres pg) {
    String name = "bench_" + DATABASES.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return pg.getJdbcUrl("postgres", name);
  }

  private static Result measure(String name, String caps, Supplier<SpendLedger> ledgers, int threads, boolean oneCap,
      Duration measure) {
    SpendLedger ledger = ledgers.get();
    SpendLimit cap = oneCap ? SpendLimit.monthly(Money.usd("100000000.00")).perProvider()
        : SpendLimit.monthly(Money.usd("100000000.00")).perAgent();
    pairs(ledger, cap, threads, oneCap, measure.dividedBy(3), "warm"); // JIT, pool, and the totals' rows made
    long jvm = JVM_CPU.getAsLong();
    long server = serverCpu.getAsLong();
    long[] counts = pairs(ledger, cap, threads, oneCap, measure, "run");
    double perSecond = counts[0] / (measure.toNanos() / 1e9);
    double pairs = Math.max(1, counts[0] + counts[1]);
    return new Result(name, caps, perSecond, counts[0], counts[1], (JVM_CPU.getAsLong() - jvm) / 1e3 / pairs,
        name.equals("in-memory") ? 0 : (serverCpu.getAsLong() - server) / 1e3 / pairs);
  }

  /** Reserve+commit pairs from {@code threads} threads for {@code d}; returns {admitted, refused}. */
  private static long[] pairs(SpendLedger ledger, SpendLimit cap, int threads, boolean oneCap, Duration d,
      String prefix) {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong admitted = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      AgentId agent = AgentId.of(oneCap ? "coding-agent" : "coding-agent-" + t);
      String id = prefix + "-" + System.nanoTime() + "-" + t + "-";
      Thread w = new Thread(() -> {
        ready.countDown();
        await(go);
        for (long i = 0; !stop.get(); i++) {
          if (pair(ledger, cap, agent, id + i)) {
            admitted.incrementAndGet();
          } else {
            refused.incrementAndGet();
          }
        }
      }, "writer-" + t);
      workers.add(w);
      w.start();
    }
    await(ready);
    go.countDown();
    sleep(d);
    stop.set(true);
    workers.forEach(JdbcLedgerThroughput::join);
    return new long[] {admitted.get(), refused.get()};
  }

  private static boolean pair(SpendLedger ledger, SpendLimit cap, AgentId agent, String id) {
    Instant now = Instant.now();
    try {
      ledger.reserve(new ReservationRequest(id, agent, PROVIDER, null, null, CENT, now, now.plus(Duration.ofHours(1)),
          List.of(cap), ZoneOffset.UTC, "bench"));
    } catch (PolicyViolationException e) {
      return false;
    }
    ledger.commit(id, CENT);
    return true;
  }

  /**
   * The writer threads against a cap of {@code capCents} until every one of them is refused:
   * admitted must be exactly the cap, and the ledger's own count of the month must say so too.
   */
  private static Result untilRefused(String name, SpendLedger ledger, int threads, long capCents) {
    SpendLimit cap = SpendLimit.monthly(Money.ofMinor(capCents, "USD")).perProvider();
    AgentId agent = AgentId.of("coding-agent");
    AtomicLong admitted = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      String id = "cap-" + t + "-";
      Thread w = new Thread(() -> {
        for (long i = 0; ; i++) {
          if (pair(ledger, cap, agent, id + i)) {
            admitted.incrementAndGet();
          } else {
            refused.incrementAndGet();
            return; // the cap is full for this thread; it stays full for every other
          }
        }
      });
      workers.add(w);
      w.start();
    }
    workers.forEach(JdbcLedgerThroughput::join);
    double seconds = (System.nanoTime() - start) / 1e9;
    long used = ledger.usage(cap, agent, PROVIDER, Instant.now(), ZoneOffset.UTC).used().minorUnits();
    if (admitted.get() != capCents || used != capCents) {
      throw new IllegalStateException("the cap of " + capCents + " cents admitted " + admitted.get()
          + " and counts " + used + ": overspent or underspent");
    }
    return new Result(name, "1 cap of " + capCents + " cents, until full", admitted.get() / seconds,
        admitted.get(), refused.get());
  }

  /** The figures as a table, one line per case. */
  static String table(List<Result> results) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-11s %-34s %10s %10s %8s %14s %14s%n", "ledger",
        "caps", "pairs/s", "admitted", "refused", "JVM CPU us/pr", "PG CPU us/pr"));
    for (Result r : results) {
      b.append(String.format(Locale.ROOT, "%-11s %-34s %10.0f %10d %8d %14.0f %14.0f%n", r.ledger(), r.caps(),
          r.pairsPerSecond(), r.admitted(), r.refused(), r.jvmCpuPerPair(), r.serverCpuPerPair()));
    }
    return b.toString();
  }

  private static void await(CountDownLatch l) {
    try {
      l.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void join(Thread t) {
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
