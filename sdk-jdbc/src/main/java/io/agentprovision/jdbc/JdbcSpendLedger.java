package io.agentprovision.jdbc;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLedgerRules;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.jdbc.internal.LedgerBatch;
import io.agentprovision.jdbc.internal.LedgerBatch.Op;
import io.agentprovision.jdbc.internal.LedgerRows;
import io.agentprovision.jdbc.internal.Sql;
import io.agentprovision.jdbc.internal.TotalKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * {@link SpendLedger} in PostgreSQL, shared by every host using the database: a reservation is
 * admitted against every limit of its request atomically across hosts, and committed, released or
 * expired likewise, following the rules every ledger shares ({@link SpendLedgerRules}).
 *
 * <h2>What it keeps</h2>
 * One row per reservation ({@code ap_spend_reservation}), and one row of running totals per bucket
 * and window start ({@code ap_spend_total}: what the bucket's reservations made in the window hold
 * and have committed), changed in the same transaction as the reservation whose counted amount
 * changes, for the four buckets it feeds and every calendar whose totals exist. A total that does
 * not exist yet is made by one recount of the reservations it counts, with the same predicate. So a
 * reserve reads a handful of rows whatever the ledger holds.
 *
 * <h2>Why row locks, not SERIALIZABLE</h2>
 * A reserve reads its limits' totals, decides, and writes them back; two hosts doing that on the
 * same cap must not both see the old total. It takes {@code SELECT ... FOR UPDATE} on every total
 * row it reads or changes, in one statement ordered by the rows' keys, so that all transactions lock
 * in one order and never deadlock; a second reserve on the same cap waits for the first to commit
 * and then reads its total. SERIALIZABLE would also be correct, but on one hot cap nearly every
 * concurrent reserve would fail with a serialization error and start again, wasting the work and
 * the round trips exactly where the load is, and the retry loop would have to be right for every
 * caller; a queue on a row lock admits each waiter on its first try, in arrival order.
 *
 * <p>Creating a total by recount must not race with a reservation that feeds it: each transaction
 * that changes what reservations count first takes a shared advisory lock on each bucket it feeds,
 * and the one recount that creates a bucket's total takes that bucket's lock exclusively, so a
 * recount sees every reservation committed before it, and every later change sees the new row.
 *
 * <h2>Batches</h2>
 * Operations that arrive while a transaction is under way are carried by the next one (up to the
 * configured batch size), so that concurrent runs on one host share one commit to disk: each is
 * still decided on its own, in arrival order, against totals locked for the whole transaction.
 * Refusals ({@code PolicyViolationException}) and bad requests are answered per operation; the
 * others in the batch go on. A call arriving at an idle ledger starts its transaction at once; a
 * call arriving while another transaction of this host is still deciding (holding the hot totals'
 * locks, or waiting for them) waits, at most {@code ledgerFillWait}, until that transaction is about
 * to commit: the next one would wait for the same locks at the server anyway, and formed then it
 * carries every call that arrived meanwhile (a full batch starts at once). A caller is woken when
 * its own answer is ready, and one waiting caller when a transaction may start, not every caller at
 * every commit (with sixteen callers on two busy cores, waking all of them cost more than the batch).
 *
 * <p>A transaction is two round trips (see {@link LedgerBatch}): the locks and the locked rows in
 * one, the writes and the commit in the other, so the hot total is held for one round trip and the
 * commit. The commit is durable when it returns ({@code synchronous_commit} is left as the server
 * has it): a commit made asynchronously would let the lock go before the WAL flush, but this
 * ledger does not turn durability off for money, even when it would wait for the flush before
 * answering.
 *
 * <h2>Failures</h2>
 * A lost connection or a refusing database fails the operation with {@link JdbcStoreException}
 * (retryable for a lost connection); its transaction was rolled back, so nothing was reserved,
 * committed or released. When the connection is lost while committing, the outcome is unknown: the
 * ledger runs the same operations again on a new connection, which finds what the first commit
 * did (a reserve of the same id returns the reservation, a repeated commit or release is a no-op).
 *
 * <h2>Expiry</h2>
 * A held reservation past its {@code expiresAt} on this ledger's clock is reaped (it stops counting,
 * in the same kind of transaction) before the next operation, at most every {@code reapEvery}.
 * Only {@code RESERVED} reservations are reaped: an {@code UNCERTAIN} one (a paid call whose outcome
 * is unknown, {@link #markUncertain}) counts in full until {@link #reconcile}d or committed, and is
 * never released by the reaper of any host; see {@link LedgerBatch}.
 *
 * <p>Times are kept to the microsecond: a reservation's {@code createdAt} and {@code expiresAt} are
 * truncated to it. Thread-safe. Made by {@link JdbcStores#ledger()}.
 */
public final class JdbcSpendLedger implements SpendLedger {
  /** How many expired reservations one reaping pass takes at most. */
  private static final int REAP_PAGE = 256;

  private final DataSource ds;
  private final Clock clock;
  private final Duration reapEvery;
  private final int maxBatch;
  private final int maxTransactions;
  private final String where;
  private final LedgerBatch batches;

  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Op> queue = new ArrayDeque<>();
  private int running;
  /** Transactions running that have not yet made their decisions (they hold, or wait for, the locks). */
  private int deciding;
  /** The caller holding back the next batch until a running transaction is about to commit, if any. */
  private @Nullable Thread nextRunner;
  private final long fillWaitNanos;
  private final AtomicReference<@Nullable Instant> lastReap = new AtomicReference<>();
  private volatile boolean closed;
  private volatile boolean reservedSinceReap;

  JdbcSpendLedger(DataSource ds, Clock clock, Duration reapEvery, int maxBatch, int maxTransactions,
      Duration fillWait, String where) {
    this.ds = ds;
    this.fillWaitNanos = fillWait.toNanos();
    this.clock = clock;
    this.reapEvery = reapEvery;
    this.maxBatch = maxBatch;
    this.maxTransactions = maxTransactions;
    this.where = where;
    this.batches = new LedgerBatch(ds, where);
  }

  @Override
  public Reservation reserve(ReservationRequest request) {
    Objects.requireNonNull(request, "request");
    reapIfDue();
    Reservation r = (Reservation) run(List.of(Op.reserve(request))).get(0);
    reservedSinceReap = true; // it may be born expired (a clock read long ago): the next pass looks
    return r;
  }

  @Override
  public Reservation commit(String reservationId, Money actual) {
    Objects.requireNonNull(reservationId, "reservationId");
    Objects.requireNonNull(actual, "actual");
    reapIfDue();
    return (Reservation) run(List.of(Op.commit(reservationId, actual))).get(0);
  }

  @Override
  public Reservation release(String reservationId) {
    Objects.requireNonNull(reservationId, "reservationId");
    reapIfDue();
    return (Reservation) run(List.of(Op.release(reservationId))).get(0);
  }

  @Override
  public Reservation markUncertain(String reservationId) {
    Objects.requireNonNull(reservationId, "reservationId");
    reapIfDue();
    return (Reservation) run(List.of(Op.uncertain(reservationId))).get(0);
  }

  @Override
  public Reservation reconcile(String reservationId, Money charged) {
    Objects.requireNonNull(reservationId, "reservationId");
    Objects.requireNonNull(charged, "charged");
    reapIfDue();
    return (Reservation) run(List.of(Op.reconcile(reservationId, charged))).get(0);
  }

  @Override
  public Optional<Reservation> reservation(String reservationId) {
    Objects.requireNonNull(reservationId, "reservationId");
    return read(c -> {
      List<Reservation> out = LedgerRows.select(c, "WHERE id = ?", reservationId);
      return out.isEmpty() ? Optional.empty() : Optional.of(out.get(0));
    });
  }

  @Override
  public LimitUsage usage(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone) {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(zone, "zone");
    reapIfDue();
    SpendInterval interval = limit.interval();
    SpendLedgerRules.Bucket bucket = interval == SpendInterval.PER_TRANSACTION ? null
        : SpendLedgerRules.bucketOf(limit, agent, provider);
    String label = limit.bucket(agent, provider);
    if (bucket == null) {
      return new LimitUsage(limit, label, interval.windowAt(at, zone), Money.zero(limit.amount().currency()));
    }
    TotalKey key = TotalKey.of(bucket, interval, zone, at);
    Long used = readTotal(key);
    if (used == null) {
      batches.ensureTotals(List.of(key)); // made by one recount, as a reserve would make it
      used = readTotal(key);
      if (used == null) {
        throw new JdbcStoreException(JdbcStoreException.Reason.DATABASE, "the spend total " + key + " in " + where
            + " was made but is gone: is something deleting ledger rows?", null);
      }
    }
    return new LimitUsage(limit, label, key.window(), Money.ofMinor(used, limit.amount().currency()));
  }

  /** What the total holds and has committed, or null when it does not exist yet. */
  private @Nullable Long readTotal(TotalKey key) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT held + committed FROM ap_spend_total WHERE currency = ?"
          + " AND agent = ? AND provider = ? AND calendar = ? AND window_start = ?::timestamptz")) {
        key.bind(ps, 1);
        try (ResultSet rs = ps.executeQuery()) {
          return Optional.ofNullable(rs.next() ? rs.getLong(1) : null);
        }
      }
    }).orElse(null);
  }

  @Override
  public List<Reservation> reservations(@Nullable AgentId agent, @Nullable String provider, Instant from, Instant to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (!from.isBefore(to)) {
      return List.of();
    }
    return read(c -> LedgerRows.select(c, "WHERE created_at >= ?::timestamptz AND created_at < ?::timestamptz"
        + " AND (?::text IS NULL OR agent = ?) AND (?::text IS NULL OR provider = ?) ORDER BY created_at, seq",
        from, to, agent == null ? null : agent.value(), agent == null ? null : agent.value(), provider, provider));
  }

  @Override
  public List<Reservation> reservations(RunId run) {
    Objects.requireNonNull(run, "run");
    return read(c -> LedgerRows.select(c, "WHERE run_id = ? ORDER BY created_at, seq", run.value()));
  }

  /** Records the alert in the database: the first host to mark a key is the only one that fires it. */
  @Override
  public boolean markAlert(String alertKey) {
    Objects.requireNonNull(alertKey, "alertKey");
    return read(c -> Sql.update(c, "INSERT INTO ap_spend_alert (alert_key, fired_at) VALUES (?, ?::timestamptz)"
        + " ON CONFLICT (alert_key) DO NOTHING", alertKey, clock.instant()) == 1);
  }

  @Override
  public String toString() {
    return "JdbcSpendLedger{" + where + "}";
  }

  void close() {
    closed = true;
  }

  /** How many operations wait for the next transaction (tests of batching watch it). */
  int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  // ---- batches ----------------------------------------------------------------------------------

  /**
   * Runs {@code ops} in the next batches and returns each one's result, throwing the first one's
   * failure. The calling thread runs a batch itself when fewer than the allowed number are running;
   * but while another transaction of this host is still deciding (it holds the hot totals' locks,
   * or waits for them), the next batch is held back until that one is about to commit, the batch is
   * full, or {@code fillWait} has passed: the next transaction would wait for the same locks at the
   * server anyway, and formed later it carries every caller that arrived meanwhile. A call to an
   * idle ledger never waits.
   */
  private List<Object> run(List<Op> ops) {
    if (closed) {
      throw new IllegalStateException("the JDBC stores were closed");
    }
    Thread me = Thread.currentThread();
    for (Op op : ops) {
      op.waiter(me);
    }
    long holdUntil = 0;
    lock.lock();
    try {
      queue.addAll(ops);
      while (!allDone(ops)) {
        if (running < maxTransactions && !queue.isEmpty()) {
          if (deciding > 0 && queue.size() < maxBatch && fillWaitNanos > 0
              && (nextRunner == null || nextRunner == me)) {
            long now = System.nanoTime();
            if (nextRunner != me) {
              nextRunner = me;
              holdUntil = now + fillWaitNanos;
            }
            if (now - holdUntil < 0) {
              lock.unlock();
              LockSupport.parkNanos(this, holdUntil - now);
              lock.lock();
              continue;
            }
          } else if (deciding > 0 && queue.size() < maxBatch && fillWaitNanos > 0) {
            park(); // another caller holds the next batch back and will run it
            continue;
          }
          if (nextRunner == me) {
            nextRunner = null;
          }
          running++;
          deciding++;
          List<Op> batch = new ArrayList<>(Math.min(queue.size(), maxBatch));
          while (batch.size() < maxBatch && !queue.isEmpty()) {
            batch.add(queue.poll());
          }
          boolean[] decided = new boolean[1];
          lock.unlock();
          try {
            batches.run(batch, () -> decided(decided));
          } finally {
            lock.lock();
            running--;
            if (!decided[0]) {
              deciding--;
            }
            wake(batch, me);
          }
        } else {
          park(); // until this caller's operations are done or it is asked to run the next batch
        }
      }
      if (nextRunner == me) {
        nextRunner = null; // its operations went in a batch another caller ran
        wakeNextRunner();
      }
    } finally {
      lock.unlock();
    }
    List<Object> out = new ArrayList<>(ops.size());
    for (Op op : ops) {
      out.add(op.outcome());
    }
    return out;
  }

  /** Parks the calling thread, which holds the lock, until it is woken. */
  private void park() {
    lock.unlock();
    LockSupport.park(this);
    lock.lock();
  }

  /**
   * Called by a running transaction when its decisions are made and its commit is about to be
   * sent: the caller holding the next batch back forms it now (once per transaction).
   */
  private void decided(boolean[] decided) {
    lock.lock();
    try {
      if (!decided[0]) {
        decided[0] = true;
        deciding--;
        wakeNextRunner();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Wakes the caller holding back the next batch, or else one caller waiting in the queue. Called holding the lock. */
  private void wakeNextRunner() {
    Thread t = nextRunner;
    if (t == null) {
      Op first = queue.peek();
      t = first == null ? null : first.waiter();
    }
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  /**
   * After a batch: wakes the callers whose operations it finished, and, for each transaction that
   * may start now, one caller still waiting in the queue, to run the next batch (the caller holding
   * the next batch back first). Waking only these (not every waiting caller) keeps a busy host from
   * spending its CPU on threads that wake to find nothing to do. Called holding the lock.
   */
  private void wake(List<Op> batch, Thread me) {
    for (Op op : batch) {
      Thread t = op.waiter();
      if (t != null && t != me) {
        LockSupport.unpark(t);
      }
    }
    int free = maxTransactions - running;
    Thread last = null;
    if (free > 0 && nextRunner != null && nextRunner != me) {
      LockSupport.unpark(nextRunner);
      last = nextRunner;
      free--;
    }
    for (Op op : queue) {
      if (free <= 0) {
        break;
      }
      Thread t = op.waiter();
      if (t != null && t != last) {
        LockSupport.unpark(t);
        last = t;
        free--;
      }
    }
  }

  private static boolean allDone(List<Op> ops) {
    for (Op op : ops) {
      if (!op.done()) {
        return false;
      }
    }
    return true;
  }

  /** Reaps held reservations past their expiry on this ledger's clock, when the last pass is {@code reapEvery} old. */
  private void reapIfDue() {
    Instant now = clock.instant();
    Instant last = lastReap.get();
    if (last != null && (Duration.between(last, now).compareTo(reapEvery) < 0
        || (now.equals(last) && !reservedSinceReap))) {
      return; // looked recently, or nothing can have expired since: same instant, nothing new held
    }
    reservedSinceReap = false;
    if (!lastReap.compareAndSet(last, now)) {
      return; // another thread is reaping
    }
    while (true) {
      List<String> due = read(c -> {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM ap_spend_reservation WHERE held"
            + " AND status = 'RESERVED' AND expires_at <= ?::timestamptz ORDER BY expires_at LIMIT " + REAP_PAGE)) {
          Sql.bind(ps, now);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getString(1));
            }
          }
        }
        return ids;
      });
      if (due.isEmpty()) {
        return;
      }
      List<Op> ops = new ArrayList<>(due.size());
      for (String id : due) {
        ops.add(Op.expire(id, now));
      }
      run(ops);
      if (due.size() < REAP_PAGE) {
        return;
      }
    }
  }

  private interface Read<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> T read(Read<T> read) {
    try (Connection c = ds.getConnection()) {
      return read.apply(c);
    } catch (SQLException e) {
      throw LedgerBatch.failure(e, where, "read the spend ledger");
    } catch (AgentProvisionException e) {
      throw e;
    }
  }
}
