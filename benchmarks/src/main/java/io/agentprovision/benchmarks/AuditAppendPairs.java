package io.agentprovision.benchmarks;

import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.internal.audit.AuditCodec;
import io.agentprovision.core.spi.AuditLog;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Audit appends against raw {@code write}+{@code force} of the same bytes, measured in alternating
 * slices rather than one after the other. On a disk shared with other work the fsync rate drifts by
 * an order of magnitude within a minute, so two JMH benchmarks run a minute apart
 * ({@link AuditAppendBenchmark}) can compare two different disks; here each round times a slice of
 * raw writes and a slice of appends back to back (in alternating order), and the ratio is taken
 * per round. Prints, for the plain and the keyed log, single-threaded and with four threads on one
 * file, the median ratio of rounds and its range, and, where Linux reports it ({@code write_bytes}
 * of {@code /proc/self/io}: what the process caused to be written to the disk), the bytes written
 * per operation of each side, which the disk's drift does not move.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.AuditAppendPairs [rounds] [sliceMillis] [plain]
 * }</pre>
 *
 * <p>With {@code plain} only the plain log is measured, which lets the class run against an SDK
 * from before keyed logs existed (put it first on the class path) for a before-and-after pair.
 */
public final class AuditAppendPairs {
  private static final AuditRecord RECORD = AuditRecords.record(1);
  private static final byte[] LINE =
      (AuditCodec.toLine(AuditChain.link(null, RECORD)) + "\n").getBytes(StandardCharsets.UTF_8);

  private AuditAppendPairs() {}

  /** Something appended to, many times, from {@code threads} threads. */
  private interface Target {
    void append() throws IOException;
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    long slice = args.length > 1 ? Long.parseLong(args[1]) : 1000;
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    out.println("| log | threads | rounds | median ratio (log ÷ raw) | min | max | median log ops/s | median raw ops/s "
        + "| disk bytes per op, log / raw |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    boolean plainOnly = args.length > 2 && args[2].equals("plain");
    for (boolean keyed : plainOnly ? new boolean[] {false} : new boolean[] {false, true}) {
      for (int threads : new int[] {1, 4}) {
        out.println(row(keyed, threads, rounds, slice));
      }
    }
  }

  private static String row(boolean keyed, int threads, int rounds, long slice) throws Exception {
    Path dir = BenchFiles.scratch("audit-pairs");
    try (FileChannel raw = FileChannel.open(dir.resolve("raw.jsonl"), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      AtomicLong rawEnd = new AtomicLong();
      Target rawTarget = () -> {
        long at = rawEnd.getAndAdd(LINE.length);
        ByteBuffer buf = ByteBuffer.wrap(LINE);
        while (buf.hasRemaining()) {
          at += raw.write(buf, at);
        }
        raw.force(false);
      };
      AuditLog log = keyed ? Keyed.open(dir.resolve("audit.jsonl")) : AuditLog.jsonl(dir.resolve("audit.jsonl"));
      Target logTarget = () -> log.append(RECORD);
      rate(rawTarget, threads, slice, new long[2]); // warm-up
      rate(logTarget, threads, slice, new long[2]);
      long[] logBytes = new long[2]; // bytes written, operations
      long[] rawBytes = new long[2];
      double[] ratios = new double[rounds];
      double[] logRates = new double[rounds];
      double[] rawRates = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        boolean rawFirst = r % 2 == 0; // alternate, so a drift in the disk's speed does not favour one side
        double a = rate(rawFirst ? rawTarget : logTarget, threads, slice, rawFirst ? rawBytes : logBytes);
        double b = rate(rawFirst ? logTarget : rawTarget, threads, slice, rawFirst ? logBytes : rawBytes);
        rawRates[r] = rawFirst ? a : b;
        logRates[r] = rawFirst ? b : a;
        ratios[r] = logRates[r] / rawRates[r];
      }
      Arrays.sort(ratios);
      String perOp = logBytes[0] < 0 || rawBytes[0] < 0 ? "–" : String.format(Locale.ROOT, "%,.0f / %,.0f",
          logBytes[0] / (double) Math.max(1, logBytes[1]), rawBytes[0] / (double) Math.max(1, rawBytes[1]));
      return String.format(Locale.ROOT, "| %s | %d | %d | %.2f× | %.2f× | %.2f× | %,.0f | %,.0f | %s |",
          keyed ? "keyed" : "plain", threads, rounds, median(ratios), ratios[0], ratios[rounds - 1],
          median(logRates), median(rawRates), perOp);
    } finally {
      BenchFiles.delete(dir);
    }
  }

  /** Kept apart so that a plain-only run never loads the key classes. */
  private static final class Keyed {
    static AuditLog open(Path file) {
      return AuditLog.jsonl(file, AuditKey.of("bench", Secret.of("benchmark-audit-key-0123456789abcdef0123")));
    }
  }

  /**
   * Operations per second of {@code target} from {@code threads} threads over about {@code millis};
   * adds the bytes the process wrote to the disk meanwhile and the operations to {@code bytes}
   * (its first element becomes negative where that cannot be known).
   */
  private static double rate(Target target, int threads, long millis, long[] bytes) throws InterruptedException {
    long written = writtenBytes();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ops = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          start.await();
          while (!stop.get()) {
            target.append();
            ops.incrementAndGet();
          }
        } catch (IOException e) {
          synchronized (failures) {
            failures.add(new UncheckedIOException(e));
          }
        } catch (InterruptedException | RuntimeException e) {
          synchronized (failures) {
            failures.add(e);
          }
        }
      });
      w.start();
      workers.add(w);
    }
    long t0 = System.nanoTime();
    start.countDown();
    Thread.sleep(millis); // the measured slice: a harness timing the disk, not a test waiting for an event
    stop.set(true);
    for (Thread w : workers) {
      w.join();
    }
    long elapsed = System.nanoTime() - t0;
    if (!failures.isEmpty()) {
      throw new IllegalStateException("a writer failed", failures.get(0));
    }
    long after = writtenBytes();
    if (written < 0 || after < 0 || bytes[0] < 0) {
      bytes[0] = -1;
    } else {
      bytes[0] += after - written;
      bytes[1] += ops.get();
    }
    return ops.get() / (elapsed / 1e9);
  }

  /**
   * The bytes this process caused to be written to the disk so far ({@code write_bytes} of
   * {@code /proc/self/io}, counted as pages are dirtied, in whole cached folios), or -1 off Linux.
   */
  private static long writtenBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/io"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("write_bytes:")) {
          return Long.parseLong(line.substring("write_bytes:".length()).strip());
        }
      }
      return -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
}
