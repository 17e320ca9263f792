package io.agentprovision.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Opening the stores: bad URLs and unreachable servers are typed errors that never show the
 * password; the schema is migrated by version, or with {@code validateOnly()} checked, an older
 * schema refused with a typed error saying to migrate, a newer or edited one refused too.
 */
class JdbcStoresTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  static final Secret PASSWORD = Secret.of("s3cr3t-db-password-9f2e");

  @Test
  void aUrlThatIsNotJdbc_isRefusedBeforeAnythingStarts() {
    assertThatThrownBy(() -> JdbcStores.builder().jdbcUrl("postgres://db:5432/x"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("jdbcUrl");
          assertThat(e.fix()).contains("jdbc:postgresql://");
        });
    assertThatThrownBy(() -> JdbcStores.builder().jdbcUrl("jdbc:postgresql://db/x?user=a&password=hunter2"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.problem()).contains("holds a password");
          assertThat(e.getMessage()).doesNotContain("hunter2");
        });
    assertThatThrownBy(() -> JdbcStores.builder().build()).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("dataSource");
  }

  @Test
  void aUrlNoDriverAccepts_saysSo() {
    assertThatThrownBy(() -> JdbcStores.builder().jdbcUrl("jdbc:nosuchdb://db:1/x").username("ap").password(PASSWORD)
        .build()).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("jdbcUrl");
          assertThat(e.getMessage()).doesNotContain(PASSWORD.reveal());
        });
  }

  @Test
  void aServerThatIsNotThere_isATypedRetryableErrorWithoutThePassword() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    String url = "jdbc:postgresql://127.0.0.1:" + closedPort + "/agentprovision";

    assertThatThrownBy(() -> JdbcStores.builder().jdbcUrl(url).username("ap").password(PASSWORD).build())
        .isInstanceOfSatisfying(JdbcStoreException.class, e -> {
          assertThat(e.reason()).isEqualTo(JdbcStoreException.Reason.CONNECTION);
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage()).contains("127.0.0.1:" + closedPort).contains("check the host")
              .doesNotContain(PASSWORD.reveal());
        });
  }

  @Test
  void aDatabaseThatDoesNotExist_isATypedError() {
    String url = PG.jdbcUrl("no_such_database");

    assertThatThrownBy(() -> JdbcStores.builder().jdbcUrl(url).username("postgres").password(PASSWORD).build())
        .isInstanceOfSatisfying(JdbcStoreException.class, e -> {
          assertThat(e.reason()).isEqualTo(JdbcStoreException.Reason.CONNECTION);
          assertThat(e.getMessage()).contains("no_such_database").doesNotContain(PASSWORD.reveal());
        });
  }

  @Test
  void aUrl_buildsAPoolThatTheStoresCloseWithThem() throws Exception {
    String name = PG.createDatabase(false);
    JdbcStores stores = JdbcStores.builder().jdbcUrl(PG.jdbcUrl(name)).username("postgres").password(PASSWORD)
        .maximumPoolSize(3).build();

    assertThat(stores.schemaVersion()).isEqualTo("5");
    assertThat(stores.ledger().markAlert("a")).isTrue();
    assertThat(stores.toString()).doesNotContain(PASSWORD.reveal());
    stores.close();
    assertThatThrownBy(() -> stores.dataSource().getConnection()).isInstanceOf(java.sql.SQLException.class);
  }

  @Test
  void anEmptyDatabase_isMigratedToTheLatestVersion_besideTheHostsOwnTables() throws Exception {
    DataSource ds = PG.emptyDatabase();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE hosts_own_table (id int)");
    }

    JdbcStores stores = JdbcStores.builder().dataSource(ds).build();

    assertThat(stores.schemaVersion()).isEqualTo("5");
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM information_schema.columns WHERE table_name = 'ap_run'"
            + " AND column_name IN ('lease_owner', 'lease_until')")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(2);
    }
  }

  @Test
  void anOlderSchema_isRefusedByValidateOnly_untilMigrated() throws Exception {
    DataSource ds = PG.emptyDatabase();
    JdbcStores.builder().dataSource(ds).targetVersion("1").build(); // a database left at version 1

    assertThatThrownBy(() -> JdbcStores.builder().dataSource(ds).validateOnly().build())
        .isInstanceOfSatisfying(JdbcStoreException.class, e -> {
          assertThat(e.reason()).isEqualTo(JdbcStoreException.Reason.SCHEMA_OUTDATED);
          assertThat(e.getMessage()).contains("schema version 1").contains("needs version 5")
              .contains("JdbcStores.migrate");
        });
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM information_schema.columns WHERE table_name = 'ap_run'"
            + " AND column_name = 'lease_owner'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("validateOnly changes nothing").isZero();
    }

    assertThat(JdbcStores.migrate(ds)).isEqualTo(4);

    assertThat(JdbcStores.builder().dataSource(ds).validateOnly().build().schemaVersion()).isEqualTo("5");
  }

  @Test
  void anEmptyDatabase_isRefusedByValidateOnly() {
    DataSource ds = PG.emptyDatabase();

    assertThatThrownBy(() -> JdbcStores.builder().dataSource(ds).validateOnly().build())
        .isInstanceOfSatisfying(JdbcStoreException.class,
            e -> assertThat(e.reason()).isEqualTo(JdbcStoreException.Reason.SCHEMA_OUTDATED));
  }

  @Test
  void aSchemaMigratedByANewerRelease_isRefused() throws Exception {
    DataSource ds = PG.freshDatabase();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO ap_schema_history (installed_rank, version, description, type, script, checksum,"
          + " installed_by, execution_time, success) VALUES (100, '6', 'a later change', 'SQL', 'V6__later.sql', 1,"
          + " 'postgres', 1, true)");
    }

    assertThatThrownBy(() -> JdbcStores.builder().dataSource(ds).build())
        .isInstanceOfSatisfying(JdbcStoreException.class, e -> {
          assertThat(e.reason()).isEqualTo(JdbcStoreException.Reason.SCHEMA_NEWER);
          assertThat(e.getMessage()).contains("version 6").contains("upgrade this host");
        });
  }

  @Test
  void anAppliedMigrationEditedSince_isRefused() throws Exception {
    DataSource ds = PG.freshDatabase();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("UPDATE ap_schema_history SET checksum = checksum + 1 WHERE version = '1'");
    }

    assertThatThrownBy(() -> JdbcStores.builder().dataSource(ds).build())
        .isInstanceOfSatisfying(JdbcStoreException.class,
            e -> assertThat(e.reason()).isEqualTo(JdbcStoreException.Reason.SCHEMA_INVALID));
    assertThatThrownBy(() -> JdbcStores.builder().dataSource(ds).validateOnly().build())
        .isInstanceOfSatisfying(JdbcStoreException.class,
            e -> assertThat(e.reason()).isEqualTo(JdbcStoreException.Reason.SCHEMA_INVALID));
  }

  @Test
  void settersRefuseBadValuesAtOnce() {
    assertThatThrownBy(() -> JdbcStores.builder().maximumPoolSize(1)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> JdbcStores.builder().reapEvery(java.time.Duration.ofHours(1)))
        .isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> JdbcStores.builder().ledgerBatching(0, 1)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> JdbcStores.builder().ledgerFillWait(java.time.Duration.ofMillis(-1)))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("ledgerFillWait");
    assertThatThrownBy(() -> JdbcStores.builder().ledgerFillWait(java.time.Duration.ofSeconds(1)))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("ledgerFillWait");
    assertThatThrownBy(() -> JdbcStores.builder().username(" ")).isInstanceOf(InvalidRequestException.class);
  }
}
