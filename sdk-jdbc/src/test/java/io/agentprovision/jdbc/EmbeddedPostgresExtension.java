package io.agentprovision.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real PostgreSQL per test class (zonky's embedded binaries: no server to install, works
 * offline), and a fresh database per test: {@link #freshDatabase()} copies a template database that
 * was migrated once, so each test starts from the current schema in a few milliseconds. Register it
 * as a static field: {@code @RegisterExtension static final EmbeddedPostgresExtension PG = new ...}.
 */
final class EmbeddedPostgresExtension implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {
  private static final String TEMPLATE = "ap_template";
  private static final AtomicInteger NEXT = new AtomicInteger();

  private EmbeddedPostgres pg;
  private final List<HikariDataSource> pools = new CopyOnWriteArrayList<>();

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    pg = EmbeddedPostgres.builder().setServerConfig("max_connections", "300").setServerConfig("wal_level", "minimal").setServerConfig("max_wal_senders", "0").setServerConfig("full_page_writes", "off").setServerConfig("shared_buffers", "32MB").start();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + TEMPLATE);
    }
    HikariDataSource template = pool(TEMPLATE, 2);
    try {
      JdbcStores.migrate(template);
    } finally {
      template.close();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    for (HikariDataSource p : pools) {
      p.close();
    }
    pools.clear();
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    afterEach(context);
    pg.close();
  }

  /** A new database holding the current schema and nothing else, with a pool of 8 connections. */
  DataSource freshDatabase() {
    return pool(createDatabase(true), 8);
  }

  /** A new database with no tables at all (for schema tests). */
  DataSource emptyDatabase() {
    return pool(createDatabase(false), 4);
  }

  /** A new database's name, copied from the migrated template or empty. */
  String createDatabase(boolean migrated) {
    String name = "t_" + NEXT.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + (migrated ? " TEMPLATE " + TEMPLATE : ""));
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return name;
  }

  /** A pool of {@code size} connections to {@code database}, closed after the test. */
  HikariDataSource pool(String database, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl(database));
    config.setUsername("postgres");
    config.setMaximumPoolSize(size);
    config.setPoolName("test-" + database);
    HikariDataSource ds = new HikariDataSource(config);
    pools.add(ds);
    return ds;
  }

  /** The URL of {@code database}, without credentials. */
  String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + pg.getPort() + "/" + database;
  }

  int port() {
    return pg.getPort();
  }

  /** A connection to the server's maintenance database, for what a test does behind the stores' back. */
  Connection admin() {
    try {
      return pg.getPostgresDatabase().getConnection();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
