package io.agentprovision.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Scratch directories for the benchmarks that write files. They go under the directory named by
 * the system property {@value #DIR_PROPERTY} (the JVM's temporary directory when unset), so the
 * disk under test can be chosen: pass {@code -jvmArgsAppend -Dagentprovision.bench.dir=/mnt/disk}.
 * fsync on a RAM-backed temporary directory costs nothing and would flatter the file-backed stores.
 */
final class BenchFiles {
  /** The system property naming where scratch directories are made. */
  static final String DIR_PROPERTY = "agentprovision.bench.dir";

  private BenchFiles() {}

  static Path scratch(String prefix) {
    try {
      String base = System.getProperty(DIR_PROPERTY);
      if (base == null || base.isBlank()) {
        return Files.createTempDirectory(prefix);
      }
      Path dir = Path.of(base);
      Files.createDirectories(dir);
      return Files.createTempDirectory(dir, prefix);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a scratch directory for " + prefix, e);
    }
  }

  static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
