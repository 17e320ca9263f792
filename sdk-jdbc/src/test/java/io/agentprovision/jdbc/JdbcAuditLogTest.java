package io.agentprovision.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditIntegrityException;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One audit chain from many hosts, and tampering in the table noticed: the chain every host appends
 * to verifies as one, and an edited column, a deleted row, two rows' contents swapped, an inserted
 * row or a cut-off end is found (with the first bad entry); keyed, whoever lacks the key cannot
 * rewrite it so that it verifies.
 */
class JdbcAuditLogTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");
  static final AuditKey KEY = AuditKey.of("audit-2026", Secret.of("0123456789abcdef0123456789abcdef-key-one"));

  DataSource db;
  JdbcStores stores;

  @BeforeEach
  void database() {
    db = PG.freshDatabase();
    stores = JdbcStores.builder().dataSource(db).build();
  }

  static AuditRecord record(String host, int i) {
    return new AuditRecord(T0.plusSeconds(i), RunId.of("run_" + host), null, "spend.committed",
        AgentId.of("agent-" + host), "ada@example.com", "ada", Money.usd("5.00"), "ok", host + ":" + i,
        Map.of("host", host, "i", Integer.toString(i)));
  }

  void sql(String statement) throws Exception {
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate(statement);
    }
  }

  AuditLog appended(int n) {
    AuditLog log = stores.audit();
    for (int i = 0; i < n; i++) {
      log.append(record("a", i));
    }
    return log;
  }

  @Test
  void appends_formOneChain_thatVerifiesAndReadsBack() {
    AuditLog log = appended(5);

    AuditVerification v = log.verify();

    assertThat(v.valid()).as(v.problems().toString()).isTrue();
    assertThat(v.entries()).isEqualTo(5);
    assertThat(log.entries()).extracting(AuditEntry::sequence).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(log.entries().get(2).record()).isEqualTo(record("a", 2));
    assertThat(log.head().orElseThrow().sequence()).isEqualTo(5);
    assertThat(v.head()).isEqualTo(log.head().orElseThrow().hash());
  }

  @Test
  void aHostOpeningOrVerifyingWhileAnotherAppends_seesEachAppendWholeOrNotAtAll() throws Exception {
    // Opening reads the head and the last entry, verifying the head and every entry: read in two
    // snapshots, an append committed in between looked like an entry inserted past the head.
    AuditLog writer = appended(1);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread appends = new Thread(() -> {
      for (int i = 1; !stop.get(); i++) {
        writer.append(record("a", i));
      }
    });
    appends.start();
    try {
      for (int i = 0; i < 60; i++) {
        JdbcAuditLog other = JdbcStores.builder().dataSource(db).build().audit();
        AuditVerification v = other.verify();
        assertThat(v.valid()).as(v.problems().toString()).isTrue();
        AuditEntry verified = other.head().orElseThrow();
        AuditVerification after = other.verifyAfter(verified.sequence(), verified.hash());
        assertThat(after.valid()).as(after.problems().toString()).isTrue();
      }
    } finally {
      stop.set(true);
      appends.join();
    }
    assertThat(stores.audit().verify().valid()).isTrue();
  }

  @Test
  void twoHostsAppendingAtOnce_keepOneChain() throws Exception {
    JdbcStores other = JdbcStores.builder().dataSource(PG.pool(dbName(), 4)).build();
    List<AuditLog> hosts = List.of(stores.audit(), other.audit());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int t = 0; t < 4; t++) {
        AuditLog log = hosts.get(t % 2);
        String host = "h" + t;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < 40; i++) {
            log.append(record(host, i));
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

    AuditVerification v = stores.audit().verify();
    assertThat(v.valid()).as(v.problems().toString()).isTrue();
    assertThat(v.entries()).isEqualTo(160);
    assertThat(other.audit().entries()).extracting(e -> e.record().details().get("host")).containsOnly("h0", "h1",
        "h2", "h3").hasSize(160);
  }

  private String dbName() throws Exception {
    try (Connection c = db.getConnection()) {
      return c.getCatalog();
    }
  }

  @Test
  void anEditedColumn_isFound_withTheEntry() throws Exception {
    AuditLog log = appended(6);

    sql("UPDATE ap_audit_entry SET line = replace(line, 'USD 5.00', 'USD 0.50') WHERE seq = 3");

    AuditVerification v = log.verify();
    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(3);
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("entry 3 was edited"));
  }

  @Test
  void aRowThatIsNoLongerAnEntry_isFound() throws Exception {
    AuditLog log = appended(4);

    sql("UPDATE ap_audit_entry SET line = '{\"action\":\"nothing to see\"}' WHERE seq = 2");

    AuditVerification v = log.verify();
    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(2);
    assertThatThrownBy(log::entries).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.firstBadSequence()).isEqualTo(2));
  }

  @Test
  void aDeletedRow_isFound() throws Exception {
    AuditLog log = appended(6);

    sql("DELETE FROM ap_audit_entry WHERE seq = 4");

    AuditVerification v = log.verify();
    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(5);
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("deleted"));
  }

  @Test
  void twoRowsWithTheirContentsSwapped_areFound() throws Exception {
    AuditLog log = appended(6);

    sql("UPDATE ap_audit_entry a SET line = b.line FROM ap_audit_entry b"
        + " WHERE (a.seq, b.seq) IN ((2, 5), (5, 2))");

    AuditVerification v = log.verify();
    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(2);
  }

  @Test
  void aCutOffEnd_isFound_andSuchAChainIsNotContinued() throws Exception {
    appended(6);

    sql("DELETE FROM ap_audit_entry WHERE seq >= 5");

    assertThatThrownBy(() -> stores.audit()).isInstanceOfSatisfying(AuditIntegrityException.class, e -> {
      assertThat(e.reason()).isEqualTo(AuditIntegrityException.Reason.TRUNCATED);
      assertThat(e.getMessage()).contains("6 entries");
    });
  }

  @Test
  void aCutOffEnd_isFoundByAHostThatHadItOpen() throws Exception {
    AuditLog log = appended(6);

    sql("DELETE FROM ap_audit_entry WHERE seq = 6");

    AuditVerification v = log.verify();
    assertThat(v.valid()).isFalse();
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("truncated"));
  }

  @Test
  void anInsertedRowAfterTheHead_isRefusedOnOpening() throws Exception {
    AuditLog log = appended(3);
    AuditEntry forged = AuditChain.link(log.head().orElseThrow(), record("mallory", 0));

    try (Connection c = db.getConnection();
        var ps = c.prepareStatement("INSERT INTO ap_audit_entry (seq, line) VALUES (?, ?)")) {
      ps.setLong(1, forged.sequence());
      ps.setString(2, AuditChain.toLine(forged));
      ps.executeUpdate();
    }

    assertThatThrownBy(() -> stores.audit()).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(AuditIntegrityException.Reason.TAMPERED));
    assertThat(log.verify().valid()).as("the head does not name the forged entry").isFalse();
  }

  @Test
  void keyed_aRewriteWithoutTheKey_doesNotVerify_evenWithTheHeadMovedToo() throws Exception {
    AuditLog log = stores.audit(KEY);
    for (int i = 0; i < 4; i++) {
      log.append(record("a", i));
    }
    assertThat(log.verify().valid()).isTrue();
    assertThat(log.entries()).allSatisfy(e -> assertThat(e.keyId()).isEqualTo("audit-2026"));

    // a plain rewrite of entry 4 and the head, by someone who can write the tables but lacks the key
    AuditEntry third = log.entries().get(2);
    AuditEntry forged = AuditChain.link(third, record("mallory", 3));
    sql("UPDATE ap_audit_entry SET line = '" + AuditChain.toLine(forged).replace("'", "''") + "' WHERE seq = 4");
    sql("UPDATE ap_audit_head SET hash = '" + forged.hash() + "', key_id = NULL WHERE id = 1");

    AuditVerification v = log.verify();
    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(4);
    assertThatThrownBy(() -> stores.audit(KEY)).isInstanceOf(AuditIntegrityException.class);
  }

  @Test
  void keyed_needsItsKeyToOpen_andAPlainChainIsKeyedOnlyWhenAsked() {
    AuditLog plain = appended(2);
    assertThatThrownBy(() -> stores.audit(KEY)).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(AuditIntegrityException.Reason.NOT_KEYED));

    AuditLog keyed = stores.audit(KEY, "the host now holds an audit key");

    assertThat(keyed.head().orElseThrow().record().action()).isEqualTo("audit.keyed");
    assertThat(keyed.verify().valid()).isTrue();
    assertThatThrownBy(() -> stores.audit()).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(AuditIntegrityException.Reason.KEY_REQUIRED));
    assertThatThrownBy(() -> plain.append(record("a", 9))).as("a plain host that had it open")
        .isInstanceOfSatisfying(AuditIntegrityException.class,
            e -> assertThat(e.reason()).isEqualTo(AuditIntegrityException.Reason.KEY_REQUIRED));
  }

  @Test
  void verifyAfter_checksOnlyWhatCameAfterACheckpoint_andNoticesTheCheckpointEdited() throws Exception {
    AuditLog log = appended(5);
    AuditEntry checkpoint = log.entries().get(2);
    log.append(record("a", 5));

    assertThat(log.verifyAfter(3, checkpoint.hash()).valid()).isTrue();
    assertThat(log.verifyAfter(3, checkpoint.hash()).entries()).isEqualTo(6);

    sql("UPDATE ap_audit_entry SET line = replace(line, 'ada@example.com', 'eve@example.com') WHERE seq = 3");
    assertThat(log.verifyAfter(3, checkpoint.hash()).valid()).isFalse();
  }

  @Test
  void export_isTheJsonLinesForm_andVerifiesAsAChain() throws Exception {
    AuditLog log = appended(3);
    StringWriter out = new StringWriter();

    log.export(out);

    List<AuditEntry> read = new ArrayList<>();
    for (String line : out.toString().split("\n")) {
      read.add(AuditChain.fromLine(line));
    }
    assertThat(read).isEqualTo(log.entries());
    assertThat(AuditChain.verify(read, log.head().orElseThrow().hash(), 3L).valid()).isTrue();
  }
}
