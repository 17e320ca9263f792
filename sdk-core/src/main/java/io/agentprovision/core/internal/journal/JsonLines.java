package io.agentprovision.core.internal.journal;

import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The journal's append-only files: a header line, then one JSON object per line, each ended by a
 * newline. A save appends a line; after a crash the file may end with part of a line whose save
 * never returned (no newline yet, or a newline whose line did not all reach the disk), which
 * {@link #parse} leaves out and {@link #append} cuts off before writing.
 */
final class JsonLines {
  private JsonLines() {}

  /**
   * A file's lines as parsed: the header, the records after it, and the length of the intact part
   * (where the next line goes).
   */
  record Parsed(Map<String, Object> header, List<Map<String, Object>> records, long end) {}

  /**
   * Parses {@code bytes}, or returns null when their first line is not a JSON object (a file of an
   * earlier format, one indented document).
   *
   * @throws IllegalArgumentException when a line before the last is not a JSON object
   */
  static @Nullable Parsed parse(byte[] bytes) {
    int firstEnd = indexOf(bytes, 0);
    if (firstEnd <= 0) {
      return null;
    }
    Map<String, Object> header;
    try {
      header = Json.parseObject(new String(bytes, 0, firstEnd, StandardCharsets.UTF_8));
    } catch (RuntimeException notALine) {
      return null; // an indented document starts with a lone brace
    }
    Lines rest = records(bytes, firstEnd + 1, 2);
    return new Parsed(header, rest.records(), firstEnd + 1 + rest.end());
  }

  /**
   * Record lines as parsed from {@code bytes}, and {@code end}: how many bytes from where they
   * started make up whole lines (where the next line goes).
   */
  record Lines(List<Map<String, Object>> records, int end) {}

  /**
   * Parses the record lines in {@code bytes} from {@code from} on, leaving out a last line whose
   * save never returned (no newline yet, or one that does not parse); {@code firstLine} numbers the
   * first of them in the error.
   *
   * @throws IllegalArgumentException when a line before the last is not a JSON object
   */
  static Lines records(byte[] bytes, int from, int firstLine) {
    List<Map<String, Object>> records = new ArrayList<>();
    int start = from;
    int end = from;
    while (from < bytes.length) {
      int nl = indexOf(bytes, from);
      if (nl < 0) {
        break; // a line whose save never returned: not part of the file
      }
      try {
        records.add(Json.parseObject(new String(bytes, from, nl - from, StandardCharsets.UTF_8)));
      } catch (RuntimeException e) {
        if (nl == bytes.length - 1) {
          break; // the last line, torn by a crash: its newline reached the disk, not all before it
        }
        throw new IllegalArgumentException("line " + (records.size() + firstLine) + " is not JSON", e);
      }
      from = nl + 1;
      end = from;
    }
    return new Lines(records, end - start);
  }

  /**
   * One line: {@code value} as compact JSON (members in the map's order, nulls written) and a
   * newline. Written directly rather than through Moshi's adapters, which look up an adapter for
   * each value's class: a flow encodes about 30 lines. The values are what JSON holds (maps, lists,
   * strings, numbers, booleans, null); anything else is written as its string. An integral
   * floating-point number is written without a fraction, as the reader returns it anyway.
   */
  static byte[] line(Map<String, Object> value) {
    StringBuilder sb = new StringBuilder(256);
    Json.appendCompact(sb, value);
    sb.append('\n');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Writes {@code line} at {@code end}, the end of the file's intact part, cutting off whatever
   * follows it first. Does not force: the caller's group commit does. Call under the store's lock.
   */
  static void append(Path file, long end, byte[] line) throws IOException {
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
      append(out, end, line);
    }
  }

  /** {@link #append(Path, long, byte[])} through {@code out}, a channel of the file kept open by the caller. */
  static void append(FileChannel out, long end, byte[] line) throws IOException {
    if (out.size() != end) {
      out.truncate(end); // the rest of a line whose save never returned
    }
    write(out, end, line);
  }

  /**
   * Writes {@code line} at {@code end} through {@code out}, for a caller that knows, from a look at
   * the file under the store's lock, that the file ends there: nothing to cut off first.
   */
  static void write(FileChannel out, long end, byte[] line) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(line);
    long at = end;
    while (buf.hasRemaining()) {
      at += out.write(buf, at);
    }
  }

  /** The position of the first newline at or after {@code from}, or -1. */
  static int indexOf(byte[] bytes, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }
}
