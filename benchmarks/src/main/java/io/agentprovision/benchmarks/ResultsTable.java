package io.agentprovision.benchmarks;

import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Turns JMH's JSON results ({@code -rf json}) into a Markdown table, or compares two of them.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.ResultsTable results.json
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.ResultsTable \
 *     benchmarks/baseline.json results.json
 * }</pre>
 *
 * <p>A comparison calls a change <em>within noise</em> when the two scores are no further apart than
 * the sum of their 99.9% error margins (as JMH reports them); a score without an error margin (one
 * iteration, or one fork of sample time) is judged only against a 10% band. Short runs on a shared
 * machine have wide margins, so read a "faster" or "slower" from them as a hint to rerun, not a verdict.
 */
public final class ResultsTable {
  /** The band within which a change without error margins counts as noise. */
  static final double UNMEASURED_NOISE = 0.10;
  private static final String PACKAGE = ResultsTable.class.getPackageName() + ".";

  private ResultsTable() {}

  /** One benchmark result: what was run and its primary score. */
  record Result(String benchmark, String mode, long threads, Map<String, String> params, double score, double error,
      String unit, @Nullable Double p50, @Nullable Double p99, String jvm) {
    String key() {
      return benchmark + "|" + mode + "|" + threads + "|" + params;
    }

    String paramText() {
      return params.isEmpty() ? "" : params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
          .collect(Collectors.joining(", "));
    }

    /** Whether a larger score is better (throughput) rather than smaller (time per operation). */
    boolean higherIsBetter() {
      return mode.equals("thrpt");
    }
  }

  public static void main(String[] args) throws IOException {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    if (args.length == 1) {
      List<Result> results = read(Path.of(args[0]));
      out.println("JVM: " + jvms(results));
      out.println();
      out.print(table(results));
    } else if (args.length == 2) {
      List<Result> base = read(Path.of(args[0]));
      List<Result> now = read(Path.of(args[1]));
      out.println("JVM: baseline " + jvms(base) + "; now " + jvms(now));
      out.println();
      out.print(compare(base, now));
    } else {
      System.err.println("usage: ResultsTable results.json            (a table of one run)");
      System.err.println("       ResultsTable baseline.json now.json  (how the second run compares)");
      System.exit(2);
    }
  }

  /** Reads a JMH JSON result file. */
  static List<Result> read(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8));
  }

  /** Parses JMH's JSON result format. */
  static List<Result> parse(String json) {
    if (!(Json.parse(json) instanceof List<?> runs)) {
      throw new IllegalArgumentException("not a JMH JSON result file: the top level is not a list");
    }
    List<Result> out = new ArrayList<>();
    for (Object o : runs) {
      if (!(o instanceof Map<?, ?> raw)) {
        throw new IllegalArgumentException("not a JMH JSON result file: an entry is not an object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> run = (Map<String, Object>) raw;
      Map<String, Object> metric = Json.object(run, "primaryMetric");
      Map<String, String> params = new LinkedHashMap<>();
      Json.object(run, "params").forEach((k, v) -> params.put(k, String.valueOf(v)));
      Map<String, Object> percentiles = Json.object(metric, "scorePercentiles");
      String mode = Objects.requireNonNullElse(Json.string(run, "mode"), "?");
      String name = Objects.requireNonNullElse(Json.string(run, "benchmark"), "?");
      out.add(new Result(name.startsWith(PACKAGE) ? name.substring(PACKAGE.length()) : name, mode,
          number(run.get("threads")).longValue(), params, number(metric.get("score")),
          number(metric.get("scoreError")), Objects.requireNonNullElse(Json.string(metric, "scoreUnit"), "?"),
          mode.equals("sample") ? number(percentiles.get("50.0")) : null,
          mode.equals("sample") ? number(percentiles.get("99.0")) : null,
          Objects.requireNonNullElse(Json.string(run, "vmName"), "?") + " "
              + Objects.requireNonNullElse(Json.string(run, "vmVersion"), "?")));
    }
    return out;
  }

  /** The JVMs the results were measured on, usually one. */
  static String jvms(List<Result> results) {
    return results.stream().map(Result::jvm).distinct().collect(Collectors.joining(", "));
  }

  private static Double number(@Nullable Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String s) {
      try {
        return Double.parseDouble(s);
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }
    return Double.NaN;
  }

  /** A Markdown table of one run. */
  static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| benchmark | mode | threads | params | score | error (99.9%) | unit | p50 / p99 |\n");
    sb.append("|---|---|---:|---|---:|---:|---|---:|\n");
    for (Result r : results) {
      sb.append("| ").append(r.benchmark()).append(" | ").append(r.mode()).append(" | ").append(r.threads())
          .append(" | ").append(r.paramText()).append(" | ").append(format(r.score())).append(" | ")
          .append(Double.isNaN(r.error()) ? "n/a" : "± " + format(r.error())).append(" | ").append(r.unit())
          .append(" | ").append(r.p50() == null || r.p99() == null ? "" : format(r.p50()) + " / " + format(r.p99())).append(" |\n");
    }
    return sb.toString();
  }

  /** A Markdown table of how each result of {@code now} compares with the same benchmark in {@code base}. */
  static String compare(List<Result> base, List<Result> now) {
    Map<String, Result> before = new LinkedHashMap<>();
    base.forEach(r -> before.put(r.key(), r));
    StringBuilder sb = new StringBuilder();
    sb.append("| benchmark | mode | threads | params | baseline | now | unit | change | verdict |\n");
    sb.append("|---|---|---:|---|---:|---:|---|---:|---|\n");
    for (Result r : now) {
      Result b = before.remove(r.key());
      sb.append("| ").append(r.benchmark()).append(" | ").append(r.mode()).append(" | ").append(r.threads())
          .append(" | ").append(r.paramText()).append(" | ");
      if (b == null) {
        sb.append("– | ").append(format(r.score())).append(" | ").append(r.unit()).append(" | – | new |\n");
        continue;
      }
      sb.append(format(b.score())).append(" | ").append(format(r.score())).append(" | ").append(r.unit()).append(" | ");
      if (!b.unit().equals(r.unit())) {
        sb.append("– | units differ (" + b.unit() + ") |\n");
        continue;
      }
      double change = r.score() / b.score() - 1;
      sb.append(String.format(Locale.ROOT, "%+.1f%%", change * 100)).append(" | ").append(verdict(b, r)).append(" |\n");
    }
    for (Result b : before.values()) {
      sb.append("| ").append(b.benchmark()).append(" | ").append(b.mode()).append(" | ").append(b.threads())
          .append(" | ").append(b.paramText()).append(" | ").append(format(b.score())).append(" | – | ")
          .append(b.unit()).append(" | – | not run |\n");
    }
    return sb.toString();
  }

  /** {@code faster}, {@code slower} or {@code within noise}, from the scores and their error margins. */
  static String verdict(Result base, Result now) {
    double diff = now.score() - base.score();
    double noise = Double.isNaN(base.error()) || Double.isNaN(now.error())
        ? Math.abs(base.score()) * UNMEASURED_NOISE
        : base.error() + now.error();
    if (Math.abs(diff) <= noise) {
      return "within noise";
    }
    boolean better = base.higherIsBetter() ? diff > 0 : diff < 0;
    return better ? "faster" : "slower";
  }

  static String format(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (a >= 0.01 || a == 0) {
      return String.format(Locale.ROOT, "%.3f", v);
    }
    return String.format(Locale.ROOT, "%.2e", v);
  }
}
