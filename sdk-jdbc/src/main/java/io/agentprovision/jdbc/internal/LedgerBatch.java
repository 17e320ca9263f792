package io.agentprovision.jdbc.internal;

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
    int attempts = 0;
    boolean uncertainRetried = false;
    while (true) {
      attempts++;
      try {
        ensureTotals(limitTotals(ops));
        Map<Op, Object> results = transact(ops);
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

  private Map<Op, Object> transact(List<Op> ops) throws SQLException, Again, CommitUncertain {
    try (Connection c = ds.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        Map<Op, Object> results = decideAndWrite(c, ops);
        try {
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

  private Map<Op, Object> decideAndWrite(Connection c, List<Op> ops) throws SQLException, Again {
    // 1. what the batch touches: the rows it settles (read without a lock: their buckets and times
    //    never change), and for every operation the buckets and the instant whose totals it needs
    Set<String> ids = new LinkedHashSet<>();
    for (Op op : ops) {
      ids.add(op.id);
    }
    Map<String, Row> rows = new HashMap<>();
    for (Row r : LedgerRows.rows(c, "WHERE id = ANY(?)", textArray(c, ids))) {
      rows.put(r.id, r);
    }
    Map<String, ReservationRequest> reservedHere = new HashMap<>();
    TreeSet<BucketKey> buckets = new TreeSet<>(java.util.Comparator.comparing(BucketKey::lockKey)
        .thenComparing(BucketKey::currency).thenComparing(BucketKey::agent).thenComparing(BucketKey::provider));
    Instant minT = null;
    Instant maxT = null;
    TreeSet<String> settled = new TreeSet<>();
    for (Op op : ops) {
      Instant t;
      if (op.kind == Op.Kind.RESERVE) {
        ReservationRequest r = Objects.requireNonNull(op.request);
        if (rows.containsKey(op.id) || reservedHere.containsKey(op.id)) {
          continue;
        }
        reservedHere.put(op.id, r);
        t = Sql.micros(r.at());
        buckets.addAll(BucketKey.fed(r.amount().currency(), r.agent(), r.provider()));
        for (SpendLimit l : r.limits()) {
          TotalKey k = limitTotal(l, r);
          if (k != null) {
            buckets.add(k.bucket());
          }
        }
      } else {
        Row row = rows.get(op.id);
        ReservationRequest r = reservedHere.get(op.id);
        if (row != null) {
          t = row.createdAt;
          buckets.addAll(BucketKey.fed(java.util.Currency.getInstance(row.currency), row.agent, row.provider));
          settled.add(op.id);
        } else if (r != null) {
          t = Sql.micros(r.at());
        } else {
          continue; // unknown: answered without touching anything
        }
      }
      minT = minT == null || t.isBefore(minT) ? t : minT;
      maxT = maxT == null || t.isAfter(maxT) ? t : maxT;
    }

    // 2. locks, in the one order
    Map<TotalKey, Total> totals = new TreeMap<>();
    if (!buckets.isEmpty() && minT != null && maxT != null) {
      lockBuckets(c, buckets);
      totals = lockTotals(c, buckets, minT, maxT);
    }
    if (!settled.isEmpty()) {
      for (Row r : LedgerRows.rows(c, "WHERE id = ANY(?) ORDER BY id FOR UPDATE", textArray(c, settled))) {
        rows.put(r.id, r);
      }
    }

    // 3. decisions, in arrival order
    Map<Op, Object> results = new HashMap<>();
    Map<String, Row> created = new LinkedHashMap<>();
    Set<Row> changed = new LinkedHashSet<>();
    Map<String, Row> state = new HashMap<>(rows);
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

    // 4. writes
    Instant now = Instant.now();
    if (!created.isEmpty()) {
      insert(c, created.values(), now);
    }
    changed.removeAll(created.values());
    if (!changed.isEmpty()) {
      update(c, changed, now);
    }
    List<Total> dirty = new ArrayList<>();
    for (Total t : totals.values()) {
      if (t.dirty) {
        dirty.add(t);
      }
    }
    if (!dirty.isEmpty()) {
      writeTotals(c, dirty);
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

  private static Array textArray(Connection c, Collection<String> values) throws SQLException {
    return c.createArrayOf("text", values.toArray(new String[0]));
  }

  /** Shared advisory locks on {@code buckets}, in their order, in one statement evaluated left to right. */
  private static void lockBuckets(Connection c, TreeSet<BucketKey> buckets) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT ");
    int n = 0;
    int last = Integer.MIN_VALUE;
    List<Integer> keys = new ArrayList<>();
    for (BucketKey b : buckets) {
      int k = b.lockKey();
      if (n > 0 && k == last) {
        continue; // two buckets sharing a hash share a lock
      }
      if (n > 0) {
        sql.append(", ");
      }
      sql.append("pg_advisory_xact_lock_shared(").append(BucketKey.LOCK_CLASS).append(", ?)");
      keys.add(k);
      last = k;
      n++;
    }
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < keys.size(); i++) {
        ps.setInt(i + 1, keys.get(i));
      }
      ps.executeQuery().close();
    }
  }

  /** Locks and reads every total of {@code buckets} whose window may contain an instant in [minT, maxT]. */
  private static Map<TotalKey, Total> lockTotals(Connection c, Collection<BucketKey> buckets, Instant minT,
      Instant maxT) throws SQLException {
    List<String> cur = new ArrayList<>();
    List<String> agents = new ArrayList<>();
    List<String> providers = new ArrayList<>();
    for (BucketKey b : buckets) {
      cur.add(b.currency());
      agents.add(b.agent());
      providers.add(b.provider());
    }
    Map<TotalKey, Total> out = new TreeMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT t.currency, t.agent, t.provider, t.calendar,"
        + " t.window_start, t.window_end, t.held, t.committed FROM ap_spend_total t"
        + " JOIN unnest(?::text[], ?::text[], ?::text[]) AS b(currency, agent, provider)"
        + " ON t.currency = b.currency AND t.agent = b.agent AND t.provider = b.provider"
        + " WHERE t.window_end > ?::timestamptz AND t.window_start <= ?::timestamptz"
        + " ORDER BY t.currency, t.agent, t.provider, t.calendar, t.window_start FOR UPDATE OF t")) {
      ps.setArray(1, c.createArrayOf("text", cur.toArray(new String[0])));
      ps.setArray(2, c.createArrayOf("text", agents.toArray(new String[0])));
      ps.setArray(3, c.createArrayOf("text", providers.toArray(new String[0])));
      ps.setString(4, Sql.ts(minT));
      ps.setString(5, Sql.ts(maxT));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          TotalKey k = new TotalKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
              new SpendInterval.Window(Sql.instant(rs, "window_start"), Sql.instant(rs, "window_end")));
          out.put(k, new Total(k, rs.getLong(7), rs.getLong(8)));
        }
      }
    }
    return out;
  }

  private static void insert(Connection c, Collection<Row> rows, Instant now) throws SQLException, Again {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO ap_spend_reservation (id, agent, provider, currency,"
        + " run_id, step_id, amount, committed, status, held, created_at, expires_at, usage, description, updated_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, ?, ?, ?::timestamptz)"
        + " ON CONFLICT (id) DO NOTHING")) {
      for (Row r : rows) {
        ps.setString(1, r.id);
        ps.setString(2, r.agent.value());
        ps.setString(3, r.provider);
        ps.setString(4, r.currency);
        ps.setString(5, r.run);
        ps.setString(6, r.step);
        ps.setLong(7, r.amount);
        if (r.committed == null) {
          ps.setNull(8, java.sql.Types.BIGINT);
        } else {
          ps.setLong(8, r.committed);
        }
        ps.setString(9, r.status.name());
        ps.setBoolean(10, r.held);
        ps.setString(11, Sql.ts(r.createdAt));
        ps.setString(12, Sql.ts(r.expiresAt));
        ps.setString(13, r.usage);
        ps.setString(14, r.description);
        ps.setString(15, Sql.ts(now));
        ps.addBatch();
      }
      for (int n : ps.executeBatch()) {
        if (n == 0) {
          throw new Again(null); // another host reserved the same id meanwhile: answer with its reservation
        }
      }
    }
  }

  private static void update(Connection c, Collection<Row> rows, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE ap_spend_reservation SET status = ?, committed = ?,"
        + " held = ?, updated_at = ?::timestamptz WHERE id = ?")) {
      for (Row r : rows) {
        ps.setString(1, r.status.name());
        if (r.committed == null) {
          ps.setNull(2, java.sql.Types.BIGINT);
        } else {
          ps.setLong(2, r.committed);
        }
        ps.setBoolean(3, r.held);
        ps.setString(4, Sql.ts(now));
        ps.setString(5, r.id);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void writeTotals(Connection c, List<Total> totals) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE ap_spend_total SET held = ?, committed = ?"
        + " WHERE currency = ? AND agent = ? AND provider = ? AND calendar = ? AND window_start = ?::timestamptz")) {
      for (Total t : totals) {
        ps.setLong(1, t.held);
        ps.setLong(2, t.committed);
        t.key.bind(ps, 3);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  @Override
  public String toString() {
    return "LedgerBatch{" + where + ", known totals " + known.size() + "}";
  }
}
