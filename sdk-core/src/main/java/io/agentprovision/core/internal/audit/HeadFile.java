package io.agentprovision.core.internal.audit;

import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.wire.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import org.jspecify.annotations.Nullable;

/**
 * The layout of a JSONL audit log's head file (format 3): a ring of {@value #SLOTS} slots of
 * {@value #SLOT} bytes. Slot {@code i} starts at {@code i * SLOT} with a header of {@value #HEADER}
 * bytes, one JSON line padded with spaces, such as
 * <pre>{@code {"boot":"…","bytes":1270,"check":"…","entries":3,"forced":640,"gen":4,"hash":"…","redo":630,"sha":"…"}   }</pre>
 * followed directly by its data block of up to {@value #DATA} bytes. A head of generation
 * {@code gen} goes to slot {@code gen % SLOTS}, overwriting the oldest; the valid header with the
 * highest {@code gen} is the head: {@code entries} entries, the last with hash {@code hash}, ending
 * at byte {@code bytes} of the log.
 *
 * <p>The ring is the redo log of the last commits, which is what lets a plain log force only this
 * file per commit. {@code forced} is how much of the log was known to be on disk when the header
 * was written. When {@code redo} is above zero, the slot's data block holds the commit's lines,
 * the log's bytes {@code [bytes - redo, bytes)}, and {@code sha} their SHA-256; so every byte of
 * the log between {@code forced} and the head is in the data blocks of the newest slots, and a
 * commit is durable once its slot is. {@code boot} names the operating system boot that wrote the
 * slot: a log's unforced bytes can only be lost by the machine stopping, so a log opened in the same
 * boot is checked against the head exactly as if everything had been forced.
 *
 * <p>A slot's header and data are written together, in one write that starts on a page boundary,
 * so a commit's lines of up to {@code 4096 - HEADER} bytes make the force write one page of this
 * file (format 2 kept the headers together and the data apart, two pages a commit), and a ring of
 * {@value #SLOTS} slots has the log forced once per {@value #SLOTS} commits or so (format 2's 16
 * made that force, a journal commit for a file that grew, a cost every plain commit shared). A write cut
 * short by a crash spoils only that slot (its {@code check}, or its {@code sha}, fails) and the
 * others still hold the heads before it, so no rename (and no directory sync) is needed.
 * {@code check} is a SHA-256 of the header's other fields, or, when the log is keyed, their
 * HMAC-SHA256 under the key named by {@code kid}, so that whoever can write the file but lacks the
 * key cannot write a head that moves a keyed log's end. A keyed log that moves its head on every
 * commit (through the ring, as a plain log does) writes {@code "exact":true} in its headers (between
 * {@code entries} and {@code forced}, as the canonical order puts it), so that entries past such a
 * head are known to be unacknowledged; a keyed header without it is a checkpoint, after which
 * entries that verify under the key are adopted. An exact header's check covers a fixed prefix
 * ({@code exact-head} and a newline) before its members, so an SDK before exact heads finds it
 * unreadable; the log's first exact head replaces the whole file (see {@code JsonlAuditLog}), so
 * such an SDK then refuses the head file ({@code HEAD_UNREADABLE}) instead of appending after a head
 * it would not move.
 *
 * <p>Older formats are read (a crash's lines redone from them) and replaced, atomically, by a file of
 * format 3 the first time the head moves. Format 2 was {@value #V2_SIZE} bytes, a ring of
 * {@value #V2_SLOTS} slots: the same headers together at the start ({@code i * HEADER}), then the
 * data blocks of {@value #V2_DATA} bytes at {@code V2_SLOTS * HEADER + i * V2_DATA}. Format 1 was {@value #OLD_SIZE} bytes: two 512-byte headers
 * without {@code forced}, {@code redo}, {@code sha} and {@code boot}, and no data blocks. The size
 * of the file tells the three apart.
 */
