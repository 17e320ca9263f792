package io.agentprovision.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.jdbc.internal.Schema;
import io.agentprovision.jdbc.internal.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;
import org.jspecify.annotations.Nullable;

/**
 * Opens agentprovision's governance state in a PostgreSQL database and hands out its stores: one
 * {@link JdbcSpendLedger}, {@link JdbcRunJournal}, {@link JdbcAuditLog}, {@link JdbcCredentialVault}
 * and {@link JdbcPolicyStore} per database, which every host sharing it uses together. Building it
 * connects, and brings the schema to this release by versioned migrations, or (with
 * {@link Builder#validateOnly()}) only checks that it is there.
 *
 * <pre>{@code
 * JdbcStores db = JdbcStores.builder()
 *     .jdbcUrl("jdbc:postgresql://db.internal:5432/agentprovision")
 *     .username("agentprovision")
 *     .password(Secret.of(System.getenv("AGENTPROVISION_DB_PASSWORD")))
 *     .build();
 * AgentProvisioner provisioner = AgentProvisioner.builder()
 *     .ledger(db.ledger()).policyStore(db.policies()).journal(db.journal())
 *     .audit(db.audit(auditKey)).vault(db.vault(vaultKeys))
 *     ...
 *     .build();
 * }</pre>
 *
 * <p>With {@link Builder#dataSource(DataSource)} the host's own pool is used and never closed here;
 * with a URL, a HikariCP pool is made, and {@link #close()} closes it. Tables are named {@code ap_*}
 * and Flyway's record of them is {@code ap_schema_history}, so they may share a schema with the
 * host's tables. Thread-safe.
 */
public final class JdbcStores implements AutoCloseable {
  /** The most connections the pool made from a URL holds, unless told otherwise. */
  public static final int DEFAULT_MAXIMUM_POOL_SIZE = 10;
  /** How often the ledger looks for held reservations past their expiry, unless told otherwise. */
  public static final Duration DEFAULT_REAP_EVERY = Duration.ofSeconds(1);
  /** The most ledger operations one transaction carries, unless told otherwise. */
  public static final int DEFAULT_LEDGER_BATCH = 64;

  /** How long, at most, the ledger holds its next batch back while another of its transactions decides. */
  public static final Duration DEFAULT_LEDGER_FILL_WAIT = Duration.ofMillis(2);

  private final DataSource dataSource;
  private final @Nullable HikariDataSource ownedPool;
  private final String where;
  private final Clock clock;
  private final JdbcSpendLedger ledger;
  private final JdbcRunJournal journal;
  private final JdbcPolicyStore policies;
  private final JdbcVelocityStore velocity;

  private JdbcStores(DataSource dataSource, @Nullable HikariDataSource ownedPool, String where, Builder b) {
    this.dataSource = dataSource;
    this.ownedPool = ownedPool;
    this.where = where;
    this.clock = b.clock;
    this.ledger = new JdbcSpendLedger(dataSource, b.clock, b.reapEvery, b.ledgerBatch, b.ledgerTransactions,
        b.ledgerFillWait, where);
    this.journal = new JdbcRunJournal(dataSource, where);
    this.policies = new JdbcPolicyStore(dataSource, where);
    this.velocity = new JdbcVelocityStore(dataSource, where);
  }

  /** A builder: give it a {@link Builder#dataSource DataSource} or a {@link Builder#jdbcUrl URL}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The spend ledger: limits reserved against atomically across every host sharing the database. */
  public JdbcSpendLedger ledger() {
    return ledger;
  }

  /** The run journal: runs and steps with compare-and-set versions. */
  public JdbcRunJournal journal() {
    return journal;
  }

  /** The spend policy in force and its history. */
  public JdbcPolicyStore policies() {
    return policies;
  }

  /** The velocity counts (accounts, paid plans, domains, tokens created): one count for every host. */
  public JdbcVelocityStore velocity() {
    return velocity;
  }

