package io.agentprovision.jdbc.internal;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.jspecify.annotations.Nullable;

/**
 * The stores' schema as Flyway migrations ({@code db/agentprovision-postgresql/V<n>__*.sql} in this
 * jar), recorded in {@code ap_schema_history} so that a host's own Flyway history is left alone.
 */
public final class Schema {
  /** Where the migrations are, on the class path. */
  public static final String LOCATION = "classpath:db/agentprovision-postgresql";
  /** Flyway's history table for these migrations. */
  public static final String HISTORY_TABLE = "ap_schema_history";

  private final Flyway flyway;

  private Schema(Flyway flyway) {
    this.flyway = flyway;
  }

  /** The schema of {@code ds}, up to {@code target} (null: the latest this release has). */
  public static Schema of(DataSource ds, @Nullable String target) {
    var config = Flyway.configure(Schema.class.getClassLoader()).dataSource(ds).locations(LOCATION)
        .table(HISTORY_TABLE)
        // the database may already hold the host's own tables: start our history beside them at 0
        .baselineOnMigrate(true).baselineVersion("0")
        .cleanDisabled(true);
    if (target != null) {
      config.target(target);
    }
    return new Schema(config.load());
  }

  /** What the database and this release say about the schema. */
  public record State(@Nullable String current, String latest, int pending, @Nullable String newerApplied) {}

  /** Where the database stands against this release's migrations. */
  public State state() {
    var info = flyway.info();
    MigrationInfo current = info.current();
    String latest = "0";
    String newer = null;
    for (MigrationInfo m : info.all()) {
      MigrationVersion v = m.getVersion();
      if (v == null) {
        continue;
      }
      if (m.getState() == MigrationState.FUTURE_SUCCESS || m.getState() == MigrationState.FUTURE_FAILED) {
        newer = v.getVersion();
      } else if (m.getState() != MigrationState.BASELINE && m.getState() != MigrationState.BELOW_BASELINE) {
        latest = v.getVersion();
      }
    }
    String cur = current == null || current.getVersion() == null ? null : current.getVersion().getVersion();
    return new State(cur, latest, info.pending().length, newer);
  }

  /** Applies every pending migration; returns how many were applied. */
  public int migrate() {
    return flyway.migrate().migrationsExecuted;
  }

  /**
   * Applies every pending migration after checking the applied ones (Flyway validates before it
   * migrates); returns what differs when the check fails, else null.
   */
  public @Nullable String migrateOrExplain() {
    try {
      flyway.migrate();
      return null;
    } catch (org.flywaydb.core.api.exception.FlywayValidateException e) {
      return e.getMessage();
    }
  }

  /** Checks that the applied migrations are this release's, byte for byte; returns what differs, or null. */
  public @Nullable String validate() {
    var result = flyway.validateWithResult();
    if (result.validationSuccessful) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (var e : result.invalidMigrations) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(e.version == null ? e.filepath : "V" + e.version).append(": ").append(e.errorDetails.errorMessage);
    }
    return sb.length() == 0 ? String.valueOf(result.getAllErrorMessages()) : sb.toString();
  }
}