final class HeadFile {
  /**
   * How many slots the ring holds: a plain log forces its log file once per this many commits (16
   * in format 2, where the log's force, a journal commit for a file that grew, came every 16 and
   * cost a plain commit more than its own force did).
   */
  static final int SLOTS = 64;
  /**
   * The usual page of memory and of the disk's cache. The file is made one page per write: Linux
   * caches a file in folios as large as the writes that made them and writes a folio back whole
   * when any byte of it changed, so a file made in one write would be written whole by every
   * commit's force.
   */
  static final int PAGE = 4096;
  /** The size of one slot's header, newline included. */
  static final int HEADER = 512;
  /** The size of one slot: its header, then its data block (two pages of the usual 4 KiB). */
  static final int SLOT = 8192;
  /** The size of one slot's data block: a commit whose lines are longer forces the log instead. */
  static final int DATA = SLOT - HEADER;
  /** The bytes of every header of format 3, gathered from the slots. */
  static final int HEADERS = SLOTS * HEADER;
  /** How many slots the ring of format 2 held. */
  static final int V2_SLOTS = 16;
  /** The headers area at the start of a file of format 2. */
  static final int V2_HEADERS = V2_SLOTS * HEADER;
  /** The size of the file (format 3). */
  static final int SIZE = SLOTS * SLOT;
  /** The size of one data block of format 2. */
  static final int V2_DATA = 8192;
  /** The size of a head file of format 2 (the headers, then the data blocks). */
  static final int V2_SIZE = V2_HEADERS + V2_SLOTS * V2_DATA;
  /** The size of a head file of format 1 (two headers, no data). */
  static final int OLD_SIZE = 2 * HEADER;
  private static final HexFormat HEX = HexFormat.of();
  /**
   * What an exact head's check covers before its members: an SDK that predates exact heads computes
   * the check over the members alone, so it finds an exact slot unreadable rather than taking it for
   * a checkpoint and appending after it without moving it (entries that an SDK reading exact heads
   * would then move aside as unacknowledged).
   */
  private static final byte[] EXACT_CHECK = "exact-head\n".getBytes(StandardCharsets.US_ASCII);

  private HeadFile() {}

  /**
   * A head: {@code entries} entries whose last has hash {@code hash} end at byte {@code bytes}.
   *
   * @param keyId the key that signed this slot, or null for a plain check
   * @param forced how much of the log was on disk when the head was written
   * @param redo how many bytes before {@code bytes} the slot's data block holds
   * @param sha the SHA-256 of those bytes, or null when there are none
   * @param boot the boot of the machine that wrote the slot, or null when it is not known
   * @param exact whether the keyed log that wrote it moves its head on every commit, so that entries
   *     past it were acknowledged by no append (a keyed checkpoint, written every so many commits,
   *     is not exact; a plain head always is, and does not say so)
   */
  record Head(long gen, long entries, @Nullable String hash, long bytes, @Nullable String keyId, long forced,
      long redo, @Nullable String sha, @Nullable String boot, boolean exact) {
    /** A head that is not an exact keyed one. */
    Head(long gen, long entries, @Nullable String hash, long bytes, @Nullable String keyId, long forced,
        long redo, @Nullable String sha, @Nullable String boot) {
      this(gen, entries, hash, bytes, keyId, forced, redo, sha, boot, false);
    }

    /** A head whose log is all on disk (as format 1 heads, and keyed checkpoints, are). */
    Head(long gen, long entries, @Nullable String hash, long bytes, @Nullable String keyId) {
      this(gen, entries, hash, bytes, keyId, bytes, 0, null, null);
    }

    /** Where the bytes the data block holds start in the log. */
    long redoFrom() {
      return bytes - redo;
    }
  }

  /** The slot (0 to {@value #SLOTS} - 1) a head of generation {@code gen} is written to. */
  static int slot(long gen) {
    return (int) (gen % SLOTS);
  }

  /** How many slots a file of {@code format} has: 2 for format 1 (two headers, no ring). */
  static int slots(int format) {
    return format == 3 ? SLOTS : format == 2 ? V2_SLOTS : 2;
  }

  /** The bytes of every header of a file of {@code format}, as {@link #headersOf} gathers them. */
  static int headersSize(int format) {
    return slots(format) * HEADER;
  }

  /** Where the slot of a head of generation {@code gen}, its header first, is written. */
  static int slotOffset(long gen) {
    return slot(gen) * SLOT;
  }

