/**
 * agentprovision's JDBC stores: the spend ledger, run journal, audit chain, credential vault and
 * spend policy on PostgreSQL, with their schema as Flyway migrations. Exports the API package only.
 */
module io.agentprovision.jdbc {
  exports io.agentprovision.jdbc;

  requires transitive io.agentprovision.core;
  requires transitive java.sql;
  requires static org.jspecify;
  requires org.slf4j;
  requires com.zaxxer.hikari;
  // Flyway's core jar names no module; this is the name the JDK derives from the jar's file name
  requires flyway.core;
}