  /**
   * The audit chain, plain (SHA-256): one chain whichever host appends.
   *
   * @throws io.agentprovision.core.audit.AuditIntegrityException when the stored head does not match
   *     the last entry (entries cut off or the head edited), or the entries are keyed
   */
  public JdbcAuditLog audit() {
    return JdbcAuditLog.open(dataSource, null, clock, where);
  }

  /**
   * The audit chain keyed with {@code key} (HMAC-SHA256): whoever can write the tables but lacks
   * the key cannot rewrite it unnoticed.
   *
   * @throws io.agentprovision.core.audit.AuditIntegrityException as {@link #audit()}; when its last
   *     entry is signed with a key id {@code key} does not hold; and when the chain holds plain
   *     entries ({@code NOT_KEYED}: key it once with {@link #audit(AuditKey, String)})
   */
  public JdbcAuditLog audit(AuditKey key) {
    return JdbcAuditLog.open(dataSource, Objects.requireNonNull(key, "key"), clock, where);
  }

  /**
   * The audit chain keyed with {@code key}, keying a plain chain as it stands: an {@code audit.keyed}
   * entry recording {@code reason} is appended at once and signs the plain entries' last hash. Once
   * only, when a host that wrote plain entries starts using a key.
   *
   * @throws InvalidRequestException when {@code reason} is blank
   */
  public JdbcAuditLog audit(AuditKey key, String reason) {
    if (reason == null || reason.isBlank()) {
      throw new InvalidRequestException("reason", "is empty", "say why the chain is keyed now; it is recorded in it");
    }
    return JdbcAuditLog.open(dataSource, Objects.requireNonNull(key, "key"), clock, where, reason);
  }

  /**
   * The credential vault: records sealed with {@code keys} (AES-256-GCM); the database holds
   * ciphertext and entry names only, the keys stay with the host.
   *
   * @throws io.agentprovision.core.vault.VaultException when a key the provider supplies is not the one
   *     the stored records were sealed with
   */
  public JdbcCredentialVault vault(KeyProvider keys) {
    return JdbcCredentialVault.open(dataSource, Objects.requireNonNull(keys, "keys"), clock, where);
  }

  /**
   * Applies every migration this release has that the database lacks; returns how many. What
   * {@link Builder#build()} does unless {@link Builder#validateOnly()} was set: call it from a
   * deployment job when hosts start with {@code validateOnly()}.
   *
   * @throws JdbcStoreException when a migration fails (it is rolled back) or the database is newer
   */
  public int migrate() {
    return migrate(dataSource, where);
  }

  /**
   * Applies every migration this release has that the database behind {@code ds} lacks; returns how
   * many. For a deployment job that migrates before hosts start with {@link Builder#validateOnly()}.
   *
   * @throws JdbcStoreException when a migration fails (it is rolled back) or the database is newer
   */
  public static int migrate(DataSource ds) {
    return migrate(Objects.requireNonNull(ds, "ds"), "the host's data source");
  }

  /** The schema version the database is at, such as {@code "2"}. */
  public String schemaVersion() {
    try {
      String v = Schema.of(dataSource, null).state().current();
      return v == null ? "0" : v;
    } catch (FlywayException e) {
      throw schemaError(e, where);
    }
  }

  /** The data source the stores use. */
  public DataSource dataSource() {
    return dataSource;
  }

  /** Closes the pool made from a URL; a host's own data source is left open. */
  @Override
  public void close() {
    ledger.close();
    if (ownedPool != null) {
      ownedPool.close();
    }
  }

  @Override
  public String toString() {
    return "JdbcStores{" + where + "}";
  }

  private static int migrate(DataSource ds, String where) {
    try {
      Schema schema = Schema.of(ds, null);
      Schema.State s = schema.state();
      if (s.newerApplied() != null) {
        throw newer(s, where);
      }
      return schema.migrate();
    } catch (FlywayException e) {
      throw schemaError(e, where);
    }
  }

