package io.agentprovision.core.protocol;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * The provider protocol's request signature: header {@code Stripe-Signature: t=<unix seconds>,v1=<hex>}
 * where the hex is HMAC-SHA256, keyed with the secret the orchestrator and the provider share, over
 * {@code "<t>." + raw body}. Providers accept it within {@link #DEFAULT_TOLERANCE} of their clock.
 * Both sides use this class: the client to sign, a provider (or a sandbox) to verify. Immutable and
 * thread-safe.
 *
 * <pre>{@code
 * ProtocolSignature sig = ProtocolSignature.of(sharedSecret);
 * String header = sig.sign(body, clock.instant());            // client side
 * ProtocolSignature.Check c = sig.verify(header, body, now);  // provider side
 * if (c != ProtocolSignature.Check.VALID) reject(401, "invalid_signature");
 * }</pre>
 *
 * <p>The header may carry several {@code v1} values (a provider rotating its secret signs with both);
 * verification accepts any one that matches, comparing in constant time.
 */
public final class ProtocolSignature {
  /** The request header that carries the signature. */
  public static final String HEADER = "Stripe-Signature";
  /** How far a signature's timestamp may be from the verifier's clock, either way. */
  public static final Duration DEFAULT_TOLERANCE = Duration.ofSeconds(300);

  private static final String HMAC = "HmacSHA256";

  /** The outcome of {@link #verify}. */
  public enum Check {
    /** A {@code v1} value matches and the timestamp is within tolerance. */
    VALID,
    /** No header was sent. */
    MISSING,
    /** The header is not of the form {@code t=<seconds>,v1=<hex>}. */
    MALFORMED,
    /** The timestamp is further from now than the tolerance (a replay or a skewed clock). */
    OUTSIDE_TOLERANCE,
    /** No {@code v1} value matches: another secret, or a changed body. */
    MISMATCH
  }

  private final Secret secret;
  private final Duration tolerance;

  private ProtocolSignature(Secret secret, Duration tolerance) {
    this.secret = secret;
    this.tolerance = tolerance;
  }

  /** A signer and verifier for {@code sharedSecret} with the default tolerance. */
  public static ProtocolSignature of(Secret sharedSecret) {
    return new ProtocolSignature(Objects.requireNonNull(sharedSecret, "sharedSecret"), DEFAULT_TOLERANCE);
  }

  /** This signature scheme with another tolerance (positive). */
  public ProtocolSignature withTolerance(Duration tolerance) {
    Objects.requireNonNull(tolerance, "tolerance");
    if (tolerance.isNegative() || tolerance.isZero()) {
      throw new InvalidRequestException("tolerance", "must be positive (was " + tolerance + ")",
          "pass a duration such as 300 seconds");
    }
    return new ProtocolSignature(secret, tolerance);
  }

  public Duration tolerance() {
    return tolerance;
  }

  /** The header value for {@code body} signed at {@code at}: {@code t=<seconds>,v1=<hex>}. */
  public String sign(byte[] body, Instant at) {
    Objects.requireNonNull(body, "body");
    long t = Objects.requireNonNull(at, "at").getEpochSecond();
    return "t=" + t + ",v1=" + HexFormat.of().formatHex(mac(t, body));
  }

  /** {@link #sign(byte[], Instant)} for a UTF-8 body. */
  public String sign(String body, Instant at) {
    return sign(body.getBytes(StandardCharsets.UTF_8), at);
  }

  /** Checks {@code header} against {@code body} at {@code now}. */
  public Check verify(@Nullable String header, byte[] body, Instant now) {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(now, "now");
    if (header == null || header.isBlank()) {
      return Check.MISSING;
    }
    Long t = null;
    List<byte[]> candidates = new ArrayList<>();
    for (String part : header.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        return Check.MALFORMED;
      }
      String k = part.substring(0, eq).trim();
      String v = part.substring(eq + 1).trim();
      if (k.equals("t")) {
        try {
          t = Long.parseLong(v);
        } catch (NumberFormatException e) {
          return Check.MALFORMED;
        }
      } else if (k.equals("v1")) {
        try {
          candidates.add(HexFormat.of().parseHex(v));
        } catch (IllegalArgumentException e) {
          return Check.MALFORMED;
        }
      }
      // other schemes (v0 …) are ignored, as receivers of this header format do
    }
    if (t == null || candidates.isEmpty()) {
      return Check.MALFORMED;
    }
    if (Math.abs(now.getEpochSecond() - t) > tolerance.toSeconds()) {
      return Check.OUTSIDE_TOLERANCE;
    }
    byte[] expected = mac(t, body);
    boolean match = false;
    for (byte[] c : candidates) {
      // no early exit, so the time taken does not tell which candidate matched
      match |= MessageDigest.isEqual(expected, c);
    }
    return match ? Check.VALID : Check.MISMATCH;
  }

  /** {@link #verify(String, byte[], Instant)} for a UTF-8 body. */
  public Check verify(@Nullable String header, String body, Instant now) {
    return verify(header, body.getBytes(StandardCharsets.UTF_8), now);
  }

  private byte[] mac(long t, byte[] body) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(secret.revealBytes(), HMAC));
      mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "ProtocolSignature{secret=[redacted], tolerance=" + tolerance + "}";
  }
}
