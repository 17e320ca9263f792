package io.agentprovision.benchmarks;

import io.agentprovision.benchmarks.ResultsTable.Result;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How close the audit log comes to the raw file operations beneath it, from a JMH JSON result file
 * of {@link AuditAppendBenchmark} and {@link AuditVerifyBenchmark}: appends per second as a fraction
 * of raw {@code write}+{@code force} of the same bytes (single-threaded and with four threads), and
 * the time of {@code verify()} as a multiple of reading the file and hashing each line.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar Audit -f 1 -wi 2 -i 3 -rf json -rff benchmarks/target/audit.json
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.AuditRatios benchmarks/target/audit.json
 * }</pre>
 */
public final class AuditRatios {
  private AuditRatios() {}

  /** A benchmark compared with its floor: {@code what} over {@code floor}. */
  record Pair(String what, String floor, String meaning) {}

  static final List<Pair> PAIRS = List.of(
      new Pair("AuditAppendBenchmark.jsonl", "AuditAppendBenchmark.rawWriteForce",
          "JSONL append ÷ raw write+force, 1 thread (throughput; 1.0 = as fast as the disk allows)"),
      new Pair("AuditAppendBenchmark.jsonlKeyed", "AuditAppendBenchmark.rawWriteForce",
          "keyed JSONL append ÷ raw write+force, 1 thread"),
      new Pair("AuditAppendBenchmark.jsonlFourThreads", "AuditAppendBenchmark.rawWriteForceFourThreads",
          "JSONL append ÷ raw write+force, 4 threads on one file"),
      new Pair("AuditAppendBenchmark.jsonlKeyedFourThreads", "AuditAppendBenchmark.rawWriteForceFourThreads",
          "keyed JSONL append ÷ raw write+force, 4 threads on one file"),
      new Pair("AuditVerifyBenchmark.jsonlFile", "AuditVerifyBenchmark.rawReadAndHash",
          "JSONL verify() ÷ raw read + SHA-256 per line (time; 1.0 = as fast as hashing allows)"));

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: AuditRatios results.json   (a JMH -rf json file holding the Audit benchmarks)");
      System.exit(2);
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    out.print(table(ResultsTable.read(Path.of(args[0]))));
  }

  /** A Markdown table of every pair both of whose benchmarks are in {@code results}, per parameter set. */
  static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ratio | params | benchmark | floor | ratio |\n");
    sb.append("|---|---|---:|---:|---:|\n");
    for (Pair p : PAIRS) {
      for (Result r : results) {
        if (!r.benchmark().equals(p.what())) {
          continue;
        }
        Optional<Result> floor = results.stream()
            .filter(f -> f.benchmark().equals(p.floor()) && f.params().equals(r.params())).findFirst();
        if (floor.isEmpty()) {
          continue;
        }
        Result f = floor.get();
        sb.append("| ").append(p.meaning()).append(" | ").append(r.paramText()).append(" | ")
            .append(ResultsTable.format(r.score())).append(' ').append(r.unit()).append(" | ")
            .append(ResultsTable.format(f.score())).append(' ').append(f.unit()).append(" | ")
            .append(String.format(Locale.ROOT, "%.2f×", ratio(r, f))).append(" |\n");
      }
    }
    return sb.toString();
  }

  /** {@code what}'s score over {@code floor}'s, both as throughput or both as time. */
  static double ratio(Result what, Result floor) {
    if (!what.unit().equals(floor.unit())) {
      throw new IllegalArgumentException(what.benchmark() + " is in " + what.unit() + " but " + floor.benchmark()
          + " in " + floor.unit() + "; run both in one JMH run");
    }
    return what.score() / floor.score();
  }
}
