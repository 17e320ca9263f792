package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.internal.fs.Positional;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Catching up on an append-only file of lines that several processes write under one file lock
 * (the file spend ledger, the file velocity counts): the lines appended since the last read are
 * handed over in order, and a last line without its newline is cut off, since a writer holds the
 * lock from its first byte to its force and so one under our lock died before its call returned.
 */
final class AppendedLines {
  /** Receives one complete line (without its newline) and the offset it starts at. */
  @FunctionalInterface
  interface LineReader {
    void read(String line, long offset);
  }

  private AppendedLines() {}

  /**
   * Reads what {@code channel} holds past {@code replayed} (the caller holds the file's lock), hands
   * every complete line to {@code reader} and cuts off an unfinished last one.
   *
   * @param what what the file holds, as its errors name it ("the spend ledger")
   * @return the offset read up to, the new {@code replayed}
   * @throws AgentProvisionException when the file is shorter than what was read before (cut or replaced)
   */
  static long catchUp(FileChannel channel, Path file, String what, long replayed, LineReader reader)
      throws IOException {
    long size = channel.size();
    if (size == replayed) {
      return replayed;
    }
    if (size < replayed) {
      throw new AgentProvisionException(what + " " + file + " is shorter than when it was read (" + size + " < "
          + replayed + " bytes): it was cut or replaced; restore it from a backup", null);
    }
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(size - replayed));
    Positional.read(channel, buf, replayed); // a file cut meanwhile leaves zeros, no line
    byte[] bytes = buf.array();
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        reader.read(new String(bytes, start, i - start, StandardCharsets.UTF_8), replayed + start);
        start = i + 1;
      }
    }
    long complete = replayed + start;
    if (complete < size) {
      channel.truncate(complete);
      channel.force(true);
    }
    return complete;
  }

  /**
   * Throws unless {@code line}, parsed, is the file's header: {@code op} "open" with
   * {@code format} and {@code version} as given.
   */
  static void requireHeader(Map<String, Object> line, String format, long version) {
    if (!format.equals(line.get("format")) || !Long.valueOf(version).equals(line.get("version"))) {
      throw new IllegalArgumentException("it is not a version-" + version + " " + format + " header");
    }
  }

  /**
   * Appends {@code event} as one canonical JSON line at {@code replayed} (the end the caller has read
   * to, under the file's lock), after the file's header when it is empty, and forces it. When that
   * fails the file is cut back to {@code replayed} and the failure thrown on: the caller's memory of
   * the decision is then ahead of the file, and must be dropped.
   *
   * @return the file's new end, the new {@code replayed}
   */
  static long append(FileChannel channel, long replayed, String format, long version, Map<String, Object> event)
      throws IOException {
    return append(channel, replayed, format, version, event, true);
  }

  /** {@link #append}, forcing only when {@code force} (else the caller owes the force to a barrier). */
  static long append(FileChannel channel, long replayed, String format, long version, Map<String, Object> event,
      boolean force) throws IOException {
    try {
      StringBuilder text = new StringBuilder();
      if (replayed == 0) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("op", "open");
        header.put("format", format);
        header.put("version", version);
        text.append(Json.canonical(header)).append('\n');
      }
      text.append(Json.canonical(event)).append('\n');
      ByteBuffer buf = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
      long at = replayed;
      while (buf.hasRemaining()) {
        at += channel.write(buf, at);
      }
      if (force) {
        channel.force(false);
      }
      return at;
    } catch (IOException | RuntimeException e) {
      try {
        channel.truncate(replayed);
      } catch (IOException ignored) {
        // the next writer cuts an unfinished line anyway
      }
      throw e;
    }
  }
}
