package io.agentprovision.core.internal.audit;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * What a JSONL audit log needs from the disk beyond reading and writing: forcing a file, and which
 * boot of the machine this is. Replaceable in tests, which keep only what was forced and play a
 * machine that stopped and started again.
 */
interface Disk {
  /** The real disk, and Linux's boot id ({@code /proc/sys/kernel/random/boot_id}) where there is one. */
  Disk SYSTEM = new Disk() {
    @Override
    public @Nullable String bootId() {
      return BootId.ID;
    }

    @Override
    public void force(FileChannel ch, Path file, boolean metaData) throws IOException {
      ch.force(metaData);
    }
  };

  /**
   * What names this run of the operating system, changing whenever the machine starts again; null
   * when it cannot be known, in which case a plain log forces its file on every commit.
   */
  @Nullable String bootId();

  /** {@link FileChannel#force} of {@code ch}, which has {@code file} open. */
  void force(FileChannel ch, Path file, boolean metaData) throws IOException;

  /** The boot id, read once. */
  final class BootId {
    static final @Nullable String ID = read();

    private BootId() {}

    private static @Nullable String read() {
      try {
        String id = Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).strip();
        return id.matches("[0-9a-fA-F-]{8,64}") ? id : null;
      } catch (IOException | RuntimeException e) {
        return null; // not Linux, or /proc not mounted: commits force the log as well
      }
    }
  }
}
