package io.agentprovision.core.internal.audit;

import io.agentprovision.core.audit.AuditIntegrityException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One pass over a stretch of a JSONL audit file: streams it in chunks, checks each line's form
 * ({@link LineCheck}), its place in the chain (sequence number, link to the previous hash, key
 * rules) and its hash over its own bytes, and remembers where entries start. Nothing is parsed into
 * records and the file is never held whole. Not thread-safe.
 */
final class ChainScan {
  /** A line longer than this is not an entry (and would not fit the buffer). */
  static final int MAX_LINE = 16 * 1024 * 1024;
  /** The read size of a scan over a whole file; a short scan starts smaller (the buffer grows for a long line). */
  static final int CHUNK = 256 * 1024;
  static final int SHORT_CHUNK = 16 * 1024;

  private final FileChannel ch;
  private final ChainHasher hasher;
  private final LineCheck line = new LineCheck();
  private final @Nullable OffsetIndex index;
  private final boolean stopAtFirstProblem;
  private byte[] buf;

  // The chain as far as it was followed.
  long expectedSeq;
  final byte[] lastHash = new byte[64];
  boolean keyedBefore;
  @Nullable String lastKeyId;

  // What was found.
  /** Lines that were entries (whether or not they verified). */
  long entries;
  /** The last entry's sequence number and where its line ends (just past the newline), before any problem. */
  long verifiedSeq;
  long verifiedEnd;
  final List<String> problems = new ArrayList<>();
  long firstBad;
  @Nullable Reason firstReason;
  /** Where an unterminated last line starts, or -1. */
  long tornAt = -1;
  /** Where the first line with a problem starts, or -1. */
  long firstBadAt = -1;
  private long lineNo;

  /**
   * When set, the scan stops (without a problem) before a plain entry, leaving {@link #plainAt}:
   * past a log's recorded head, a keyed log adopts only keyed entries, which no one without the key
   * can have written.
   */
  boolean stopBeforePlain;
  /** Where the plain entry {@link #stopBeforePlain} stopped at starts, or -1. */
  long plainAt = -1;
  /**
   * When set, the first line's link to its predecessor is not checked: the scan starts at an entry
   * trusted by its hash (which covers that link), whose predecessor it has not read.
   */
  boolean trustFirstLink;

  /**
   * @param index where to record entry offsets (only while every line so far verified), or null
   */
  ChainScan(FileChannel ch, ChainHasher hasher, @Nullable OffsetIndex index, boolean stopAtFirstProblem) {
    this(ch, hasher, index, stopAtFirstProblem, CHUNK);
  }

  ChainScan(FileChannel ch, ChainHasher hasher, @Nullable OffsetIndex index, boolean stopAtFirstProblem, int chunk) {
    this.buf = new byte[chunk];
    this.ch = ch;
    this.hasher = hasher;
    this.index = index;
    this.stopAtFirstProblem = stopAtFirstProblem;
  }

  /** Starts the chain after the entry {@code seq} whose hash is {@code hash} (0 and GENESIS for the start). */
  ChainScan after(long seq, String hash, boolean keyed, long lineNumber, long offset) {
    expectedSeq = seq + 1;
    verifiedSeq = seq;
    verifiedEnd = offset;
    lineNo = lineNumber;
    keyedBefore = keyed;
    byte[] h = hash.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(h, 0, lastHash, 0, 64);
    return this;
  }

  /** The hex hash of the last entry followed. */
  String lastHash() {
    return new String(lastHash, StandardCharsets.US_ASCII);
  }

  /** Follows the chain through the lines in {@code [from, to)}. */
  ChainScan run(long from, long to) throws IOException {
    tornAt = -1;
    long pos = from; // file offset of buf[0]
    int filled = 0;
    int start = 0; // start of the current line in buf
    while (true) {
      if (filled == buf.length) {
        if (start > 0) {
          System.arraycopy(buf, start, buf, 0, filled - start);
          pos += start;
          filled -= start;
          start = 0;
        } else if (buf.length < MAX_LINE) {
          buf = java.util.Arrays.copyOf(buf, Math.min(MAX_LINE, buf.length * 2));
        } else {
          problem(Reason.TAMPERED, expectedSeq, pos, "line " + (lineNo + 1) + " is longer than " + MAX_LINE
              + " bytes, so not an audit entry");
          return this;
        }
      }
      int want = (int) Math.min(buf.length - filled, to - pos - filled);
      int n = want <= 0 ? -1 : ch.read(ByteBuffer.wrap(buf, filled, want), pos + filled);
      if (n <= 0) {
        if (filled > start) {
          tornAt = pos + start;
        }
        return this;
      }
      int scanFrom = filled;
      filled += n;
      for (int i = scanFrom; i < filled; i++) {
        if (buf[i] != '\n') {
          continue;
        }
        boolean stop = line(start, i, pos + start, pos + i + 1);
        start = i + 1;
        if (stop) {
          return this;
        }
      }
    }
  }

  /** Checks the line {@code buf[from, to)} at file offset {@code at}; returns whether to stop. */
  private boolean line(int from, int to, long at, long end) {
    lineNo++;
    String bad = line.check(buf, from, to - from);
    if (bad == null) {
      bad = line.checkValues(buf);
    }
    if (bad != null) {
      problem(line.earlierFormat ? Reason.UNSUPPORTED_FORMAT : Reason.TAMPERED, expectedSeq, at,
          "line " + lineNo + " is not an audit entry (" + bad + ")");
      return stopAtFirstProblem;
    }
    if (stopBeforePlain && line.keyId == null) {
      plainAt = at;
      lineNo--; // it will be read again
      return true;
    }
    entries++;
    long seq = line.seq;
    String p = null;
    Reason reason = Reason.TAMPERED;
    boolean checkLink = !trustFirstLink;
    trustFirstLink = false;
    if (seq != expectedSeq) {
      p = "entry " + seq + " found where " + expectedSeq + " was expected (deleted or reordered)";
    } else if (checkLink && !java.util.Arrays.equals(buf, line.prevAt, line.prevAt + 64, lastHash, 0, 64)) {
      p = "entry " + seq + " does not follow the entry before it (deleted, inserted or reordered)";
    } else {
      p = hasher.keyProblem(seq, line.keyId, keyedBefore);
      if (p != null) {
        reason = line.keyId == null ? Reason.TAMPERED : hasher.keys() == null ? Reason.KEY_REQUIRED : Reason.UNKNOWN_KEY;
      } else {
        hasher.digest(line.keyId, buf, from, line.bodyLength);
        if (!hasher.digestEquals(buf, line.hashAt)) {
          p = "entry " + seq + " was edited: its " + (line.keyId == null ? "hash" : "key signature")
              + " does not match its content";
        }
      }
    }
    System.arraycopy(buf, line.hashAt, lastHash, 0, 64);
    expectedSeq = seq + 1;
    keyedBefore |= line.keyId != null;
    lastKeyId = line.keyId;
    if (p != null) {
      problem(reason, seq, at, p);
      return stopAtFirstProblem;
    }
    if (problems.isEmpty()) {
      verifiedSeq = seq;
      verifiedEnd = end;
      if (index != null) {
        index.add(seq, at);
      }
    }
    return false;
  }

  private void problem(Reason reason, long seq, long at, String text) {
    problems.add(text);
    if (firstBad == 0) {
      firstBad = seq;
      firstReason = reason;
      firstBadAt = at;
    }
  }

  /** Whether every line followed the chain. */
  boolean clean() {
    return problems.isEmpty();
  }
}
