package io.agentprovision.jdbc;

import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditIntegrityException;
import io.agentprovision.core.audit.AuditIntegrityException.Reason;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.jdbc.internal.Sql;
import java.io.IOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * {@link AuditLog} in PostgreSQL: one hash chain, whichever host appends. Each append locks the
 * head row ({@code ap_audit_head}: the last entry's sequence number, hash and key id), links the
 * record after it, inserts the entry and moves the head, in one transaction; so the database
 * serializes appends from every host into one chain, and an entry is acknowledged only once it and
 * the head that names it are committed.
 *
 * <p>An entry is stored as the one line the JSON-lines log would write for it
 * ({@link AuditChain#toLine}), hashed (or, keyed, HMAC-signed) exactly as there, so an export of
 * this log verifies as a JSON-lines log and the other way round. {@link #verify()} reads the whole
 * chain in order (streaming, a page at a time) and checks every link and hash and the head: an
 * edited column, a deleted row, two rows' contents swapped, an inserted row or a cut-off end is
 * reported with the first bad entry. {@link #verifyAfter} checks only what came after an entry an
 * earlier verification accepted. Against whoever can write the tables, key the chain
 * ({@link JdbcStores#audit(AuditKey)}): without the key they cannot make entries that verify.
 *
 * <p>Opening checks the head against the last entry (cheap); {@link #verify()} checks everything.
 * Thread-safe. Made by {@link JdbcStores#audit()}.
 */
public final class JdbcAuditLog implements AuditLog {
  /** Rows fetched per round trip while streaming the chain. */
  private static final int PAGE = 1_000;

  private final DataSource ds;
  private final @Nullable AuditKey key;
  private final String where;

  private JdbcAuditLog(DataSource ds, @Nullable AuditKey key, String where) {
    this.ds = ds;
    this.key = key;
    this.where = where;
  }

  static JdbcAuditLog open(DataSource ds, @Nullable AuditKey key, Clock clock, String where) {
    return open(ds, key, clock, where, null);
  }

  /**
   * Opens the chain, checking its head; with a key and {@code keyingReason}, a plain chain is
   * continued keyed, an {@code audit.keyed} entry recording why.
   */
  static JdbcAuditLog open(DataSource ds, @Nullable AuditKey key, Clock clock, String where,
      @Nullable String keyingReason) {
    JdbcAuditLog log = new JdbcAuditLog(ds, key, where);
    // one snapshot: another host's append (entry and head in one transaction) is seen whole or not at all
    Head head = log.run("open the audit chain", c -> inSnapshot(c, () -> log.checkHead(c)));
    if (key != null && head.seq > 0 && head.keyId == null) {
      if (keyingReason == null) {
        throw new AuditIntegrityException(Reason.NOT_KEYED, head.seq, "audit chain in " + where + ": entries up to "
            + head.seq + " are not signed with an audit key, so anyone with access to the tables could have written "
            + "them; it will not be continued with key '" + key.id() + "'. If it is a plain chain you now want keyed, "
            + "open it once with JdbcStores.audit(key, reason), which signs it as it stands.");
      }
      log.append(new AuditRecord(clock.instant(), null, null, "audit.keyed", null, null, null, null, "ok", null,
          Map.of("key_id", key.id(), "plain_entries", Long.toString(head.seq), "reason", keyingReason)));
    }
    return log;
  }

  /** The head row and what it says of the chain. */
  private record Head(long seq, String hash, @Nullable String keyId) {}

  @Override
  public AuditEntry append(AuditRecord record) {
    Objects.requireNonNull(record, "record");
    return run("append to the audit chain", c -> {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        Head head = lockHead(c);
        if (head.keyId != null && key == null) {
          throw new AuditIntegrityException(Reason.KEY_REQUIRED, head.seq, "audit chain in " + where + " is signed "
              + "with audit key '" + head.keyId + "' since another host keyed it; open it with its key");
        }
        long seq = head.seq + 1;
        AuditEntry e = key == null ? new AuditEntry(seq, record, head.hash, AuditChain.hash(seq, head.hash, record))
            : new AuditEntry(seq, record, head.hash, AuditChain.hash(seq, head.hash, record, key), key.id());
        Sql.update(c, "INSERT INTO ap_audit_entry (seq, line) VALUES (?, ?)", seq, AuditChain.toLine(e));
        Sql.update(c, "UPDATE ap_audit_head SET seq = ?, hash = ?, key_id = ? WHERE id = 1", seq, e.hash(), e.keyId());
        c.commit();
        return e;
      } catch (SQLException | RuntimeException ex) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the connection is gone: so is the transaction
        }
        throw ex;
      } finally {
        restore(c, auto);
      }
    });
  }

  @Override
  public List<AuditEntry> entries() {
    List<AuditEntry> out = new ArrayList<>();
    stream(0, (seq, line) -> out.add(parse(seq, line)));
    return out;
  }

  @Override
  public Optional<AuditEntry> head() {
    return run("read the audit head", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT e.seq, e.line FROM ap_audit_head h"
          + " JOIN ap_audit_entry e ON e.seq = h.seq WHERE h.id = 1"); ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(parse(rs.getLong(1), rs.getString(2))) : Optional.empty();
      }
    });
  }

  @Override
  public AuditVerification verify() {
    AuditChain.Verifier v = AuditChain.verifier(1, AuditChain.GENESIS, key);
    Head head = stream(0, (seq, line) -> accept(v, seq, line));
    return v.result(head.seq == 0 ? null : head.hash, head.seq);
  }

  @Override
  public AuditVerification verifyAfter(long sequence, String hash) {
    Objects.requireNonNull(hash, "hash");
    if (sequence <= 0) {
      return verify();
    }
    Head head = run("read the audit head", JdbcAuditLog::readHead);
    AuditEntry at = run("read audit entry " + sequence, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT line FROM ap_audit_entry WHERE seq = ?")) {
        ps.setLong(1, sequence);
        try (ResultSet rs = ps.executeQuery()) {
          return Optional.ofNullable(rs.next() ? parseOrNull(rs.getString(1)) : null);
        }
      }
    }).orElse(null);
    if (at == null || at.sequence() != sequence || !at.hash().equals(hash) || !selfHashMatches(at)) {
      return new AuditVerification(false, head.seq, head.seq == 0 ? null : head.hash, sequence,
          List.of(at == null ? "entry " + sequence + ", verified before, is gone (deleted or cut off)"
              : "entry " + sequence + " is no longer the one verified before (edited or replaced)"));
    }
    AuditChain.Verifier v = AuditChain.verifier(sequence + 1, hash, key);
    Head now = stream(sequence, (seq, line) -> accept(v, seq, line));
    return v.result(now.hash, now.seq);
  }

  @Override
  public void export(Writer out) throws IOException {
    IOException[] failed = new IOException[1];
    stream(0, (seq, line) -> {
      if (failed[0] == null) {
        try {
          out.write(line);
          out.write('\n');
        } catch (IOException e) {
          failed[0] = e;
        }
      }
    });
    if (failed[0] != null) {
      throw failed[0];
    }
    out.flush();
  }

  @Override
  public String toString() {
    return "JdbcAuditLog{" + where + (key == null ? "" : ", key=" + key.id()) + "}";
  }

  // ---------------------------------------------------------------------------------------------

  private Head checkHead(Connection c) throws SQLException {
    Head head = readHead(c);
    long max;
    try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(seq), 0) FROM ap_audit_entry");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      max = rs.getLong(1);
    }
    if (max > head.seq) {
      throw new AuditIntegrityException(Reason.TAMPERED, head.seq + 1, "audit chain in " + where + " holds entries "
          + "after its recorded head (entry " + (head.seq + 1) + " on): they were inserted, or the head was moved back; "
          + "it will not be continued. Keep the tables as evidence and verify() them.");
    }
    if (head.seq == 0) {
      return head;
    }
    AuditEntry last = null; // the entry the head names, if it is there and is an entry
    try (PreparedStatement ps = c.prepareStatement("SELECT line FROM ap_audit_entry WHERE seq = ?")) {
      ps.setLong(1, head.seq);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          last = parseOrNull(rs.getString(1));
        }
      }
    }
    if (last == null) {
      throw new AuditIntegrityException(Reason.TRUNCATED, Math.min(max, head.seq) + 1, "audit chain in " + where
          + ": the head records " + head.seq + " entries but entry " + head.seq + " is missing or is not an entry "
          + "(cut off or overwritten); it will not be continued. Keep the tables as evidence and verify() them.");
    }
    if (last.keyId() != null && key == null) {
      throw new AuditIntegrityException(Reason.KEY_REQUIRED, 0, "audit chain in " + where + " is signed with audit "
          + "key '" + last.keyId() + "'; open it with its key: JdbcStores.audit(key)");
    }
    if (last.keyId() != null && !Objects.requireNonNull(key).has(last.keyId())) {
      throw new AuditIntegrityException(Reason.UNKNOWN_KEY, head.seq, "audit chain in " + where + ": its last entry "
          + "is signed with audit key '" + last.keyId() + "', which was not supplied (known: " + key.ids()
          + "); supply it as a retired key with AuditKey.withRetired");
    }
    if (last.sequence() != head.seq || !last.hash().equals(head.hash) || !selfHashMatches(last)) {
      throw new AuditIntegrityException(Reason.TAMPERED, head.seq, "audit chain in " + where + ": the last entry ("
          + head.seq + ") is not the recorded head, or was edited; it will not be continued. Keep the tables as "
          + "evidence and verify() them.");
    }
    return head;
  }

  private static Head readHead(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT seq, hash, key_id FROM ap_audit_head WHERE id = 1");
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("the audit head row is missing", "55000");
      }
      return new Head(rs.getLong(1), rs.getString(2), rs.getString(3));
    }
  }

  private static Head lockHead(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT seq, hash, key_id FROM ap_audit_head WHERE id = 1 FOR UPDATE");
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("the audit head row is missing", "55000");
      }
      return new Head(rs.getLong(1), rs.getString(2), rs.getString(3));
    }
  }

  /** Whether the entry's own hash (or signature) matches its content; whether it should be keyed is asked apart. */
  private boolean selfHashMatches(AuditEntry e) {
    AuditChain.Verifier v = AuditChain.verifier(e.sequence(), e.previousHash(), e.keyId() == null ? null : key);
    v.accept(e);
    return v.result(null, null).valid();
  }

  private void accept(AuditChain.Verifier v, long seq, String line) {
    AuditEntry e = parseOrNull(line);
    if (e == null) {
      v.reject(seq, "the row at " + seq + " is not an audit entry (edited)");
    } else {
      if (e.sequence() != seq) {
        v.reject(seq, "the row at " + seq + " holds entry " + e.sequence() + " (rows moved or swapped)");
      }
      v.accept(e);
    }
  }

  private static @Nullable AuditEntry parseOrNull(String line) {
    try {
      return AuditChain.fromLine(line);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private AuditEntry parse(long seq, String line) {
    AuditEntry e = parseOrNull(line);
    if (e == null || e.sequence() != seq) {
      throw new AuditIntegrityException(Reason.TAMPERED, seq, "audit chain in " + where + ": the row at " + seq
          + " is not an audit entry (edited); verify() the chain and keep the tables as evidence");
    }
    return e;
  }

  private interface Line {
    void accept(long seq, String line);
  }

  /**
   * Reads the head, then the rows after {@code after} in order, a page at a time, without holding
   * them all, in one snapshot (so appends other hosts commit meanwhile are not half seen: a row
   * past the head it returns is one written behind the stores' back); returns that head.
   */
  private Head stream(long after, Line sink) {
    return run("read the audit chain", c -> inSnapshot(c, () -> {
      Head head = readHead(c);
      try (PreparedStatement ps = c.prepareStatement("SELECT seq, line FROM ap_audit_entry WHERE seq > ?"
          + " ORDER BY seq")) {
        ps.setFetchSize(PAGE); // PostgreSQL streams with a cursor only inside a transaction, as here
        ps.setLong(1, after);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            sink.accept(rs.getLong(1), rs.getString(2));
          }
        }
      }
      return head;
    }));
  }

  /** Runs {@code work} in one REPEATABLE READ transaction: every statement in it sees one snapshot. */
  private static <T> T inSnapshot(Connection c, SnapshotWork<T> work) throws SQLException {
    boolean auto = c.getAutoCommit();
    int isolation = c.getTransactionIsolation();
    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    c.setAutoCommit(false);
    try {
      T out = work.run();
      c.commit();
      return out;
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // the transaction ends with the connection anyway
      }
      throw e;
    } finally {
      restore(c, auto);
      try {
        if (!c.isClosed()) {
          c.setTransactionIsolation(isolation);
        }
      } catch (SQLException ignored) {
        // a broken connection: the pool discards it
      }
    }
  }

  private interface SnapshotWork<T> {
    T run() throws SQLException;
  }

  private static void restore(Connection c, boolean auto) {
    try {
      if (!c.isClosed()) {
        c.setAutoCommit(auto);
      }
    } catch (SQLException ignored) {
      // a broken connection: the pool discards it
    }
  }

  private interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> T run(String what, Work<T> work) {
    try (Connection c = ds.getConnection()) {
      return work.apply(c);
    } catch (SQLException e) {
      throw Sql.failure(e, where, what);
    }
  }
}
