package io.agentprovision.core.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Atomic replacement of small files and locks that hold across threads and processes, for the
 * file-backed stores.
 *
 * <p>{@link #replace} writes a temporary file in the target's directory, forces it to disk and
 * moves it over the target with {@code ATOMIC_MOVE}: a reader, or a process that starts after a
 * crash, sees either the old content or the new, never a mix. Temporary files start with a dot, so
 * stores that list a directory can skip leftovers of a crash.
 *
 * <p>{@link #withLock} serializes a critical section across the threads of this JVM (one lock per
 * path) and across processes ({@link FileChannel#lock} on a byte past any data the file will hold,
 * so that the lock never blocks plain reads of the file, even where locks are mandatory).
 */
public final class AtomicFiles {
  /** The byte locked to serialize writers: far past the end of any real file. */
  private static final long LOCK_POSITION = Long.MAX_VALUE - 1;
  private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private AtomicFiles() {}

  /** What runs under {@link #withLock}, given the locked file's channel. */
  @FunctionalInterface
  public interface LockedAction<T> {
    T run(FileChannel channel) throws IOException;
  }

  /**
   * Replaces {@code target} with {@code content} atomically and durably. On POSIX file systems the
   * file is readable and writable by its owner only (the temporary file is created so).
   */
  public static void replace(Path target, byte[] content) throws IOException {
    replace(target, content, Integer.MAX_VALUE);
  }

  /**
   * {@link #replace(Path, byte[])}, writing {@code content} in writes of at most {@code writeSize}
   * bytes. For a file that is then overwritten in place a piece at a time, each piece forced: Linux
   * keeps a file's cached pages in folios as large as the writes that made them (up to megabytes),
   * and a force writes every folio holding a changed byte whole, so a file made in one write would be
   * written whole by every later force.
   */
  public static void replace(Path target, byte[] content, int writeSize) throws IOException {
    replace(target, content, writeSize, true);
  }

  /**
   * {@link #replace(Path, byte[])} without forcing the directory: the new content is on disk and
   * moved over the target, and a machine that stops before the caller forces the directory
   * ({@link #syncDirectory}) comes back with the old content or the new, each whole.
   */
  public static void replaceLeavingDirectory(Path target, byte[] content) throws IOException {
    replace(target, content, Integer.MAX_VALUE, false);
  }

  private static void replace(Path target, byte[] content, int writeSize, boolean syncDir) throws IOException {
    Path dir = directoryOf(target);
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        for (int at = 0; at < content.length; at += writeSize) {
          ByteBuffer buf = ByteBuffer.wrap(content, at, Math.min(writeSize, content.length - at));
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + target + " cannot replace files atomically; "
            + "keep the store on a local file system", e);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    if (syncDir) {
      syncDirectory(dir);
    }
  }

  /** The directory holding {@code file}; a path naming a root directory has none and is refused. */
  public static Path directoryOf(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir == null) {
      throw new IOException(file + " names a root directory, not a file inside a directory");
    }
    return dir;
  }

  /** Makes a rename in {@code dir} durable where the platform allows it. */
  public static void syncDirectory(Path dir) {
    // Linux needs the directory itself forced for a rename to survive a power cut; Windows cannot
    // open a directory as a channel at all, and NTFS journals the rename, so failing here is fine.
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort: see above
    }
  }

  /**
   * Like {@link #withLock(Path, LockedAction)}, through {@code channel}, a channel of
   * {@code lockFile} that the caller keeps open (a store that takes its lock on every call saves
   * opening and closing the file each time).
   */
  public static <T> T withLock(Path lockFile, FileChannel channel, LockedAction<T> action) throws IOException {
    return withLock(jvmLock(lockFile), channel, action);
  }

  /**
   * This JVM's lock for {@code lockFile}, the one {@link #withLock} takes: a caller that takes it on
   * every operation keeps it rather than looking it up each time (the path made absolute and
   * normalized, then a map).
   */
  public static ReentrantLock jvmLock(Path lockFile) {
    return JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new ReentrantLock());
  }

  /** Where a caller that keeps its lock file open gets the channel: opened again when it was closed. */
  @FunctionalInterface
  public interface KeptChannel {
    FileChannel get() throws IOException;
  }

  /**
   * Like {@link #withLock(ReentrantLock, FileChannel, LockedAction)}, asking {@code channel} for the
   * channel only once this JVM's lock is held: a channel kept open is closed when a thread is
   * interrupted while it waits for the file lock, and a caller that fetched it before taking the
   * JVM's lock could be handed that closed channel; fetched under the lock, it is the holder's own.
   */
  public static <T> T withLock(ReentrantLock jvm, KeptChannel channel, LockedAction<T> action) throws IOException {
    jvm.lock();
    try {
      return fileLocked(jvm, channel.get(), action);
    } finally {
      jvm.unlock();
    }
  }

  /**
   * Like {@link #withLock(Path, FileChannel, LockedAction)}, with the JVM's lock of the file as
   * {@link #jvmLock} returned it.
   */
  public static <T> T withLock(ReentrantLock jvm, FileChannel channel, LockedAction<T> action) throws IOException {
    jvm.lock();
    try {
      return fileLocked(jvm, channel, action);
    } finally {
      jvm.unlock();
    }
  }

  /** Runs {@code action} under the file lock, {@code jvm} held (re-entered: the outer call holds the file lock). */
  private static <T> T fileLocked(ReentrantLock jvm, FileChannel channel, LockedAction<T> action) throws IOException {
    if (jvm.getHoldCount() > 1) {
      return action.run(channel);
    }
    FileLock lock = channel.lock(LOCK_POSITION, 1, false);
    try {
      return action.run(channel);
    } finally {
      if (lock.isValid()) {
        lock.release();
      }
    }
  }

  /**
   * Runs {@code action} holding this JVM's lock for {@code lockFile} and an exclusive file lock on
   * it, creating the file if needed. Re-entrant within a thread.
   */
  public static <T> T withLock(Path lockFile, LockedAction<T> action) throws IOException {
    Path key = lockFile.toAbsolutePath().normalize();
    ReentrantLock jvm = JVM_LOCKS.computeIfAbsent(key, k -> new ReentrantLock());
    jvm.lock();
    try {
      Path dir = key.getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      try (FileChannel ch = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        if (jvm.getHoldCount() > 1) {
          return action.run(ch); // the outer call holds the process lock; locking again would overlap
        }
        FileLock lock = ch.lock(LOCK_POSITION, 1, false);
        try {
          return action.run(ch);
        } finally {
          if (lock.isValid()) {
            lock.release();
          }
        }
      }
    } finally {
      jvm.unlock();
    }
  }
}
