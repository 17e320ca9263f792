package io.agentprovision.stripe.internal;

import io.agentprovision.core.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * PKCE (RFC 7636, S256) for provider connection requests. The verifier is derived, not random:
 * HMAC-SHA256 keyed with the Stripe API key over the step's idempotency key. A retried or resumed
 * step therefore sends the same {@code code_challenge} (a different one under the same
 * idempotency key would be refused by Stripe), while nobody without the API key can compute the
 * verifier, and whoever has the key can act on the account anyway.
 */
public final class Pkce {
  private Pkce() {}

  /** The code verifier for the connection request made under {@code idempotencyKey}: 43 base64url characters. */
  public static Secret verifier(Secret apiKey, String idempotencyKey) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(apiKey.revealBytes(), "HmacSHA256"));
      byte[] digest = mac.doFinal(("agentprovision/pkce/v1\n" + idempotencyKey).getBytes(StandardCharsets.UTF_8));
      return Secret.of(Base64.getUrlEncoder().withoutPadding().encodeToString(digest));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  /** {@code BASE64URL(SHA256(verifier))}, the S256 challenge. */
  public static String challenge(Secret verifier) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.reveal().getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }
}
