package io.agentprovision.core.http;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.internal.Checks;
import java.time.Duration;
import java.util.Objects;

/**
 * How calls to one remote system are retried, broken and paced: attempts and exponential backoff
 * (honouring {@code Retry-After}), a circuit breaker, an optional client-side rate limit, and
 * timeouts. Immutable; {@link #ofDefaults()}, {@link #custom()}, {@link #from(ResiliencePolicy)}.
 *
 * <pre>{@code
 * ResiliencePolicy p = ResiliencePolicy.custom()
 *     .maxAttempts(3)
 *     .initialBackoff(Duration.ofMillis(500))
 *     .maxBackoff(Duration.ofSeconds(8))
 *     .rateLimit(1200, Duration.ofMinutes(5))
 *     .build();
 * }</pre>
 *
 * <p>Only calls that are safe to repeat are retried: {@code GET}, {@code HEAD}, {@code PUT},
 * {@code DELETE}, {@code OPTIONS}, and any request carrying an {@code Idempotency-Key} header.
 */
public final class ResiliencePolicy {
  /** Attempts including the first: the first call and two retries, as the official SDKs do. */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(8);
  /** A {@code Retry-After} longer than this is not waited for; the error goes to the caller, retryable. */
  public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(60);
  /** Failure percentage (of the sliding window) that opens the circuit. */
  public static final int DEFAULT_FAILURE_RATE_THRESHOLD = 50;
  /** Calls in the circuit breaker's sliding window, and the minimum before it may open. */
  public static final int DEFAULT_SLIDING_WINDOW = 20;
  public static final Duration DEFAULT_OPEN_STATE_WAIT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(60);

  private static final ResiliencePolicy DEFAULTS = new Builder().build();

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration maxRetryAfter;
  private final int failureRateThreshold;
  private final int slidingWindow;
  private final Duration openStateWait;
  private final int rateLimitPermits;
  private final Duration rateLimitPeriod;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final Duration callTimeout;

