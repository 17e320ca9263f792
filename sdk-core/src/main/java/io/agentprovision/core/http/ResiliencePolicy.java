package io.agentprovision.core.http;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.internal.Checks;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

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
 * Retried answers: connection failures, every 5xx, and the {@link #retryStatuses()} below 500
 * (408 and 429 unless configured). A policy is applied by an {@link HttpStack}, which keeps one
 * circuit breaker, rate limiter and retry state per provider for as long as the stack lives.
 * Policies are values: two equal policies share that state.
 */
public final class ResiliencePolicy {
  /** Attempts including the first: the first call and two retries, as the official SDKs do. */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(8);
  /**
   * A {@code Retry-After} longer than this is not waited for: the call fails at once with a retryable
   * {@link io.agentprovision.core.ProviderException} whose {@code retryAfter()} says when to try again.
   */
  public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(60);
  /** Failure percentage (of the sliding window) that opens the circuit. */
  public static final int DEFAULT_FAILURE_RATE_THRESHOLD = 50;
  /** Calls in the circuit breaker's sliding window, and the minimum before it may open. */
  public static final int DEFAULT_SLIDING_WINDOW = 20;
  public static final Duration DEFAULT_OPEN_STATE_WAIT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(60);
  /**
   * Requests to one provider endpoint that may be in flight at once, by default: enough to keep a
   * provider busy from one host, few enough that a fleet of runs queues in the client instead of
   * bursting past the provider's limits. No provider's documented limit is a number of requests in
   * flight: Cloudflare's is a rate per token (1,200 requests per 5 minutes, counted by the client's
   * own {@link Builder#rateLimit rate limit}), Stripe's a rate per account (100 operations a second
   * in live mode, 25 in test mode) besides a concurrency limit it does not publish, and both answer
   * 429 with {@code Retry-After}, which the stack honours. 32 in flight at the few hundred
   * milliseconds a Stripe call usually takes is about Stripe's live rate; more would mostly be
   * refused there. On a fast network (the loopback sandbox at 50 ms an exchange: 640 requests a
   * second per endpoint) it bounds a large fleet's time; a host its providers allow more raises it.
   */
  public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 32;
  /** The largest in-flight cap {@link Builder#maxConcurrentRequests(int)} accepts. */
  public static final int MAX_CONCURRENT_REQUESTS_LIMIT = 10_000;
  /** Statuses below 500 that are retried unless configured otherwise: 408 and 429. */
  public static final Set<Integer> DEFAULT_RETRY_STATUSES = Set.of(408, 429);

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
  private final Set<Integer> retryStatuses;
  private final @Nullable String retryHintHeader;
  private final boolean rateLimitPerCredential;
  private final int maxConcurrentRequests;

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
    this.retryStatuses = Set.copyOf(b.retryStatuses);
    this.retryHintHeader = b.retryHintHeader;
    this.rateLimitPerCredential = b.rateLimitPerCredential;
    this.maxConcurrentRequests = b.maxConcurrentRequests;
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
    b.retryStatuses = base.retryStatuses;
    b.retryHintHeader = base.retryHintHeader;
    b.rateLimitPerCredential = base.rateLimitPerCredential;
    b.maxConcurrentRequests = base.maxConcurrentRequests;
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

  /** Statuses below 500 that are retried (every 5xx is); {@link #DEFAULT_RETRY_STATUSES} unless configured. */
  public Set<Integer> retryStatuses() {
    return retryStatuses;
  }

  /**
   * A response header whose {@code true} or {@code false} overrides the status rules (Stripe's
   * {@code Stripe-Should-Retry}), or null for none.
   */
  public @Nullable String retryHintHeader() {
    return retryHintHeader;
  }

  /**
   * Whether the client-side rate limit counts per credential (per {@code Authorization} value), as
   * Cloudflare limits per API token, rather than per provider endpoint.
   */
  public boolean rateLimitPerCredential() {
    return rateLimitPerCredential;
  }

  /**
   * How many requests to one provider endpoint may be in flight at once, across every run, step
   * and adapter sharing the {@link HttpStack}; {@link #DEFAULT_MAX_CONCURRENT_REQUESTS} unless
   * configured. A request beyond it waits, parked (no spinning), for one to finish, at most until
   * its call deadline ({@link #callTimeout()}); then it fails retryable, never sent.
   */
  public int maxConcurrentRequests() {
    return maxConcurrentRequests;
  }

  /** Whether an answer with this status is retried (for a request that is safe to repeat). */
  public boolean retriesStatus(int status) {
    return status >= 500 || retryStatuses.contains(status);
  }

  /** The backoff before retry number {@code retry} (1 for the first retry): doubling from the initial, capped. */
  public Duration backoff(int retry) {
    return Duration.ofMillis(Polling.Backoff.intervals(initialBackoff, maxBackoff).apply(Polling.Backoff.attempt(retry)));
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ResiliencePolicy p)) {
      return false;
    }
    return maxAttempts == p.maxAttempts && failureRateThreshold == p.failureRateThreshold
        && slidingWindow == p.slidingWindow && rateLimitPermits == p.rateLimitPermits
        && rateLimitPerCredential == p.rateLimitPerCredential && maxConcurrentRequests == p.maxConcurrentRequests
        && initialBackoff.equals(p.initialBackoff)
        && maxBackoff.equals(p.maxBackoff) && maxRetryAfter.equals(p.maxRetryAfter)
        && openStateWait.equals(p.openStateWait) && rateLimitPeriod.equals(p.rateLimitPeriod)
        && connectTimeout.equals(p.connectTimeout) && readTimeout.equals(p.readTimeout)
        && callTimeout.equals(p.callTimeout) && retryStatuses.equals(p.retryStatuses)
        && Objects.equals(retryHintHeader, p.retryHintHeader);
  }

  @Override
  public int hashCode() {
    // kept: a policy is a key of the stack's maps, looked up on every request; 0 means not yet computed
    int h = hash;
    if (h == 0) {
      h = Objects.hash(maxAttempts, initialBackoff, maxBackoff, maxRetryAfter, failureRateThreshold, slidingWindow,
          openStateWait, rateLimitPermits, rateLimitPeriod, rateLimitPerCredential, maxConcurrentRequests, connectTimeout,
          readTimeout, callTimeout, retryStatuses, retryHintHeader);
      hash = h;
    }
    return h;
  }

  private int hash;

  @Override
  public String toString() {
    return "ResiliencePolicy{maxAttempts=" + maxAttempts + ", backoff=" + initialBackoff + ".." + maxBackoff
        + ", maxRetryAfter=" + maxRetryAfter + ", circuit=" + failureRateThreshold + "%/" + slidingWindow + "/"
        + openStateWait + (rateLimitPermits > 0 ? ", rateLimit=" + rateLimitPermits + "/" + rateLimitPeriod : "")
        + (rateLimitPerCredential ? " per credential" : "") + ", maxConcurrentRequests=" + maxConcurrentRequests
        + ", retryStatuses=" + new TreeSet<>(retryStatuses)
        + (retryHintHeader != null ? ", retryHint=" + retryHintHeader : "")
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
    private Set<Integer> retryStatuses = DEFAULT_RETRY_STATUSES;
    private @Nullable String retryHintHeader;
    private boolean rateLimitPerCredential;
    private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;

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

    /** Counts the rate limit per credential ({@code Authorization} value) instead of per endpoint. */
    public Builder rateLimitPerCredential(boolean on) {
      this.rateLimitPerCredential = on;
      return this;
    }

    /**
     * The statuses from 400 to 499 that are retried, replacing the default 408 and 429 (Stripe adds
     * 409, a lock conflict); every 5xx is retried regardless.
     */
    public Builder retryStatuses(int... statuses) {
      Set<Integer> s = new TreeSet<>();
      for (int status : statuses) {
        if (status < 400 || status > 499) {
          throw new InvalidRequestException("retryStatuses", "must be 4xx statuses (was " + status + ")",
              "pass statuses such as 408, 429; every 5xx is retried anyway");
        }
        s.add(status);
      }
      this.retryStatuses = Set.copyOf(s);
      return this;
    }

    /**
     * A response header whose value {@code true} or {@code false} decides whether the answer is
     * retried, over the status rules, such as {@code Stripe-Should-Retry}; null for none.
     */
    public Builder retryHintHeader(@Nullable String header) {
      if (header != null && (header.isBlank() || !header.matches("[A-Za-z0-9-]+"))) {
        throw new InvalidRequestException("retryHintHeader", "'" + header + "' is not a header name",
            "pass a name such as \"Stripe-Should-Retry\", or null");
      }
      this.retryHintHeader = header == null ? null : header.toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * At most {@code requests} (1 to {@link #MAX_CONCURRENT_REQUESTS_LIMIT}) in flight at once to one
     * provider endpoint; {@link #DEFAULT_MAX_CONCURRENT_REQUESTS} unless set. Attempts count, retry
     * waits do not: a request waiting to retry holds no place.
     */
    public Builder maxConcurrentRequests(int requests) {
      if (requests < 1 || requests > MAX_CONCURRENT_REQUESTS_LIMIT) {
        throw new InvalidRequestException("maxConcurrentRequests", "must be 1 to " + MAX_CONCURRENT_REQUESTS_LIMIT
            + " (was " + requests + ")", "pass how many requests to the provider may be in flight at once, such as "
            + DEFAULT_MAX_CONCURRENT_REQUESTS);
      }
      this.maxConcurrentRequests = requests;
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
