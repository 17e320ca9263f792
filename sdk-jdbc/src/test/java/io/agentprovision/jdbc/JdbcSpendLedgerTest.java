package io.agentprovision.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.VirtualTime;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The JDBC ledger as hosts share it: limits hold across hosts and threads, a reservation of one id
 * is one reservation wherever it was made, an alert fires once, held money expires on the clock, and
 * a lost connection leaves nothing reserved that the caller was not told of.
 */
class JdbcSpendLedgerTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  static final AgentId A = AgentId.of("agent-a");
  static final AgentId B = AgentId.of("agent-b");
  static final String CF = "cloudflare";
  static final SpendLimit MONTHLY_100 = SpendLimit.monthly(Money.usd("100.00")).perProvider();
  static final SpendLimit AGENT_30 = SpendLimit.monthly(Money.usd("30.00")).perAgent();

  VirtualTime time;
  DataSource db;

  @BeforeEach
  void setUp() {
    time = VirtualTime.create();
    db = PG.freshDatabase();
  }

  /** Another host on the same database: its own stores, its own pool. */
  JdbcSpendLedger host() {
    return JdbcStores.builder().dataSource(db).clock(time).reapEvery(Duration.ZERO).build().ledger();
  }

  ReservationRequest request(String id, AgentId agent, String usd, SpendLimit... limits) {
    Instant at = time.instant();
    return ReservationRequest.builder(id, agent, CF, Money.usd(usd)).run(RunId.of("run_" + id)).step(StepId.of("plan"))
        .at(at).expiresAt(at.plus(Duration.ofHours(1))).limits(List.of(limits)).description("workers:paid").build();
  }

  Money used(SpendLedger ledger, SpendLimit limit, AgentId agent) {
    return ledger.usage(limit, agent, CF, time.instant(), ZoneOffset.UTC).used();
  }

  long recount(String where) throws SQLException {
    try (Connection c = db.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT coalesce(sum(CASE WHEN held THEN amount ELSE 0 END"
            + " + CASE WHEN status = 'COMMITTED' THEN committed ELSE 0 END), 0) FROM ap_spend_reservation " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void reserveCommitRelease_areSeenByEveryHost() {
    JdbcSpendLedger one = host();
    JdbcSpendLedger two = host();

    Reservation r = one.reserve(request("r1", A, "30.00", MONTHLY_100));
    assertThat(r.usage()).singleElement().satisfies(u -> assertThat(u.used()).isEqualTo(Money.usd("30.00")));
    two.commit("r1", Money.usd("25.00"));
    two.reserve(request("r2", B, "10.00", MONTHLY_100));
    one.release("r2");

    assertThat(used(one, MONTHLY_100, A)).isEqualTo(Money.usd("25.00"));
    assertThat(one.reservation("r1").orElseThrow().committed()).isEqualTo(Money.usd("25.00"));
    assertThat(two.reservation("r2").orElseThrow().status()).isEqualTo(Reservation.Status.RELEASED);
    assertThat(two.reservations(RunId.of("run_r1"))).extracting(Reservation::id).containsExactly("r1");
    assertThat(one.reservations(A, null, Instant.EPOCH, Instant.MAX)).extracting(Reservation::id).containsExactly("r1");
    assertThatThrownBy(() -> one.commit("nope", Money.usd("1.00"))).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("no reservation 'nope'");
    assertThatThrownBy(() -> one.release("r1")).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void theSameReservationId_fromTwoHosts_isOneReservation() {
    JdbcSpendLedger one = host();
    JdbcSpendLedger two = host();

    Reservation first = one.reserve(request("run_1:plan:1", A, "40.00", MONTHLY_100));
    Reservation again = two.reserve(request("run_1:plan:1", A, "40.00", MONTHLY_100));

    assertThat(again).isEqualTo(first);
    assertThat(used(two, MONTHLY_100, A)).isEqualTo(Money.usd("40.00"));
  }

  @Test
  void manyThreadsOnTwoHosts_neverOverspendAnyLimit() throws Exception {
    List<JdbcSpendLedger> hosts = List.of(host(), host());
    ExecutorService pool = Executors.newFixedThreadPool(12);
    CountDownLatch go = new CountDownLatch(1);
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger admittedA = new AtomicInteger();
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int t = 0; t < 12; t++) {
        JdbcSpendLedger ledger = hosts.get(t % 2);
        AgentId agent = t % 3 == 0 ? A : B;
        int thread = t;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < 10; i++) {
            String id = "t" + thread + "-" + i;
            try {
              ledger.reserve(request(id, agent, "5.00", MONTHLY_100, AGENT_30));
              if (i % 2 == 0) {
                ledger.commit(id, Money.usd("5.00"));
              }
              admitted.incrementAndGet();
              if (agent.equals(A)) {
                admittedA.incrementAndGet();
              }
            } catch (PolicyViolationException e) {
              // a limit is full
            }
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    // agent A may hold 30.00 (6 spends), agent B 30.00 (6): 12 in all, under the provider's 100.00
    assertThat(admittedA.get()).isEqualTo(6);
    assertThat(admitted.get()).isEqualTo(12);
    assertThat(used(hosts.get(0), MONTHLY_100, A)).isEqualTo(Money.usd("60.00"));
    assertThat(used(hosts.get(1), AGENT_30, A)).isEqualTo(Money.usd("30.00"));
    assertThat(recount("")).as("the running totals equal a recount of the rows").isEqualTo(6000);
  }

  @Test
  void anAlert_firesOnceAcrossHosts() throws Exception {
    List<JdbcSpendLedger> hosts = List.of(host(), host(), host());
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<Boolean>> marks = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    try {
      for (int i = 0; i < 6; i++) {
        JdbcSpendLedger l = hosts.get(i % 3);
        marks.add(pool.submit(() -> {
          go.await();
          return l.markAlert("monthly/per-provider|provider=cloudflare|2026-11-01|80");
        }));
      }
      go.countDown();
      int fired = 0;
      for (Future<Boolean> f : marks) {
        fired += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(fired).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(host().markAlert("monthly/per-provider|provider=cloudflare|2026-11-01|80")).as("after a restart too")
        .isFalse();
  }

  @Test
  void heldMoney_stopsCountingAtItsExpiry_butALateChargeIsStillRecorded() {
    JdbcSpendLedger ledger = host();
    ledger.reserve(request("r1", A, "60.00", MONTHLY_100));
    ledger.reserve(request("r2", A, "40.00", MONTHLY_100));
    assertThatThrownBy(() -> ledger.reserve(request("r3", A, "1.00", MONTHLY_100)))
        .isInstanceOf(PolicyViolationException.class);

    time.advance(Duration.ofMinutes(61)); // both held past their hour: a host died holding them

    assertThat(used(host(), MONTHLY_100, A)).isEqualTo(Money.usd("0.00"));
    assertThat(ledger.reservation("r1").orElseThrow().status()).isEqualTo(Reservation.Status.RESERVED);
    ledger.commit("r1", Money.usd("60.00")); // the charge went through after all: it must show
    assertThat(used(ledger, MONTHLY_100, A)).isEqualTo(Money.usd("60.00"));
    assertThat(ledger.reserve(request("r4", A, "40.00", MONTHLY_100)).status()).isEqualTo(Reservation.Status.RESERVED);
  }

  @Test
  void uncertainMoney_outlivesItsExpiryOnEveryHost_noReleaseGivesItBack_andOnlyReconciliationSettlesIt()
      throws Exception {
    JdbcSpendLedger one = host();
    JdbcSpendLedger two = host();
    one.reserve(request("paid", A, "60.00", MONTHLY_100));
    one.reserve(request("lost", A, "30.00", MONTHLY_100));
    time.advance(Duration.ofMinutes(61));
    assertThat(used(two, MONTHLY_100, A)).as("both reaped at their expiry").isEqualTo(Money.usd("0.00"));

    // the paid call's answer was lost: the provider may have charged it, so it counts again, for good
    assertThat(one.markUncertain("paid").status()).isEqualTo(Reservation.Status.UNCERTAIN);
    time.advance(Duration.ofDays(3));
    assertThat(used(two, MONTHLY_100, A)).as("another host counts it, whatever the clock").isEqualTo(
        Money.usd("60.00"));
    assertThatThrownBy(() -> two.release("paid")).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("uncertain");
    assertThatThrownBy(() -> two.reserve(request("more", A, "41.00", MONTHLY_100)))
        .isInstanceOf(PolicyViolationException.class);
    assertThat(recount("WHERE id = 'paid'")).as("held in the table, so every host's reaper passes it by")
        .isEqualTo(6000);

    assertThat(two.reconcile("paid", Money.usd("55.00")).committed()).isEqualTo(Money.usd("55.00"));
    assertThat(one.reconcile("paid", Money.usd("55.00")).status()).as("the same answer again is a no-op")
        .isEqualTo(Reservation.Status.COMMITTED);
    assertThatThrownBy(() -> one.reconcile("paid", Money.usd("0.00"))).isInstanceOf(InvalidRequestException.class);
    assertThat(one.reconcile("lost", Money.usd("0.00")).status()).isEqualTo(Reservation.Status.RELEASED);
    assertThat(used(one, MONTHLY_100, A)).isEqualTo(Money.usd("55.00"));
    assertThat(recount("")).as("the running totals equal a recount of the rows").isEqualTo(5500);
  }

  @Test
  void aLostConnectionMidReserve_isATypedError_andLeavesNothingReserved() throws Exception {
    JdbcSpendLedger ledger = host();
    ledger.reserve(request("r0", A, "10.00", MONTHLY_100));
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try (Connection blocker = db.getConnection()) {
      // hold the total's row lock, so the reserve waits inside its transaction
      blocker.setAutoCommit(false);
      try (Statement s = blocker.createStatement()) {
        s.executeQuery("SELECT * FROM ap_spend_total FOR UPDATE").close();
      }
      Future<Reservation> reserve = caller.submit(() -> ledger.reserve(request("r1", A, "20.00", MONTHLY_100)));
      terminateTheBackendWaitingForALock();

      assertThatThrownBy(() -> reserve.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(JdbcStoreException.class)
          .cause().satisfies(e -> {
            JdbcStoreException j = (JdbcStoreException) e;
            assertThat(j.reason()).isEqualTo(JdbcStoreException.Reason.CONNECTION);
            assertThat(j.retryable()).isTrue();
            assertThat(j.getMessage()).contains("nothing was reserved");
          });
      blocker.rollback();
    } finally {
      caller.shutdownNow();
    }

    assertThat(ledger.reservation("r1")).isEmpty();
    assertThat(used(ledger, MONTHLY_100, A)).isEqualTo(Money.usd("10.00"));
    assertThat(recount("")).isEqualTo(1000);
    assertThat(ledger.reserve(request("r1", A, "20.00", MONTHLY_100)).status()).as("the caller may try again")
        .isEqualTo(Reservation.Status.RESERVED);
    assertThat(used(ledger, MONTHLY_100, A)).isEqualTo(Money.usd("30.00"));
  }

  /** A host whose ledger runs one transaction at a time, so that what arrives meanwhile is one batch. */
  JdbcSpendLedger oneTransactionAtATime() {
    return JdbcStores.builder().dataSource(db).clock(time).reapEvery(Duration.ZERO).ledgerBatching(64, 1).build()
        .ledger();
  }

  /**
   * Holds the totals' row locks with {@code blocker}, starts {@code first} (its transaction waits for
   * the lock), then queues {@code batch} one after the other behind it: they are the next batch.
   */
  List<Future<Reservation>> queueBehindALock(JdbcSpendLedger ledger, Connection blocker, ExecutorService callers,
      Callable<Reservation> first, List<Callable<Reservation>> batch) throws Exception {
    blocker.setAutoCommit(false);
    try (Statement s = blocker.createStatement()) {
      s.executeQuery("SELECT * FROM ap_spend_total FOR UPDATE").close();
    }
    List<Future<Reservation>> out = new ArrayList<>();
    out.add(callers.submit(first));
    lockWaiter(-1);
    for (Callable<Reservation> call : batch) {
      int before = ledger.queued();
      out.add(callers.submit(call));
      for (int i = 0; i < 6000 && ledger.queued() == before; i++) {
        Thread.sleep(10); // polling the queue until the caller is in it, not timing the test
      }
      assertThat(ledger.queued()).as("queued behind the transaction waiting for the lock").isEqualTo(before + 1);
    }
    return out;
  }

  @Test
  void aBatch_decidesEachReserveOnItsOwn_andRefusesOnlyTheOneOverTheCap() throws Exception {
    JdbcSpendLedger ledger = oneTransactionAtATime();
    ledger.reserve(request("r0", A, "10.00", MONTHLY_100));
    ExecutorService callers = Executors.newFixedThreadPool(4);
    List<Future<Reservation>> calls;
    try (Connection blocker = db.getConnection()) {
      calls = queueBehindALock(ledger, blocker, callers, reserve(ledger, "a", A, "20.00"),
          List.of(reserve(ledger, "b", A, "30.00"), reserve(ledger, "c", B, "80.00"), reserve(ledger, "d", B, "20.00")));
      blocker.rollback();

      assertThat(calls.get(0).get(60, TimeUnit.SECONDS).status()).isEqualTo(Reservation.Status.RESERVED);
      assertThat(calls.get(1).get(60, TimeUnit.SECONDS).status()).isEqualTo(Reservation.Status.RESERVED);
      assertThatThrownBy(() -> calls.get(2).get(60, TimeUnit.SECONDS))
          .as("10 + 20 + 30 held: 80 more would pass the cap of 100").hasCauseInstanceOf(PolicyViolationException.class);
      assertThat(calls.get(3).get(60, TimeUnit.SECONDS).status()).as("decided after the refusal, in arrival order")
          .isEqualTo(Reservation.Status.RESERVED);
    } finally {
      callers.shutdownNow();
    }

    assertThat(transactionOf("b")).as("b and d were written by one transaction").isEqualTo(transactionOf("d"))
        .isNotEqualTo(transactionOf("a"));
    assertThat(ledger.reservation("c")).as("nothing left of the refused one").isEmpty();
    assertThat(used(host(), MONTHLY_100, A)).isEqualTo(Money.usd("80.00"));
    assertThat(recount("")).as("the running totals equal a recount of the rows").isEqualTo(8000);
  }

  @Test
  void aLostConnectionMidBatch_failsEveryMemberWithATypedError_andChargesNothing() throws Exception {
    JdbcSpendLedger ledger = oneTransactionAtATime();
    ledger.reserve(request("r0", A, "10.00", MONTHLY_100));
    ledger.reserve(request("r1", A, "5.00", MONTHLY_100));
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try (Connection blocker = db.getConnection()) {
      // the batch: a reserve, a commit and a release, queued behind a reserve waiting for the lock
      List<Future<Reservation>> calls = queueBehindALock(ledger, blocker, callers, reserve(ledger, "a", A, "20.00"),
          List.of(reserve(ledger, "b", A, "30.00"), () -> ledger.commit("r0", Money.usd("10.00")),
              () -> ledger.release("r1")));
      int first = lockWaiter(-1);
      terminate(first);
      terminate(lockWaiter(first)); // the batch's own transaction, waiting for the same lock

      for (Future<?> f : calls) {
        assertThatThrownBy(() -> f.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(JdbcStoreException.class)
            .cause().satisfies(e -> {
              assertThat(((JdbcStoreException) e).reason()).isEqualTo(JdbcStoreException.Reason.CONNECTION);
              assertThat(e.getMessage()).contains("nothing was reserved, committed or released");
            });
      }
      blocker.rollback();
    } finally {
      callers.shutdownNow();
    }

    assertThat(ledger.reservation("a")).isEmpty();
    assertThat(ledger.reservation("b")).isEmpty();
    assertThat(ledger.reservation("r0").orElseThrow().status()).isEqualTo(Reservation.Status.RESERVED);
    assertThat(ledger.reservation("r1").orElseThrow().status()).isEqualTo(Reservation.Status.RESERVED);
    assertThat(used(host(), MONTHLY_100, A)).isEqualTo(Money.usd("15.00"));
    assertThat(recount("")).isEqualTo(1500);
    assertThat(ledger.reserve(request("b", A, "30.00", MONTHLY_100)).status()).as("the callers may try again")
        .isEqualTo(Reservation.Status.RESERVED);
  }

  /**
   * A host whose ledger runs two transactions at once and holds its next batch back, for as long as
   * a test takes, while the other transaction decides: the batch then starts only when that
   * transaction is about to commit (or fails), never on a timer.
   */
  JdbcSpendLedger holdingBackTheNextBatch() {
    host(); // the schema
    return new JdbcSpendLedger(db, time, Duration.ZERO, 64, 2, Duration.ofMinutes(10), "the test database");
  }

  @Test
  void callsArrivingWhileATransactionDecides_allGoInTheNextOne_andALoneCallerDoesNotWait() throws Exception {
    JdbcSpendLedger ledger = holdingBackTheNextBatch();
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try (Connection blocker = db.getConnection()) {
      // nothing in flight: a lone caller starts its transaction at once (a wait would take 10 minutes)
      assertThat(callers.submit(reserve(ledger, "r0", A, "10.00")).get(60, TimeUnit.SECONDS).status())
          .isEqualTo(Reservation.Status.RESERVED);
      assertThat(callers.submit(() -> ledger.commit("r0", Money.usd("10.00"))).get(60, TimeUnit.SECONDS).status())
          .isEqualTo(Reservation.Status.COMMITTED);

      // a's transaction waits for the totals' lock; b, c and d, though a second transaction is
      // allowed, wait in the queue for a's decisions (queueBehindALock checks each one is queued)
      List<Future<Reservation>> calls = queueBehindALock(ledger, blocker, callers, reserve(ledger, "a", A, "20.00"),
          List.of(reserve(ledger, "b", A, "30.00"), reserve(ledger, "c", B, "10.00"), reserve(ledger, "d", B, "20.00")));
      blocker.rollback();
      for (Future<Reservation> f : calls) {
        assertThat(f.get(60, TimeUnit.SECONDS).status()).isEqualTo(Reservation.Status.RESERVED);
      }
    } finally {
      callers.shutdownNow();
    }

    assertThat(transactionOf("b")).as("b, c and d were written by the one transaction after a's")
        .isEqualTo(transactionOf("c")).isEqualTo(transactionOf("d")).isNotEqualTo(transactionOf("a"));
    assertThat(used(host(), MONTHLY_100, A)).as("one cap for the provider: 10 + 20 + 30 + 10 + 20")
        .isEqualTo(Money.usd("90.00"));
    assertThat(recount("")).as("the running totals equal a recount of the rows").isEqualTo(9000);
  }

  @Test
  void aHeldBackBatch_runsWhenTheTransactionAheadFails_andChargesOnlyItsOwnMembers() throws Exception {
    JdbcSpendLedger ledger = holdingBackTheNextBatch();
    ledger.reserve(request("r0", A, "10.00", MONTHLY_100));
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try (Connection blocker = db.getConnection()) {
      List<Future<Reservation>> calls = queueBehindALock(ledger, blocker, callers, reserve(ledger, "a", A, "20.00"),
          List.of(reserve(ledger, "b", A, "30.00"), () -> ledger.commit("r0", Money.usd("10.00"))));
      terminate(lockWaiter(-1)); // a's transaction, before it decided anything

      assertThatThrownBy(() -> calls.get(0).get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(JdbcStoreException.class)
          .cause().satisfies(e -> assertThat(((JdbcStoreException) e).reason())
              .isEqualTo(JdbcStoreException.Reason.CONNECTION));
      lockWaiter(-1); // the held-back batch started, and waits for the same lock
      blocker.rollback();
      assertThat(calls.get(1).get(60, TimeUnit.SECONDS).status()).isEqualTo(Reservation.Status.RESERVED);
      assertThat(calls.get(2).get(60, TimeUnit.SECONDS).status()).isEqualTo(Reservation.Status.COMMITTED);
    } finally {
      callers.shutdownNow();
    }

    assertThat(ledger.reservation("a")).as("nothing of the failed transaction").isEmpty();
    assertThat(transactionOf("b")).isEqualTo(transactionOf("r0"));
    assertThat(used(host(), MONTHLY_100, A)).isEqualTo(Money.usd("40.00"));
    assertThat(recount("")).isEqualTo(4000);
  }

  private Callable<Reservation> reserve(JdbcSpendLedger ledger, String id, AgentId agent, String usd) {
    ReservationRequest r = request(id, agent, usd, MONTHLY_100);
    return () -> ledger.reserve(r);
  }

  /** The transaction that wrote reservation {@code id}'s row last. */
  private long transactionOf(String id) throws SQLException {
    try (Connection c = db.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT xmin::text::bigint FROM ap_spend_reservation WHERE id = '" + id + "'")) {
      assertThat(rs.next()).isTrue();
      return rs.getLong(1);
    }
  }

  /** The pid of a backend of this database waiting for a lock, other than {@code except}. */
  private int lockWaiter(int except) throws Exception {
    try (Connection admin = PG.admin(); Statement s = admin.createStatement()) {
      for (int i = 0; i < 6000; i++) {
        try (ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            + " AND datname = '" + databaseName() + "' AND pid <> " + except)) {
          if (rs.next()) {
            return rs.getInt(1);
          }
        }
        Thread.sleep(10); // polling the server for the waiting backend, not timing the test
      }
    }
    throw new AssertionError("no transaction waited for the lock");
  }

  private static void terminate(int pid) throws Exception {
    try (Connection admin = PG.admin(); Statement s = admin.createStatement()) {
      s.executeQuery("SELECT pg_terminate_backend(" + pid + ")").close();
    }
  }

  private void terminateTheBackendWaitingForALock() throws Exception {
    try (Connection admin = PG.admin(); Statement s = admin.createStatement()) {
      for (int i = 0; i < 600; i++) {
        try (ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            + " AND datname = '" + databaseName() + "'")) {
          if (rs.next()) {
            int pid = rs.getInt(1);
            s.executeQuery("SELECT pg_terminate_backend(" + pid + ")").close();
            return;
          }
        }
        Thread.sleep(50); // polling the server for the waiting backend, not timing the test
      }
    }
    throw new AssertionError("the reserve never waited for the lock");
  }

  private String databaseName() throws SQLException {
    try (Connection c = db.getConnection()) {
      return c.getCatalog();
    }
  }

  @Test
  void aConnectionLostWhileCommitting_isResolvedByLookingAgain_notByGuessing() {
    AtomicBoolean dropOnce = new AtomicBoolean(false);
    DataSource flaky = commitThenDrop(db, dropOnce);
    JdbcSpendLedger ledger = JdbcStores.builder().dataSource(flaky).clock(time).build().ledger();
    used(ledger, MONTHLY_100, A); // the total exists: the next commit is the reservation's own
    dropOnce.set(true);

    Reservation r = ledger.reserve(request("r1", A, "20.00", MONTHLY_100));

    assertThat(dropOnce.get()).as("the commit's answer was lost once").isFalse();
    assertThat(r.status()).isEqualTo(Reservation.Status.RESERVED);
    assertThat(used(host(), MONTHLY_100, A)).as("held once, not twice").isEqualTo(Money.usd("20.00"));
  }

  /**
   * A data source whose connections commit, then (once, while {@code drop} is set) report the
   * connection lost, as when the network fails after the server committed but before it answered.
   */
  static DataSource commitThenDrop(DataSource real, AtomicBoolean drop) {
    return new DataSource() {
      @Override
      public Connection getConnection() throws SQLException {
        Connection c = real.getConnection();
        InvocationHandler h = (proxy, method, args) -> {
          try {
            Object out = method.invoke(c, args);
            if (method.getName().equals("commit") && drop.compareAndSet(true, false)) {
              throw new SQLException("An I/O error occurred while sending to the backend.", "08006");
            }
            return out;
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        };
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
            h);
      }

      @Override
      public Connection getConnection(String user, String password) throws SQLException {
        return getConnection();
      }

      @Override
      public PrintWriter getLogWriter() {
        return null;
      }

      @Override
      public void setLogWriter(PrintWriter out) {}

      @Override
      public void setLoginTimeout(int seconds) {}

      @Override
      public int getLoginTimeout() {
        return 0;
      }

      @Override
      public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
      }

      @Override
      public <T> T unwrap(Class<T> iface) throws SQLException {
        throw new SQLException("not a wrapper");
      }

      @Override
      public boolean isWrapperFor(Class<?> iface) {
        return false;
      }
    };
  }
}