  private static JdbcStoreException newer(Schema.State s, String where) {
    return new JdbcStoreException(JdbcStoreException.Reason.SCHEMA_NEWER, "the database " + where
        + " was migrated to schema version " + s.newerApplied() + " by a newer agentprovision; this release knows "
        + "versions up to " + s.latest() + ": upgrade this host to the release that migrated it", null);
  }

  private static JdbcStoreException schemaError(FlywayException e, String where) {
    Throwable cause = e.getCause();
    if (cause instanceof SQLException sql && Sql.connectionLost(sql)) {
      return new JdbcStoreException(JdbcStoreException.Reason.CONNECTION, "lost the connection to " + where
          + " while checking its schema: " + sql.getMessage() + "; nothing was changed, try again", e);
    }
    return new JdbcStoreException(JdbcStoreException.Reason.DATABASE, "cannot bring the schema of " + where
        + " to this release: " + e.getMessage(), e);
  }

  /** Builds {@link JdbcStores}; every setter checks its argument at once. */
  public static final class Builder {
    private @Nullable DataSource dataSource;
    private @Nullable String jdbcUrl;
    private @Nullable String username;
    private @Nullable Secret password;
    private int maximumPoolSize = DEFAULT_MAXIMUM_POOL_SIZE;
    private boolean validateOnly;
    private Clock clock = Clock.systemUTC();
    private Duration reapEvery = DEFAULT_REAP_EVERY;
    private int ledgerBatch = DEFAULT_LEDGER_BATCH;
    private int ledgerTransactions = 2;
    private Duration ledgerFillWait = DEFAULT_LEDGER_FILL_WAIT;
    private @Nullable String target;

    private Builder() {}

    /** The host's own data source (its pool): used as it is and never closed by {@link JdbcStores#close()}. */
    public Builder dataSource(DataSource ds) {
      this.dataSource = Objects.requireNonNull(ds, "dataSource");
      return this;
    }

    /**
     * A PostgreSQL URL, such as {@code jdbc:postgresql://db.internal:5432/agentprovision}: a HikariCP
     * pool is made for it. Put the password in {@link #password}, not in the URL.
     *
     * @throws InvalidRequestException when it is not a JDBC URL
     */
    public Builder jdbcUrl(String url) {
      if (url == null || url.isBlank() || !url.startsWith("jdbc:")) {
        throw new InvalidRequestException("jdbcUrl", "'" + (url == null ? "" : redact(url)) + "' is not a JDBC URL",
            "pass a URL such as jdbc:postgresql://db.internal:5432/agentprovision");
      }
      if (url.toLowerCase(java.util.Locale.ROOT).contains("password=")) {
        throw new InvalidRequestException("jdbcUrl", "holds a password", "pass the password with password(Secret), "
            + "so that it never appears in a log or an error message");
      }
      this.jdbcUrl = url;
      return this;
    }

    /** The database user for {@link #jdbcUrl}. */
    public Builder username(String user) {
      if (user == null || user.isBlank()) {
        throw new InvalidRequestException("username", "is empty", "pass the database user, such as \"agentprovision\"");
      }
      this.username = user;
      return this;
    }

    /** The database password for {@link #jdbcUrl}. */
    public Builder password(Secret secret) {
      this.password = Objects.requireNonNull(secret, "password");
      return this;
    }

    /** The most connections the pool made from a URL holds; 2 to 200, default {@value #DEFAULT_MAXIMUM_POOL_SIZE}. */
    public Builder maximumPoolSize(int n) {
      if (n < 2 || n > 200) {
        throw new InvalidRequestException("maximumPoolSize", "must be 2..200 (was " + n + ")",
            "pass a pool size such as " + DEFAULT_MAXIMUM_POOL_SIZE);
      }
      this.maximumPoolSize = n;
      return this;
    }

    /**
     * Checks the schema instead of migrating it: a database at an older schema is refused with
     * {@link JdbcStoreException.Reason#SCHEMA_OUTDATED}, and nothing in it is changed. For hosts whose
     * database user may not change the schema; migrate from a deployment job with
     * {@link JdbcStores#migrate()}.
     */
    public Builder validateOnly() {
      this.validateOnly = true;
      return this;
    }

