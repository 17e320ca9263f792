package io.agentprovision.benchmarks;

import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.spi.AuditLog;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Audit entries appended per second, one thread: {@code AuditLog.inMemory()} (hashing and linking
 * only) and {@code AuditLog.jsonl(file)}, which also takes its file lock, reads the head, writes the
 * line, forces it to disk and replaces the head file atomically on every append. The JSONL figure is
 * bound by the disk's fsync; see {@link BenchFiles} for choosing the disk. Each iteration starts
 * from an empty log.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class AuditAppendBenchmark {
  private static final AuditRecord RECORD = AuditRecords.record(1);

  /** An in-memory log, new each iteration. */
  @State(Scope.Thread)
  public static class InMemory {
    AuditLog log = AuditLog.inMemory();

    @Setup(Level.Iteration)
    public void open() {
      log = AuditLog.inMemory();
    }
  }

  /** A JSONL log in a new scratch directory each iteration. */
  @State(Scope.Thread)
  public static class Jsonl {
    Path dir = Path.of("");
    AuditLog log = AuditLog.inMemory();

    @Setup(Level.Iteration)
    public void open() {
      dir = BenchFiles.scratch("audit-append");
      log = AuditLog.jsonl(dir.resolve("audit.jsonl"));
    }

    @TearDown(Level.Iteration)
    public void delete() {
      BenchFiles.delete(dir);
    }
  }

  @Benchmark
  public AuditEntry inMemory(InMemory s) {
    return s.log.append(RECORD);
  }

  @Benchmark
  public AuditEntry jsonl(Jsonl s) {
    return s.log.append(RECORD);
  }
}
