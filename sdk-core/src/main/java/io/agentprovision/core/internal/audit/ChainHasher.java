package io.agentprovision.core.internal.audit;

import io.agentprovision.core.audit.AuditKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import org.jspecify.annotations.Nullable;

/**
 * Computes entry hashes: SHA-256 of the body for a plain entry, HMAC-SHA256 under the named key
 * for a keyed one, and the rules that say which an entry may be. Holds one digest and one MAC per key
 * id, so it is not thread-safe: use one per scan or under a lock.
 */
public final class ChainHasher {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private final @Nullable AuditKey keys;
  private final MessageDigest sha;
  private final Map<String, Mac> macs = new HashMap<>();
  private final byte[] digest = new byte[32];
  /** A chain hash's bytes (64 hex digits) or a sequence number's digits, without an array each time. */
  private final byte[] scratch = new byte[64];

  public ChainHasher(@Nullable AuditKey keys) {
    this.keys = keys;
    try {
      this.sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The keys this hasher verifies with, or null for a plain chain. */
  public @Nullable AuditKey keys() {
    return keys;
  }

  /**
   * Why an entry with key id {@code keyId} cannot be checked here, or null when it can:
   * a keyed entry needs its key, and once an entry of a chain is keyed every later one must be
   * (otherwise whoever can write the file could append plain entries after the keyed ones).
   *
   * @param keyedBefore whether an earlier entry of the chain is keyed
   */
  public @Nullable String keyProblem(long sequence, @Nullable String keyId, boolean keyedBefore) {
    if (keyId == null) {
      return keyedBefore ? "entry " + sequence + " has a plain hash but entries before it are signed with a key "
          + "(appended by someone without the key)" : null;
    }
    if (keys == null) {
      return "entry " + sequence + " is signed with audit key '" + keyId + "'; open the log with that key to verify it";
    }
    if (!keys.has(keyId)) {
      return "entry " + sequence + " is signed with audit key '" + keyId + "', which was not supplied (known: "
          + keys.ids() + "); supply it as a retired key with AuditKey.withRetired";
    }
    return null;
  }

  /** The hex hash of a body given as text (see {@link AuditCodec#body}). */
  public String hash(@Nullable String keyId, String body) {
    return hash(keyId, body.getBytes(StandardCharsets.UTF_8));
  }

  /** The hex hash of a body given as its UTF-8 bytes. */
  public String hash(@Nullable String keyId, byte[] body) {
    digest(keyId, body, 0, body.length - 1);
    return HEX.formatHex(digest);
  }

  /**
   * The plain (SHA-256) hex hash of the entry whose body is {@code parts} with {@code previousHash}
   * and {@code sequence} in their places: the hash of {@link AuditCodec#body} for the same entry.
   * {@code previousHash} is a chain hash (64 hex digits, or {@link io.agentprovision.core.audit.AuditChain#GENESIS}),
   * which JSON writes as it is between its quotes.
   */
  public String hash(AuditCodec.Unplaced parts, String previousHash, long sequence) {
    int n = previousHash.length();
    byte[] prev = n <= scratch.length ? scratch : new byte[n];
    for (int i = 0; i < n; i++) {
      char c = previousHash.charAt(i);
      if (c < ' ' || c > '~' || c == '"' || c == '\\') {
        throw new IllegalArgumentException("not a chain hash: " + previousHash);
      }
      prev[i] = (byte) c;
    }
    byte[] b = parts.bytes();
    try {
      sha.update(b, 0, parts.prevAt());
      sha.update(prev, 0, n);
      sha.update(b, parts.prevAt(), parts.seqAt() - parts.prevAt());
      // the number's decimal digits, written into the scratch after the hash's bytes are digested
      int digits = decimal(sequence);
      sha.update(scratch, scratch.length - digits, digits);
      sha.update(b, parts.seqAt(), b.length - parts.seqAt());
      sha.digest(digest, 0, digest.length);
    } catch (java.security.DigestException e) {
      throw new IllegalStateException("a 32-byte buffer is too short for SHA-256", e);
    }
    return HEX.formatHex(digest);
  }

  /**
   * Writes {@code n}'s decimal digits (as {@link Long#toString(long)} writes them) at the end of
   * {@link #scratch} and returns how many there are.
   */
  private int decimal(long n) {
    int at = scratch.length;
    if (n == Long.MIN_VALUE) {
      byte[] s = Long.toString(n).getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(s, 0, scratch, at - s.length, s.length);
      return s.length;
    }
    boolean negative = n < 0;
    long v = negative ? -n : n;
    do {
      scratch[--at] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    } while (v != 0);
    if (negative) {
      scratch[--at] = '-';
    }
    return scratch.length - at;
  }

  /**
   * Whether the hash of a body given as text is {@code hash}: {@code hash(keyId, body).equals(hash)},
   * without the hex text of the digest (a verification compares every entry's).
   */
  public boolean matches(@Nullable String keyId, String body, String hash) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    digest(keyId, b, 0, b.length - 1);
    if (hash.length() != 64) {
      return false;
    }
    for (int i = 0; i < 32; i++) {
      int v = digest[i] & 0xff;
      if (hash.charAt(2 * i) != HEX_DIGITS[v >>> 4] || hash.charAt(2 * i + 1) != HEX_DIGITS[v & 0xf]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Hashes the body {@code b[off, off+len)} followed by a closing brace (a stored line with its
   * hash member cut off is the body without its last brace) into {@link #digest}.
   */
  void digest(@Nullable String keyId, byte[] b, int off, int len) {
    try {
      if (keyId == null) {
        sha.update(b, off, len);
        sha.update((byte) '}');
        sha.digest(digest, 0, digest.length);
      } else {
        Mac mac = macs.get(keyId);
        if (mac == null) {
          if (keys == null) {
            throw new IllegalStateException("no keys to sign with");
          }
          mac = keys.newMac(keyId);
          macs.put(keyId, mac);
        }
        mac.update(b, off, len);
        mac.update((byte) '}');
        mac.doFinal(digest, 0);
      }
    } catch (java.security.DigestException | ShortBufferException e) {
      throw new IllegalStateException("a 32-byte buffer is too short for SHA-256", e);
    }
  }

  /** Whether the last {@link #digest} equals the 64 lowercase hex digits at {@code b[at, at+64)}. */
  boolean digestEquals(byte[] b, int at) {
    for (int i = 0; i < 32; i++) {
      int v = digest[i] & 0xff;
      if (b[at + 2 * i] != HEX_DIGITS[v >>> 4] || b[at + 2 * i + 1] != HEX_DIGITS[v & 0xf]) {
        return false;
      }
    }
    return true;
  }
}
