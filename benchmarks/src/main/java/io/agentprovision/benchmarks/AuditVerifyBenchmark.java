package io.agentprovision.benchmarks;

import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to verify a whole audit chain of {@code entries} entries: {@link AuditChain#verify} over
 * entries in memory (re-hashing each), and {@code verify()} of a JSONL log on disk (reading and
 * parsing the file as well). The engine verifies the audit log at the end of every run, so the
 * second figure is what a full check costs a host whose JSONL log has grown that long; the engine
 * does that once, then checks at each run's finish only what came after the entry it last verified
 * (the third figure).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class AuditVerifyBenchmark {
  /** A valid chain held in memory. */
  @State(Scope.Benchmark)
  public static class Chain {
    @Param({"10000"})
    public int entries;

    List<AuditEntry> chain = List.of();
    String head = "";

    @Setup(Level.Trial)
    public void build() {
      List<AuditEntry> out = new ArrayList<>(entries);
      AuditEntry prev = null;
      for (int i = 0; i < entries; i++) {
        prev = AuditChain.link(prev, AuditRecords.record(i));
        out.add(prev);
      }
      chain = List.copyOf(out);
      head = prev == null ? "" : prev.hash();
      requireValid(AuditChain.verify(chain, head, (long) entries));
    }
  }

  /**
   * A valid JSONL log on disk. Appending 10 000 entries one by one takes as many fsyncs (close to a
   * minute on an ordinary disk), so the entries are exported from an in-memory log, which writes the
   * lines the JSONL log stores, and the head file is written beside them as the JSONL log writes it.
   * The log is then opened and verified: if that format ever changes, setup fails here instead of
   * the benchmark timing a broken log.
   */
  @State(Scope.Benchmark)
  public static class JsonlFile {
    @Param({"10000"})
    public int entries;

    Path dir = Path.of("");
    AuditLog log = AuditLog.inMemory();
    /** The entry a run before the last one verified: 27 entries (one run's worth) before the head. */
    AuditEntry checkpoint = AuditChain.link(null, AuditRecords.record(0));

    @Setup(Level.Trial)
    public void write() throws IOException {
      dir = BenchFiles.scratch("audit-verify");
      Path file = dir.resolve("audit.jsonl");
      AuditLog source = AuditLog.inMemory();
      for (int i = 0; i < entries; i++) {
        source.append(AuditRecords.record(i));
      }
      try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        source.export(w);
      }
      Map<String, Object> head = new LinkedHashMap<>();
      head.put("entries", (long) entries);
      head.put("hash", source.head().orElseThrow().hash());
      head.put("bytes", Files.size(file));
      Files.writeString(file.resolveSibling("audit.jsonl.head"), Json.canonical(head) + "\n", StandardCharsets.UTF_8);
      log = AuditLog.jsonl(file);
      checkpoint = log.entries().get(entries - 28);
      AuditVerification v = log.verify();
      requireValid(v);
      if (v.entries() != entries) {
        throw new IllegalStateException("the benchmark's JSONL log holds " + v.entries() + " entries, not " + entries);
      }
    }

    @TearDown(Level.Trial)
    public void delete() {
      BenchFiles.delete(dir);
    }
  }

  /** A benchmark of a chain that does not verify would measure the wrong path. */
  static void requireValid(AuditVerification v) {
    if (!v.valid()) {
      throw new IllegalStateException("the benchmark's audit chain does not verify: " + v.problems());
    }
  }

  @Benchmark
  public AuditVerification chainInMemory(Chain c) {
    return AuditChain.verify(c.chain, c.head, (long) c.entries);
  }

  @Benchmark
  public AuditVerification jsonlFile(JsonlFile f) {
    return f.log.verify();
  }

  /**
   * What the engine does at the end of each run after its first: check only the entries after the
   * last one it verified, here the last 27 (one run's worth) of the log.
   */
  @Benchmark
  public AuditVerification jsonlFileAfterLastRun(JsonlFile f) {
    return f.log.verifyAfter(f.checkpoint.sequence(), f.checkpoint.hash());
  }
}
