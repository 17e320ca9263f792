package io.agentprovision.core.internal.audit;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
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

    /**
     * The directory's device, inode and change time (ctime, which a rename, link or unlink in it
     * sets and no one can set back), when that change is more than {@link #SETTLED_MILLIS} old: a
     * file system whose clock ticks coarsely gives two changes within one tick the same time, so
     * a change time that recent could hide a second change. Null where the file system has no
     * {@code unix} attributes.
     */
    @Override
    public @Nullable Object directoryState(Path dir) {
      try {
        Map<String, Object> a = Files.readAttributes(dir, "unix:dev,ino,ctime");
        if (!(a.get("ctime") instanceof FileTime ctime) || a.get("dev") == null || a.get("ino") == null
            || ctime.toMillis() > System.currentTimeMillis() - SETTLED_MILLIS) {
          return null;
        }
        return List.of(a.get("dev"), a.get("ino"), ctime);
      } catch (IOException | RuntimeException e) {
        return null; // not a Unix file system, or gone: the files are looked at instead
      }
    }
  };

  /** How old a directory's last change must be for {@link #directoryState} to vouch for it. */
  long SETTLED_MILLIS = 1000;

  /**
   * What names this run of the operating system, changing whenever the machine starts again; null
   * when it cannot be known, in which case a plain log forces its file on every commit.
   */
  @Nullable String bootId();

  /** {@link FileChannel#force} of {@code ch}, which has {@code file} open. */
  void force(FileChannel ch, Path file, boolean metaData) throws IOException;

  /**
   * What identifies directory {@code dir} and the last change to its entries (a file created,
   * deleted, renamed or replaced in it), or null when that cannot be vouched for. While two values
   * taken at different times are equal, no entry of the directory changed between them, so a file
   * in it that was the one a log had open still is, without looking at the file's own attributes.
   * The default vouches for nothing.
   */
  default @Nullable Object directoryState(Path dir) {
    return null;
  }

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
