package io.agentprovision.jdbc.internal;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLedgerRules;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicyCodec;
import io.agentprovision.jdbc.JdbcStoreException;
import io.agentprovision.jdbc.internal.LedgerRows.Row;
import io.agentprovision.jdbc.internal.TotalKey.BucketKey;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Currency;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Runs a batch of ledger operations in one transaction: the lock order, the decisions, the writes.
 *
 * <p>Lock order, the same in every transaction so that none deadlocks: (1) a shared advisory lock
 * on every bucket the batch's reservations feed or its limits read, by key; (2) {@code FOR UPDATE}
 * on every total row of those buckets whose window may contain one of the batch's reservations, in
 * one statement ordered by key; (3) {@code FOR UPDATE} on the reservation rows it settles, by id.
 * The one transaction that creates a total takes only its bucket's advisory lock, exclusively.
 *
 * <p>Round trips: the reservations to settle that this host did not make or read before are read
 * first (their buckets and creation never change, so those this host knows need no read); then
 * (1), (2) and (3) in one exchange; then the inserts, updates and the {@code COMMIT} in another. A
 * failing statement makes the server skip the rest, so nothing is committed unless all of it was
 * written; a connection lost during that last exchange leaves the commit unknown, and the batch is
 * run again to find what it did.
 *
 * <p>Decisions are made in Java, in arrival order, on the locked rows ({@link SpendLedgerRules}), and
 * written back at once. The reaper's operation ({@link Op#expire}) stops a held {@code RESERVED}
 * reservation from counting; a status added for money that must stay held until reconciled is not
 * {@code RESERVED} and so is never reaped.
 */
public final class LedgerBatch {
  /** Known totals stop being remembered past this many (they never disappear; this only bounds memory). */
  private static final int KNOWN_TOTALS_CAP = 100_000;

  private final DataSource ds;
  private final String where;
  private final Set<TotalKey> known = ConcurrentHashMap.newKeySet();
  private final Map<String, Meta> metas = new ConcurrentHashMap<>();

  public LedgerBatch(DataSource ds, String where) {
    this.ds = ds;
    this.where = where;
  }

  /** One operation and, once its batch ran, its outcome. */
  public static final class Op {
    enum Kind { RESERVE, COMMIT, RELEASE, UNCERTAIN, RECONCILE, EXPIRE }

    final Kind kind;
    final String id;
    final @Nullable ReservationRequest request;
    final @Nullable Money actual;
    final @Nullable Instant now;
    private @Nullable Object outcome;
    private volatile boolean done;
    private volatile @Nullable Thread waiter;

    private Op(Kind kind, String id, @Nullable ReservationRequest request, @Nullable Money actual,
        @Nullable Instant now) {
      this.kind = kind;
      this.id = id;
      this.request = request;
      this.actual = actual;
      this.now = now;
    }

    public static Op reserve(ReservationRequest r) {
      return new Op(Kind.RESERVE, r.id(), r, null, null);
    }

    public static Op commit(String id, Money actual) {
      return new Op(Kind.COMMIT, id, null, actual, null);
    }

    public static Op release(String id) {
      return new Op(Kind.RELEASE, id, null, null, null);
    }

    /** Holds {@code id} as uncertain: it counts in full, and never expires, until reconciled. */
    public static Op uncertain(String id) {
      return new Op(Kind.UNCERTAIN, id, null, null, null);
    }

    /** Settles {@code id} by what the provider {@code charged}: zero releases it, more commits that much. */
    public static Op reconcile(String id, Money charged) {
      return new Op(Kind.RECONCILE, id, null, charged, null);
    }

    /** Stops {@code id} from counting if it is still held, {@code RESERVED} and expired at {@code now}. */
    public static Op expire(String id, Instant now) {
      return new Op(Kind.EXPIRE, id, null, null, now);
    }

    public boolean done() {
      return done;
    }

    /** The thread waiting for this operation's outcome. */
    public @Nullable Thread waiter() {
      return waiter;
    }

    /** Sets the thread waiting for this operation's outcome (it is woken when the operation is done). */
    public void waiter(Thread t) {
      waiter = t;
    }

