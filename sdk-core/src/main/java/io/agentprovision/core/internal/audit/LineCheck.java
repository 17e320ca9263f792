package io.agentprovision.core.internal.audit;

import io.agentprovision.core.Money;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/**
 * Checks one stored line against the form {@link AuditCodec#toLine} writes, straight from its
 * bytes and without building a map, and picks out the fields the chain needs ({@code seq},
 * {@code prev}, {@code kid}, where the hash is). A line passes only when it is byte for byte what
 * the codec writes for some entry: an object of known fields in sorted order, each once, strings
 * escaped exactly as {@link io.agentprovision.core.wire.Json#quote} escapes them, valid
 * UTF-8, no whitespace, a whole-number {@code seq}, 64 lowercase hex digits for the hashes, and a
 * {@code time} and {@code amount} that read back as themselves. Reuse one instance per scan; not
 * thread-safe.
 */
final class LineCheck {
  /** The fields of a body, in the order canonical JSON sorts them. */
  private static final String[] KEYS = {"action", "agent", "amount", "approver", "details", "idempotency_key", "kid",
      "outcome", "prev", "principal", "run", "seq", "step", "time"};
  private static final byte[][] KEY_BYTES = new byte[KEYS.length][];
  private static final int ACTION = 0;
  private static final int AMOUNT = 2;
  private static final int DETAILS = 4;
  private static final int KID = 6;
  private static final int OUTCOME = 7;
  private static final int PREV = 8;
  private static final int SEQ = 11;
  private static final int TIME = 13;
  private static final byte[] TRAILER = AuditCodec.TRAILER_START.getBytes(StandardCharsets.US_ASCII);
  private static final int REQUIRED =
      (1 << ACTION) | (1 << DETAILS) | (1 << OUTCOME) | (1 << PREV) | (1 << SEQ) | (1 << TIME);

  static {
    for (int i = 0; i < KEYS.length; i++) {
      KEY_BYTES[i] = KEYS[i].getBytes(StandardCharsets.US_ASCII);
    }
  }

  // What the last check found.
  long seq;
  /** Where the 64 hex digits of {@code prev} start. */
  int prevAt;
  /** Where the 64 hex digits of the hash start. */
  int hashAt;
  /** How many bytes from the line's start, followed by a closing brace, make the hashed body. */
  int bodyLength;
  @Nullable String keyId;
  /** Whether the line is in the earlier format (hash among the sorted fields). */
  boolean earlierFormat;

  private int timeAt;
  private int timeEnd;
  private int amountAt;
  private int amountEnd;
  private int lastKey;
  private int present;

