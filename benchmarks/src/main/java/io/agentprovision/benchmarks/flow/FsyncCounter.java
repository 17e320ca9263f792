package io.agentprovision.benchmarks.flow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.jspecify.annotations.Nullable;

/**
 * Counts the disk syncs ({@code FileChannel.force}, files and directories) made under one directory
 * while it runs, from JFR's {@code jdk.FileForce} events with no threshold: no wrapper around the
 * stores, so they are counted exactly as the host would run them.
 *
 * <p>Start it before the warm-up and {@link #mark} where the counting begins: starting a recording
 * makes JFR instrument the JDK's file and socket classes, which throws away the JIT's compiled code
 * of everything that inlined them, and the next flows then run partly interpreted and recompiling
 * (measured: twice the provisioner's CPU per flow, and a third more of the process's, on the flows
 * right after a start). Only syncs after the mark are counted.
 */
public final class FsyncCounter {
  private final Path under;
  private @Nullable Recording recording;
  private long count;
  private long nanos;
  /** Syncs made by a thread other than the stores' background forcers ({@code agentprovision-force}): waited for where made. */
  private long inline;
  private long inlineNanos;
  private final Map<String, long[]> byFile = new TreeMap<>();

  /** Where counting begins, on JFR's own clock. */
  @jdk.jfr.Name("io.agentprovision.benchmarks.CountFrom")
  @jdk.jfr.Label("Count syncs from here")
  static final class CountFrom extends jdk.jfr.Event {}

  public FsyncCounter(Path under) {
    this.under = under.toAbsolutePath().normalize();
  }

  public void start() {
    recording = new Recording();
    recording.enable("jdk.FileForce").withThreshold(Duration.ZERO).withStackTrace();
    recording.enable(CountFrom.class);
    recording.start();
  }

  /** Counts only the syncs from now on (call it after the warm-up; without it, every sync is counted). */
  public void mark() {
    new CountFrom().commit();
  }

  /** Stops counting; {@link #count()} is then the syncs under the directory. */
  public void stop() throws IOException {
    if (recording == null) {
      throw new IllegalStateException("the counter was not started: call start() first");
    }
    recording.stop();
    Path file = Files.createTempFile("fsyncs-", ".jfr");
    try {
      recording.dump(file);
      List<RecordedEvent> events = RecordingFile.readAllEvents(file);
      java.time.Instant from = java.time.Instant.MIN;
      for (RecordedEvent e : events) {
        if (e.getEventType().getName().equals("io.agentprovision.benchmarks.CountFrom")) {
          from = e.getStartTime(); // the last mark
        }
      }
      for (RecordedEvent e : events) {
        if (e.getStartTime().isBefore(from)) {
          continue;
        }
        // a dump holds every event recorded meanwhile, also those of a recording started with -XX:StartFlightRecording
        if (!e.getEventType().getName().equals("jdk.FileForce")) {
          continue;
        }
        String path = e.getString("path");
        Path p = path == null ? null : Path.of(path).toAbsolutePath().normalize();
        if (p != null && p.startsWith(under)) {
          count++;
          long took = e.getDuration().toNanos();
          nanos += took;
          jdk.jfr.consumer.RecordedThread t = e.getThread();
          String thread = t == null ? null : t.getJavaName();
          if (thread == null || !thread.startsWith("agentprovision-force")) {
            inline++;
            inlineNanos += took;
          }
          long[] c = byFile.computeIfAbsent(kindOf(under.relativize(p)), k -> new long[2]);
          c[0]++;
          c[1] += took;
        }
      }
    } finally {
      recording.close();
      Files.deleteIfExists(file);
    }
  }

  public long count() {
    return count;
  }

  /**
   * The syncs made on the threads that called the stores (a step's, the flow's own) rather than by
   * the durability barrier's background forcers: a caller waited for each of these where it was
   * made (a crossing's first file, a store that forces before it returns). Waits for a force a
   * forcer leads are not among them.
   */
  public long inline() {
    return inline;
  }

  /** The time the {@linkplain #inline() syncs on the callers' threads} took, added up. */
  public long inlineNanos() {
    return inlineNanos;
  }

  /** The time the syncs took, added up (they may overlap when made by several threads). */
  public long nanos() {
    return nanos;
  }

  /**
   * The syncs by kind of file: {@code {count, nanos}} per file name, with a run's own file in the
   * journal counted as {@code journal/<run>} and a store's temporary file under its target's name.
   */
  public Map<String, long[]> byFile() {
    return byFile;
  }

  private static String kindOf(Path relative) {
    String name = relative.toString().replace('\\', '/');
    if (name.isEmpty()) {
      return "(directory)";
    }
    if (name.startsWith("journal/")) {
      String f = name.substring("journal/".length());
      if (f.startsWith(".leases.json")) {
        return "journal/.leases.json";
      }
      if (f.startsWith("..leases.json")) {
        return "journal/.leases.json.tmp"; // the lease file replaced whole
      }
      return f.startsWith(".") && f.endsWith(".tmp") ? "journal/<run>.tmp"
          : f.endsWith(".json") || f.endsWith(".jsonl") ? "journal/<run>" : name;
    }
    return name.replaceAll("\\.[0-9]+\\.tmp$", ".tmp");
  }
}
