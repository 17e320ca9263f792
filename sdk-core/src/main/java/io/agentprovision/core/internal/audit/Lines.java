package io.agentprovision.core.internal.audit;

import io.agentprovision.core.internal.fs.Positional;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Reading lines of a JSONL file by position, in chunks, without holding the file in memory. */
final class Lines {
  private Lines() {}

  /** Streams the lines in {@code [from, to)} as text, with their line numbers. */
  static void forEachLine(FileChannel ch, long from, long to, LineSink sink) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(JsonlAuditLog.CHUNK);
    long pos = from;
    long lineNo = 0;
    byte[] carry = new byte[0];
    while (pos < to) {
      buf.clear();
      buf.limit((int) Math.min(buf.capacity(), to - pos));
      readFully(ch, buf, pos);
      int start = 0;
      for (int i = 0; i < buf.limit(); i++) {
        if (buf.get(i) != '\n') {
          continue;
        }
        String text;
        if (carry.length > 0) {
          byte[] joined = Arrays.copyOf(carry, carry.length + i - start);
          System.arraycopy(buf.array(), start, joined, carry.length, i - start);
          text = new String(joined, StandardCharsets.UTF_8);
          carry = new byte[0];
        } else {
          text = new String(buf.array(), start, i - start, StandardCharsets.UTF_8);
        }
        sink.line(text, ++lineNo);
        start = i + 1;
      }
      if (start < buf.limit()) {
        byte[] more = Arrays.copyOf(carry, carry.length + buf.limit() - start);
        System.arraycopy(buf.array(), start, more, carry.length, buf.limit() - start);
        carry = more;
      }
      pos += buf.limit();
    }
  }

  /** Receives each line of {@link #forEachLine}. */
  interface LineSink {
    void line(String text, long lineNo);
  }

  /** The offset after skipping {@code count} lines from {@code from}. */
  static long skipLines(FileChannel ch, long from, long count, long end) throws IOException {
    if (count == 0) {
      return from;
    }
    ByteBuffer buf = ByteBuffer.allocate(ChainScan.SHORT_CHUNK);
    long pos = from;
    long left = count;
    while (pos < end) {
      buf.clear();
      buf.limit((int) Math.min(buf.capacity(), end - pos));
      readFully(ch, buf, pos);
      for (int i = 0; i < buf.limit(); i++) {
        if (buf.get(i) == '\n' && --left == 0) {
          return pos + i + 1;
        }
      }
      pos += buf.limit();
    }
    return end;
  }

  /** The line starting at {@code at}, without its newline. */
  static String lineAt(FileChannel ch, long at) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    ByteBuffer buf = ByteBuffer.allocate(4096);
    long pos = at;
    while (true) {
      buf.clear();
      int n = ch.read(buf, pos);
      if (n <= 0) {
        break;
      }
      for (int i = 0; i < n; i++) {
        if (buf.get(i) == '\n') {
          out.write(buf.array(), 0, i);
          return out.toString(StandardCharsets.UTF_8);
        }
      }
      out.write(buf.array(), 0, n);
      pos += n;
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The last complete line ending at {@code end} (which is just past its newline). */
  static String lastLine(FileChannel ch, long endOffset) throws IOException {
    long stop = endOffset - 1;
    long start = 0;
    ByteBuffer buf = ByteBuffer.allocate(4096);
    long pos = stop;
    search:
    while (pos > 0) {
      int len = (int) Math.min(buf.capacity(), pos);
      buf.clear();
      buf.limit(len);
      readFully(ch, buf, pos - len);
      for (int i = len - 1; i >= 0; i--) {
        if (buf.get(i) == '\n') {
          start = pos - len + i + 1;
          break search;
        }
      }
      pos -= len;
    }
    ByteBuffer line = ByteBuffer.allocate((int) (stop - start));
    readFully(ch, line, start);
    return new String(line.array(), StandardCharsets.UTF_8);
  }

  static void readFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
    long base = at - buf.position();
    if (!Positional.read(ch, buf, at)) {
      throw new EOFException("the file ended before byte " + (base + buf.limit()));
    }
  }

}
