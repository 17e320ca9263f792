package io.agentprovision.benchmarks;

import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
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
 * Time to verify an audit chain of {@code entries} entries: {@link AuditChain#verify} over entries
 * in memory (re-hashing each), {@code verify()} of a JSONL log on disk, and, as the floor a
 * verification of that file cannot beat, reading the same file and computing one SHA-256 per line
 * ({@link #rawReadAndHash}); {@link AuditRatios} prints the log's time as a multiple of it. The
 * engine verifies the whole log once, then checks at each run's finish only what came after the
 * entry it last verified ({@code verifyAfter}, the last 27 entries here: one run's worth), in a
 * JSONL log and in memory; those two figures should not grow with {@code entries}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class AuditVerifyBenchmark {
  /** Entries one run appends: the end-of-run check covers this many. */
  static final int ONE_RUN = 27;

  /** A valid chain held in memory, and an in-memory log holding it. */
  @State(Scope.Benchmark)
  public static class Chain {
    @Param({"10000", "100000"})
    public int entries;

    List<AuditEntry> chain = List.of();
    String head = "";
    AuditLog log = AuditLog.inMemory();
    AuditEntry checkpoint = AuditChain.link(null, AuditRecords.record(0));

    @Setup(Level.Trial)
    public void build() {
      log = AuditLog.inMemory();
      for (int i = 0; i < entries; i++) {
        log.append(AuditRecords.record(i));
      }
      chain = List.copyOf(log.entries());
      head = chain.get(chain.size() - 1).hash();
      checkpoint = chain.get(entries - ONE_RUN - 1);
      requireValid(AuditChain.verify(chain, head, (long) entries));
    }
  }

  /**
   * A valid JSONL log on disk. Appending 100 000 entries one by one takes as many fsyncs, so the
   * entries are exported from an in-memory log, which writes the lines the JSONL log stores, and the
   * log is opened with {@code reanchor}, the documented way to anchor entries that have no head
   * file (it verifies them and appends one {@code audit.reanchored} entry). The log is then verified:
   * if the format ever changes, setup fails here instead of the benchmark timing a broken log.
   */
  @State(Scope.Benchmark)
  public static class JsonlFile {
    @Param({"10000", "100000"})
    public int entries;

    Path dir = Path.of("");
    Path file = Path.of("");
    AuditLog log = AuditLog.inMemory();
    /** The entry a run before the last one verified: one run's worth of entries before the head. */
    AuditEntry checkpoint = AuditChain.link(null, AuditRecords.record(0));

    @Setup(Level.Trial)
    public void write() throws IOException {
      dir = BenchFiles.scratch("audit-verify");
      file = dir.resolve("audit.jsonl");
      AuditLog source = AuditLog.inMemory();
      for (int i = 0; i < entries; i++) {
        source.append(AuditRecords.record(i));
      }
      try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        source.export(w);
      }
      log = AuditLog.jsonlBuilder(file).reanchor("benchmark setup: entries exported from an in-memory log").build();
      // one run's worth after it: the last ONE_RUN - 1 exported entries and the re-anchoring entry
      checkpoint = source.entries().get(entries - ONE_RUN);
      AuditVerification v = log.verify();
      requireValid(v);
      if (v.entries() != entries + 1) {
        throw new IllegalStateException("the benchmark's JSONL log holds " + v.entries() + " entries, not "
            + (entries + 1));
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

  /** What the engine does at the end of each run after its first, with an in-memory log. */
  @Benchmark
  public AuditVerification inMemoryAfterLastRun(Chain c) {
    return c.log.verifyAfter(c.checkpoint.sequence(), c.checkpoint.hash());
  }

  @Benchmark
  public AuditVerification jsonlFile(JsonlFile f) {
    return f.log.verify();
  }

  /**
   * What the engine does at the end of each run after its first: check only the entries after the
   * last one it verified, here one run's worth at the end of the log.
   */
  @Benchmark
  public AuditVerification jsonlFileAfterLastRun(JsonlFile f) {
    return f.log.verifyAfter(f.checkpoint.sequence(), f.checkpoint.hash());
  }

  /**
   * The floor for {@link #jsonlFile}: read the same file in 64 KiB chunks and compute a SHA-256 of
   * each line, with no parsing and nothing kept.
   */
  @Benchmark
  public int rawReadAndHash(JsonlFile f) throws IOException {
    return readAndHash(f.file);
  }

  static int readAndHash(Path file) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    int lines = 0;
    int mix = 0;
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (ch.read(buf) >= 0 || buf.position() > 0) {
        buf.flip();
        int start = buf.position();
        int limit = buf.limit();
        boolean any = false;
        for (int i = start; i < limit; i++) {
          if (buf.get(i) == '\n') {
            sha.update(buf.array(), start, i - start);
            mix ^= sha.digest()[0];
            lines++;
            start = i + 1;
            any = true;
          }
        }
        buf.position(start);
        buf.compact();
        if (!any && buf.position() == buf.capacity()) {
          throw new IOException("a line longer than the buffer");
        }
        if (!any && ch.position() >= ch.size() && buf.position() > 0) {
          break; // an unterminated last line: not an entry
        }
      }
    }
    return lines ^ (mix << 24);
  }
}
