package io.agentprovision.jdbc;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.policy.VelocityRequest;
import io.agentprovision.core.spi.VelocityStore;
import io.agentprovision.jdbc.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * {@link VelocityStore} on PostgreSQL: what agents create, counted against rolling-window
 * {@link VelocityLimit}s once for every host sharing the database, and kept across restarts.
 *
 * <p>An admission locks the rows of the buckets it is judged in ({@code ap_velocity_bucket},
 * {@code SELECT ... FOR UPDATE} in key order, so transactions never deadlock), counts each bucket's
 * actions in the window, and writes the action and its entries in the same transaction: a second
 * host admitting into the same bucket waits for the first to commit and then counts its action. As
 * for the spend ledger, a queue on a row lock admits each waiter at its first try, where
 * SERIALIZABLE would send most concurrent admissions to one hot bucket back to start again. A
 * refused action writes nothing; an id admitted before is admitted again without counting twice.
 */
public final class JdbcVelocityStore implements VelocityStore {
  private final DataSource ds;
  private final String where;

  JdbcVelocityStore(DataSource ds, String where) {
    this.ds = ds;
    this.where = where;
  }

  @Override
  public void record(VelocityRequest request) {
    Objects.requireNonNull(request, "request");
    TreeSet<String> keys = new TreeSet<>();
    for (VelocityLimit limit : request.limits()) {
      String bucket = limit.action() == request.action() ? limit.bucket(request.agent(), request.principal()) : null;
      if (bucket != null) {
        keys.add(key(limit, bucket));
      }
    }
    String what = "count " + request.action() + " " + request.id();
    try (Connection c = ds.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        admit(c, request, keys);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    } catch (SQLException e) {
      throw Sql.failure(e, where, what);
    }
  }

  private void admit(Connection c, VelocityRequest request, TreeSet<String> keys) throws SQLException {
    if (!keys.isEmpty()) {
      for (String k : keys) {
        Sql.update(c, "INSERT INTO ap_velocity_bucket (bucket) VALUES (?) ON CONFLICT DO NOTHING", k);
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT bucket FROM ap_velocity_bucket WHERE bucket = ANY (?) ORDER BY bucket FOR UPDATE")) {
        ps.setArray(1, c.createArrayOf("text", keys.toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            // locked
          }
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM ap_velocity_action WHERE id = ?")) {
      ps.setString(1, request.id());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return; // counted before: admitted again, not counted twice
        }
      }
    }
    for (VelocityLimit limit : request.limits()) {
      String bucket = limit.action() == request.action() ? limit.bucket(request.agent(), request.principal()) : null;
      if (bucket == null) {
        continue;
      }
      List<Instant> inWindow = inWindow(c, key(limit, bucket), limit, request.at());
      if (inWindow.size() + 1 > limit.max()) {
        Instant next = inWindow.isEmpty() ? null
            : inWindow.get(inWindow.size() - limit.max()).plus(limit.window());
        throw new VelocityLimitException(request.action(), limit.key(), bucket, inWindow.size(), limit.max(),
            limit.max() == 0 ? null : next);
      }
    }
    Sql.update(c, "INSERT INTO ap_velocity_action (id, counted_at) VALUES (?, ?::timestamptz) ON CONFLICT DO NOTHING",
        request.id(), request.at());
    for (String k : keys) {
      Sql.update(c, "INSERT INTO ap_velocity_entry (bucket, counted_at, id) VALUES (?, ?::timestamptz, ?)"
          + " ON CONFLICT DO NOTHING", k, request.at(), request.id());
    }
  }

  @Override
  public void release(String id) {
    Objects.requireNonNull(id, "id");
    try (Connection c = ds.getConnection()) {
      Sql.update(c, "DELETE FROM ap_velocity_action WHERE id = ?", id);
    } catch (SQLException e) {
      throw Sql.failure(e, where, "release velocity count " + id);
    }
  }

  @Override
  public int count(VelocityLimit limit, AgentId agent, @Nullable String principal, Instant at) {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(at, "at");
    String bucket = limit.bucket(agent, principal);
    if (bucket == null) {
      return 0;
    }
    try (Connection c = ds.getConnection()) {
      return inWindow(c, key(limit, bucket), limit, at).size();
    } catch (SQLException e) {
      throw Sql.failure(e, where, "count " + limit.key());
    }
  }

  @Override
  public String toString() {
    return "JdbcVelocityStore{" + where + "}";
  }

  /** The times of the bucket's actions in the window {@code (at - window, at]}, oldest first. */
  private static List<Instant> inWindow(Connection c, String key, VelocityLimit limit, Instant at) throws SQLException {
    List<Instant> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT counted_at FROM ap_velocity_entry WHERE bucket = ?"
        + " AND counted_at > ?::timestamptz AND counted_at <= ?::timestamptz ORDER BY counted_at")) {
      Sql.bind(ps, key, at.minus(limit.window()), at);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Sql.instant(rs, "counted_at"));
        }
      }
    }
    return out;
  }

  /** One bucket per action and scope, as the in-memory store keys them. */
  private static String key(VelocityLimit limit, String bucket) {
    return limit.action().name() + "|" + bucket;
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
