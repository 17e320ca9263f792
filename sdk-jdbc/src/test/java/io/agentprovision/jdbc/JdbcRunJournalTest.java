package io.agentprovision.jdbc;

import io.agentprovision.core.internal.journal.RunJournalContract;
import io.agentprovision.core.spi.RunJournal;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The JDBC journal held to the contract every journal keeps (compare-and-set versions, order, every field). */
class JdbcRunJournalTest extends RunJournalContract {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  @Override
  protected RunJournal journal() {
    return JdbcStores.builder().dataSource(PG.freshDatabase()).build().journal();
  }
}