  /** Where the data block of slot {@code slot} starts. */
  static long dataOffset(int slot) {
    return (long) slot * SLOT + HEADER;
  }

  /** The format of a head file of {@code size} bytes: 1, 2 or 3, or 0 when it is none of them. */
  static int formatOfSize(long size) {
    return size == SIZE ? 3 : size == V2_SIZE ? 2 : size == OLD_SIZE ? 1 : 0;
  }

  /** Where the header of slot {@code slot} is in a whole file of {@code format}. */
  static int headerOffset(int format, int slot) {
    return format == 3 ? slot * SLOT : slot * HEADER;
  }

  /** Where the data block of slot {@code slot} is in a whole file of {@code format} (2 or 3). */
  static int dataOffset(int format, int slot) {
    return format == 3 ? slot * SLOT + HEADER : V2_HEADERS + slot * V2_DATA;
  }

  /**
   * Every header of a whole file of format 2 or 3, gathered in slot order (as format 2 holds them
   * at its start), which is what {@link #decode(byte[], int, AuditKey)} reads.
   */
  static byte[] headersOf(byte[] content, int format) {
    if (format == 2) {
      return Arrays.copyOf(content, V2_HEADERS);
    }
    byte[] headers = new byte[HEADERS];
    for (int s = 0; s < SLOTS; s++) {
      System.arraycopy(content, s * SLOT, headers, s * HEADER, HEADER);
    }
    return headers;
  }

  /** The SHA-256 of {@code data}, in hex. */
  static String sha(byte[] data) {
    return HEX.formatHex(sha256().digest(data));
  }

  /**
   * One header, padded, holding {@code h}, checked with {@code keys}'s current key or plainly: the
   * definition {@link Encoder#encode} must match byte for byte (its tests compare the two).
   */
  static byte[] encode(Head h, @Nullable AuditKey keys) {
    Map<String, Object> m = fields(h);
    m.put("check", check(m, h.keyId(), keys));
    return padded(Json.canonical(m).getBytes(StandardCharsets.UTF_8));
  }

  /** {@code json} as a slot's header: padded with spaces, a newline last. */
  private static byte[] padded(byte[] json) {
    if (json.length > HEADER - 1) {
      throw new IllegalStateException("an audit head does not fit its slot");
    }
    byte[] slot = new byte[HEADER];
    System.arraycopy(json, 0, slot, 0, json.length);
    Arrays.fill(slot, json.length, HEADER - 1, (byte) ' ');
    slot[HEADER - 1] = '\n';
    return slot;
  }

  /** A whole new head file (format 3): {@code h} in its slot, the others blank. */
  static byte[] newFile(Head h, @Nullable AuditKey keys) {
    byte[] file = new byte[SIZE];
    Arrays.fill(file, (byte) ' ');
    for (int s = 0; s < SLOTS; s++) {
      file[s * SLOT + HEADER - 1] = '\n';
    }
    System.arraycopy(encode(h, keys), 0, file, slotOffset(h.gen()), HEADER);
    return file;
  }

  /** One slot's write: {@code h}'s header followed by {@code data}, the lines it redoes (or none). */
  static byte[] slotBytes(Head h, @Nullable AuditKey keys, byte @Nullable [] data) {
    byte[] header = encode(h, keys);
    if (data == null || data.length == 0) {
      return header;
    }
    byte[] slot = Arrays.copyOf(header, HEADER + data.length);
    System.arraycopy(data, 0, slot, HEADER, data.length);
    return slot;
  }

  /**
   * Writes one log's headers and the SHA-256 of their data blocks, as {@link #encode} and
   * {@link #sha} do, on the path of every plain commit: the canonical JSON is written member by
   * member in the canonical order (the members' names sorted, as {@link Json#canonical} sorts them)
   * rather than through a map and a sort, and one digest (and one MAC per key id) is kept rather
   * than looked up for each header. Not thread-safe: one per log, used under its lock.
   */
  static final class Encoder {
    /** {@code ,"check":"} + 64 hex digits + {@code "}: the member a header's check is written as. */
    private static final int CHECK_MEMBER = 10 + 64 + 1;
    private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    /**
     * The most text the members may hold between them for {@link #buf}: with their names, quotes and
     * five numbers of up to 19 digits the header before its check stays under {@value #HEADER} bytes.
     */
    private static final int TEXT = 300;

