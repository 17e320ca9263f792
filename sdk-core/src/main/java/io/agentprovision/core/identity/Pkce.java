package io.agentprovision.core.identity;

import io.agentprovision.core.Secret;
import io.agentprovision.core.wire.Digests;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * PKCE (RFC 7636) with the S256 method, for both sides of an authorization-code exchange: the
 * client makes a verifier and sends its challenge; the server checks a redeemed code's verifier
 * against the challenge it kept. The SDK's orchestrators and its sandboxes all use this class.
 *
 * <pre>{@code
 * Secret verifier = Pkce.randomVerifier(random);             // or Pkce.derivedVerifier(key, idempotencyKey)
 * body.put("code_challenge", Pkce.challenge(verifier));
 * body.put("code_challenge_method", Pkce.METHOD);
 * // provider side:
 * if (!Pkce.matches(form.get("code_verifier"), keptChallenge)) refuse("invalid_grant");
 * }</pre>
 */
public final class Pkce {
  /** The only challenge method this SDK sends or accepts. */
  public static final String METHOD = "S256";

  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private Pkce() {}

  /** A random verifier: 32 random bytes, 43 base64url characters. */
  public static Secret randomVerifier(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Secret.of(BASE64URL.encodeToString(b));
  }

  /**
   * A verifier derived, not random: HMAC-SHA256 keyed with {@code key} over {@code context} (such as
   * a step's idempotency key). A retried or resumed step therefore sends the same challenge (a
   * different one under the same idempotency key would be refused), while nobody without the key
   * can compute the verifier, and whoever has the key can act on the account anyway.
   */
  public static Secret derivedVerifier(Secret key, String context) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(context, "context");
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.revealBytes(), "HmacSHA256"));
      byte[] digest = mac.doFinal(("agentprovision/pkce/v1\n" + context).getBytes(StandardCharsets.UTF_8));
      return Secret.of(BASE64URL.encodeToString(digest));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
    }
  }

  /** The S256 challenge of {@code verifier}: {@code BASE64URL(SHA256(ASCII(verifier)))}. */
  public static String challenge(Secret verifier) {
    return challenge(Objects.requireNonNull(verifier, "verifier").reveal());
  }

  /** {@link #challenge(Secret)} of a verifier as received on the wire (the server side). */
  public static String challenge(String verifier) {
    Objects.requireNonNull(verifier, "verifier");
    return BASE64URL.encodeToString(Digests.sha256(verifier.getBytes(StandardCharsets.US_ASCII)));
  }

  /** Whether {@code verifier} answers {@code challenge}, compared in constant time; false for a missing verifier. */
  public static boolean matches(@Nullable String verifier, String challenge) {
    Objects.requireNonNull(challenge, "challenge");
    if (verifier == null || verifier.isEmpty()) {
      return false;
    }
    return MessageDigest.isEqual(challenge(verifier).getBytes(StandardCharsets.US_ASCII),
        challenge.getBytes(StandardCharsets.US_ASCII));
  }
}