  /** Checks {@code b[off, off+len)} (without its newline); returns what is wrong, or null. */
  @Nullable String check(byte[] b, int off, int len) {
    earlierFormat = false;
    keyId = null;
    seq = 0;
    prevAt = -1;
    timeAt = -1;
    amountAt = -1;
    lastKey = -1;
    present = 0;
    int end = off + len;
    if (len < AuditCodec.TRAILER_LENGTH + 2 || b[off] != '{' || b[end - 1] != '}' || b[end - 2] != '"'
        || !regionEquals(b, end - AuditCodec.TRAILER_LENGTH, TRAILER) || !isHex64(b, end - 66)) {
      if (len > 0 && b[off] == '{' && AuditCodec.isEarlierFormat(new String(b, off, len, StandardCharsets.UTF_8))) {
        earlierFormat = true;
        return AuditCodec.EARLIER_FORMAT;
      }
      return "it does not end with its hash";
    }
    hashAt = end - 66;
    bodyLength = len - AuditCodec.TRAILER_LENGTH;
    int bodyEnd = off + bodyLength;
    int p = off + 1;
    while (true) {
      if (p >= bodyEnd || b[p] != '"') {
        return "it is not a JSON object of fields at byte " + (p - off);
      }
      int keyEnd = indexOf(b, p + 1, bodyEnd, (byte) '"');
      if (keyEnd < 0 || keyEnd + 1 >= bodyEnd || b[keyEnd + 1] != ':') {
        return "it is not a JSON object of fields at byte " + (p - off);
      }
      int key = knownKey(b, p + 1, keyEnd);
      if (key < 0) {
        return "it has a field no audit entry has: '" + new String(b, p + 1, keyEnd - p - 1, StandardCharsets.UTF_8) + "'";
      }
      if (key <= lastKey) {
        return "field '" + KEYS[key] + "' is repeated or out of order";
      }
      lastKey = key;
      present |= 1 << key;
      int v = keyEnd + 2;
      int after;
      switch (key) {
        case SEQ -> after = number(b, v, bodyEnd);
        case DETAILS -> after = details(b, v, bodyEnd);
        case PREV -> {
          if (v + 66 > bodyEnd || b[v] != '"' || !isHex64(b, v + 1) || b[v + 65] != '"') {
            return "its prev is not 64 lowercase hex digits";
          }
          prevAt = v + 1;
          after = v + 66;
        }
        default -> {
          after = string(b, v, bodyEnd);
          if (after > 0) {
            if (key == TIME) {
              timeAt = v + 1;
              timeEnd = after - 1;
            } else if (key == AMOUNT) {
              amountAt = v + 1;
              amountEnd = after - 1;
            } else if (key == KID) {
              keyId = new String(b, v + 1, after - v - 2, StandardCharsets.UTF_8);
            }
          }
        }
      }
      if (after < 0) {
        return "field '" + KEYS[key] + "' does not hold a value in the form the log writes";
      }
      if (after == bodyEnd) {
        break;
      }
      if (b[after] != ',') {
        return "it is not a JSON object of fields at byte " + (after - off);
      }
      p = after + 1;
    }
    if ((present & REQUIRED) != REQUIRED) {
      for (int k = 0; k < KEYS.length; k++) {
        if ((REQUIRED & (1 << k)) != 0 && (present & (1 << k)) == 0) {
          return "it has no " + KEYS[k];
        }
      }
    }
    return null;
  }

  /**
   * Whether {@code time} and {@code amount} read back as themselves (as {@link AuditCodec#fromLine}
   * requires), so that a verified line is one {@link AuditCodec#fromLine} accepts.
   */
  @Nullable String checkValues(byte[] b) {
    if (!isCanonicalInstant(b, timeAt, timeEnd)) {
      String time = new String(b, timeAt, timeEnd - timeAt, StandardCharsets.UTF_8);
      try {
        if (!Instant.parse(time).toString().equals(time)) {
          return "its time is not written as the log writes times";
        }
      } catch (DateTimeParseException e) {
        return "its time is not a time";
      }
    }
    if (amountAt >= 0) {
      String amount = new String(b, amountAt, amountEnd - amountAt, StandardCharsets.UTF_8);
      if (!amountsSeen.contains(amount)) {
        try {
          if (!Money.parse(amount).toString().equals(amount)) {
            return "its amount is not written as the log writes amounts";
          }
        } catch (RuntimeException e) {
          return "its amount is not an amount";
        }
        if (amountsSeen.size() >= 1024) {
          amountsSeen.clear();
        }
        amountsSeen.add(amount); // a log repeats few amounts: parse each once per scan
      }
    }
    return null;
  }

  /** Amounts already found canonical in this scan. */
  private final java.util.Set<String> amountsSeen = new java.util.HashSet<>();
  private static final int[] DAYS = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

