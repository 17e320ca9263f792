package io.agentprovision.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;

/** Conversions and classifications every JDBC store shares. */
public final class Sql {
  /** PostgreSQL's timestamptz range, rounded inwards: instants beyond it are kept as ±infinity. */
  private static final Instant MIN = Instant.parse("-4000-01-01T00:00:00Z");
  private static final Instant MAX = Instant.parse("+200000-01-01T00:00:00Z");

  private Sql() {}

  /**
   * {@code t} as timestamptz text: kept to the microsecond (PostgreSQL's precision; truncated, never
   * rounded, so an instant never moves into the next window), and ±infinity beyond the range.
   */
  public static String ts(Instant t) {
    if (t.isBefore(MIN)) {
      return "-infinity";
    }
    if (t.isAfter(MAX)) {
      return "infinity";
    }
    return micros(t).toString();
  }

  /** {@code t} truncated to the microsecond, as the database keeps it. */
  public static Instant micros(Instant t) {
    return t.truncatedTo(ChronoUnit.MICROS);
  }

  /** The instant in column {@code column}; ±infinity reads as {@link Instant#MIN} / {@link Instant#MAX}. */
  public static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    if (t == null) {
      throw new SQLException("column " + column + " is null");
    }
    if (t.equals(OffsetDateTime.MAX)) {
      return Instant.MAX;
    }
    if (t.equals(OffsetDateTime.MIN)) {
      return Instant.MIN;
    }
    return t.toInstant();
  }

  /** The nullable instant in column {@code column}. */
  public static @Nullable Instant instantOrNull(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : instant(rs, column);
  }

  /** The nullable long in column {@code column}. */
  public static @Nullable Long longOrNull(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }

  /** Whether {@code e} means the connection is gone (the server ended it, the network broke). */
  public static boolean connectionLost(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P"))) {
        return true;
      }
      if (t instanceof java.net.SocketException || t instanceof java.io.EOFException) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code e} is a deadlock or serialization failure, after which the transaction may be run again. */
  public static boolean retryable(SQLException e) {
    String state = e.getSQLState();
    return "40001".equals(state) || "40P01".equals(state);
  }

  /**
   * The failure a store's caller sees for {@code e}: {@code CONNECTION} (retryable) when the
   * connection was lost, else {@code DATABASE}; {@code what} is what was being done ("save run x").
   */
  public static io.agentprovision.jdbc.JdbcStoreException failure(SQLException e, String where, String what) {
    return connectionLost(e)
        ? new io.agentprovision.jdbc.JdbcStoreException(io.agentprovision.jdbc.JdbcStoreException.Reason.CONNECTION,
            "lost the connection to " + where + " while trying to " + what + " (" + e.getMessage() + "): try again", e)
        : new io.agentprovision.jdbc.JdbcStoreException(io.agentprovision.jdbc.JdbcStoreException.Reason.DATABASE,
            "the database " + where + " refused to " + what + " (" + e.getSQLState() + ": " + e.getMessage() + ")", e);
  }

  /** Runs {@code sql} with {@code args} and returns the update count. */
  public static int update(Connection c, String sql, @Nullable Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      return ps.executeUpdate();
    }
  }

  /** Binds {@code args} in order; {@code null} binds SQL NULL of type text. */
  public static void bind(PreparedStatement ps, @Nullable Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      Object a = args[i];
      if (a == null) {
        ps.setNull(i + 1, java.sql.Types.VARCHAR);
      } else if (a instanceof Instant t) {
        ps.setString(i + 1, ts(t));
      } else {
        ps.setObject(i + 1, a);
      }
    }
  }
}
