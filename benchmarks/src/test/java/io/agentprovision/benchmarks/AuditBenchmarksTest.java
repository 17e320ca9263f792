package io.agentprovision.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.audit.AuditVerification;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The audit benchmarks run (each state set up, each benchmark method once, on a small log) and
 * {@link AuditRatios} reads JMH's results into the ratios the baseline quotes. No timing is asserted.
 */
class AuditBenchmarksTest {
  @Test
  void appendBenchmarks_runOnceEach() throws Exception {
    AuditAppendBenchmark b = new AuditAppendBenchmark();
    AuditAppendBenchmark.InMemory mem = new AuditAppendBenchmark.InMemory();
    mem.open();
    assertThat(b.inMemory(mem).sequence()).isEqualTo(1);

    AuditAppendBenchmark.Jsonl jsonl = new AuditAppendBenchmark.Jsonl();
    AuditAppendBenchmark.SharedJsonl shared = new AuditAppendBenchmark.SharedJsonl();
    AuditAppendBenchmark.KeyedJsonl keyed = new AuditAppendBenchmark.KeyedJsonl();
    AuditAppendBenchmark.SharedKeyedJsonl sharedKeyed = new AuditAppendBenchmark.SharedKeyedJsonl();
    AuditAppendBenchmark.Raw raw = new AuditAppendBenchmark.Raw();
    AuditAppendBenchmark.SharedRaw sharedRaw = new AuditAppendBenchmark.SharedRaw();
    for (AuditAppendBenchmark.JsonlState s : List.of(jsonl, shared, keyed, sharedKeyed)) {
      s.open();
    }
    raw.open();
    sharedRaw.open();
    try {
      assertThat(b.jsonl(jsonl).sequence()).isEqualTo(1);
      assertThat(b.jsonlFourThreads(shared).sequence()).isEqualTo(1);
      assertThat(b.jsonlKeyed(keyed).keyId()).isEqualTo("bench");
      assertThat(b.jsonlKeyedFourThreads(sharedKeyed).keyId()).isEqualTo("bench");
      b.rawWriteForce(raw);
      b.rawWriteForceFourThreads(sharedRaw);
      assertThat(raw.channel.size()).as("the raw writer wrote one entry's bytes")
          .isEqualTo(java.nio.file.Files.size(jsonl.dir.resolve("audit.jsonl")));
    } finally {
      for (AuditAppendBenchmark.JsonlState s : List.of(jsonl, shared, keyed, sharedKeyed)) {
        s.delete();
      }
      raw.close();
      sharedRaw.close();
    }
  }

  @Test
  void verifyBenchmarks_runOnceEach() throws Exception {
    AuditVerifyBenchmark b = new AuditVerifyBenchmark();
    AuditVerifyBenchmark.Chain chain = new AuditVerifyBenchmark.Chain();
    chain.entries = 300;
    chain.build();
    AuditVerifyBenchmark.JsonlFile file = new AuditVerifyBenchmark.JsonlFile();
    file.entries = 300;
    file.write();
    try {
      for (AuditVerification v : List.of(b.chainInMemory(chain), b.inMemoryAfterLastRun(chain), b.jsonlFile(file),
          b.jsonlFileAfterLastRun(file))) {
        assertThat(v.valid()).as(v.problems().toString()).isTrue();
      }
      assertThat(b.jsonlFile(file).entries()).isEqualTo(301);
      assertThat(b.rawReadAndHash(file) & 0xffffff).as("lines hashed").isEqualTo(301);
    } finally {
      file.delete();
    }
  }

  @Test
  void ratios_pairEachBenchmarkWithItsFloor() {
    List<ResultsTable.Result> results = ResultsTable.parse("[" + String.join(",",
        result("AuditAppendBenchmark.jsonl", "thrpt", 1, "", 800, "ops/s"),
        result("AuditAppendBenchmark.rawWriteForce", "thrpt", 1, "", 1000, "ops/s"),
        result("AuditAppendBenchmark.jsonlFourThreads", "thrpt", 4, "", 3000, "ops/s"),
        result("AuditAppendBenchmark.rawWriteForceFourThreads", "thrpt", 4, "", 2000, "ops/s"),
        result("AuditVerifyBenchmark.jsonlFile", "avgt", 1, "\"entries\" : \"100000\"", 250, "ms/op"),
        result("AuditVerifyBenchmark.rawReadAndHash", "avgt", 1, "\"entries\" : \"100000\"", 100, "ms/op"),
        result("AuditVerifyBenchmark.jsonlFile", "avgt", 1, "\"entries\" : \"10000\"", 30, "ms/op")) + "]");

    String table = AuditRatios.table(results);

    assertThat(table).contains("1 thread").contains("| 0.80× |").contains("| 1.50× |").contains("| 2.50× |");
    assertThat(table.lines().filter(l -> l.contains("| entries=10000 |"))).as("no floor measured for it").isEmpty();
  }

  private static String result(String benchmark, String mode, int threads, String params, double score, String unit) {
    return """
        {
          "benchmark" : "io.agentprovision.benchmarks.%s",
          "mode" : "%s",
          "threads" : %d,
          "vmName" : "OpenJDK 64-Bit Server VM",
          "vmVersion" : "17",
          "params" : { %s },
          "primaryMetric" : { "score" : %s, "scoreError" : 1.0, "scoreUnit" : "%s" }
        }""".formatted(benchmark, mode, threads, params, score, unit);
  }
}