    private final @Nullable AuditKey keys;
    private final MessageDigest sha = sha256();
    private final Map<String, Mac> macs = new HashMap<>();
    /** Where a header is written before it is padded; text longer than a slot takes the other path. */
    private final byte[] buf = new byte[HEADER + CHECK_MEMBER];
    private final byte[] digest = new byte[32];
    private int at;

    /** An encoder checking keyed headers with {@code keys}, or only plain ones when null. */
    Encoder(@Nullable AuditKey keys) {
      this.keys = keys;
    }

    /** {@link HeadFile#sha}. */
    String sha(byte[] data) {
      return HEX.formatHex(sha.digest(data));
    }

    /** {@link HeadFile#slotBytes} with this encoder's keys. */
    byte[] slotBytes(Head h, byte @Nullable [] data) {
      byte[] header = encode(h);
      if (data == null || data.length == 0) {
        return header;
      }
      byte[] slot = Arrays.copyOf(header, HEADER + data.length);
      System.arraycopy(data, 0, slot, HEADER, data.length);
      return slot;
    }

    /**
     * {@link HeadFile#encode} of {@code h} with this encoder's keys. Its members are written as
     * bytes straight into one buffer, the check computed over them and then inserted in its place
     * ("check" sorts between "bytes" and "entries"); a head whose text members are not all short
     * printable ASCII needing no escape (never one this SDK writes) takes {@link HeadFile#encode}.
     */
    byte[] encode(Head h) {
      String boot = h.boot();
      String hash = h.hash();
      String kid = h.keyId();
      String data = h.sha();
      if (!plain(boot) || !plain(hash) || !plain(kid) || !plain(data) || length(boot) + length(hash) + length(kid)
          + length(data) > TEXT || h.gen() < 0 || h.entries() < 0 || h.bytes() < 0 || h.forced() < 0 || h.redo() < 0) {
        return HeadFile.encode(h, keys);
      }
      at = 0;
      put('{');
      if (boot != null) {
        put("\"boot\":");
        quoted(boot);
        put(',');
      }
      put("\"bytes\":");
      number(h.bytes());
      int checkAt = at;
      put(",\"entries\":");
      number(h.entries());
      if (h.exact()) {
        put(",\"exact\":true");
      }
      put(",\"forced\":");
      number(h.forced());
      put(",\"gen\":");
      number(h.gen());
      if (hash != null) {
        put(",\"hash\":");
        quoted(hash);
      }
      if (kid != null) {
        put(",\"kid\":");
        quoted(kid);
      }
      put(",\"redo\":");
      number(h.redo());
      if (data != null) {
        put(",\"sha\":");
        quoted(data);
      }
      put('}');
      if (at + CHECK_MEMBER > HEADER - 1) {
        return HeadFile.encode(h, keys); // which refuses it
      }
      check(kid, h.exact());
      System.arraycopy(buf, checkAt, buf, checkAt + CHECK_MEMBER, at - checkAt);
      int end = at + CHECK_MEMBER;
      at = checkAt;
      put(",\"check\":\"");
      for (byte b : digest) {
        buf[at++] = HEX_DIGITS[(b >> 4) & 0xf];
        buf[at++] = HEX_DIGITS[b & 0xf];
      }
      put('"');
      byte[] slot = new byte[HEADER];
      System.arraycopy(buf, 0, slot, 0, end);
      Arrays.fill(slot, end, HEADER - 1, (byte) ' ');
      slot[HEADER - 1] = '\n';
      return slot;
    }

    private static int length(@Nullable String s) {
      return s == null ? 0 : s.length();
    }

