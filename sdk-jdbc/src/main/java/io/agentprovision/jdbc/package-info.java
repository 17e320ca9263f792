/**
 * Shared, durable governance state on PostgreSQL: {@link io.agentprovision.jdbc.JdbcStores} opens a
 * database (a host's {@code DataSource}, or a JDBC URL with a HikariCP pool), brings its schema to
 * this release by versioned Flyway migrations (or only checks it), and hands out the stores the
 * engine uses: the spend ledger, the run journal, the audit chain, the credential vault and the spend
 * policy with its history. Several hosts sharing one database never overspend a shared limit, keep
 * one audit chain and apply one policy. See {@code docs/operations.md}.
 */
@NullMarked
package io.agentprovision.jdbc;

import org.jspecify.annotations.NullMarked;
