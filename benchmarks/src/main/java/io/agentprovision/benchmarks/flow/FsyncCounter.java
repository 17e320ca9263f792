package io.agentprovision.benchmarks.flow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.jspecify.annotations.Nullable;

/**
 * Counts the disk syncs ({@code FileChannel.force}, files and directories) made under one directory
 * while it runs, from JFR's {@code jdk.FileForce} events with no threshold: no wrapper around the
 * stores, so they are counted exactly as the host would run them.
 */
public final class FsyncCounter {
  private final Path under;
  private @Nullable Recording recording;
  private long count;

  public FsyncCounter(Path under) {
    this.under = under.toAbsolutePath().normalize();
  }

  public void start() {
    recording = new Recording();
    recording.enable("jdk.FileForce").withThreshold(Duration.ZERO).withStackTrace();
    recording.start();
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
      for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
        String path = e.getString("path");
        if (path != null && Path.of(path).toAbsolutePath().normalize().startsWith(under)) {
          count++;
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
}
