package io.agentprovision.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL throughput harness runs end to end for a moment (so a harness that no longer runs
 * fails the build) and its contention case admits exactly the small cap on both ledgers. No timing
 * is asserted.
 */
class JdbcLedgerThroughputTest {
  @Test
  void everyCaseRuns_andTheSmallCapAdmitsExactlyItsAmount() throws Exception {
    List<JdbcLedgerThroughput.Result> results = JdbcLedgerThroughput.run(Duration.ofMillis(300), 4, 200,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    assertThat(results).extracting(JdbcLedgerThroughput.Result::ledger)
        .containsExactly("in-memory", "in-memory", "postgresql", "postgresql", "postgresql", "in-memory");
    assertThat(results).allSatisfy(r -> assertThat(r.admitted()).isPositive());
    assertThat(results).filteredOn(r -> r.caps().contains("until full")).hasSize(2)
        .allSatisfy(r -> assertThat(r.admitted()).isEqualTo(200))
        .allSatisfy(r -> assertThat(r.refused()).as("every writer refused once the cap is full").isEqualTo(4));
    assertThat(JdbcLedgerThroughput.table(results)).contains("pairs/s", "postgresql", "until full");
  }
}
