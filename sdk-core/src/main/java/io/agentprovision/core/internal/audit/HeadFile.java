package io.agentprovision.core.internal.audit;

import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.wire.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import org.jspecify.annotations.Nullable;

/**
 * The layout of a JSONL audit log's head file: two fixed-size records ("slots") of
 * {@value #SLOT} bytes, each one JSON line padded with spaces, such as
 * <pre>{@code {"bytes":1270,"check":"…","entries":3,"gen":4,"hash":"…"}        }</pre>
 * The head is moved by overwriting the older slot in place and forcing the file: a write cut short
 * by a crash spoils only the slot being written, and the other still holds the head before it, so
 * no rename (and no second file and directory sync) is needed to stay crash-consistent. The slot
 * with the higher {@code gen} whose {@code check} matches is the head.
 *
 * <p>{@code check} is a SHA-256 of the slot's other fields, or, when the log is keyed, their
 * HMAC-SHA256 under the key named by {@code kid}, so that whoever can write the file but lacks the
 * key cannot write a head that moves a keyed log's end.
 */
final class HeadFile {
  /** The size of one slot, newline included. */
  static final int SLOT = 512;
  /** The size of the file. */
  static final int SIZE = 2 * SLOT;
  private static final HexFormat HEX = HexFormat.of();

  private HeadFile() {}

  /**
   * A head: {@code entries} entries whose last has hash {@code hash} end at byte {@code bytes}.
   *
   * @param keyId the key that signed this slot, or null for a plain check
   */
  record Head(long gen, long entries, @Nullable String hash, long bytes, @Nullable String keyId) {}

  /** The slot a head of generation {@code gen} is written to. */
  static int slotOffset(long gen) {
    return (int) (gen % 2) * SLOT;
  }

  /** One slot, padded, holding {@code h}, checked with {@code keys}'s current key or plainly. */
  static byte[] encode(Head h, @Nullable AuditKey keys) {
    Map<String, Object> m = fields(h);
    m.put("check", check(m, h.keyId(), keys));
    byte[] json = Json.canonical(m).getBytes(StandardCharsets.UTF_8);
    if (json.length > SLOT - 1) {
      throw new IllegalStateException("an audit head does not fit its slot");
    }
    byte[] slot = new byte[SLOT];
    Arrays.fill(slot, (byte) ' ');
    System.arraycopy(json, 0, slot, 0, json.length);
    slot[SLOT - 1] = '\n';
    return slot;
  }

  /** A whole new head file: {@code h} in its slot, the other one blank. */
  static byte[] newFile(Head h, @Nullable AuditKey keys) {
    byte[] file = new byte[SIZE];
    Arrays.fill(file, (byte) ' ');
    file[SLOT - 1] = '\n';
    file[SIZE - 1] = '\n';
    System.arraycopy(encode(h, keys), 0, file, slotOffset(h.gen()), SLOT);
    return file;
  }

  /** What reading a head file found. */
  record Read(@Nullable Head head, @Nullable String problem, boolean keyRequired, @Nullable String unknownKey) {}

  /**
   * The head held by {@code content}: the newest slot whose check holds. A keyed slot needs its
   * key; without keys it is reported as needing one.
   */
  static Read decode(byte[] content, @Nullable AuditKey keys) {
    if (content.length != SIZE) {
      return new Read(null, "it is " + content.length + " bytes, not the " + SIZE + " of a head file", false, null);
    }
    Head best = null;
    String problem = null;
    boolean keyRequired = false;
    String unknownKey = null;
    for (int s = 0; s < 2; s++) {
      String text = new String(content, s * SLOT, SLOT, StandardCharsets.UTF_8).strip();
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
        Head h = new Head(gen, n, hash, b, kid);
        String expected = check(fields(h), kid, keys);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
            String.valueOf(m.get("check")).getBytes(StandardCharsets.US_ASCII))) {
          throw new IllegalArgumentException("its check does not match");
        }
        if (best == null || h.gen() > best.gen()) {
          best = h;
        }
      } catch (IllegalArgumentException e) {
        problem = "slot " + (s + 1) + " is unreadable (" + e.getMessage() + ")";
      }
    }
    if (best != null) {
      return new Read(best, null, false, null);
    }
    return new Read(null, problem != null ? problem : "it holds no head", keyRequired, unknownKey);
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
    return m;
  }

  private static String check(Map<String, Object> fields, @Nullable String keyId, @Nullable AuditKey keys) {
    byte[] text = Json.canonical(fields).getBytes(StandardCharsets.UTF_8);
    if (keyId == null) {
      try {
        return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(text));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from this JVM", e);
      }
    }
    if (keys == null) {
      throw new IllegalStateException("a keyed head needs its key");
    }
    Mac mac = keys.newMac(keyId);
    return HEX.formatHex(mac.doFinal(text));
  }
}