    /** The result, or the failure thrown. */
    public Object outcome() {
      Object o = outcome;
      if (o instanceof RuntimeException e) {
        throw e;
      }
      return Objects.requireNonNull(o, "outcome");
    }

    void finish(Object result) {
      outcome = result;
      done = true;
    }
  }

  /** Thrown inside a batch that must start again (after making a missing total, or after a race on an id). */
  private static final class Again extends Exception {
    private static final long serialVersionUID = 1L;
    final @Nullable TotalKey missing;

    Again(@Nullable TotalKey missing) {
      super(null, null, false, false);
      this.missing = missing;
    }
  }

  /** Runs {@code ops} and finishes each one with its result or failure. */
  public void run(List<Op> ops) {
    run(ops, () -> { });
  }

  /**
   * Runs {@code ops} and finishes each one with its result or failure; {@code beforeCommit} runs
   * each time the transaction's decisions are made and its writes and {@code COMMIT} are about to
   * be sent (it may run again when the batch starts again). It must not throw.
   */
  public void run(List<Op> ops, Runnable beforeCommit) {
    int attempts = 0;
    boolean uncertainRetried = false;
    while (true) {
      attempts++;
      try {
        ensureTotals(limitTotals(ops));
        Map<Op, Object> results = transact(ops, beforeCommit);
        for (Op op : ops) {
          op.finish(Objects.requireNonNull(results.get(op)));
        }
        return;
      } catch (Again a) {
        if (a.missing != null) {
          known.remove(a.missing);
        }
        if (attempts < 8) {
          continue;
        }
        failAll(ops, new JdbcStoreException(JdbcStoreException.Reason.DATABASE, "the spend ledger in " + where
            + " kept changing under a batch (" + attempts + " attempts); nothing was reserved, committed or released",
            null));
        return;
      } catch (CommitUncertain u) {
        if (!uncertainRetried) {
          // every operation is idempotent: running them again finds whatever the commit did
          uncertainRetried = true;
          continue;
        }
        failAll(ops, failure(u.cause, where, "commit to the spend ledger"));
        return;
      } catch (SQLException e) {
        if (Sql.retryable(e) && attempts < 8) {
          continue;
        }
        failAll(ops, failure(e, where, "use the spend ledger"));
        return;
      } catch (RuntimeException e) {
        failAll(ops, e);
        return;
      }
    }
  }

  private static void failAll(List<Op> ops, RuntimeException e) {
    for (Op op : ops) {
      op.finish(e);
    }
  }

  /** The failure a caller sees for {@code e}, which says that nothing happened. */
  public static RuntimeException failure(SQLException e, String where, String what) {
    if (Sql.connectionLost(e)) {
      return new JdbcStoreException(JdbcStoreException.Reason.CONNECTION, "lost the connection to " + where
          + " while trying to " + what + " (" + e.getMessage() + "); nothing was reserved, committed or released: "
          + "try again", e);
    }
    return new JdbcStoreException(JdbcStoreException.Reason.DATABASE, "the database " + where + " refused to " + what
        + " (" + e.getSQLState() + ": " + e.getMessage() + "); nothing was reserved, committed or released", e);
  }

  private static final class CommitUncertain extends Exception {
    private static final long serialVersionUID = 1L;
    final SQLException cause;

    CommitUncertain(SQLException cause) {
      super(cause);
      this.cause = cause;
    }
  }

  // ---- totals that must exist before a batch ---------------------------------------------------

  /** The totals the batch's reservations are judged against (they must exist before it locks them). */
  private static List<TotalKey> limitTotals(List<Op> ops) {
    List<TotalKey> keys = new ArrayList<>();
    for (Op op : ops) {
      ReservationRequest r = op.request;
      if (r == null) {
        continue;
      }
      for (SpendLimit l : r.limits()) {
        TotalKey k = limitTotal(l, r);
        if (k != null) {
          keys.add(k);
        }
      }
    }
    return keys;
  }

  private static @Nullable TotalKey limitTotal(SpendLimit l, ReservationRequest r) {
    if (l.interval() == SpendInterval.PER_TRANSACTION) {
      return null;
    }
    SpendLedgerRules.Bucket b = SpendLedgerRules.bucketOf(l, r.agent(), r.provider());
    return b == null ? null : TotalKey.of(b, l.interval(), r.zone(), Sql.micros(r.at()));
  }

