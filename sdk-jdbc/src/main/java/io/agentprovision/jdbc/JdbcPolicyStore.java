package io.agentprovision.jdbc;

import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.SpendPolicyCodec;
import io.agentprovision.core.spi.PolicyStore;
import io.agentprovision.jdbc.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * {@link PolicyStore} in PostgreSQL: every change of the spend policy is a row of
 * {@code ap_policy_change} (version, the policy before and after as {@link SpendPolicyCodec}
 * documents, who asked, who approved, why, when); the highest version is the policy in force, read
 * by every host on every question, so a change made on one host applies on all of them at once and
 * a restarted host finds it. A change is stored only if it follows the latest version (the
 * version is the primary key: of two hosts changing the same version, one insert wins).
 *
 * <p>The policy in force is read with one indexed query per question and parsed only when its
 * version changed. Thread-safe. Made by {@link JdbcStores#policies()}.
 */
public final class JdbcPolicyStore implements PolicyStore {
  private static final String COLUMNS = "version, before_policy, after_policy, changed_by, approved_by, reason,"
      + " changed_at";

  private final DataSource ds;
  private final String where;
  /** The last change read, so that an unchanged policy is not parsed again. */
  private volatile Optional<PolicyChange> last = Optional.empty();

  JdbcPolicyStore(DataSource ds, String where) {
    this.ds = ds;
    this.where = where;
  }

  @Override
  public Optional<PolicyChange> current() {
    return read("read the spend policy", c -> {
      List<PolicyChange> latest = select(c, "ORDER BY version DESC LIMIT 1", last);
      Optional<PolicyChange> out = latest.isEmpty() ? Optional.empty() : Optional.of(latest.get(0));
      last = out;
      return out;
    });
  }

  @Override
  public boolean append(PolicyChange change) {
    Objects.requireNonNull(change, "change");
    return read("store a spend policy change", c -> Sql.update(c, "INSERT INTO ap_policy_change (" + COLUMNS + ")"
        + " SELECT ?, ?, ?, ?, ?, ?, ?::timestamptz"
        + " WHERE (SELECT coalesce(max(version), 0) FROM ap_policy_change) = ?"
        + " ON CONFLICT (version) DO NOTHING", change.version(),
        change.before() == null ? null : SpendPolicyCodec.toJson(change.before()), SpendPolicyCodec.toJson(change.after()),
        change.changedBy(), change.approvedBy(), change.reason(), change.at(), change.version() - 1) == 1);
  }

  @Override
  public List<PolicyChange> history() {
    return read("read the spend policy's history", c -> select(c, "ORDER BY version", Optional.empty()));
  }

  @Override
  public String toString() {
    return "JdbcPolicyStore{" + where + "}";
  }

  /** The changes {@code tail} selects; one whose version is {@code known}'s is {@code known}, not parsed again. */
  private static List<PolicyChange> select(Connection c, String tail, Optional<PolicyChange> known)
      throws SQLException {
    List<PolicyChange> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM ap_policy_change " + tail);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        if (known.isPresent() && known.get().version() == rs.getLong("version")) {
          out.add(known.get());
          continue;
        }
        String before = rs.getString("before_policy");
        SpendPolicy b = before == null ? null : SpendPolicyCodec.fromJson(before);
        out.add(new PolicyChange(rs.getLong("version"), b, SpendPolicyCodec.fromJson(rs.getString("after_policy")),
            rs.getString("changed_by"), rs.getString("approved_by"), rs.getString("reason"),
            Sql.instant(rs, "changed_at")));
      }
    }
    return out;
  }

  private interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> T read(String what, Work<T> work) {
    try (Connection c = ds.getConnection()) {
      return work.apply(c);
    } catch (SQLException e) {
      throw Sql.failure(e, where, what);
    }
  }
}
