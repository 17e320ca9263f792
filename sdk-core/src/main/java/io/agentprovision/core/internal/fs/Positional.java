package io.agentprovision.core.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Positional reads the file-backed stores share: a channel may return fewer bytes than asked for,
 * so a read from a position goes on until the buffer is full or the file ends.
 */
public final class Positional {
  private Positional() {}

  /**
   * Fills {@code buf}'s remaining space with the file's bytes, the buffer's current position standing
   * for file position {@code at}. Returns false when the file ended first (the buffer then holds
   * what there was).
   */
  public static boolean read(FileChannel ch, ByteBuffer buf, long at) throws IOException {
    long base = at - buf.position();
    while (buf.hasRemaining()) {
      if (ch.read(buf, base + buf.position()) < 0) {
        return false;
      }
    }
    return true;
  }
}
