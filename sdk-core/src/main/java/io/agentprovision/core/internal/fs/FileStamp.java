package io.agentprovision.core.internal.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A file as a store last read it whole: its key (the inode on Linux), length and modification time.
 * A store that kept what it parsed of the file serves a read from it while the file still has the
 * same stamp, which costs one {@code stat} instead of opening, locking and reading the file; any
 * write by another process or another store instance (an append, a rewrite, a replacement, a cut)
 * changes the length, the key or the time.
 *
 * <p>File systems keep modification times in ticks (a few milliseconds on Linux, about 16 ms on
 * Windows), so two writes in one tick can leave the same time. A stamp is therefore taken only of a
 * file whose time is at least {@value #SETTLED_MILLIS} ms old ({@link #settled}): a write after the
 * stamp was taken falls in a later tick and changes the time. A file written more recently is read
 * whole as before, until it has settled. File systems with coarser times (FAT's two seconds) are
 * not supported for stores shared between processes.
 *
 * <p>An edit that puts back the file's length and time (and, where it replaces the file, lands on
 * the same inode) is not seen until the file changes again or the store is opened again; the file
 * stores' files are not tamper-evident in any case (whoever may write them can write any content),
 * which is what the audit log is for.
 */
public record FileStamp(@Nullable Object key, long size, FileTime modified) {
  /** How old a file's modification time must be before a stamp of it is trusted. */
  public static final long SETTLED_MILLIS = 100;

  public FileStamp {
    Objects.requireNonNull(modified, "modified");
  }

  /**
   * The stamp of {@code file} as it is now, or null when the file is missing, cannot be looked at,
   * or was modified less than {@value #SETTLED_MILLIS} ms ago (or in the future, by this clock).
   * Take it before reading the file, and keep it only if {@link #matches} still holds after the
   * read (the file did not change while being read).
   */
  public static @Nullable FileStamp settled(Path file) {
    long now = System.currentTimeMillis();
    FileStamp s = of(file);
    if (s == null) {
      return null;
    }
    long age = now - s.modified.toMillis();
    return age >= SETTLED_MILLIS ? s : null;
  }

  /** The stamp of {@code file} as it is now, settled or not; null when missing or unreadable. */
  public static @Nullable FileStamp of(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new FileStamp(a.fileKey(), a.size(), a.lastModifiedTime());
    } catch (IOException | UnsupportedOperationException e) {
      return null; // missing or not readable: no stamp, so the store reads the file whole
    }
  }

  /** Whether {@code file} still has this stamp (false when it is missing or cannot be looked at). */
  public boolean matches(Path file) {
    return equals(of(file));
  }
}
