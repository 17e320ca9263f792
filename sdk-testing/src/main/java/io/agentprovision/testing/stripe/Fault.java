package io.agentprovision.testing.stripe;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A failure the {@link StripeSandbox} injects into matching requests before handling them, so
 * nothing is executed and no idempotent answer is stored: a 5xx, a 429 with {@code Retry-After}, a
 * connection reset, a slow answer in virtual time, or a stall in real time (for read timeouts).
 * Immutable; each modifier returns a new fault.
 *
 * <pre>{@code
 * sandbox.inject(Fault.status(503).times(1).on("POST", "/v2/provisioning/resources"));
 * sandbox.inject(Fault.rateLimited(Duration.ofSeconds(2)));
 * }</pre>
 */
public final class Fault {
  /** What happens. */
  public enum Kind { STATUS, RATE_LIMITED, RESET, SLOW, STALL }

  private final Kind kind;
  private final int status;
  private final Duration duration;
  private final int times;
  private final @Nullable String method;
  private final @Nullable String pathPrefix;
  private final @Nullable Boolean shouldRetry;

  private Fault(Kind kind, int status, Duration duration, int times, @Nullable String method,
      @Nullable String pathPrefix, @Nullable Boolean shouldRetry) {
    this.kind = kind;
    this.status = status;
    this.duration = duration;
    this.times = times;
    this.method = method;
    this.pathPrefix = pathPrefix;
    this.shouldRetry = shouldRetry;
  }

  /** Answers with {@code status} (5xx, or any error status) and a Stripe error body. */
  public static Fault status(int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("a fault status is 400..599, was " + status);
    }
    return new Fault(Kind.STATUS, status, Duration.ZERO, 1, null, null, null);
  }

  /** Answers 429 with {@code Retry-After} in whole seconds. */
  public static Fault rateLimited(Duration retryAfter) {
    return new Fault(Kind.RATE_LIMITED, 429, Objects.requireNonNull(retryAfter, "retryAfter"), 1, null, null, null);
  }

  /** Cuts the connection after reading the request, without answering. */
  public static Fault reset() {
    return new Fault(Kind.RESET, 0, Duration.ZERO, 1, null, null, null);
  }

  /** Handles the request normally after moving the sandbox's virtual clock on by {@code latency}. */
  public static Fault slow(Duration latency) {
    return new Fault(Kind.SLOW, 0, Objects.requireNonNull(latency, "latency"), 1, null, null, null);
  }

  /** Holds the answer's headers back for {@code delay} of real time: pair it with a shorter read timeout. */
  public static Fault stall(Duration delay) {
    return new Fault(Kind.STALL, 0, Objects.requireNonNull(delay, "delay"), 1, null, null, null);
  }

  /** Applies to this many matching requests (default 1). */
  public Fault times(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("times must be at least 1, was " + n);
    }
    return new Fault(kind, status, duration, n, method, pathPrefix, shouldRetry);
  }

  /** Applies only to requests with this method whose path starts with {@code prefix}. */
  public Fault on(String httpMethod, String prefix) {
    return new Fault(kind, status, duration, times, Objects.requireNonNull(httpMethod, "method"),
        Objects.requireNonNull(prefix, "prefix"), shouldRetry);
  }

  /** Sends {@code Stripe-Should-Retry} with this value. */
  public Fault shouldRetry(boolean value) {
    return new Fault(kind, status, duration, times, method, pathPrefix, value);
  }

  public Kind kind() {
    return kind;
  }

  public int statusCode() {
    return status;
  }

  public Duration duration() {
    return duration;
  }

  public int times() {
    return times;
  }

  public @Nullable Boolean shouldRetryHeader() {
    return shouldRetry;
  }

  boolean matches(String httpMethod, String path) {
    return (method == null || method.equalsIgnoreCase(httpMethod)) && (pathPrefix == null || path.startsWith(pathPrefix));
  }

  @Override
  public String toString() {
    return "Fault{" + kind + (status > 0 ? " " + status : "") + (duration.isZero() ? "" : " " + duration) + " x" + times
        + (method == null ? "" : " on " + method + " " + pathPrefix) + "}";
  }
}