  /**
   * Whether {@code b[from, to)} is an instant as {@link Instant#toString()} writes those of years
   * 0000 to 9999: {@code yyyy-MM-ddTHH:mm:ss}, then no fraction or 3, 6 or 9 digits of it (as few as
   * the value needs), then {@code Z}; checked without parsing. False for anything else, which the
   * caller then checks the slow way.
   */
  static boolean isCanonicalInstant(byte[] b, int from, int to) {
    int len = to - from;
    if ((len != 20 && len != 24 && len != 27 && len != 30) || b[from + 4] != '-' || b[from + 7] != '-'
        || b[from + 10] != 'T' || b[from + 13] != ':' || b[from + 16] != ':' || b[to - 1] != 'Z') {
      return false;
    }
    int year = digits(b, from, 4);
    int month = digits(b, from + 5, 2);
    int day = digits(b, from + 8, 2);
    int hour = digits(b, from + 11, 2);
    int minute = digits(b, from + 14, 2);
    int second = digits(b, from + 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
        || second < 0 || second > 59) {
      return false;
    }
    boolean leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > DAYS[month - 1] + (month == 2 && leap ? 1 : 0)) {
      return false;
    }
    if (len == 20) {
      return true;
    }
    if (b[from + 19] != '.') {
      return false;
    }
    int fraction = len - 21;
    for (int i = 0; i < fraction; i += 3) {
      if (digits(b, from + 20 + i, 3) < 0) {
        return false;
      }
    }
    return digits(b, from + 20 + fraction - 3, 3) != 0; // a trailing 000 would have been left out
  }

  /** The value of {@code n} decimal digits at {@code at}, or -1 when one is not a digit. */
  private static int digits(byte[] b, int at, int n) {
    int v = 0;
    for (int i = at; i < at + n; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return -1;
      }
      v = v * 10 + (b[i] - '0');
    }
    return v;
  }

  private static int knownKey(byte[] b, int from, int to) {
    int n = to - from;
    for (int k = 0; k < KEY_BYTES.length; k++) {
      byte[] kb = KEY_BYTES[k];
      if (kb.length == n && kb[0] == b[from] && regionEquals(b, from, kb)) {
        return k;
      }
    }
    return -1;
  }

  /** A positive whole number without leading zeros; sets {@link #seq}. Returns the index after it, or -1. */
  private int number(byte[] b, int p, int end) {
    if (p >= end || b[p] < '1' || b[p] > '9') {
      return -1;
    }
    long n = 0;
    int i = p;
    while (i < end && b[i] >= '0' && b[i] <= '9') {
      if (i - p >= 18) {
        return -1;
      }
      n = n * 10 + (b[i] - '0');
      i++;
    }
    seq = n;
    return i;
  }

  /** An object of string values with keys in canonical (String) order. Returns the index after it, or -1. */
  private static int details(byte[] b, int p, int end) {
    if (p >= end || b[p] != '{') {
      return -1;
    }
    int i = p + 1;
    if (i < end && b[i] == '}') {
      return i + 1;
    }
    int prevKeyAt = -1;
    int prevKeyEnd = -1;
    while (true) {
      int keyEnd = string(b, i, end);
      if (keyEnd < 0 || keyEnd >= end || b[keyEnd] != ':') {
        return -1;
      }
      if (prevKeyAt >= 0 && compareStrings(b, prevKeyAt, prevKeyEnd, i, keyEnd) >= 0) {
        return -1;
      }
      prevKeyAt = i;
      prevKeyEnd = keyEnd;
      int valueEnd = string(b, keyEnd + 1, end);
      if (valueEnd < 0 || valueEnd >= end) {
        return -1;
      }
      if (b[valueEnd] == '}') {
        return valueEnd + 1;
      }
      if (b[valueEnd] != ',') {
        return -1;
      }
      i = valueEnd + 1;
    }
  }

  /**
   * Compares two JSON string literals (quotes included) as the Java strings they decode to. Bytes
   * compare the same way as long as neither holds an escape or a character from U+E000 up (where
   * UTF-16 order, which canonical JSON sorts by, departs from code point order); otherwise both are
   * decoded.
   */
  private static int compareStrings(byte[] b, int aFrom, int aTo, int bFrom, int bTo) {
    boolean plain = true;
    for (int i = aFrom + 1; i < aTo - 1 && plain; i++) {
      plain = b[i] != '\\' && (b[i] & 0xff) < 0xee;
    }
    for (int i = bFrom + 1; i < bTo - 1 && plain; i++) {
      plain = b[i] != '\\' && (b[i] & 0xff) < 0xee;
    }
    if (plain) {
      return java.util.Arrays.compareUnsigned(b, aFrom + 1, aTo - 1, b, bFrom + 1, bTo - 1);
    }
    return decode(b, aFrom, aTo).compareTo(decode(b, bFrom, bTo));
  }

  /** The Java string a checked literal {@code b[from, to)} (quotes included) decodes to. */
  private static String decode(byte[] b, int from, int to) {
    String raw = new String(b, from + 1, to - from - 2, StandardCharsets.UTF_8);
    if (raw.indexOf('\\') < 0) {
      return raw;
    }
    StringBuilder sb = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = raw.charAt(++i);
      switch (e) {
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'u' -> {
          sb.append((char) Integer.parseInt(raw.substring(i + 1, i + 5), 16));
          i += 4;
        }
        default -> sb.append(e);
      }
    }
    return sb.toString();
  }

  /**
   * A string literal as {@code Json.quote} writes it: the escapes it uses and no others, control
   * characters and U+2028/U+2029 escaped, everything else as valid UTF-8. Returns the index after the
   * closing quote, or -1.
   */
  private static int string(byte[] b, int p, int end) {
    if (p >= end || b[p] != '"') {
      return -1;
    }
    int i = p + 1;
    while (i < end) {
      int c = b[i] & 0xff;
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        if (i + 1 >= end) {
          return -1;
        }
        byte e = b[i + 1];
        if (e == '"' || e == '\\' || e == 'n' || e == 'r' || e == 't' || e == 'b' || e == 'f') {
          i += 2;
          continue;
        }
        if (e != 'u' || i + 6 > end || !isHex(b, i + 2, 4)) {
          return -1;
        }
        int code = Integer.parseInt(new String(b, i + 2, 4, StandardCharsets.US_ASCII), 16);
        boolean shortForm = code == '\n' || code == '\r' || code == '\t' || code == '\b' || code == '\f';
        if (!((code < 0x20 && !shortForm) || code == 0x2028 || code == 0x2029)) {
          return -1;
        }
        i += 6;
      } else if (c < 0x20) {
        return -1;
      } else if (c < 0x80) {
        i++;
      } else {
        int n = utf8(b, i, end);
        if (n < 0) {
          return -1;
        }
        i += n;
      }
    }
    return -1;
  }

  /** The length of the valid UTF-8 sequence at {@code i} (never a surrogate, U+2028 or U+2029), or -1. */
  private static int utf8(byte[] b, int i, int end) {
    int c = b[i] & 0xff;
    int n;
    int lo = 0x80;
    int hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0) {
        lo = 0xa0;
      } else if (c == 0xed) {
        hi = 0x9f;
      }
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0) {
        lo = 0x90;
      } else if (c == 0xf4) {
        hi = 0x8f;
      }
    } else {
      return -1;
    }
    if (i + n > end) {
      return -1;
    }
    int c1 = b[i + 1] & 0xff;
    if (c1 < lo || c1 > hi) {
      return -1;
    }
    for (int k = 2; k < n; k++) {
      int ck = b[i + k] & 0xff;
      if (ck < 0x80 || ck > 0xbf) {
        return -1;
      }
    }
    if (c == 0xe2 && c1 == 0x80 && ((b[i + 2] & 0xff) == 0xa8 || (b[i + 2] & 0xff) == 0xa9)) {
      return -1; // U+2028 and U+2029 are written escaped
    }
    return n;
  }

  private static boolean isHex64(byte[] b, int at) {
    return isHex(b, at, 64);
  }

  private static boolean isHex(byte[] b, int at, int n) {
    if (at < 0 || at + n > b.length) {
      return false;
    }
    for (int i = at; i < at + n; i++) {
      byte c = b[i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean regionEquals(byte[] b, int at, byte[] expected) {
    if (at < 0 || at + expected.length > b.length) {
      return false;
    }
    return java.util.Arrays.equals(b, at, at + expected.length, expected, 0, expected.length);
  }

  private static int indexOf(byte[] b, int from, int to, byte x) {
    for (int i = from; i < to; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }
}