    /** Whether {@code s} is absent, or printable ASCII that JSON quotes as it is. */
    private static boolean plain(@Nullable String s) {
      if (s == null) {
        return true;
      }
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
          return false;
        }
      }
      return true;
    }

    private void put(char c) {
      buf[at++] = (byte) c;
    }

    private void put(String ascii) {
      for (int i = 0; i < ascii.length(); i++) {
        buf[at++] = (byte) ascii.charAt(i);
      }
    }

    private void quoted(String ascii) {
      put('"');
      put(ascii);
      put('"');
    }

    /** A number as {@link Json#canonical} writes a long that is not negative. */
    private void number(long v) {
      int digits = 1;
      for (long rest = v / 10; rest > 0; rest /= 10) {
        digits++;
      }
      for (int i = at + digits - 1; i >= at; i--) {
        buf[i] = (byte) ('0' + v % 10);
        v /= 10;
      }
      at += digits;
    }

    /** {@link HeadFile#check} over {@code buf[0, at)}, into {@link #digest}. */
    private void check(@Nullable String keyId, boolean exact) {
      try {
        if (keyId == null) {
          if (exact) {
            sha.update(EXACT_CHECK);
          }
          sha.update(buf, 0, at);
          sha.digest(digest, 0, digest.length);
          return;
        }
        if (keys == null) {
          throw new IllegalStateException("a keyed head needs its key");
        }
        Mac mac = macs.get(keyId);
        if (mac == null) {
          mac = keys.newMac(keyId);
          macs.put(keyId, mac);
        }
        if (exact) {
          mac.update(EXACT_CHECK);
        }
        mac.update(buf, 0, at);
        mac.doFinal(digest, 0);
      } catch (java.security.DigestException | javax.crypto.ShortBufferException e) {
        throw new IllegalStateException("a 32-byte buffer is too short for SHA-256", e);
      }
    }
  }

  /**
   * What reading a head file found.
   *
   * @param slots the valid header of each slot, by slot, null where blank or unreadable (empty for
   *     format 1)
   * @param spoiled which slots hold something that is not a valid header (a torn write)
   * @param format the file's format: 1, 2 or 3 (0 when its size is none of theirs)
   */
  record Read(@Nullable Head head, @Nullable String problem, boolean keyRequired, @Nullable String unknownKey,
      @Nullable Head[] slots, boolean[] spoiled, int format) {
    Read(@Nullable Head head, @Nullable String problem, boolean keyRequired, @Nullable String unknownKey) {
      this(head, problem, keyRequired, unknownKey, new Head[0], new boolean[0], 0);
    }

    /** Whether the file is of an older format, replaced by format 3 when the head next moves. */
    boolean oldFormat() {
      return format != 3;
    }

    /** The valid head of generation {@code gen} still in the ring, or null. */
    @Nullable Head ofGen(long gen) {
      if (gen < 1 || slots.length == 0) {
        return null;
      }
      Head h = slots[(int) (gen % slots.length)];
      return h != null && h.gen() == gen ? h : null;
    }
  }

  /**
   * The head held by {@code content}, a whole head file of any format: the newest slot whose check
   * holds. A keyed slot needs its key; without keys it is reported as needing one. Data blocks are
   * not checked here (see {@link #data}).
   */
  static Read decode(byte[] content, @Nullable AuditKey keys) {
    int format = formatOfSize(content.length);
    if (format == 0) {
      return unknownSize(content.length);
    }
    return decode(format >= 2 ? headersOf(content, format) : content, format, keys);
  }

  /** What reading a file of {@code size} bytes, the size of no head file, found. */
  static Read unknownSize(long size) {
    return new Read(null, "it is " + size + " bytes, not the " + SIZE + " of a head file", false, null);
  }

  /**
   * {@link #decode(byte[], AuditKey)} of the headers of a file of {@code format}: for format 2 or 3,
   * its headers gathered by {@link #headersOf}; for format 1, the whole file.
   */
  static Read decode(byte[] headers, int format, @Nullable AuditKey keys) {
    boolean old = format == 1;
    if (format == 0 || headers.length != headersSize(format)) {
      return unknownSize(headers.length);
    }
    byte[] content = headers;
    int dataMax = format == 2 ? V2_DATA : DATA;
    int count = slots(format);
    Head[] slots = new Head[old ? 0 : count];
    boolean[] spoiled = new boolean[count];
    Head best = null;
    String problem = null;
    boolean keyRequired = false;
    String unknownKey = null;
    for (int s = 0; s < count; s++) {
      String text = new String(content, s * HEADER, HEADER, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        continue; // a slot not written yet
      }
      try {
        Map<String, Object> m = Json.parseObject(text);
        if (!(m.get("gen") instanceof Long gen) || !(m.get("entries") instanceof Long n)
            || !(m.get("bytes") instanceof Long b) || gen < 1 || n < 0 || b < 0) {
          throw new IllegalArgumentException("gen, entries or bytes missing");
        }
        String hash = Json.string(m, "hash");
        String kid = Json.string(m, "kid");
        if ((n > 0) != (hash != null)) {
          throw new IllegalArgumentException("hash missing");
        }
        long forced = b;
        long redo = 0;
        String sha = null;
        String boot = null;
        if (!old) {
          if (!(m.get("forced") instanceof Long f) || !(m.get("redo") instanceof Long r) || f < 0 || f > b || r < 0
              || r > Math.min(b, dataMax) || (r > 0) != (m.get("sha") != null) || gen % count != s) {
            throw new IllegalArgumentException("forced, redo or sha missing or out of place");
          }
          forced = f;
          redo = r;
          sha = Json.string(m, "sha");
          boot = Json.string(m, "boot");
        }
        if (kid != null) {
          if (keys == null) {
            keyRequired = true;
            continue;
          }
          if (!keys.has(kid)) {
            unknownKey = kid;
            continue;
          }
        }
        Head h = new Head(gen, n, hash, b, kid, forced, redo, sha, boot, Boolean.TRUE.equals(m.get("exact")));
        Map<String, Object> fields = new LinkedHashMap<>(m);
        fields.remove("check");
        String expected = check(fields, kid, keys);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
            String.valueOf(m.get("check")).getBytes(StandardCharsets.US_ASCII))) {
          throw new IllegalArgumentException("its check does not match");
        }
        if (!old) {
          slots[s] = h;
        }
        if (best == null || h.gen() > best.gen()) {
          best = h;
        }
      } catch (IllegalArgumentException e) {
        spoiled[s] = true;
        problem = "slot " + (s + 1) + " is unreadable (" + e.getMessage() + ")";
      }
    }
    if (best != null) {
      return new Read(best, null, false, null, slots, spoiled, format);
    }
    return new Read(null, problem != null ? problem : "it holds no head", keyRequired, unknownKey, slots, spoiled,
        format);
  }

  /**
   * The log bytes {@code h}'s data block holds, from the whole file {@code content} (of format 2 or
   * 3), or null when it holds none or they do not match the header's {@code sha} (the block's write
   * was cut short).
   */
  static byte @Nullable [] data(byte[] content, Head h) {
    int format = formatOfSize(content.length);
    if (h.redo() == 0 || format < 2 || h.sha() == null) {
      return null;
    }
    int from = dataOffset(format, (int) (h.gen() % slots(format)));
    byte[] data = Arrays.copyOfRange(content, from, from + (int) h.redo());
    return sha(data).equals(h.sha()) ? data : null;
  }

  private static Map<String, Object> fields(Head h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("gen", h.gen());
    m.put("entries", h.entries());
    if (h.hash() != null) {
      m.put("hash", h.hash());
    }
    m.put("bytes", h.bytes());
    if (h.keyId() != null) {
      m.put("kid", h.keyId());
    }
    if (h.exact()) {
      m.put("exact", true);
    }
    m.put("forced", h.forced());
    m.put("redo", h.redo());
    if (h.sha() != null) {
      m.put("sha", h.sha());
    }
    if (h.boot() != null) {
      m.put("boot", h.boot());
    }
    return m;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String check(Map<String, Object> fields, @Nullable String keyId, @Nullable AuditKey keys) {
    byte[] text = Json.canonical(fields).getBytes(StandardCharsets.UTF_8);
    boolean exact = Boolean.TRUE.equals(fields.get("exact"));
    if (keyId == null) {
      MessageDigest sha = sha256();
      if (exact) {
        sha.update(EXACT_CHECK);
      }
      return HEX.formatHex(sha.digest(text));
    }
    if (keys == null) {
      throw new IllegalStateException("a keyed head needs its key");
    }
    Mac mac = keys.newMac(keyId);
    if (exact) {
      mac.update(EXACT_CHECK);
    }
    return HEX.formatHex(mac.doFinal(text));
  }
}
