package io.agentprovision.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A credential value: an API token, an ID token, a payment token, a key. Its {@link #toString()}
 * is redacted, so a secret concatenated into a log line, an exception message, an event or an
 * audit entry shows {@code [redacted]}. Its {@link #equals} is identity, and its
 * {@link #hashCode} does not depend on the value, so neither leaks anything about it; compare
 * values with {@link #matches(Secret)}, which runs in constant time.
 *
 * <p>Call {@link #reveal()} only at the point where the value leaves the process (an
 * {@code Authorization} header, an encrypted vault record).
 *
 * <pre>{@code
 * Secret token = Secret.of(System.getenv("CLOUDFLARE_API_TOKEN"));
 * log.info("using {}", token);               // using [redacted]
 * request.header("Authorization", "Bearer " + token.reveal());
 * }</pre>
 */
public final class Secret {
  /** The longest piece of remote text {@link #scrub(String)} keeps. */
  public static final int MAX_SCRUBBED_LENGTH = 300;

  private static final String REDACTED = "[redacted]";
  private static final Pattern BEARER = Pattern.compile("(?i)\\b(bearer\\s+)[^\\s,;\"']+");
  /** Stripe keys and tokens, whose prefixes say what they are, even when short. */
  private static final Pattern PREFIXED = Pattern.compile(
      "\\b(?:sk|rk|pk|whsec|spt|ek|seti_[A-Za-z0-9]+_secret|pi_[A-Za-z0-9]+_secret)_[A-Za-z0-9_]{4,}");
  /**
   * A run of token characters long enough to be a credential. Dots and slashes end a run, so host
   * names, paths and dotted permission names stay readable; the pieces of a JWT are each long enough.
   */
  private static final Pattern TOKENISH = Pattern.compile("[A-Za-z0-9_\\-+=~]{24,}");
  private static final Pattern CONTROL = Pattern.compile("[\\r\\n\\t]+");

  private final String value;

  private Secret(String value) {
    this.value = value;
  }

  /** Wraps a secret value; refuses an empty one, which is always a configuration mistake. */
  public static Secret of(String value) {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty()) {
      throw new InvalidRequestException("secret", "is empty", "pass the credential's value");
    }
    return new Secret(value);
  }

  /** The value itself. Every call site is a place where the secret leaves its wrapper. */
  public String reveal() {
    return value;
  }

  /** The value as UTF-8 bytes, for keys and signatures. */
  public byte[] revealBytes() {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /** Whether both secrets hold the same value, compared in constant time. */
  public boolean matches(Secret other) {
    Objects.requireNonNull(other, "other");
    return MessageDigest.isEqual(revealBytes(), other.revealBytes());
  }

  /** Whether {@code candidate} equals the value, compared in constant time. */
  public boolean matches(String candidate) {
    Objects.requireNonNull(candidate, "candidate");
    return MessageDigest.isEqual(revealBytes(), candidate.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Cleans text that came from a remote system (an error message, an exception's text) before it
   * goes into an exception message, a log line or an event: bearer values, Stripe-style keys and
   * tokens, and any run of 24 or more token characters become {@code [redacted]} (except 32
   * lower-case hex digits, the form of Cloudflare's object ids, which support asks for); line breaks
   * become spaces; the result is cut to {@link #MAX_SCRUBBED_LENGTH} characters. The one rule every
   * adapter uses, so a credential echoed back by a proxy is hidden the same way everywhere.
   *
   * <pre>{@code
   * throw new ProviderException("cloudflare", 401, code, requestId, Secret.scrub(remoteMessage), false);
   * }</pre>
   *
   * @return the cleaned text; empty for null
   */
  public static String scrub(@Nullable String text) {
    if (text == null) {
      return "";
    }
    String t = BEARER.matcher(text).replaceAll("$1" + REDACTED);
    t = PREFIXED.matcher(t).replaceAll(REDACTED);
    t = TOKENISH.matcher(t).replaceAll(m -> looksLikeObjectId(m.group()) || m.group().equals(REDACTED) ? m.group()
        : REDACTED);
    t = CONTROL.matcher(t).replaceAll(" ");
    return t.length() > MAX_SCRUBBED_LENGTH ? t.substring(0, MAX_SCRUBBED_LENGTH) + "…" : t;
  }

  /** 32 lower-case hex digits: a Cloudflare account, zone or token id, not a credential. */
  private static boolean looksLikeObjectId(String s) {
    return s.length() == 32 && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  /** Always {@code [redacted]}. */
  @Override
  public String toString() {
    return REDACTED;
  }

  /** Identity: two wrappers of the same value are not {@code equals}. Use {@link #matches(Secret)}. */
  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }
}