    /** The clock reservations expire on and entries are stamped with; the system clock by default. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /**
     * How often the ledger looks for held reservations past their expiry, at most; 0 to 1 minute,
     * default 1 second. Until it looks, an expired reservation keeps counting: the ledger may refuse
     * a little early, never admit too much. Tests in virtual time pass {@link Duration#ZERO}.
     */
    public Builder reapEvery(Duration every) {
      Objects.requireNonNull(every, "reapEvery");
      if (every.isNegative() || every.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new InvalidRequestException("reapEvery", "must be between 0 and 1 minute (was " + every + ")",
            "pass a duration such as Duration.ofSeconds(1)");
      }
      this.reapEvery = every;
      return this;
    }

    /**
     * The most ledger operations (reserves, commits, releases) one transaction carries, 1 to 1000,
     * default {@value #DEFAULT_LEDGER_BATCH}; and how many such transactions a host runs at once, 1
     * to 16, default 2. Operations that arrive while a transaction is under way wait for the next
     * one, so that concurrent runs share one commit to disk; each operation is still decided on its
     * own, in order, against totals no other host can change meanwhile.
     */
    public Builder ledgerBatching(int maxOperations, int concurrentTransactions) {
      if (maxOperations < 1 || maxOperations > 1000) {
        throw new InvalidRequestException("maxOperations", "must be 1..1000 (was " + maxOperations + ")",
            "pass a batch size such as " + DEFAULT_LEDGER_BATCH);
      }
      if (concurrentTransactions < 1 || concurrentTransactions > 16) {
        throw new InvalidRequestException("concurrentTransactions", "must be 1..16 (was " + concurrentTransactions
            + ")", "pass 1 or 2");
      }
      this.ledgerBatch = maxOperations;
      this.ledgerTransactions = concurrentTransactions;
      return this;
    }

    /**
     * How long, at most, the ledger holds its next transaction back while another transaction of
     * this host is still deciding (holding the totals' locks or waiting for them), 0 to 100 ms,
     * default 2 ms. The next transaction would wait for the same locks at the server anyway; formed
     * when the running one is about to commit, it carries every operation that arrived meanwhile,
     * so a hot cap takes fewer, fuller transactions. It never delays a call to an idle ledger, nor
     * one that fills a batch; {@link Duration#ZERO} turns the wait off.
     */
    public Builder ledgerFillWait(Duration wait) {
      Objects.requireNonNull(wait, "ledgerFillWait");
      if (wait.isNegative() || wait.compareTo(Duration.ofMillis(100)) > 0) {
        throw new InvalidRequestException("ledgerFillWait", "must be between 0 and 100 ms (was " + wait + ")",
            "pass a duration such as Duration.ofMillis(2), or Duration.ZERO not to wait");
      }
      this.ledgerFillWait = wait;
      return this;
    }

    /** For tests of upgrades: migrate only up to {@code version}. */
    Builder targetVersion(String version) {
      this.target = version;
      return this;
    }

    /**
     * Connects, then migrates the schema to this release (or, with {@link #validateOnly()}, checks it).
     *
     * @throws InvalidRequestException when neither a data source nor a URL was given, or both, or no
     *     JDBC driver accepts the URL
     * @throws JdbcStoreException when the database cannot be reached ({@code CONNECTION}), its schema
     *     is older ({@code SCHEMA_OUTDATED}, with {@code validateOnly()}), newer ({@code SCHEMA_NEWER})
     *     or altered ({@code SCHEMA_INVALID})
     */
    public JdbcStores build() {
      if ((dataSource == null) == (jdbcUrl == null)) {
        throw new InvalidRequestException("dataSource", dataSource == null ? "is missing" : "and jdbcUrl are both set",
            "pass either dataSource(ds) or jdbcUrl(url) with username and password");
      }
      HikariDataSource pool = null;
      DataSource ds = dataSource;
      String where;
      if (ds == null) {
        String url = Objects.requireNonNull(jdbcUrl);
        where = redact(url);
        pool = pool(url, where);
        ds = pool;
      } else {
        where = "the host's data source";
      }
      try {
        where = check(ds, where);
        return new JdbcStores(ds, pool, where, this);
      } catch (RuntimeException e) {
        if (pool != null) {
          pool.close();
        }
        throw e;
      }
    }

