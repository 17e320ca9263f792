package io.agentprovision.jdbc;

import io.agentprovision.core.AgentProvisionException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A JDBC store could not do what was asked: the database cannot be reached or the connection was
 * lost, its schema is not the one this release needs, or the database refused a statement. When an
 * operation fails with this, it did not happen: its transaction was rolled back (a spend ledger
 * reserved, committed and released nothing). The message says what to do; it never holds a
 * password.
 *
 * <pre>{@code
 * try {
 *   stores = JdbcStores.builder().jdbcUrl(url).username("ap").password(pw).validateOnly().build();
 * } catch (JdbcStoreException e) {
 *   if (e.reason() == JdbcStoreException.Reason.SCHEMA_OUTDATED) {
 *     // run JdbcStores.builder()...build().migrate() from a deployment job, then start again
 *   }
 * }
 * }</pre>
 */
public class JdbcStoreException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  /** Why the store refused. */
  public enum Reason {
    /** The database cannot be reached, or the connection was lost during the operation (retryable). */
    CONNECTION,
    /** The database's schema is older than this release needs: migrate it ({@link JdbcStores#migrate()}). */
    SCHEMA_OUTDATED,
    /** The database was migrated by a newer release than this one: upgrade this host. */
    SCHEMA_NEWER,
    /** The applied migrations differ from this release's (edited after they were applied). */
    SCHEMA_INVALID,
    /** The database refused a statement (permissions, a full disk, a constraint). */
    DATABASE
  }

  private final Reason reason;

  public JdbcStoreException(Reason reason, String message, @Nullable Throwable cause) {
    super(message, cause, Objects.requireNonNull(reason, "reason") == Reason.CONNECTION);
    this.reason = reason;
  }

  /** Why the store refused. */
  public Reason reason() {
    return reason;
  }
}
