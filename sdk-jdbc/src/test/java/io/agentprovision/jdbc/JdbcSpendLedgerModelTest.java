package io.agentprovision.jdbc;

import io.agentprovision.core.internal.spend.SpendLedgerModelContract;
import io.agentprovision.core.spi.SpendLedger;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import javax.sql.DataSource;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The JDBC ledger against the naive model the in-memory ledger is held to (the same
 * {@link SpendLedgerModelContract}, not a copy): random interleavings of reserves, commits,
 * releases, clock moves across windows and zones, policy changes, and restarts (a new ledger
 * instance on the same database, as another host or a restarted one sees it). The property gets a
 * fresh database, emptied before each try. Fewer tries than in memory: each operation is a
 * transaction, and every check after it a query.
 */
class JdbcSpendLedgerModelTest extends SpendLedgerModelContract {
  private static final int TRIES = 30;
  private static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  private static DataSource db;

  // jqwik runs properties outside JUnit Jupiter's extension model: start and stop the server here
  @BeforeContainer
  static void start() throws Exception {
    PG.beforeAll(null);
    db = PG.freshDatabase();
  }

  @AfterContainer
  static void stop() throws Exception {
    PG.afterAll(null);
  }

  @Override
  protected SpendLedger newLedger(Clock clock) {
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE ap_spend_reservation, ap_spend_total, ap_spend_alert RESTART IDENTITY");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return ledger(clock);
  }

  @Override
  protected SpendLedger restart(SpendLedger ledger, Clock clock) {
    return ledger(clock);
  }

  private static SpendLedger ledger(Clock clock) {
    // reap whenever the clock moved, as the in-memory ledger does, so the answers are exact in virtual time
    return JdbcStores.builder().dataSource(db).clock(clock).reapEvery(Duration.ZERO).build().ledger();
  }

  @Property(tries = TRIES)
  void jdbcLedgerAgreesWithANaiveRecountAndNeverOverspends(@ForAll("policies") List<Tuple.Tuple2<Shape, Long>> initial,
      @ForAll("operations") List<Op> ops, @ForAll("starts") Instant start, @ForAll("zones") ZoneId startZone) {
    check(initial, ops, start, startZone);
    requireCoverage(TRIES / 300.0);
  }
}
