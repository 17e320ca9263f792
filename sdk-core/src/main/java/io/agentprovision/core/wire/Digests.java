package io.agentprovision.core.wire;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * SHA-256, the one digest the SDK and its adapters use: for idempotency keys and file names derived
 * from an intent, hash-chained audit entries, PKCE challenges and stable ids in the sandboxes. Every
 * Java runtime must provide SHA-256, so its absence is an {@link IllegalStateException}, never a
 * checked exception at each call site.
 *
 * <pre>{@code
 * String key = "agentprovision-project-" + Digests.sha256Hex(catalog + "\n" + name).substring(0, 32);
 * }</pre>
 */
public final class Digests {
  /** One digest per thread: idempotency keys and plan hashes are asked for on every step. */
  private static final ThreadLocal<MessageDigest> PER_THREAD = ThreadLocal.withInitial(Digests::newSha256);

  private Digests() {}

  /** SHA-256 over the parts, in order, as if they were one byte array. */
  public static byte[] sha256(byte[]... parts) {
    MessageDigest md = PER_THREAD.get();
    md.reset(); // in case a null part left it half fed
    for (byte[] part : parts) {
      md.update(Objects.requireNonNull(part, "part"));
    }
    return md.digest();
  }

  /** SHA-256 of {@code text} in UTF-8. */
  public static byte[] sha256(String text) {
    return sha256(Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
  }

  /** SHA-256 of {@code text} in UTF-8, as 64 lower-case hex digits. */
  public static String sha256Hex(String text) {
    return HexFormat.of().formatHex(sha256(text));
  }

  /** A fresh SHA-256 digest, for input fed in pieces. */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