  private ResiliencePolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.maxRetryAfter = b.maxRetryAfter;
    this.failureRateThreshold = b.failureRateThreshold;
    this.slidingWindow = b.slidingWindow;
    this.openStateWait = b.openStateWait;
    this.rateLimitPermits = b.rateLimitPermits;
    this.rateLimitPeriod = b.rateLimitPeriod;
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.callTimeout = b.callTimeout;
  }

  public static ResiliencePolicy ofDefaults() {
    return DEFAULTS;
  }

  public static Builder custom() {
    return new Builder();
  }

  public static Builder from(ResiliencePolicy base) {
    Builder b = new Builder();
    b.maxAttempts = base.maxAttempts;
    b.initialBackoff = base.initialBackoff;
    b.maxBackoff = base.maxBackoff;
    b.maxRetryAfter = base.maxRetryAfter;
    b.failureRateThreshold = base.failureRateThreshold;
    b.slidingWindow = base.slidingWindow;
    b.openStateWait = base.openStateWait;
    b.rateLimitPermits = base.rateLimitPermits;
    b.rateLimitPeriod = base.rateLimitPeriod;
    b.connectTimeout = base.connectTimeout;
    b.readTimeout = base.readTimeout;
    b.callTimeout = base.callTimeout;
    return b;
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration initialBackoff() {
    return initialBackoff;
  }

  public Duration maxBackoff() {
    return maxBackoff;
  }

  public Duration maxRetryAfter() {
    return maxRetryAfter;
  }

  public int failureRateThreshold() {
    return failureRateThreshold;
  }

  public int slidingWindow() {
    return slidingWindow;
  }

  public Duration openStateWait() {
    return openStateWait;
  }

  /** Permits per {@link #rateLimitPeriod()}, or 0 for no client-side limit. */
  public int rateLimitPermits() {
    return rateLimitPermits;
  }

  public Duration rateLimitPeriod() {
    return rateLimitPeriod;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration readTimeout() {
    return readTimeout;
  }

  public Duration callTimeout() {
    return callTimeout;
  }

  /** The backoff before retry number {@code retry} (1 for the first retry): doubling from the initial, capped. */
  public Duration backoff(int retry) {
    return Duration.ofMillis(Polling.Backoff.intervals(initialBackoff, maxBackoff).apply(Polling.Backoff.attempt(retry)));
  }

  @Override
  public String toString() {
    return "ResiliencePolicy{maxAttempts=" + maxAttempts + ", backoff=" + initialBackoff + ".." + maxBackoff
        + ", maxRetryAfter=" + maxRetryAfter + ", circuit=" + failureRateThreshold + "%/" + slidingWindow + "/"
        + openStateWait + (rateLimitPermits > 0 ? ", rateLimit=" + rateLimitPermits + "/" + rateLimitPeriod : "")
        + ", timeouts=" + connectTimeout + "/" + readTimeout + "/" + callTimeout + "}";
  }

  /** Builds a {@link ResiliencePolicy}; setters reject bad values at once. */
  public static final class Builder {
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private Duration maxRetryAfter = DEFAULT_MAX_RETRY_AFTER;
    private int failureRateThreshold = DEFAULT_FAILURE_RATE_THRESHOLD;
    private int slidingWindow = DEFAULT_SLIDING_WINDOW;
    private Duration openStateWait = DEFAULT_OPEN_STATE_WAIT;
    private int rateLimitPermits;
    private Duration rateLimitPeriod = Duration.ofMinutes(5);
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;

    private Builder() {}

    /** Attempts including the first, 1 (no retry) to 10. */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1 || attempts > 10) {
        throw new InvalidRequestException("maxAttempts", "must be 1 to 10 (was " + attempts + ")", "pass 1 for no retries");
      }
      this.maxAttempts = attempts;
      return this;
    }

    public Builder initialBackoff(Duration d) {
      this.initialBackoff = Checks.nonNegative("initialBackoff", d);
      return this;
    }

    public Builder maxBackoff(Duration d) {
      this.maxBackoff = Checks.nonNegative("maxBackoff", d);
      return this;
    }

    public Builder maxRetryAfter(Duration d) {
      this.maxRetryAfter = Checks.nonNegative("maxRetryAfter", d);
      return this;
    }

    /** Opens the circuit when this percentage (1–100) of the window's calls fail. */
    public Builder failureRateThreshold(int percent) {
      if (percent < 1 || percent > 100) {
        throw new InvalidRequestException("failureRateThreshold", "must be 1 to 100 (was " + percent + ")", "pass a percentage");
      }
      this.failureRateThreshold = percent;
      return this;
    }

    public Builder slidingWindow(int calls) {
      if (calls < 1) {
        throw new InvalidRequestException("slidingWindow", "must be at least 1 (was " + calls + ")", "pass a call count");
      }
      this.slidingWindow = calls;
      return this;
    }

    public Builder openStateWait(Duration d) {
      this.openStateWait = Checks.positive("openStateWait", d);
      return this;
    }

    /** At most {@code permits} calls per {@code period}; 0 permits for no client-side limit. */
    public Builder rateLimit(int permits, Duration period) {
      if (permits < 0) {
        throw new InvalidRequestException("rateLimit", "permits must not be negative", "pass 0 for no limit");
      }
      this.rateLimitPermits = permits;
      this.rateLimitPeriod = Checks.positive("rateLimit period", period);
      return this;
    }

    public Builder connectTimeout(Duration d) {
      this.connectTimeout = Checks.positive("connectTimeout", d);
      return this;
    }

    public Builder readTimeout(Duration d) {
      this.readTimeout = Checks.positive("readTimeout", d);
      return this;
    }

    public Builder callTimeout(Duration d) {
      this.callTimeout = Checks.positive("callTimeout", d);
      return this;
    }


    public ResiliencePolicy build() {
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new InvalidRequestException("maxBackoff", "is shorter than initialBackoff", "make maxBackoff at least initialBackoff");
      }
      return new ResiliencePolicy(this);
    }
  }
}