    private HikariDataSource pool(String url, String where) {
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(url);
      if (username != null) {
        config.setUsername(username);
      }
      if (password != null) {
        config.setPassword(password.reveal());
      }
      config.setMaximumPoolSize(maximumPoolSize);
      config.setPoolName("agentprovision");
      config.addDataSourceProperty("ApplicationName", "agentprovision");
      config.setConnectionTimeout(10_000);
      try {
        return new HikariDataSource(config);
      } catch (RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
          root = root.getCause();
        }
        if (root instanceof SQLException sql && !Sql.connectionLost(sql) && sql.getSQLState() != null
            && sql.getSQLState().startsWith("28")) {
          throw new JdbcStoreException(JdbcStoreException.Reason.CONNECTION, "the database " + where
              + " refused the sign-in of '" + username + "': " + sql.getMessage()
              + "; check the username and password", e);
        }
        if (String.valueOf(e.getMessage()).contains("driver")) {
          throw new InvalidRequestException("jdbcUrl", "no JDBC driver on the class path accepts '" + where + "'",
              "pass a PostgreSQL URL, such as jdbc:postgresql://db.internal:5432/agentprovision, and keep "
                  + "org.postgresql:postgresql on the class path");
        }
        throw new JdbcStoreException(JdbcStoreException.Reason.CONNECTION, "cannot connect to " + where + ": "
            + root.getMessage() + "; check the host, port and database name, and that PostgreSQL is running", e);
      }
    }

    /** Connects and checks or migrates the schema; returns the database's URL, without credentials. */
    private String check(DataSource ds, String given) {
      String where = given;
      try (Connection c = ds.getConnection()) {
        if (!c.isValid(10)) {
          throw new SQLException("the connection is not valid", "08000");
        }
        String url = c.getMetaData().getURL();
        if (url != null) {
          where = redact(url);
        }
      } catch (SQLException e) {
        throw new JdbcStoreException(JdbcStoreException.Reason.CONNECTION, "cannot connect to " + where + ": "
            + e.getMessage() + "; check the host, port and database name, and that PostgreSQL is running", e);
      }
      try {
        Schema schema = Schema.of(ds, target);
        Schema.State s = schema.state();
        if (s.newerApplied() != null) {
          throw newer(s, where);
        }
        String invalid;
        if (validateOnly) {
          if (s.pending() > 0) {
            throw new JdbcStoreException(JdbcStoreException.Reason.SCHEMA_OUTDATED, "the database " + where
                + " is at schema version " + (s.current() == null ? "0 (none of agentprovision's tables)" : s.current())
                + " but this release needs version " + s.latest() + ": migrate it with JdbcStores.migrate(dataSource) "
                + "(or build once without validateOnly()), as a user allowed to change the schema", null);
          }
          invalid = schema.validate();
        } else {
          invalid = schema.migrateOrExplain();
        }
        if (invalid != null) {
          throw new JdbcStoreException(JdbcStoreException.Reason.SCHEMA_INVALID, "the schema of " + where
              + " was not made by this release's migrations (" + invalid + "); restore it, or ask whoever changed "
              + "the applied migrations", null);
        }
      } catch (FlywayException e) {
        throw schemaError(e, where);
      }
      return where;
    }

    /** The URL without anything that could be a credential (user info, query parameters). */
    static String redact(String url) {
      String u = url.replaceAll("//[^/@]*@", "//");
      int q = u.indexOf('?');
      return q < 0 ? u : u.substring(0, q);
    }
  }
}
