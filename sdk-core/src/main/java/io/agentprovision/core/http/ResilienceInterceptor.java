package io.agentprovision.core.http;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Sleeper;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The resilience layer for every okhttp-based client of the SDK: retry with exponential backoff
 * that honours {@code Retry-After}, a circuit breaker and an optional rate limiter from
 * resilience4j, and pacing by the {@code RateLimit} response header. All waits go through the
 * injected {@link Sleeper}, so tests run in virtual time.
 *
 * <pre>{@code
 * OkHttpClient client = ResilienceInterceptor.install(baseClient, "cloudflare", policy, sleeper, clock);
 * }</pre>
 *
 * <p>Only requests safe to repeat are retried ({@code GET}, {@code HEAD}, {@code PUT},
 * {@code DELETE}, {@code OPTIONS}, or anything with an {@code Idempotency-Key} header). Retried
 * statuses: 408, 429, 500 and above; connection failures too. A {@code Retry-After} longer than
 * {@link ResiliencePolicy#maxRetryAfter()} is not waited for: the response goes back to the caller.
 * When the circuit is open the call fails at once with a retryable {@link ProviderException} of
 * code {@code circuit_open}.
 */
public final class ResilienceInterceptor implements Interceptor {
  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS");
  private static final Pattern RATELIMIT_REMAINING = Pattern.compile("(?:^|[;,\\s])r(?:emaining)?=(\\d+)");
  private static final Pattern RATELIMIT_RESET = Pattern.compile("(?:^|[;,\\s])(?:t|reset)=(\\d+)");

  private final String provider;
  private final ResiliencePolicy policy;
  private final Sleeper sleeper;
  private final Clock clock;
  private final Retry retry;
  private final CircuitBreaker circuitBreaker;
  private final @Nullable RateLimiter rateLimiter;
  private volatile @Nullable Instant pausedUntil;

  public ResilienceInterceptor(String provider, ResiliencePolicy policy, Sleeper sleeper, Clock clock) {
    this.provider = Objects.requireNonNull(provider, "provider");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    this.clock = Objects.requireNonNull(clock, "clock");
    IntervalBiFunction<Response> interval = (attempt, outcome) -> {
      if (outcome.isRight()) {
        Duration ra = retryAfter(outcome.get());
        if (ra != null) {
          return ra.toMillis();
        }
      }
      return policy.backoff(attempt).toMillis();
    };
    this.retry = Retry.of(provider, RetryConfig.<Response>custom()
        .maxAttempts(policy.maxAttempts())
        .retryOnResult(r -> retryableStatus(r.code()))
        .retryExceptions(IOException.class)
        .intervalBiFunction(interval)
        .failAfterMaxAttempts(false)
        .build());
    this.circuitBreaker = CircuitBreaker.of(provider, CircuitBreakerConfig.custom()
        .failureRateThreshold(policy.failureRateThreshold())
        .slidingWindowSize(policy.slidingWindow())
        .minimumNumberOfCalls(policy.slidingWindow())
        .waitDurationInOpenState(policy.openStateWait())
        .clock(clock)
        .build());
    this.rateLimiter = policy.rateLimitPermits() <= 0 ? null : RateLimiter.of(provider, RateLimiterConfig.custom()
        .limitForPeriod(policy.rateLimitPermits())
        .limitRefreshPeriod(policy.rateLimitPeriod())
        .timeoutDuration(Duration.ZERO)
        .build());
  }

  /** A client derived from {@code base} (sharing its pools) with this layer and the policy's timeouts. */
  public static OkHttpClient install(OkHttpClient base, String provider, ResiliencePolicy policy, Sleeper sleeper,
      Clock clock) {
    return base.newBuilder()
        .addInterceptor(new ResilienceInterceptor(provider, policy, sleeper, clock))
        .connectTimeout(policy.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .readTimeout(policy.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .callTimeout(policy.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .build();
  }

  /** The circuit breaker, for metrics and tests. */
  public CircuitBreaker circuitBreaker() {
    return circuitBreaker;
  }

  /** Whether a request may be sent again without risk of doing its effect twice. */
  public static boolean retrySafe(Request request) {
    return SAFE_METHODS.contains(request.method()) || request.header("Idempotency-Key") != null;
  }

  private static boolean retryableStatus(int code) {
    return code == 408 || code == 429 || code >= 500;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    boolean safe = retrySafe(request);
    RetryObserver observer = request.tag(RetryObserver.class);
    Retry.AsyncContext<Response> attempts = retry.asyncContext();
    int attempt = 1;
    while (true) {
      paceByHeader();
      if (rateLimiter != null && !rateLimiter.acquirePermission()) {
        throw ProviderException.builder(provider, "the client-side rate limit of " + policy.rateLimitPermits()
            + " calls per " + policy.rateLimitPeriod() + " is used up").code("client_rate_limited").retryable(true)
            .outcome(ProviderException.Outcome.NOT_EXECUTED).build(); // never sent
      }
      if (!circuitBreaker.tryAcquirePermission()) {
        throw ProviderException.builder(provider, "too many recent failures; calls are paused for "
            + policy.openStateWait()).code("circuit_open").retryable(true)
            .outcome(ProviderException.Outcome.NOT_EXECUTED).build(); // never sent
      }
      long start = System.nanoTime();
      Response response;
      try {
        response = chain.proceed(request);
      } catch (IOException e) {
        if (chain.call().isCanceled()) {
          // the caller gave up (a cancelled run): neither the provider's failure nor worth a retry
          circuitBreaker.releasePermission();
          throw e;
        }
        circuitBreaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
        long delay = safe ? attempts.onError(e) : -1;
        if (delay < 0) {
          throw e;
        }
        attempt++;
        waitBeforeRetry(observer, attempt, Duration.ofMillis(delay), describe(e));
        continue;
      }
      long took = System.nanoTime() - start;
      if (retryableStatus(response.code())) {
        circuitBreaker.onError(took, TimeUnit.NANOSECONDS, new IOException("HTTP " + response.code()));
      } else {
        circuitBreaker.onSuccess(took, TimeUnit.NANOSECONDS);
      }
      notePacing(response);
      if (!safe || chain.call().isCanceled()) {
        return response;
      }
      long delay = attempts.onResult(response);
      if (delay < 0 || delay > policy.maxRetryAfter().toMillis()) {
        return response;
      }
      response.close();
      attempt++;
      waitBeforeRetry(observer, attempt, Duration.ofMillis(delay), "HTTP " + response.code());
    }
  }

  private void waitBeforeRetry(@Nullable RetryObserver observer, int attempt, Duration delay, String reason)
      throws InterruptedIOException {
    if (observer != null) {
      observer.retrying(attempt, delay, reason);
    }
    sleep(delay);
  }

  private void sleep(Duration d) throws InterruptedIOException {
    try {
      sleeper.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry a " + provider + " call");
    }
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** Waits while the last response said the rate-limit window has no calls left. */
  private void paceByHeader() throws InterruptedIOException {
    Instant until = pausedUntil;
    if (until == null) {
      return;
    }
    Duration wait = Duration.between(clock.instant(), until);
    if (!wait.isNegative() && !wait.isZero()) {
      sleep(wait.compareTo(policy.maxRetryAfter()) > 0 ? policy.maxRetryAfter() : wait);
    }
    pausedUntil = null;
  }

  /** Reads {@code RateLimit: "default";r=0;t=30} (or {@code remaining=0, reset=30}): no calls left for 30 s. */
  private void notePacing(Response response) {
    String h = response.header("RateLimit");
    if (h == null) {
      h = response.header("Ratelimit");
    }
    if (h == null) {
      return;
    }
    Matcher r = RATELIMIT_REMAINING.matcher(h);
    Matcher t = RATELIMIT_RESET.matcher(h);
    if (r.find() && t.find() && Long.parseLong(r.group(1)) == 0) {
      pausedUntil = clock.instant().plusSeconds(Long.parseLong(t.group(1)));
    }
  }

  /** The wait a response's {@code Retry-After} asks for (seconds or an HTTP date), or null. */
  public @Nullable Duration retryAfter(Response response) {
    return parseRetryAfter(response.header("Retry-After"), clock.instant());
  }

  /** Parses a {@code Retry-After} value: delta seconds or an HTTP date; null when absent or unreadable. */
  public static @Nullable Duration parseRetryAfter(@Nullable String value, Instant now) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    try {
      long s = Long.parseLong(v);
      return s < 0 ? null : Duration.ofSeconds(s);
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.ROOT)).toInstant();
        Duration d = Duration.between(now, at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException e) {
        return null;
      }
    }
  }
}
