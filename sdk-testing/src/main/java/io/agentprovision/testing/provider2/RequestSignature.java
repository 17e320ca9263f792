package io.agentprovision.testing.provider2;

import io.agentprovision.core.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * The simulator's own check of {@code Stripe-Signature: t=<unix seconds>,v1=<hex>}, written from the
 * protocol description and nothing else: HMAC-SHA256 keyed with a shared secret over
 * {@code "<t>." + raw body}, the timestamp within a tolerance of the simulator's clock either way.
 * Any one of several {@code v1} values may match (a sender rotating its secret signs with both) and
 * any one of several secrets may have made it (a provider rotating its side).
 */
final class RequestSignature {
  /** Why a signature was refused, worded for the error message (never holding the secret). */
  enum Outcome {
    VALID(""),
    MISSING("the request has no Stripe-Signature header"),
    MALFORMED("the Stripe-Signature header is not of the form t=<unix seconds>,v1=<hex>"),
    STALE("the signature's timestamp is more than the allowed tolerance away from the provider's clock"),
    MISMATCH("no v1 signature matches the body with any shared secret");

    final String reason;

    Outcome(String reason) {
      this.reason = reason;
    }
  }

  private final List<Secret> secrets;
  private final Duration tolerance;

  RequestSignature(List<Secret> secrets, Duration tolerance) {
    this.secrets = List.copyOf(secrets);
    this.tolerance = tolerance;
  }

  Outcome check(@Nullable String header, byte[] body, Instant now) {
    if (header == null || header.isBlank()) {
      return Outcome.MISSING;
    }
    long t = -1;
    boolean sawT = false;
    List<byte[]> offered = new ArrayList<>();
    for (String element : header.split(",")) {
      String e = element.trim();
      int eq = e.indexOf('=');
      if (eq < 1) {
        return Outcome.MALFORMED;
      }
      String name = e.substring(0, eq);
      String value = e.substring(eq + 1);
      if (name.equals("t")) {
        if (sawT || !value.matches("[0-9]{1,12}")) {
          return Outcome.MALFORMED;
        }
        sawT = true;
        t = Long.parseLong(value);
      } else if (name.equals("v1")) {
        if (!value.matches("[0-9a-fA-F]{64}")) {
          return Outcome.MALFORMED;
        }
        offered.add(HexFormat.of().parseHex(value));
      }
      // other schemes are someone else's business
    }
    if (!sawT || offered.isEmpty()) {
      return Outcome.MALFORMED;
    }
    if (Math.abs(now.getEpochSecond() - t) > tolerance.toSeconds()) {
      return Outcome.STALE;
    }
    boolean any = false;
    for (Secret s : secrets) {
      byte[] expected = hmac(s, t, body);
      for (byte[] candidate : offered) {
        // every pair is compared, in constant time, so the time taken does not reveal which matched
        any |= MessageDigest.isEqual(expected, candidate);
      }
    }
    return any ? Outcome.VALID : Outcome.MISMATCH;
  }

  private static byte[] hmac(Secret secret, long t, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.revealBytes(), "HmacSHA256"));
      mac.update(Long.toString(t).getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) '.');
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }
}
