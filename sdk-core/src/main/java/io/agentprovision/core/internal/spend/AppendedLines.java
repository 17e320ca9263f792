package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentProvisionException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

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
    while (buf.hasRemaining()) {
      if (channel.read(buf, replayed + buf.position()) < 0) {
        break;
      }
    }
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
}
