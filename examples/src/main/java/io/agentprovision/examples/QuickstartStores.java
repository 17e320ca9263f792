package io.agentprovision.examples;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.PolicyStore;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.core.spi.VelocityStore;
import io.agentprovision.jdbc.JdbcStores;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where the Quickstart keeps the state that must outlive a run: the spend ledger (the month's spend,
 * held money, the budget alerts fired), the spend policy with its history, the velocity counts (what
 * agents created, against the velocity limits), and the run journal. A
 * second run with the same {@code --out} (or database) finds the first's spend counted against the
 * cap. The audit log and the vault stay files in {@code --out} whatever the store.
 *
 * <ul>
 *   <li>{@code file}: {@link SpendLedger#file}, {@link PolicyStore#file}, {@link VelocityStore#file} and
 *       {@link RunJournal#directory} in {@code --out}.</li>
 *   <li>{@code postgres}: {@link JdbcStores} on a PostgreSQL the Quickstart runs itself (zonky's
 *       embedded binaries, nothing to install), its data in {@code --out/postgres}.</li>
 *   <li>{@code postgres} with {@code --jdbc-url}: {@link JdbcStores} on that server, the user and
 *       password from {@code AGENTPROVISION_JDBC_USER} / {@code AGENTPROVISION_JDBC_PASSWORD}.</li>
 * </ul>
 */
final class QuickstartStores implements AutoCloseable {
  /** The environment variable the database user is read from with {@code --jdbc-url}. */
  static final String USER_ENV = "AGENTPROVISION_JDBC_USER";
  /** The environment variable the database password is read from with {@code --jdbc-url}. */
  static final String PASSWORD_ENV = "AGENTPROVISION_JDBC_PASSWORD";

  final SpendLedger ledger;
  final PolicyStore policies;
  final RunJournal journal;
  final VelocityStore velocity;
  /** Where the state is, for the console: no password. */
  final String description;
  private final @Nullable JdbcStores jdbc;
  private final @Nullable EmbeddedPostgres embedded;

  private QuickstartStores(SpendLedger ledger, PolicyStore policies, RunJournal journal, VelocityStore velocity,
      String description, @Nullable JdbcStores jdbc, @Nullable EmbeddedPostgres embedded) {
    this.ledger = ledger;
    this.policies = policies;
    this.journal = journal;
    this.velocity = velocity;
    this.description = description;
    this.jdbc = jdbc;
    this.embedded = embedded;
  }

  /**
   * Opens the store the options name, in the output folder {@code dir} (which exists).
   *
   * @throws io.agentprovision.jdbc.JdbcStoreException when the database cannot be reached or its
   *     schema is not this release's; nothing was started
   */
  static QuickstartStores open(Quickstart.Options o, Path dir, Map<String, String> env, PrintStream out) {
    if (o.store().equals("file")) {
      return new QuickstartStores(SpendLedger.file(dir.resolve("ledger"), Clock.systemUTC()),
          PolicyStore.file(dir.resolve("policy.jsonl")), RunJournal.directory(dir.resolve("journal")),
          VelocityStore.file(dir.resolve("velocity")), "files in " + dir, null, null);
    }
    String url = o.jdbcUrl();
    if (url != null) {
      JdbcStores.Builder b = JdbcStores.builder().jdbcUrl(url).maximumPoolSize(4);
      String user = env.get(USER_ENV);
      if (user != null && !user.isBlank()) {
        b.username(user);
      }
      String password = env.get(PASSWORD_ENV);
      if (password != null && !password.isEmpty()) {
        b.password(Secret.of(password));
      }
      return of(b.build(), "PostgreSQL at " + url, null);
    }
    EmbeddedPostgres pg;
    Path data = dir.resolve("postgres");
    try {
      // the data directory is kept between runs: that is where the month's spend lives
      pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + data + ": " + e.getMessage(), e);
    }
    try {
      JdbcStores stores = JdbcStores.builder().jdbcUrl(pg.getJdbcUrl("postgres", "postgres")).username("postgres")
          .maximumPoolSize(4).build();
      out.println("PostgreSQL up: embedded, data in " + data + ", port " + pg.getPort());
      return of(stores, "PostgreSQL (embedded, data in " + data + ")", pg);
    } catch (RuntimeException e) {
      closeQuietly(pg);
      throw e;
    }
  }

  private static QuickstartStores of(JdbcStores s, String description, @Nullable EmbeddedPostgres pg) {
    return new QuickstartStores(s.ledger(), s.policies(), s.journal(), s.velocity(), description, s, pg);
  }

  @Override
  public void close() {
    if (jdbc != null) {
      jdbc.close();
    }
    if (embedded != null) {
      closeQuietly(embedded);
    }
  }

  private static void closeQuietly(EmbeddedPostgres pg) {
    try {
      pg.close();
    } catch (IOException e) {
      // the server process is gone with this JVM at the latest; its data is on disk already
    }
  }
}
