package io.agentprovision.testing.stripe;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A failure a sandbox injects into matching requests: a 5xx, a 429 with {@code Retry-After}, a
 * connection reset, an answer that is not JSON, a slow answer in virtual time, or a stall in real
 * time (for read timeouts). By default the fault comes {@link Phase#BEFORE before} the request is
 * handled, so nothing is executed and no idempotent answer is stored; {@link #afterExecution()}
 * handles the request first (it is carried out, charges are made, its answer is stored for its
 * idempotency key) and then answers with the fault instead, as when a connection drops or a
 * gateway fails on the way back. {@link StripeSandbox} and the protocol
 * {@link io.agentprovision.testing.protocol.ProviderSandbox} both take them. Immutable; each
 * modifier returns a new fault.
 *
 * <pre>{@code
 * sandbox.inject(Fault.status(503).times(1).on("POST", "/v2/provisioning/resources"));
 * sandbox.inject(Fault.rateLimited(Duration.ofSeconds(2)));
 * sandbox.inject(Fault.reset().afterExecution().matching("POST", "/v2/provisioning/resources/[^/]+/submit_information"));
 * }</pre>
 */
public final class Fault {
  /** What happens. */
  public enum Kind { STATUS, RATE_LIMITED, RESET, SLOW, STALL, MALFORMED }

  /** When the fault strikes, relative to handling the request. */
  public enum Phase {
    /** Instead of handling it: nothing is carried out. */
    BEFORE,
    /** After handling it: it was carried out, and its answer is replaced by the fault. */
    AFTER
  }

  /** The body a {@link Kind#MALFORMED} fault answers with: the start of a JSON object, cut off. */
  public static final String MALFORMED_BODY = "{\"id\": \"res_trunc";

  private final Kind kind;
  private final int status;
  private final Duration duration;
  private final int times;
  private final @Nullable String method;
  private final @Nullable String pathPrefix;
  private final @Nullable Pattern pathPattern;
  private final @Nullable Boolean shouldRetry;
  private final Phase phase;

  private Fault(Kind kind, int status, Duration duration, int times, @Nullable String method,
      @Nullable String pathPrefix, @Nullable Boolean shouldRetry) {
    this(kind, status, duration, times, method, pathPrefix, null, shouldRetry, Phase.BEFORE);
  }

  private Fault(Kind kind, int status, Duration duration, int times, @Nullable String method,
      @Nullable String pathPrefix, @Nullable Pattern pathPattern, @Nullable Boolean shouldRetry, Phase phase) {
    this.kind = kind;
    this.status = status;
    this.duration = duration;
    this.times = times;
    this.method = method;
    this.pathPrefix = pathPrefix;
    this.pathPattern = pathPattern;
    this.shouldRetry = shouldRetry;
    this.phase = phase;
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

  /**
   * Holds the answer's headers back for {@code delay} of real time: pair it with a shorter read
   * timeout. Before execution the request is never carried out (the held-back answer is a 503);
   * {@link #afterExecution() after} it, the held-back answer is the real one.
   */
  public static Fault stall(Duration delay) {
    return new Fault(Kind.STALL, 0, Objects.requireNonNull(delay, "delay"), 1, null, null, null);
  }

  /** Answers 200 with {@link #MALFORMED_BODY}, which no JSON reader accepts. */
  public static Fault malformed() {
    return new Fault(Kind.MALFORMED, 200, Duration.ZERO, 1, null, null, null);
  }

  /** Applies to this many matching requests (default 1). */
  public Fault times(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("times must be at least 1, was " + n);
    }
    return new Fault(kind, status, duration, n, method, pathPrefix, pathPattern, shouldRetry, phase);
  }

  /** Applies only to requests with this method whose path starts with {@code prefix}. */
  public Fault on(String httpMethod, String prefix) {
    return new Fault(kind, status, duration, times, Objects.requireNonNull(httpMethod, "method"),
        Objects.requireNonNull(prefix, "prefix"), null, shouldRetry, phase);
  }

  /** Applies only to requests with this method whose whole path matches {@code regex}. */
  public Fault matching(String httpMethod, String regex) {
    return new Fault(kind, status, duration, times, Objects.requireNonNull(httpMethod, "method"), null,
        Pattern.compile(Objects.requireNonNull(regex, "regex")), shouldRetry, phase);
  }

  /** Sends {@code Stripe-Should-Retry} with this value. */
  public Fault shouldRetry(boolean value) {
    return new Fault(kind, status, duration, times, method, pathPrefix, pathPattern, value, phase);
  }

  /**
   * Handles the request first, then answers with the fault: the request was carried out (and its
   * answer stored for its idempotency key, so repeating it replays the real answer). A
   * {@link Kind#SLOW} fault is the same either way.
   */
  public Fault afterExecution() {
    return new Fault(kind, status, duration, times, method, pathPrefix, pathPattern, shouldRetry, Phase.AFTER);
  }

  public Phase phase() {
    return phase;
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

  /** Whether a request with {@code httpMethod} and {@code path} is one this fault applies to. */
  public boolean matches(String httpMethod, String path) {
    return (method == null || method.equalsIgnoreCase(httpMethod)) && (pathPrefix == null || path.startsWith(pathPrefix))
        && (pathPattern == null || pathPattern.matcher(path).matches());
  }

  @Override
  public String toString() {
    return "Fault{" + kind + (status > 0 ? " " + status : "") + (duration.isZero() ? "" : " " + duration) + " x" + times
        + (phase == Phase.AFTER ? " after execution" : "")
        + (method == null ? "" : " on " + method + " " + (pathPattern != null ? pathPattern.pattern() : pathPrefix))
        + "}";
  }
}
