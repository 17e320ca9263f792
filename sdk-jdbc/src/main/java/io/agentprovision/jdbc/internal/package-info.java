/** The JDBC stores' machinery: SQL helpers, the schema, the ledger's batches. Not API. */
@NullMarked
package io.agentprovision.jdbc.internal;

import org.jspecify.annotations.NullMarked;