  /**
   * Makes each total of {@code keys} that does not exist yet, by one recount of the reservations it
   * counts, under its bucket's exclusive advisory lock (see the class comment).
   */
  public void ensureTotals(Collection<TotalKey> keys) {
    List<TotalKey> unknown = new ArrayList<>();
    for (TotalKey k : keys) {
      if (!known.contains(k) && !unknown.contains(k)) {
        unknown.add(k);
      }
    }
    if (unknown.isEmpty()) {
      return;
    }
    for (int attempt = 1; ; attempt++) {
      try (Connection c = ds.getConnection()) {
        for (TotalKey k : unknown) {
          if (!exists(c, k)) {
            create(c, k);
          }
          if (known.size() > KNOWN_TOTALS_CAP) {
            known.clear();
          }
          known.add(k);
        }
        return;
      } catch (SQLException e) {
        // making a total is idempotent: a lost connection (even while committing) is worth one more try
        if (attempt >= 2 || !Sql.connectionLost(e)) {
          throw failure(e, where, "count the spend ledger's totals");
        }
      }
    }
  }

  private static boolean exists(Connection c, TotalKey k) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM ap_spend_total WHERE currency = ? AND agent = ?"
        + " AND provider = ? AND calendar = ? AND window_start = ?::timestamptz")) {
      k.bind(ps, 1);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static void create(Connection c, TotalKey k) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
        ps.setInt(1, BucketKey.LOCK_CLASS);
        ps.setInt(2, k.bucket().lockKey());
        ps.executeQuery().close();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO ap_spend_total (currency, agent, provider, calendar,"
          + " window_start, window_end, held, committed)"
          + " SELECT ?, ?, ?, ?, ?::timestamptz, ?::timestamptz,"
          + " coalesce(sum(amount) FILTER (WHERE held), 0),"
          + " coalesce(sum(committed) FILTER (WHERE status = 'COMMITTED'), 0)"
          + " FROM ap_spend_reservation WHERE currency = ? AND (? = '' OR agent = ?) AND (? = '' OR provider = ?)"
          + " AND created_at >= ?::timestamptz AND created_at < ?::timestamptz"
          + " ON CONFLICT DO NOTHING")) {
        k.bind(ps, 1);
        ps.setString(6, Sql.ts(k.window().end()));
        ps.setString(7, k.currency());
        ps.setString(8, k.agent());
        ps.setString(9, k.agent());
        ps.setString(10, k.provider());
        ps.setString(11, k.provider());
        ps.setString(12, Sql.ts(k.window().start()));
        ps.setString(13, Sql.ts(k.window().end()));
        ps.executeUpdate();
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly(c);
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  // ---- the transaction ------------------------------------------------------------------------

  /** A locked total row and what the batch has made of it. */
  private static final class Total {
    final TotalKey key;
    long held;
    long committed;
    boolean dirty;

    Total(TotalKey key, long held, long committed) {
      this.key = key;
      this.held = held;
      this.committed = committed;
    }
  }

  private Map<Op, Object> transact(List<Op> ops, Runnable beforeCommit)
      throws SQLException, Again, CommitUncertain {
    try (Connection c = ds.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        Map<Op, Object> results = decideAndWrite(c, ops, beforeCommit);
        try {
          // the last round trip committed (see write); pgjdbc finds the transaction ended and sends
          // nothing, and the pool learns that nothing is left to roll back on close
          c.commit();
        } catch (SQLException e) {
          if (Sql.connectionLost(e)) {
            throw new CommitUncertain(e);
          }
          throw e;
        }
        return results;
      } catch (SQLException | Again | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      } finally {
        if (!c.isClosed()) {
          try {
            c.setAutoCommit(auto);
          } catch (SQLException ignored) {
            // a broken connection: the pool discards it
          }
        }
      }
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      if (!c.isClosed()) {
        c.rollback();
      }
    } catch (SQLException ignored) {
      // the transaction ends with the connection anyway
    }
  }

  /** What a reservation's totals depend on: set when its row is made, and never changed. */
  private record Meta(Currency currency, AgentId agent, String provider, Instant createdAt) {
    static Meta of(Row r) {
      return new Meta(Currency.getInstance(r.currency), r.agent, r.provider, r.createdAt);
    }
  }

  private void remember(Row r) {
    if (metas.size() > KNOWN_TOTALS_CAP) {
      metas.clear();
    }
    metas.putIfAbsent(r.id, Meta.of(r));
  }

  private Map<Op, Object> decideAndWrite(Connection c, List<Op> ops, Runnable beforeCommit)
      throws SQLException, Again, CommitUncertain {
    // 1. what the batch touches: for every operation the buckets and the instant whose totals it
    //    needs. A reservation's buckets and creation never change, so for the rows this host made or
    //    read before they come from memory; only the others are read first (without a lock).
    Map<String, Meta> meta = new HashMap<>();
    List<String> unknown = new ArrayList<>();
    for (Op op : ops) {
      if (op.kind != Op.Kind.RESERVE && !meta.containsKey(op.id)) {
        Meta m = metas.get(op.id);
        if (m != null) {
          meta.put(op.id, m);
        } else {
          unknown.add(op.id);
        }
      }
    }
    if (!unknown.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement(INDEX_PLANS + "SELECT " + LedgerRows.COLUMNS
          + " FROM ap_spend_reservation WHERE id = ANY(?)")) {
        ps.setArray(1, textArray(c, unknown));
        for (boolean isRs = ps.execute(); isRs || ps.getUpdateCount() != -1; isRs = ps.getMoreResults()) {
          if (isRs) {
            try (ResultSet rs = ps.getResultSet()) {
              while (rs.next()) {
                Row r = Row.read(rs);
                remember(r);
                meta.put(r.id, Meta.of(r));
              }
            }
          }
        }
      }
    }
    Map<String, ReservationRequest> reservedHere = new HashMap<>();
    TreeSet<BucketKey> buckets = new TreeSet<>(java.util.Comparator.comparing(BucketKey::lockKey)
        .thenComparing(BucketKey::currency).thenComparing(BucketKey::agent).thenComparing(BucketKey::provider));
    Instant minT = null;
    Instant maxT = null;
    TreeSet<String> lockIds = new TreeSet<>();
    for (Op op : ops) {
      Instant t;
      if (op.kind == Op.Kind.RESERVE) {
        ReservationRequest r = Objects.requireNonNull(op.request);
        lockIds.add(op.id); // a row of that id, made before, is the answer: it is read under the lock
        if (reservedHere.putIfAbsent(op.id, r) != null) {
          continue;
        }
        t = Sql.micros(r.at());
        buckets.addAll(BucketKey.fed(r.amount().currency(), r.agent(), r.provider()));
        for (SpendLimit l : r.limits()) {
          TotalKey k = limitTotal(l, r);
          if (k != null) {
            buckets.add(k.bucket());
          }
        }
      } else {
        Meta m = meta.get(op.id);
        ReservationRequest r = reservedHere.get(op.id);
        if (m != null) {
          t = m.createdAt();
          buckets.addAll(BucketKey.fed(m.currency(), m.agent(), m.provider()));
          lockIds.add(op.id);
        } else if (r != null) {
          t = Sql.micros(r.at());
        } else {
          continue; // unknown: answered without touching anything
        }
      }
      minT = minT == null || t.isBefore(minT) ? t : minT;
      maxT = maxT == null || t.isAfter(maxT) ? t : maxT;
    }

    // 2. locks, in the one order, and the locked rows: one round trip
    Map<TotalKey, Total> totals = new TreeMap<>();
    Map<String, Row> state = new HashMap<>();
    if (!lockIds.isEmpty()) {
      lockAndRead(c, buckets, minT, maxT, lockIds, totals, state);
    }
    for (Row r : state.values()) {
      remember(r);
    }

    // 3. decisions, in arrival order
    Map<Op, Object> results = new HashMap<>();
    Map<String, Row> created = new LinkedHashMap<>();
    Set<Row> changed = new LinkedHashSet<>();
    for (Op op : ops) {
      Object result;
      try {
        result = switch (op.kind) {
          case RESERVE -> reserve(Objects.requireNonNull(op.request), state, totals, created);
          case COMMIT -> settle(op, state, totals, changed, created);
          case RELEASE, RECONCILE -> settle(op, state, totals, changed, created);
          case UNCERTAIN -> uncertain(op, state, totals, changed, created);
          case EXPIRE -> expire(op, state, totals, changed);
        };
      } catch (PolicyViolationException | InvalidRequestException e) {
        result = e;
      }
      results.put(op, result);
    }

    // 4. writes: one round trip
    changed.removeAll(created.values());
    List<Total> dirty = new ArrayList<>();
    for (Total t : totals.values()) {
      if (t.dirty) {
        dirty.add(t);
      }
    }
    beforeCommit.run(); // the host may form its next batch now: it will find the lock released soon
    write(c, created.values(), changed, dirty, Instant.now());
    for (Row r : created.values()) {
      remember(r);
    }
    return results;
  }

  private static Reservation reserve(ReservationRequest r, Map<String, Row> state, Map<TotalKey, Total> totals,
      Map<String, Row> created) throws Again {
    Row existing = state.get(r.id());
    if (existing != null) {
      return existing.reservation();
    }
    Instant at = Sql.micros(r.at());
    List<LimitUsage> before = new ArrayList<>(r.limits().size());
    for (SpendLimit l : r.limits()) {
      String label = l.bucket(r.agent(), r.provider());
      TotalKey k = limitTotal(l, r);
      if (k == null) {
        before.add(new LimitUsage(l, label, l.interval().windowAt(at, r.zone()), Money.zero(l.amount().currency())));
        continue;
      }
      Total t = totals.get(k);
      if (t == null) {
        throw new Again(k); // made after we looked, or never: make it and start again
      }
      before.add(new LimitUsage(l, label, k.window(), Money.ofMinor(Math.addExact(t.held, t.committed),
          l.amount().currency())));
    }
    List<LimitUsage> after = SpendLedgerRules.admit(r, before);
    Row row = new Row(r.id(), r.agent(), r.provider(), r.amount().currencyCode(),
        r.run() == null ? null : r.run().value(), r.step() == null ? null : r.step().value(), r.amount().minorUnits(),
        null, Reservation.Status.RESERVED, true, at, Sql.micros(r.expiresAt()), SpendPolicyCodec.usagesToJson(after),
        r.description());
    state.put(row.id, row);
    created.put(row.id, row);
    apply(row, totals, row.amount, 0);
    return row.reservation();
  }

  private static Reservation settle(Op op, Map<String, Row> state, Map<TotalKey, Total> totals, Set<Row> changed,
      Map<String, Row> created) {
    Row row = state.get(op.id);
    if (row == null) {
      throw new InvalidRequestException("reservationId", "no reservation '" + op.id + "'",
          "reserve before you commit or release");
    }
    Reservation before = row.reservation();
    Reservation after = switch (op.kind) {
      case COMMIT -> SpendLedgerRules.commit(before, Objects.requireNonNull(op.actual), x -> x);
      case RECONCILE -> SpendLedgerRules.reconcile(before, Objects.requireNonNull(op.actual), x -> x);
      default -> SpendLedgerRules.release(before, x -> x);
    };
    if (after == before) {
      return before; // already so: nothing changes
    }
    long heldBefore = row.heldCounted();
    long committedBefore = row.committedCounted();
    row.settle(after);
    apply(row, totals, -heldBefore, row.committedCounted() - committedBefore);
    if (!created.containsKey(row.id)) {
      changed.add(row);
    }
    return after;
  }

  /**
   * Marks the reservation uncertain: from now on it counts as held in full (again, if its expiry had
   * reaped it), and {@link #expire} passes it by, since it is no longer {@code RESERVED}.
   */
  private static Reservation uncertain(Op op, Map<String, Row> state, Map<TotalKey, Total> totals, Set<Row> changed,
      Map<String, Row> created) {
    Row row = state.get(op.id);
    if (row == null) {
      throw new InvalidRequestException("reservationId", "no reservation '" + op.id + "'",
          "reserve before you mark a reservation uncertain");
    }
    Reservation before = row.reservation();
    Reservation after = SpendLedgerRules.markUncertain(before, x -> x);
    if (after == before) {
      return before;
    }
    row.status = after.status();
    if (!row.held) {
      row.held = true;
      apply(row, totals, row.amount, 0);
    }
    if (!created.containsKey(row.id)) {
      changed.add(row);
    }
    return after;
  }

  private static Boolean expire(Op op, Map<String, Row> state, Map<TotalKey, Total> totals, Set<Row> changed) {
    Row row = state.get(op.id);
    // Only a held RESERVED reservation expires: any other status (committed, released, or one whose
    // paid call has an unknown outcome) keeps what it counts.
    if (row == null || !row.held || row.status != Reservation.Status.RESERVED
        || Objects.requireNonNull(op.now).isBefore(row.expiresAt)) {
      return Boolean.FALSE;
    }
    row.held = false;
    apply(row, totals, -row.amount, 0);
    changed.add(row);
    return Boolean.TRUE;
  }

  /** Adds the deltas to every locked total of {@code row}'s four buckets whose window contains its creation. */
  private static void apply(Row row, Map<TotalKey, Total> totals, long heldDelta, long committedDelta) {
    if (heldDelta == 0 && committedDelta == 0) {
      return;
    }
    List<BucketKey> fed = BucketKey.fed(java.util.Currency.getInstance(row.currency), row.agent, row.provider);
    for (Total t : totals.values()) {
      if (fed.contains(t.key.bucket()) && t.key.window().contains(row.createdAt)) {
        t.held = Math.addExact(t.held, heldDelta);
        t.committed = Math.addExact(t.committed, committedDelta);
        t.dirty = true;
      }
    }
  }

  // ---- statements -------------------------------------------------------------------------------
  // Each step sends its statements together (pgjdbc runs a string of statements, with their
  // parameters, in one round trip and returns their results in order), so that a transaction costs
  // two round trips and its commit, and the totals' rows stay locked for little more than that.

  /**
   * Starts each transaction's first round trip. Every statement of a ledger transaction reads a few
   * rows by key. pgjdbc prepares a statement on the server after a few uses, and PostgreSQL may
   * then keep one generic plan for it, made while the tables were small: a sequential scan of the
   * reservations for {@code id = ANY(?)}, whose cost grows with every reservation made until the
   * next ANALYZE replans it (measured: two thousand rows read per batch twenty seconds into a
   * benchmark). Without sequential scans the kept plans use the keys' indexes, and are still
   * reused without planning each batch (forcing custom plans instead cost a planning per statement).
   */
  private static final String INDEX_PLANS = "SET LOCAL enable_seqscan = off;\n";

  private static Array textArray(Connection c, Collection<String> values) throws SQLException {
    return c.createArrayOf("text", values.toArray(new String[0]));
  }

  /**
   * In one round trip: shared advisory locks on {@code buckets} (in their order, in one statement
   * evaluated left to right); {@code FOR UPDATE} on every total of those buckets whose window may
   * contain an instant in [minT, maxT], ordered by key, read into {@code totals}; then {@code FOR
   * UPDATE} on the reservation rows of {@code ids} that exist, by id, read into {@code rows}.
   */
  private static void lockAndRead(Connection c, TreeSet<BucketKey> buckets, @Nullable Instant minT,
      @Nullable Instant maxT, Collection<String> ids, Map<TotalKey, Total> totals, Map<String, Row> rows)
      throws SQLException {
    List<Integer> keys = new ArrayList<>();
    for (BucketKey b : buckets) {
      int k = b.lockKey();
      if (keys.isEmpty() || keys.get(keys.size() - 1) != k) {
        keys.add(k); // two buckets sharing a hash share a lock
      }
    }
    boolean lockTotals = !keys.isEmpty() && minT != null && maxT != null;
    StringBuilder sql = new StringBuilder(INDEX_PLANS);
    if (lockTotals) {
      sql.append("SELECT ");
      for (int i = 0; i < keys.size(); i++) {
        sql.append(i == 0 ? "" : ", ").append("pg_advisory_xact_lock_shared(").append(BucketKey.LOCK_CLASS)
            .append(", ?)");
      }
      sql.append(";\n");
      sql.append("SELECT t.currency, t.agent, t.provider, t.calendar, t.window_start, t.window_end, t.held,"
          + " t.committed FROM ap_spend_total t"
          + " JOIN unnest(?::text[], ?::text[], ?::text[]) AS b(currency, agent, provider)"
          + " ON t.currency = b.currency AND t.agent = b.agent AND t.provider = b.provider"
          + " WHERE t.window_end > ?::timestamptz AND t.window_start <= ?::timestamptz"
          + " ORDER BY t.currency, t.agent, t.provider, t.calendar, t.window_start FOR UPDATE OF t;\n");
    }
    sql.append("SELECT ").append(LedgerRows.COLUMNS)
        .append(" FROM ap_spend_reservation WHERE id = ANY(?) ORDER BY id FOR UPDATE");
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int p = 1;
      if (lockTotals) {
        for (int k : keys) {
          ps.setInt(p++, k);
        }
        List<String> cur = new ArrayList<>();
        List<String> agents = new ArrayList<>();
        List<String> providers = new ArrayList<>();
        for (BucketKey b : buckets) {
          cur.add(b.currency());
          agents.add(b.agent());
          providers.add(b.provider());
        }
        ps.setArray(p++, textArray(c, cur));
        ps.setArray(p++, textArray(c, agents));
        ps.setArray(p++, textArray(c, providers));
        ps.setString(p++, Sql.ts(Objects.requireNonNull(minT)));
        ps.setString(p++, Sql.ts(Objects.requireNonNull(maxT)));
      }
      ps.setArray(p, textArray(c, ids));
      int result = lockTotals ? 0 : 2; // 0: the advisory locks, 1: the totals, 2: the rows (SET has none)
      for (boolean isRs = ps.execute(); isRs || ps.getUpdateCount() != -1; isRs = ps.getMoreResults()) {
        if (!isRs) {
          continue;
        }
        try (ResultSet rs = ps.getResultSet()) {
          if (result == 1) {
            while (rs.next()) {
              TotalKey k = new TotalKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                  new SpendInterval.Window(Sql.instant(rs, "window_start"), Sql.instant(rs, "window_end")));
              totals.put(k, new Total(k, rs.getLong(7), rs.getLong(8)));
            }
          } else if (result == 2) {
            while (rs.next()) {
              Row r = Row.read(rs);
              rows.put(r.id, r);
            }
          }
        }
        result++;
      }
    }
  }

  /**
   * In one round trip: inserts {@code created}, updates {@code changed}, writes the {@code dirty}
   * totals back, and commits. When one statement fails the server skips the rest, the commit
   * among them, so nothing is committed unless everything was written. Throws {@link Again} when
   * another host made a reservation of one of the same ids meanwhile (nothing was committed; the
   * batch starts again and answers with that reservation), and {@link CommitUncertain} when the
   * connection was lost, since the commit may or may not have happened.
   */
  private static void write(Connection c, Collection<Row> created, Collection<Row> changed, List<Total> dirty,
      Instant now) throws SQLException, Again, CommitUncertain {
    StringBuilder sql = new StringBuilder();
    if (!created.isEmpty()) {
      sql.append("INSERT INTO ap_spend_reservation (id, agent, provider, currency, run_id, step_id, amount, committed,"
          + " status, held, created_at, expires_at, usage, description, updated_at)"
          + " SELECT u.id, u.agent, u.provider, u.currency, u.run_id, u.step_id, u.amount, u.committed, u.status,"
          + " u.held, u.created_at::timestamptz, u.expires_at::timestamptz, u.usage, u.description, ?::timestamptz"
          + " FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[],"
          + " ?::text[], ?::boolean[], ?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY"
          + " AS u(id, agent, provider, currency, run_id, step_id, amount, committed, status, held, created_at,"
          + " expires_at, usage, description, n) ORDER BY u.n;\n");
    }
    if (!changed.isEmpty()) {
      sql.append("UPDATE ap_spend_reservation r SET status = u.status, committed = u.committed, held = u.held,"
          + " updated_at = ?::timestamptz"
          + " FROM unnest(?::text[], ?::text[], ?::bigint[], ?::boolean[]) AS u(id, status, committed, held)"
          + " WHERE r.id = u.id;\n");
    }
    if (!dirty.isEmpty()) {
      sql.append("UPDATE ap_spend_total t SET held = u.held, committed = u.committed"
          + " FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])"
          + " AS u(currency, agent, provider, calendar, window_start, held, committed)"
          + " WHERE t.currency = u.currency AND t.agent = u.agent AND t.provider = u.provider"
          + " AND t.calendar = u.calendar AND t.window_start = u.window_start::timestamptz;\n");
    }
    sql.append("COMMIT");
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int p = 1;
      if (!created.isEmpty()) {
        int n = created.size();
        String[][] text = new String[12][n];
        Long[] amount = new Long[n];
        Long[] committed = new Long[n];
        Boolean[] held = new Boolean[n];
        int i = 0;
        for (Row r : created) {
          text[0][i] = r.id;
          text[1][i] = r.agent.value();
          text[2][i] = r.provider;
          text[3][i] = r.currency;
          text[4][i] = r.run;
          text[5][i] = r.step;
          text[6][i] = r.status.name();
          text[7][i] = Sql.ts(r.createdAt);
          text[8][i] = Sql.ts(r.expiresAt);
          text[9][i] = r.usage;
          text[10][i] = r.description;
          amount[i] = r.amount;
          committed[i] = r.committed;
          held[i] = r.held;
          i++;
        }
        ps.setString(p++, Sql.ts(now));
        for (int col = 0; col < 6; col++) {
          ps.setArray(p++, c.createArrayOf("text", text[col]));
        }
        ps.setArray(p++, c.createArrayOf("bigint", amount));
        ps.setArray(p++, c.createArrayOf("bigint", committed));
        ps.setArray(p++, c.createArrayOf("text", text[6]));
        ps.setArray(p++, c.createArrayOf("boolean", held));
        for (int col = 7; col < 11; col++) {
          ps.setArray(p++, c.createArrayOf("text", text[col]));
        }
      }
      if (!changed.isEmpty()) {
        int n = changed.size();
        String[] ids = new String[n];
        String[] status = new String[n];
        Long[] committed = new Long[n];
        Boolean[] held = new Boolean[n];
        int i = 0;
        for (Row r : changed) {
          ids[i] = r.id;
          status[i] = r.status.name();
          committed[i] = r.committed;
          held[i] = r.held;
          i++;
        }
        ps.setString(p++, Sql.ts(now));
        ps.setArray(p++, c.createArrayOf("text", ids));
        ps.setArray(p++, c.createArrayOf("text", status));
        ps.setArray(p++, c.createArrayOf("bigint", committed));
        ps.setArray(p++, c.createArrayOf("boolean", held));
      }
      if (!dirty.isEmpty()) {
        int n = dirty.size();
        String[][] text = new String[5][n];
        Long[] held = new Long[n];
        Long[] committed = new Long[n];
        for (int i = 0; i < n; i++) {
          TotalKey k = dirty.get(i).key;
          text[0][i] = k.currency();
          text[1][i] = k.agent();
          text[2][i] = k.provider();
          text[3][i] = k.calendar();
          text[4][i] = Sql.ts(k.window().start());
          held[i] = dirty.get(i).held;
          committed[i] = dirty.get(i).committed;
        }
        for (int col = 0; col < 5; col++) {
          ps.setArray(p++, c.createArrayOf("text", text[col]));
        }
        ps.setArray(p++, c.createArrayOf("bigint", held));
        ps.setArray(p, c.createArrayOf("bigint", committed));
      }
      for (boolean isRs = ps.execute(); isRs || ps.getUpdateCount() != -1; isRs = ps.getMoreResults()) {
        // drains the results, so that a failing statement fails here
      }
    } catch (SQLException e) {
      if (Sql.connectionLost(e)) {
        throw new CommitUncertain(e); // the commit may have happened
      }
      if ("23505".equals(e.getSQLState())) {
        // another host reserved one of the same ids meanwhile: nothing was committed; the batch
        // starts again and answers with that reservation
        throw new Again(null);
      }
      throw e;
    }
  }

  @Override
  public String toString() {
    return "LedgerBatch{" + where + ", known totals " + known.size() + "}";
  }
}
