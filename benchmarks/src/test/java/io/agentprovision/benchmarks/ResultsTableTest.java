package io.agentprovision.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.benchmarks.ResultsTable.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The table a maintainer pastes into baseline.md, and the comparison that tells a regression from noise. */
class ResultsTableTest {
  private static String run(String benchmark, String mode, int threads, String params, String score, String error,
      String unit) {
    return """
        {
          "jmhVersion" : "1.37",
          "benchmark" : "io.agentprovision.benchmarks.%s",
          "mode" : "%s",
          "threads" : %d,
          "forks" : 1,
          "jdkVersion" : "17.0.15",
          "vmName" : "OpenJDK 64-Bit Server VM",
          "vmVersion" : "17.0.15+6",
          "params" : { %s },
          "primaryMetric" : {
            "score" : %s,
            "scoreError" : %s,
            "scorePercentiles" : { "0.0" : 1.0, "50.0" : 4.948, "99.0" : 34.788, "100.0" : 50.5 },
            "scoreUnit" : "%s"
          },
          "secondaryMetrics" : { }
        }""".formatted(benchmark, mode, threads, params, score, error, unit);
  }

  private static List<Result> parse(String... runs) {
    return ResultsTable.parse("[" + String.join(",", runs) + "]");
  }

  @Test
  void table_ofThroughputAndSampleRuns_showsParamsScoreErrorAndPercentiles() {
    List<Result> results = parse(
        run("SpendLedgerBenchmark.reserveAndCommit", "thrpt", 1, "\"window\" : \"10000\", \"seeded\" : \"thisMonth\"",
            "4510.533", "120.5", "ops/s"),
        run("ProvisionRunBenchmark.runLatency", "sample", 1, "", "14.055", "5.121", "ms/op"));

    String table = ResultsTable.table(results);

    assertThat(table).contains("| SpendLedgerBenchmark.reserveAndCommit | thrpt | 1 | window=10000, seeded=thisMonth "
        + "| 4,511 | ± 120.5 | ops/s |  |");
    assertThat(table).contains("| ProvisionRunBenchmark.runLatency | sample | 1 |  | 14.1 | ± 5.121 | ms/op "
        + "| 4.948 / 34.8 |");
    assertThat(ResultsTable.jvms(results)).isEqualTo("OpenJDK 64-Bit Server VM 17.0.15+6");
  }

  @Test
  void table_whenJmhReportsNoError_saysNotAvailable() {
    String table = ResultsTable.table(parse(run("AuditAppendBenchmark.jsonl", "thrpt", 1, "", "214.356", "\"NaN\"",
        "ops/s")));

    assertThat(table).contains("| 214.4 | n/a | ops/s |");
  }

  @Test
  void compare_throughputDrop_beyondBothErrors_isSlower() {
    List<Result> base = parse(run("AuditAppendBenchmark.inMemory", "thrpt", 1, "", "240000", "5000", "ops/s"));
    List<Result> now = parse(run("AuditAppendBenchmark.inMemory", "thrpt", 1, "", "200000", "5000", "ops/s"));

    assertThat(ResultsTable.compare(base, now))
        .contains("| AuditAppendBenchmark.inMemory | thrpt | 1 |  | 240,000 | 200,000 | ops/s | -16.7% | slower |");
  }

  @Test
  void compare_timePerOpDrop_isFaster_andOverlappingErrorsAreNoise() {
    List<Result> base = parse(
        run("VaultBenchmark.put", "avgt", 1, "\"entries\" : \"300\"", "4631", "100", "us/op"),
        run("VaultBenchmark.get", "avgt", 1, "\"entries\" : \"300\"", "919", "100", "us/op"));
    List<Result> now = parse(
        run("VaultBenchmark.put", "avgt", 1, "\"entries\" : \"300\"", "2000", "100", "us/op"),
        run("VaultBenchmark.get", "avgt", 1, "\"entries\" : \"300\"", "1050", "100", "us/op"));

    String diff = ResultsTable.compare(base, now);

    assertThat(diff).contains("| VaultBenchmark.put | avgt | 1 | entries=300 | 4,631 | 2,000 | us/op | -56.8% | faster |");
    assertThat(diff).contains("| VaultBenchmark.get | avgt | 1 | entries=300 | 919.0 | 1,050 | us/op | +14.3% | within noise |");
  }

  @Test
  void compare_withoutErrors_usesTenPercentBand_andListsUnmatchedRuns() {
    List<Result> base = parse(
        run("AuditAppendBenchmark.jsonl", "thrpt", 1, "", "200", "\"NaN\"", "ops/s"),
        run("VaultBenchmark.get", "avgt", 1, "", "900", "\"NaN\"", "us/op"));
    List<Result> now = parse(
        run("AuditAppendBenchmark.jsonl", "thrpt", 1, "", "215", "\"NaN\"", "ops/s"),
        run("AuditVerifyBenchmark.jsonlFile", "avgt", 1, "", "860", "\"NaN\"", "ms/op"));

    String diff = ResultsTable.compare(base, now);

    assertThat(diff).contains("| 200.0 | 215.0 | ops/s | +7.5% | within noise |");
    assertThat(diff).contains("| AuditVerifyBenchmark.jsonlFile | avgt | 1 |  | – | 860.0 | ms/op | – | new |");
    assertThat(diff).contains("| VaultBenchmark.get | avgt | 1 |  | 900.0 | – | us/op | – | not run |");
  }

  @Test
  void compare_sameBenchmarkWithOtherParams_isNotMatched() {
    List<Result> base = parse(run("SpendLedgerBenchmark.reserveAndCommit", "thrpt", 1, "\"window\" : \"100\"", "236611",
        "1000", "ops/s"));
    List<Result> now = parse(run("SpendLedgerBenchmark.reserveAndCommit", "thrpt", 1, "\"window\" : \"10000\"", "4510",
        "100", "ops/s"));

    assertThat(ResultsTable.compare(base, now)).contains("| new |").contains("| not run |");
  }

  @Test
  void parse_whenNotAJmhResultList_refuses() {
    assertThatThrownBy(() -> ResultsTable.parse("{\"benchmark\": \"x\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("top level is not a list");
  }
}
