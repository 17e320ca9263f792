package io.agentprovision.jdbc;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import java.net.URI;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.Money;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.wire.Json;
import io.agentprovision.jdbc.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * {@link RunJournal} in PostgreSQL: runs in {@code ap_run}, steps in {@code ap_step}, with the
 * interface's compare-and-set on {@code version} done by the database, so two hosts resuming one
 * run never both store the same version of a step: version 0 is an insert that does nothing when
 * the row exists, every later version an update of the row still at the version before. A step's
 * reservations and checkpoint decisions are kept as JSON beside its output; nothing here is secret.
 *
 * <p>Leases live in {@code ap_lease} (schema version 3), changed under a row lock in one
 * transaction each, so two hosts never both hold one; the approvals a parked run waits for live in
 * {@code ap_approval}, as JSON beside the columns they are looked up by, with the same
 * compare-and-set on {@code version}. (The {@code lease_owner} and {@code lease_until} columns of
 * {@code ap_run}, from schema version 2, stay empty.) Runs filed by key ({@link #fileRun}: the engine
 * files each run under its person, so that a person's next run finds their account and plan without
 * reading every run) live in {@code ap_run_filed} (schema version 5), kept when the schema was
 * migrated to version 5 before it held any run.
 *
 * <p>Times are kept to the microsecond. Thread-safe. Made by {@link JdbcStores#journal()}.
 */
public final class JdbcRunJournal implements RunJournal {
  private static final String RUN_COLUMNS = "id, agent, provider, status, request, created_at, updated_at, error, version";
  private static final String STEP_COLUMNS = "run_id, step_id, status, idempotency_key, attempts, output, progress,"
      + " reservations, decisions, error, updated_at, version";

  private final DataSource ds;
  private final String where;
  /** Whether the database keeps the index of runs by key; null until read. */
  private volatile @Nullable Boolean indexKept;

  JdbcRunJournal(DataSource ds, String where) {
    this.ds = ds;
    this.where = where;
  }

  @Override
  public boolean saveRun(RunRecord r) {
    Objects.requireNonNull(r, "record");
    return write("save run " + r.id(), c -> {
      if (r.version() == 0) {
        return Sql.update(c, "INSERT INTO ap_run (" + RUN_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?::timestamptz,"
            + " ?::timestamptz, ?, ?) ON CONFLICT (id) DO NOTHING", r.id().value(), r.agent().value(), r.provider(),
            r.status().name(), r.request(), r.createdAt(), r.updatedAt(), r.error(), r.version()) == 1;
      }
      return Sql.update(c, "UPDATE ap_run SET agent = ?, provider = ?, status = ?, request = ?,"
          + " created_at = ?::timestamptz, updated_at = ?::timestamptz, error = ?, version = ?"
          + " WHERE id = ? AND version = ?", r.agent().value(), r.provider(), r.status().name(), r.request(),
          r.createdAt(), r.updatedAt(), r.error(), r.version(), r.id().value(), r.version() - 1) == 1;
    });
  }

  @Override
  public Optional<RunRecord> run(RunId id) {
    Objects.requireNonNull(id, "id");
    List<RunRecord> out = runs("WHERE id = ?", id.value());
    return out.isEmpty() ? Optional.empty() : Optional.of(out.get(0));
  }

  @Override
  public List<RunRecord> runs(RunStatus... statuses) {
    if (statuses.length == 0) {
      return runs("ORDER BY created_at, id");
    }
    String[] names = new String[statuses.length];
    for (int i = 0; i < statuses.length; i++) {
      names[i] = statuses[i].name();
    }
    return read("read runs", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + RUN_COLUMNS
          + " FROM ap_run WHERE status = ANY(?) ORDER BY created_at, id")) {
        ps.setArray(1, c.createArrayOf("text", names));
        return runRows(ps);
      }
    });
  }

  /**
   * Files {@code run} under {@code key} in {@code ap_run_filed} (schema version 5), committed before
   * this returns; filing it again changes nothing. False, filing nothing, in a database whose runs
   * were journaled before the index was kept ({@code ap_run_index.complete} is false).
   */
  @Override
  public boolean fileRun(RunId run, String key) {
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(key, "key");
    if (!indexKept()) {
      return false;
    }
    write("file run " + run, c -> Sql.update(c, "INSERT INTO ap_run_filed (key, run_id) VALUES (?, ?)"
        + " ON CONFLICT (key, run_id) DO NOTHING", key, run.value()) >= 0);
    return true;
  }

  /** The runs filed under {@code key}, oldest first: one indexed query of that key's rows. */
  @Override
  public Optional<List<RunId>> runsFiledUnder(String key) {
    Objects.requireNonNull(key, "key");
    if (!indexKept()) {
      return Optional.empty();
    }
    return Optional.of(read("read the runs filed under a key", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT run_id FROM ap_run_filed WHERE key = ? ORDER BY seq")) {
        ps.setString(1, key);
        List<RunId> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(RunId.of(rs.getString(1)));
          }
        }
        return List.copyOf(out);
      }
    }));
  }

  /**
   * Whether the database keeps the index of runs by key, read once: the migration decides it, and a
   * database migrated with runs already in it keeps none (an operator who files those runs and sets
   * {@code ap_run_index.complete} restarts the hosts).
   */
  private boolean indexKept() {
    Boolean kept = indexKept;
    if (kept == null) {
      kept = read("read whether runs are filed", c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT complete FROM ap_run_index WHERE id = 1");
            ResultSet rs = ps.executeQuery()) {
          return rs.next() && rs.getBoolean(1);
        }
      });
      indexKept = kept;
    }
    return kept;
  }

  @Override
  public boolean saveStep(StepRecord s) {
    Objects.requireNonNull(s, "record");
    String reservations = Json.canonical(s.reservations());
    String decisions = decisions(s.decisions());
    return write("save step " + s.step() + " of run " + s.run(), c -> {
      if (s.version() == 0) {
        return Sql.update(c, "INSERT INTO ap_step (" + STEP_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            + " ?::timestamptz, ?) ON CONFLICT (run_id, step_id) DO NOTHING", s.run().value(), s.step().value(),
            s.status().name(), s.idempotencyKey(), s.attempts(), s.output(), s.progress(), reservations, decisions,
            s.error(), s.updatedAt(), s.version()) == 1;
      }
      return Sql.update(c, "UPDATE ap_step SET status = ?, idempotency_key = ?, attempts = ?, output = ?,"
          + " progress = ?, reservations = ?, decisions = ?, error = ?, updated_at = ?::timestamptz, version = ?"
          + " WHERE run_id = ? AND step_id = ? AND version = ?", s.status().name(), s.idempotencyKey(), s.attempts(),
          s.output(), s.progress(), reservations, decisions, s.error(), s.updatedAt(), s.version(), s.run().value(),
          s.step().value(), s.version() - 1) == 1;
    });
  }

  @Override
  public Optional<StepRecord> step(RunId run, StepId step) {
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(step, "step");
    List<StepRecord> out = steps("WHERE run_id = ? AND step_id = ?", run.value(), step.value());
    return out.isEmpty() ? Optional.empty() : Optional.of(out.get(0));
  }

  @Override
  public List<StepRecord> steps(RunId run) {
    Objects.requireNonNull(run, "run");
    return steps("WHERE run_id = ? ORDER BY ordinal", run.value());
  }

  // ---- leases --------------------------------------------------------------------------------

  /** What a lease row holds: the lease (null once released) and the last token handed out. */
  private record Slot(@Nullable Lease lease, long lastToken) {}

  /** What an operation stores (null: nothing) and answers. */
  private record Change(@Nullable Slot store, Optional<Lease> answer) {}

  @Override
  public Optional<Lease> acquireLease(String name, String owner, Instant now, Instant until) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(owner, "owner");
    if (!until.isAfter(now)) {
      throw new IllegalArgumentException("a lease must end after it starts: " + until + " is not after " + now);
    }
    return changeLease("acquire lease " + name, name, slot -> {
      Lease held = slot.lease();
      if (held != null && !held.expiredAt(now) && !held.owner().equals(owner)) {
        return new Change(null, Optional.empty());
      }
      Lease granted = new Lease(name, owner, slot.lastToken() + 1, until);
      return new Change(new Slot(granted, granted.token()), Optional.of(granted));
    });
  }

  @Override
  public Optional<Lease> renewLease(Lease held, Instant until) {
    Objects.requireNonNull(held, "held");
    return changeLease("renew lease " + held.name(), held.name(), slot -> {
      Lease stored = slot.lease();
      if (stored == null || !stored.sameTenure(held)) {
        return new Change(null, Optional.empty());
      }
      Lease renewed = stored.until(until);
      return new Change(new Slot(renewed, slot.lastToken()), Optional.of(renewed));
    });
  }

  @Override
  public boolean releaseLease(Lease held) {
    Objects.requireNonNull(held, "held");
    return changeLease("release lease " + held.name(), held.name(), slot -> {
      Lease stored = slot.lease();
      if (stored == null || !stored.sameTenure(held)) {
        return new Change(null, Optional.empty());
      }
      return new Change(new Slot(null, slot.lastToken()), Optional.of(stored));
    }).isPresent();
  }

  @Override
  public Optional<Lease> lease(String name) {
    Objects.requireNonNull(name, "name");
    return read("read lease " + name, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT owner, token, expires_at FROM ap_lease WHERE name = ?")) {
        Sql.bind(ps, name);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.ofNullable(slot(name, rs).lease()) : Optional.<Lease>empty();
        }
      }
    });
  }

  private static Slot slot(String name, ResultSet rs) throws SQLException {
    String owner = rs.getString("owner");
    String expires = rs.getString("expires_at");
    long token = rs.getLong("token");
    return new Slot(owner == null || expires == null ? null : new Lease(name, owner, token, Instant.parse(expires)),
        token);
  }

  /** Reads the lease row under a row lock, applies {@code op} and writes what it says, in one transaction. */
  private Optional<Lease> changeLease(String what, String name, java.util.function.Function<Slot, Change> op) {
    return read(what, c -> {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        Sql.update(c, "INSERT INTO ap_lease (name, owner, token, expires_at) VALUES (?, NULL, 0, NULL)"
            + " ON CONFLICT (name) DO NOTHING", name);
        Slot slot;
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT owner, token, expires_at FROM ap_lease WHERE name = ? FOR UPDATE")) {
          Sql.bind(ps, name);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            slot = slot(name, rs);
          }
        }
        Change change = op.apply(slot);
        Slot store = change.store();
        if (store != null) {
          Lease l = store.lease();
          Sql.update(c, "UPDATE ap_lease SET owner = ?, token = ?, expires_at = ? WHERE name = ?",
              l == null ? null : l.owner(), store.lastToken(), l == null ? null : l.expiresAt().toString(), name);
        }
        c.commit();
        return change.answer();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    });
  }

  // ---- parked approvals ----------------------------------------------------------------------

  @Override
  public boolean saveApproval(ApprovalRecord a) {
    Objects.requireNonNull(a, "record");
    String body = Json.canonical(approvalMap(a));
    return write("save approval " + a.id(), c -> {
      if (a.version() == 0) {
        return Sql.update(c, "INSERT INTO ap_approval (id, run_id, status, requested_at, body, version)"
            + " VALUES (?, ?, ?, ?::timestamptz, ?, ?) ON CONFLICT (id) DO NOTHING", a.id(), a.run().value(),
            a.status().name(), a.requestedAt(), body, a.version()) == 1;
      }
      return Sql.update(c, "UPDATE ap_approval SET status = ?, body = ?, version = ? WHERE id = ? AND version = ?",
          a.status().name(), body, a.version(), a.id(), a.version() - 1) == 1;
    });
  }

  @Override
  public Optional<ApprovalRecord> approval(String id) {
    Objects.requireNonNull(id, "id");
    List<ApprovalRecord> out = approvals("WHERE id = ?", id);
    return out.isEmpty() ? Optional.empty() : Optional.of(out.get(0));
  }

  @Override
  public List<ApprovalRecord> approvalsOf(RunId run) {
    Objects.requireNonNull(run, "run");
    return approvals("WHERE run_id = ? ORDER BY requested_at, id", run.value());
  }

  @Override
  public List<ApprovalRecord> approvals(ApprovalRecord.Status... statuses) {
    if (statuses.length == 0) {
      return approvals("ORDER BY requested_at, id");
    }
    String[] names = new String[statuses.length];
    for (int i = 0; i < statuses.length; i++) {
      names[i] = statuses[i].name();
    }
    return read("read approvals", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT run_id, body FROM ap_approval WHERE status = ANY(?) ORDER BY requested_at, id")) {
        ps.setArray(1, c.createArrayOf("text", names));
        return approvalRows(ps);
      }
    });
  }

  private List<ApprovalRecord> approvals(String tail, @Nullable Object... args) {
    return read("read approvals", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT run_id, body FROM ap_approval " + tail)) {
        Sql.bind(ps, args);
        return approvalRows(ps);
      }
    });
  }

  private static List<ApprovalRecord> approvalRows(PreparedStatement ps) throws SQLException {
    List<ApprovalRecord> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(approval(Json.parseObject(rs.getString("body")), RunId.of(rs.getString("run_id"))));
      }
    }
    return out;
  }

  private static Map<String, Object> approvalMap(ApprovalRecord a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", a.id());
    m.put("step", a.step().value());
    m.put("sequence", a.sequence());
    m.put("agent", a.agent().value());
    m.put("kind", a.kind().name());
    m.put("title", a.title());
    m.put("reason", a.reason());
    m.put("cost", a.cost() == null ? null : a.cost().toString());
    m.put("url", a.url() == null ? null : a.url().toString());
    m.put("details", new LinkedHashMap<>(new java.util.TreeMap<>(a.details())));
    m.put("principal", a.principal());
    m.put("fingerprint", a.fingerprint());
    m.put("requested_at", a.requestedAt().toString());
    m.put("deadline", a.deadline().toString());
    m.put("status", a.status().name());
    m.put("outcome", a.outcome() == null ? null : a.outcome().name());
    m.put("approver", a.approver());
    m.put("decision_reason", a.decisionReason());
    m.put("decided_at", a.decidedAt() == null ? null : a.decidedAt().toString());
    m.put("handed_back", a.handedBack());
    m.put("updated_at", a.updatedAt().toString());
    m.put("version", a.version());
    return m;
  }

  private static ApprovalRecord approval(Map<String, Object> m, RunId run) {
    Map<String, String> details = new LinkedHashMap<>();
    Json.object(m, "details").forEach((k, v) -> details.put(k, String.valueOf(v)));
    String cost = Json.string(m, "cost");
    String url = Json.string(m, "url");
    String outcome = Json.string(m, "outcome");
    String decidedAt = Json.string(m, "decided_at");
    return new ApprovalRecord.Builder(text(m.get("id")), run, StepId.of(text(m.get("step"))),
        Math.toIntExact(number(m.get("sequence"))), AgentId.of(text(m.get("agent"))),
        CheckpointKind.valueOf(text(m.get("kind"))), text(m.get("title")), text(m.get("reason")),
        text(m.get("fingerprint")), Instant.parse(text(m.get("requested_at"))), Instant.parse(text(m.get("deadline"))))
        .cost(cost == null ? null : Money.parse(cost)).url(url == null ? null : URI.create(url)).details(details)
        .principal(Json.string(m, "principal")).status(ApprovalRecord.Status.valueOf(text(m.get("status"))))
        .outcome(outcome == null ? null : ApprovalDecision.Outcome.valueOf(outcome)).approver(Json.string(m, "approver"))
        .decisionReason(Json.string(m, "decision_reason"))
        .decidedAt(decidedAt == null ? null : Instant.parse(decidedAt)).handedBack(Json.string(m, "handed_back"))
        .updatedAt(Instant.parse(text(m.get("updated_at")))).version(number(m.get("version"))).build();
  }

  @Override
  public String toString() {
    return "JdbcRunJournal{" + where + "}";
  }

  // ---------------------------------------------------------------------------------------------

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

  private boolean write(String what, Work<Boolean> work) {
    return read(what, work);
  }

  private List<RunRecord> runs(String tail, @Nullable Object... args) {
    return read("read runs", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + RUN_COLUMNS + " FROM ap_run " + tail)) {
        Sql.bind(ps, args);
        return runRows(ps);
      }
    });
  }

  private static List<RunRecord> runRows(PreparedStatement ps) throws SQLException {
    List<RunRecord> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new RunRecord(RunId.of(rs.getString("id")), AgentId.of(rs.getString("agent")),
            rs.getString("provider"), RunStatus.valueOf(rs.getString("status")), rs.getString("request"),
            Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"), rs.getString("error"),
            rs.getLong("version")));
      }
    }
    return out;
  }

  private List<StepRecord> steps(String tail, @Nullable Object... args) {
    return read("read steps", c -> {
      List<StepRecord> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT " + STEP_COLUMNS + " FROM ap_step " + tail)) {
        Sql.bind(ps, args);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(step(rs));
          }
        }
      }
      return out;
    });
  }

  private static StepRecord step(ResultSet rs) throws SQLException {
    RunId run = RunId.of(rs.getString("run_id"));
    StepRecord.Builder b = StepRecord.builder(run, StepId.of(rs.getString("step_id")))
        .status(StepStatus.valueOf(rs.getString("status")))
        .idempotencyKey(rs.getString("idempotency_key"))
        .attempts(rs.getInt("attempts"))
        .output(rs.getString("output"))
        .progress(rs.getString("progress"))
        .error(rs.getString("error"))
        .updatedAt(Sql.instant(rs, "updated_at"))
        .version(rs.getLong("version"));
    Object reservations = Json.parse(rs.getString("reservations"));
    if (reservations instanceof List<?> ids) {
      for (Object id : ids) {
        b.reservation(String.valueOf(id));
      }
    }
    Object decisions = Json.parse(rs.getString("decisions"));
    if (decisions instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> d) {
          b.decision(decision(d));
        }
      }
    }
    return b.build();
  }

  private static String decisions(List<CheckpointDecision> decisions) {
    List<Object> out = new ArrayList<>();
    for (CheckpointDecision d : decisions) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("sequence", d.sequence());
      m.put("approval_id", d.approvalId());
      m.put("kind", d.kind().name());
      m.put("fingerprint", d.fingerprint());
      m.put("outcome", d.outcome().name());
      m.put("approver", d.approver());
      m.put("decided_at", d.decidedAt().toString());
      m.put("handed_back", d.handedBack());
      if (d.receipt() != null) {
        m.put("receipt", d.receipt()); // the signed receipt lets a resumed step reuse the approval
      }
      out.add(m);
    }
    return Json.canonical(out);
  }

  private static CheckpointDecision decision(Map<?, ?> d) {
    return new CheckpointDecision(Math.toIntExact(number(d.get("sequence"))), text(d.get("approval_id")),
        CheckpointKind.valueOf(text(d.get("kind"))), text(d.get("fingerprint")),
        ApprovalDecision.Outcome.valueOf(text(d.get("outcome"))), text(d.get("approver")),
        Instant.parse(text(d.get("decided_at"))), Boolean.TRUE.equals(d.get("handed_back")),
        d.get("receipt") instanceof String receipt ? receipt : null);
  }

  private static String text(@Nullable Object o) {
    if (!(o instanceof String s)) {
      throw new IllegalArgumentException("a checkpoint decision lacks a field");
    }
    return s;
  }

  private static long number(@Nullable Object o) {
    if (!(o instanceof Long n)) {
      throw new IllegalArgumentException("a checkpoint decision's sequence is not a whole number");
    }
    return n;
  }
}
