package io.agentprovision.jdbc.internal;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendPolicyCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** A reservation as its row holds it, and the queries that read rows. */
public final class LedgerRows {
  static final String COLUMNS = "id, agent, provider, currency, run_id, step_id, amount, committed, status, held,"
      + " created_at, expires_at, usage, description";

  private LedgerRows() {}

  /** The reservations of rows matching {@code where} (a WHERE clause and its ORDER BY). */
  public static List<Reservation> select(Connection c, String where, @Nullable Object... args) throws SQLException {
    List<Reservation> out = new ArrayList<>();
    for (Row r : rows(c, where, args)) {
      out.add(r.reservation());
    }
    return out;
  }

  static List<Row> rows(Connection c, String where, @Nullable Object... args) throws SQLException {
    List<Row> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM ap_spend_reservation " + where)) {
      Sql.bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Row.read(rs));
        }
      }
    }
    return out;
  }

  /** One reservation row, changed in memory while a batch decides, then written back. */
  static final class Row {
    final String id;
    final AgentId agent;
    final String provider;
    final String currency;
    final @Nullable String run;
    final @Nullable String step;
    final long amount;
    @Nullable Long committed;
    Reservation.Status status;
    boolean held;
    final Instant createdAt;
    final Instant expiresAt;
    final String usage;
    final String description;

    Row(String id, AgentId agent, String provider, String currency, @Nullable String run, @Nullable String step,
        long amount, @Nullable Long committed, Reservation.Status status, boolean held, Instant createdAt,
        Instant expiresAt, String usage, String description) {
      this.id = id;
      this.agent = agent;
      this.provider = provider;
      this.currency = currency;
      this.run = run;
      this.step = step;
      this.amount = amount;
      this.committed = committed;
      this.status = status;
      this.held = held;
      this.createdAt = createdAt;
      this.expiresAt = expiresAt;
      this.usage = usage;
      this.description = description;
    }

    static Row read(ResultSet rs) throws SQLException {
      return new Row(rs.getString("id"), AgentId.of(rs.getString("agent")), rs.getString("provider"),
          rs.getString("currency"), rs.getString("run_id"), rs.getString("step_id"), rs.getLong("amount"),
          Sql.longOrNull(rs, "committed"), Reservation.Status.valueOf(rs.getString("status")), rs.getBoolean("held"),
          Sql.instant(rs, "created_at"), Sql.instant(rs, "expires_at"), rs.getString("usage"),
          rs.getString("description"));
    }

    /** What it counts as committed in the totals. */
    long committedCounted() {
      return status == Reservation.Status.COMMITTED && committed != null ? committed : 0;
    }

    /** What it counts as held in the totals. */
    long heldCounted() {
      return held ? amount : 0;
    }

    Reservation reservation() {
      return new Reservation(id, agent, provider, run == null ? null : RunId.of(run), step == null ? null : StepId.of(step),
          Money.ofMinor(amount, currency), committed == null ? null : Money.ofMinor(committed, currency), status,
          createdAt, expiresAt, SpendPolicyCodec.usagesFromJson(usage), description);
    }

    /** Takes the settled state of {@code r} (status and committed amount). */
    void settle(Reservation r) {
      Objects.requireNonNull(r, "r");
      this.status = r.status();
      this.committed = r.committed() == null ? null : r.committed().minorUnits();
      this.held = false;
    }
  }
}
