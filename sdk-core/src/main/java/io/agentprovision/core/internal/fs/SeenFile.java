package io.agentprovision.core.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * What a reader last read of an append-only file (the run journal's, the vault's): which file it
 * was (the file system's key, an inode on Linux), the length of its intact part and the bytes just
 * before that end. With it, a save or a read takes only the bytes appended since instead of reading
 * and parsing the whole file again: these files only grow between rewrites, and a rewrite replaces
 * the file (a new key). A file that is not the one seen (replaced, cut below the end, or whose bytes
 * before the end changed, as when a file was restored by hand) is read whole again.
 *
 * <p>{@code modified} is the file's modification time when its length was last known to be
 * {@code end} (null when unknown, as right after an append not yet looked at): a file with the same
 * key, that length and that time has had nothing appended and is not opened at all (a save reads
 * its run's file before appending, about 30 times a flow, nearly always a file this journal wrote
 * last). A file edited in place by hand keeps neither its time nor, usually, its length.
 */
public record SeenFile(Object key, long end, byte[] tail, @Nullable FileTime modified) {
  private static final byte[] NOTHING = new byte[0];

  /** How many bytes before the end are compared, so that a file changed in place is not taken for the one seen. */
  public static final int TAIL = 64;

  /**
   * The file {@code f} as just read or written whole, {@code content} its bytes up to the intact
   * end {@code end}; null when the file system gives files no key (then nothing is kept).
   */
  public static @Nullable SeenFile of(Path f, byte[] content, long end) throws IOException {
    BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
    Object key = a.fileKey();
    if (key == null) {
      return null;
    }
    int to = (int) end;
    return new SeenFile(key, end, Arrays.copyOfRange(content, Math.max(0, to - TAIL), to),
        a.size() == end ? a.lastModifiedTime() : null);
  }

  /**
   * The same, with the modification time {@code f} has now, when it is still this file and this
   * long (call under the lock its writers take, right after this journal wrote it); else as it is.
   */
  public SeenFile stamped(Path f) {
    try {
      BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
      if (key.equals(a.fileKey()) && a.size() == end) {
        return new SeenFile(key, end, tail, a.lastModifiedTime());
      }
    } catch (IOException e) {
      // not known: the next read looks at the bytes
    }
    return modified == null ? this : new SeenFile(key, end, tail, null);
  }

  /** The same file after {@code line} was appended at its end. */
  public SeenFile appended(byte[] line) {
    byte[] joined = new byte[tail.length + line.length];
    System.arraycopy(tail, 0, joined, 0, tail.length);
    System.arraycopy(line, 0, joined, tail.length, line.length);
    return new SeenFile(key, end + line.length,
        Arrays.copyOfRange(joined, Math.max(0, joined.length - TAIL), joined.length), null);
  }

  /** The same file, its intact part now ending {@code more} bytes later, {@code bytes} what was read past the old end. */
  public SeenFile grown(byte[] bytes, int more) {
    if (more == 0) {
      return this;
    }
    return appended(Arrays.copyOf(bytes, more));
  }

  /**
   * The bytes of {@code f} past the end seen (empty when nothing was appended), or null when
   * {@code f} is missing, is not the file seen or cannot be read, and must be read whole (a read
   * that then fails says what is wrong).
   */
  public byte @Nullable [] since(Path f) {
    try {
      return appendedTo(f);
    } catch (IOException e) {
      return null;
    }
  }

  private byte @Nullable [] appendedTo(Path f) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(f, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return null;
    }
    long size = a.size();
    if (!key.equals(a.fileKey()) || size < end || size - end > Integer.MAX_VALUE - TAIL) {
      return null;
    }
    if (size == end && modified != null && modified.equals(a.lastModifiedTime())) {
      return NOTHING; // as this journal last knew it: nothing appended, nothing to read
    }
    long from = end - tail.length;
    byte[] read = new byte[(int) (size - from)];
    try (FileChannel in = FileChannel.open(f, StandardOpenOption.READ)) {
      if (!Positional.read(in, ByteBuffer.wrap(read), from)) {
        return null; // cut while being read
      }
    } catch (NoSuchFileException e) {
      return null;
    }
    if (!Arrays.equals(read, 0, tail.length, tail, 0, tail.length)) {
      return null;
    }
    return Arrays.copyOfRange(read, tail.length, read.length);
  }
}
