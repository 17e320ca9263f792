package io.agentprovision.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

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
  private static final String REDACTED = "[redacted]";

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
