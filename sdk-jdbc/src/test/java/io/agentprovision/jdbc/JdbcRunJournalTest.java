package io.agentprovision.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.internal.journal.RunJournalContract;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.spi.RunJournal;
import java.time.Instant;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The JDBC journal held to the contract every journal keeps (compare-and-set versions, order, every field). */
class JdbcRunJournalTest extends RunJournalContract {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  @Override
  protected RunJournal journal() {
    return JdbcStores.builder().dataSource(PG.freshDatabase()).build().journal();
  }

  @Test
  void aDatabaseMigratedWithRunsInIt_keepsNoIndexOfRunsByPerson_andIsReadThroughAsBefore() {
    DataSource ds = PG.emptyDatabase();
    RunJournal before = JdbcStores.builder().dataSource(ds).targetVersion("4").build().journal();
    Instant t0 = Instant.parse("2026-12-06T10:00:00Z");
    before.saveRun(new RunRecord(RunId.of("run_1"), AgentId.of("agent-1"), "cloudflare", RunStatus.SUCCEEDED, "{}",
        t0, t0, null, 0));

    RunJournal upgraded = JdbcStores.builder().dataSource(ds).build().journal();

    assertThat(upgraded.fileRun(RunId.of("run_2"), "person-a")).as("run_1 was never filed").isFalse();
    assertThat(upgraded.runsFiledUnder("person-a")).as("callers read the runs instead").isEmpty();
    assertThat(upgraded.runs()).extracting(RunRecord::id).containsExactly(RunId.of("run_1"));
  }

  @Test
  void aDatabaseMigratedBeforeItsFirstRun_filesRunsByPerson_forEveryHost() {
    DataSource ds = PG.freshDatabase();
    RunJournal hostA = JdbcStores.builder().dataSource(ds).build().journal();
    RunJournal hostB = JdbcStores.builder().dataSource(ds).build().journal();

    assertThat(hostA.fileRun(RunId.of("run_1"), "person-a")).isTrue();
    assertThat(hostB.fileRun(RunId.of("run_2"), "person-a")).isTrue();
    assertThat(hostA.fileRun(RunId.of("run_1"), "person-a")).isTrue();

    assertThat(hostA.runsFiledUnder("person-a").orElseThrow()).containsExactly(RunId.of("run_1"), RunId.of("run_2"));
    assertThat(hostB.runsFiledUnder("person-a").orElseThrow()).containsExactly(RunId.of("run_1"), RunId.of("run_2"));
  }
}
