package io.agentprovision.benchmarks;

import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.internal.audit.AuditCodec;
import io.agentprovision.core.spi.AuditLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Audit entries appended per second: {@code AuditLog.inMemory()} (hashing and linking only),
 * {@code AuditLog.jsonl(file)} (plain: a commit writes its lines to the log and its slot, the new
 * head with the same lines, to the head file's ring, and forces the head file alone; the log is
 * forced about once every 65 commits), {@code AuditLog.jsonl(file, key)} (keyed: the same, with an
 * HMAC per entry and a signed slot), and, as the floor a durable append cannot beat, a raw
 * {@link FileChannel} that appends the same bytes (one entry's line) and forces them to disk
 * ({@code force(false)}, which on Linux is {@code fdatasync}: enough for appended data to survive a
 * power cut). The JSONL and raw figures are bound by the disk's fsync; see {@link BenchFiles} for
 * choosing the disk. Each comes single-threaded and with four threads appending to one file, where
 * the raw writers each force their own write and the log may share one force among several
 * appends; {@link AuditRatios} prints the log's throughput as a fraction of the raw one. Each
 * iteration starts from an empty file.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class AuditAppendBenchmark {
  private static final AuditRecord RECORD = AuditRecords.record(1);
  /** A fixed benchmark key: what is measured is the HMAC, not key handling. */
  private static final AuditKey KEY = AuditKey.of("bench", Secret.of("benchmark-audit-key-0123456789abcdef0123"));
  /** The bytes one appended entry occupies in the JSONL file, for the raw writer to write. */
  private static final byte[] LINE =
      (AuditCodec.toLine(AuditChain.link(null, RECORD)) + "\n").getBytes(StandardCharsets.UTF_8);

  /** An in-memory log, new each iteration. */
  @State(Scope.Thread)
  public static class InMemory {
    AuditLog log = AuditLog.inMemory();

    @Setup(Level.Iteration)
    public void open() {
      log = AuditLog.inMemory();
    }
  }

  /** A JSONL log in a new scratch directory each iteration (per thread, or shared with {@link Shared}). */
  public abstract static class JsonlState {
    Path dir = Path.of("");
    AuditLog log = AuditLog.inMemory();

    @Setup(Level.Iteration)
    public void open() {
      dir = BenchFiles.scratch("audit-append");
      log = open(dir.resolve("audit.jsonl"));
    }

    AuditLog open(Path file) {
      return AuditLog.jsonl(file);
    }

    @TearDown(Level.Iteration)
    public void delete() {
      BenchFiles.delete(dir);
    }
  }

  /** One JSONL log per thread. */
  @State(Scope.Thread)
  public static class Jsonl extends JsonlState {}

  /** One JSONL log all threads append to. */
  @State(Scope.Benchmark)
  public static class SharedJsonl extends JsonlState {}

  /** A keyed JSONL log (HMAC-SHA256, head file moved every 64 commits, the default) per thread. */
  @State(Scope.Thread)
  public static class KeyedJsonl extends JsonlState {
    @Override
    AuditLog open(Path file) {
      return AuditLog.jsonl(file, KEY);
    }
  }

  /** One keyed JSONL log all threads append to. */
  @State(Scope.Benchmark)
  public static class SharedKeyedJsonl extends KeyedJsonl {}

  /**
   * A file opened for writing, new each iteration: the raw writer appends {@link #LINE} at the next
   * free position (reserved atomically, so several threads can share the file) and forces it.
   */
  public abstract static class RawState {
    Path dir = Path.of("");
    FileChannel channel;
    final AtomicLong end = new AtomicLong();

    @Setup(Level.Iteration)
    public void open() throws IOException {
      dir = BenchFiles.scratch("audit-raw");
      channel = FileChannel.open(dir.resolve("raw.jsonl"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      end.set(0);
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
      channel.close();
      BenchFiles.delete(dir);
    }

    long append() throws IOException {
      long at = end.getAndAdd(LINE.length);
      ByteBuffer buf = ByteBuffer.wrap(LINE);
      while (buf.hasRemaining()) {
        at += channel.write(buf, at);
      }
      channel.force(false);
      return at;
    }
  }

  /** One raw file per thread. */
  @State(Scope.Thread)
  public static class Raw extends RawState {}

  /** One raw file all threads append to. */
  @State(Scope.Benchmark)
  public static class SharedRaw extends RawState {}

  @Benchmark
  public AuditEntry inMemory(InMemory s) {
    return s.log.append(RECORD);
  }

  @Benchmark
  public AuditEntry jsonl(Jsonl s) {
    return s.log.append(RECORD);
  }

  @Benchmark
  public long rawWriteForce(Raw s) throws IOException {
    return s.append();
  }

  @Benchmark
  @Threads(4)
  public AuditEntry jsonlFourThreads(SharedJsonl s) {
    return s.log.append(RECORD);
  }

  @Benchmark
  public AuditEntry jsonlKeyed(KeyedJsonl s) {
    return s.log.append(RECORD);
  }

  @Benchmark
  @Threads(4)
  public AuditEntry jsonlKeyedFourThreads(SharedKeyedJsonl s) {
    return s.log.append(RECORD);
  }

  @Benchmark
  @Threads(4)
  public long rawWriteForceFourThreads(SharedRaw s) throws IOException {
    return s.append();
  }
}
