package io.agentprovision.core.http;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The resilience layer of an {@link HttpStack} for one provider and policy: the only place a call
 * is retried. Its circuit breakers, rate limiters and pacing live in the stack (per provider
 * endpoint, and per credential where the policy says so), so they outlast any one adapter or step.
 * Waits go through the {@link Sleeper} tagged on the request (a step's virtual time), else the
 * stack's; the {@link Clock} likewise.
 */
final class ResilienceInterceptor implements Interceptor {
  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS");
  private static final Pattern REMAINING = Pattern.compile("(?:^|[;,\\s])r(?:emaining)?=(\\d+)");
  private static final Pattern RESET = Pattern.compile("(?:^|[;,\\s])(?:t|reset)=(\\d+)");
  private static final Pattern WINDOW = Pattern.compile("(?:^|[;,\\s])w(?:indow)?=(\\d+)");
  /** How long a wait for a place in flight parks before it looks whether its call was cancelled. */
  private static final String[] REQUEST_ID_HEADERS = {"CF-Ray", "Request-Id", "X-Request-Id"};

  private final String provider;
  private final ResiliencePolicy policy;
  private final HttpStack stack;
  private final Retry retry;
  private final String partitionSuffix;
  /**
   * Each host's breaker, place in flight and partition key, found once: the stack keeps them for
   * its whole life under names built from the host, so looking them up anew per request only
   * rebuilt those names and hashed the policy.
   */
  private final ConcurrentMap<HostPort, Endpoint> endpoints = new ConcurrentHashMap<>();

  private record HostPort(String host, int port) {}

  /** What the stack keeps for one endpoint (provider, host and port) under this interceptor's policy. */
  private record Endpoint(String name, String partitionKey, CircuitBreaker breaker, FlightGate inFlight) {}

  private Endpoint endpoint(HttpUrl url) {
    return endpoints.computeIfAbsent(new HostPort(url.host(), url.port()), k -> {
      String name = provider + "@" + k.host() + ":" + k.port();
      return new Endpoint(name, name + partitionSuffix, stack.circuitBreaker(name, policy),
          stack.inFlight(name, policy));
    });
  }

  ResilienceInterceptor(String provider, ResiliencePolicy policy, HttpStack stack) {
    this.provider = provider;
    this.policy = policy;
    this.stack = stack;
    this.partitionSuffix = stack.partitionSuffix(policy);
    IntervalBiFunction<Response> interval = (attempt, outcome) -> {
      if (outcome.isRight()) {
        Response r = outcome.get();
        Duration ra = RetryAfter.of(r, clock(r.request()));
        if (ra != null) {
          return ra.toMillis();
        }
      }
      return policy.backoff(attempt).toMillis();
    };
    this.retry = stack.retry(provider, policy, RetryConfig.<Response>custom()
        .maxAttempts(policy.maxAttempts())
        .retryOnResult(this::retryable)
        .retryExceptions(IOException.class)
        .intervalBiFunction(interval)
        .failAfterMaxAttempts(false)
        .build());
  }

  /** Whether a request may be sent again without risk of doing its effect twice. */
  static boolean retrySafe(Request request) {
    return SAFE_METHODS.contains(request.method()) || request.header("Idempotency-Key") != null;
  }

  /** Whether the answer asks for another attempt: the provider's hint header first, then the status. */
  boolean retryable(Response response) {
    String hintHeader = policy.retryHintHeader();
    if (hintHeader != null) {
      String hint = response.header(hintHeader);
      if (hint != null) {
        String h = hint.trim().toLowerCase(Locale.ROOT);
        if (h.equals("true")) {
          return true;
        }
        if (h.equals("false")) {
          return false;
        }
      }
    }
    return policy.retriesStatus(response.code());
  }

  private Clock clock(Request request) {
    Clock c = request.tag(Clock.class);
    return c != null ? c : stack.clock();
  }

  private Sleeper sleeper(Request request) {
    Sleeper s = request.tag(Sleeper.class);
    return s != null ? s : stack.sleeper();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    if (DurabilityBarrier.changes(request.method())) {
      // what the file stores of the provisioner whose run sends it wrote is on disk before anything outside may change
      DurabilityBarrier.beforeSideEffect(request.tag(DurabilityBarrier.class));
    }
    boolean safe = retrySafe(request);
    Clock clock = clock(request);
    Sleeper sleeper = sleeper(request);
    RetryObserver observer = request.tag(RetryObserver.class);
    HttpUrl url = request.url();
    Endpoint e = endpoint(url);
    String partitionKey = policy.rateLimitPerCredential()
        ? e.name() + "#" + HttpStack.credentialKey(request.header("Authorization")) + partitionSuffix : e.partitionKey();
    CircuitBreaker breaker = e.breaker();
    FlightGate inFlight = e.inFlight();
    // the call's own deadline bounds any wait for a place in flight (okhttp's call timeout cannot wake a parked thread)
    long callTimeout = chain.call().timeout().timeoutNanos();
    long deadline = System.nanoTime() + (callTimeout > 0 ? callTimeout : policy.callTimeout().toNanos());
    HttpStack.Partition state = stack.enterKey(partitionKey, policy);
    try {
      return attemptAll(chain, request, safe, clock, sleeper, observer, url, breaker, inFlight, deadline,
          state.limiter(), state.pausedUntil());
    } finally {
      stack.leave(state);
    }
  }

  private Response attemptAll(Chain chain, Request request, boolean safe, Clock clock, Sleeper sleeper,
      @Nullable RetryObserver observer, HttpUrl url, CircuitBreaker breaker, FlightGate inFlight, long deadline,
      @Nullable RateLimiter limiter, AtomicReference<@Nullable Instant> pausedUntil) throws IOException {
    Retry.AsyncContext<Response> attempts = retry.asyncContext();
    int attempt = 1;
    while (true) {
      paceByHeader(pausedUntil, clock, sleeper);
      if (limiter != null) {
        acquire(limiter, sleeper);
      }
      enterFlight(chain, inFlight, deadline);
      if (!breaker.tryAcquirePermission()) {
        inFlight.leave();
        throw ProviderException.builder(provider, "too many recent failures at " + url.host()
            + "; calls are paused for up to " + policy.openStateWait()).code("circuit_open").retryable(true)
            .retryAfter(policy.openStateWait()).outcome(ProviderException.Outcome.NOT_EXECUTED).build(); // never sent
      }
      long start = System.nanoTime();
      Response response;
      try {
        try {
          response = chain.proceed(request);
        } finally {
          // the answer's headers are in (or the attempt failed): the next request may go; a retry's wait holds no place
          inFlight.leave();
        }
      } catch (IOException e) {
        if (chain.call().isCanceled()) {
          // the caller gave up (a cancelled run): neither the provider's failure nor worth a retry
          breaker.releasePermission();
          throw e;
        }
        breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
        long delay = safe ? attempts.onError(e) : -1;
        if (delay < 0) {
          throw e;
        }
        attempt++;
        waitBeforeRetry(observer, sleeper, attempt, Duration.ofMillis(delay), describe(e));
        continue;
      }
      long took = System.nanoTime() - start;
      int code = response.code();
      if (code == 429) {
        // a rate limit says the provider is up and we are too fast: pacing and Retry-After handle it
        breaker.releasePermission();
      } else if (code >= 500 || code == 408) {
        breaker.onError(took, TimeUnit.NANOSECONDS, new IOException("HTTP " + code));
      } else {
        breaker.onSuccess(took, TimeUnit.NANOSECONDS);
      }
      notePacing(response, pausedUntil, clock);
      if (!safe || chain.call().isCanceled()) {
        return response;
      }
      long delay = attempts.onResult(response);
      if (delay < 0) {
        return response;
      }
      Duration asked = RetryAfter.of(response, clock);
      if (asked != null && asked.compareTo(policy.maxRetryAfter()) > 0) {
        response.close();
        throw tooLong(response, asked, clock);
      }
      response.close();
      attempt++;
      waitBeforeRetry(observer, sleeper, attempt, Duration.ofMillis(delay), "HTTP " + code);
    }
  }

  private ProviderException tooLong(Response response, Duration wait, Clock clock) {
    String requestId = null;
    for (String h : REQUEST_ID_HEADERS) {
      requestId = requestId != null ? requestId : response.header(h);
    }
    Instant at = clock.instant().plus(wait);
    return new ProviderException(provider, response.code(), "retry_later", requestId, response.request().method() + " "
        + response.request().url().encodedPath() + " was refused with Retry-After " + wait.toSeconds() + " s, longer than "
        + "the " + policy.maxRetryAfter().toSeconds() + " s this client waits (ResiliencePolicy.maxRetryAfter); retry at "
        + at + " or later", true, null, wait);
  }

  /**
   * Takes a place among the requests in flight to this endpoint: in line (looking now and then
   * whether the call was cancelled), at most until the call's deadline; then fails retryable,
   * never sent.
   */
  private void enterFlight(Chain chain, FlightGate inFlight, long deadline) throws IOException {
    if (inFlight.tryEnter()) {
      return;
    }
    try {
      // compared, not switched on: a switch on an enum loads a class of its own at its first use, which
      // pins a virtual thread to its carrier while the class loader's lock is contended
      FlightGate.Outcome outcome = inFlight.enter(deadline, chain.call()::isCanceled);
      if (outcome == FlightGate.Outcome.ENTERED) {
        return;
      }
      if (outcome == FlightGate.Outcome.CANCELLED) {
        throw new IOException("Canceled");
      }
      throw ProviderException.builder(provider, "all " + policy.maxConcurrentRequests() + " places for requests "
          + "in flight to " + provider + " stayed taken until this call's deadline; retry when fewer runs call "
          + "it, or raise ResiliencePolicy.maxConcurrentRequests").code("client_concurrency_limited")
          .retryable(true).outcome(ProviderException.Outcome.NOT_EXECUTED).build(); // never sent
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to call " + provider);
    }
  }

  /** Takes a client-side permit, waiting for one up to the policy's bound, else fails retryable. */
  private void acquire(RateLimiter limiter, Sleeper sleeper) throws InterruptedIOException {
    long nanos = limiter.reservePermission();
    if (nanos < 0) {
      // the window refreshes within one period at the latest
      Duration wait = policy.rateLimitPeriod();
      throw ProviderException.builder(provider, "the client-side rate limit of " + policy.rateLimitPermits()
          + " calls per " + policy.rateLimitPeriod() + " is used up; retry within " + wait.toSeconds() + " s")
          .code("client_rate_limited").retryable(true).retryAfter(wait)
          .outcome(ProviderException.Outcome.NOT_EXECUTED).build(); // never sent
    }
    if (nanos > 0) {
      sleep(sleeper, Duration.ofNanos(nanos));
    }
  }

  private void waitBeforeRetry(@Nullable RetryObserver observer, Sleeper sleeper, int attempt, Duration delay,
      String reason) throws InterruptedIOException {
    if (observer != null) {
      observer.retrying(attempt, delay, reason);
    }
    sleep(sleeper, delay);
  }

  private void sleep(Sleeper sleeper, Duration d) throws InterruptedIOException {
    try {
      sleeper.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to call " + provider);
    }
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** Waits while the last response said the rate-limit window has no calls left; fails when that is too long. */
  private void paceByHeader(AtomicReference<@Nullable Instant> pausedUntil, Clock clock, Sleeper sleeper)
      throws InterruptedIOException {
    Instant until = pausedUntil.get();
    if (until == null) {
      return;
    }
    Duration wait = Duration.between(clock.instant(), until);
    if (wait.compareTo(policy.maxRetryAfter()) > 0) {
      throw ProviderException.builder(provider, "the provider's rate-limit window has no calls left for "
          + wait.toSeconds() + " s, longer than the " + policy.maxRetryAfter().toSeconds()
          + " s this client waits; retry at " + until + " or later").code("rate_limited").retryable(true)
          .retryAfter(wait).outcome(ProviderException.Outcome.NOT_EXECUTED).build(); // never sent
    }
    if (!wait.isNegative() && !wait.isZero()) {
      sleep(sleeper, wait);
    }
    pausedUntil.compareAndSet(until, null);
  }

  /**
   * Reads {@code Ratelimit: "default";r=0;t=30} (or {@code remaining=0, reset=30}, or separate
   * {@code RateLimit-Remaining}/{@code RateLimit-Reset}): no calls left for 30 s. Without a reset,
   * the window of {@code Ratelimit-Policy: "default";q=1200;w=300} is the wait.
   */
  private static void notePacing(Response response, AtomicReference<@Nullable Instant> pausedUntil, Clock clock) {
    String h = response.header("RateLimit");
    Long remaining = null;
    Long reset = null;
    if (h != null) {
      remaining = number(REMAINING, h);
      reset = number(RESET, h);
    } else {
      remaining = parseLong(response.header("RateLimit-Remaining"));
      reset = parseLong(response.header("RateLimit-Reset"));
    }
    if (remaining == null || remaining != 0) {
      return;
    }
    if (reset == null) {
      String p = response.header("RateLimit-Policy");
      reset = p == null ? null : number(WINDOW, p);
    }
    if (reset != null) {
      pausedUntil.set(clock.instant().plusSeconds(reset));
    }
  }

  private static @Nullable Long number(Pattern p, String header) {
    Matcher m = p.matcher(header);
    return m.find() ? parseLong(m.group(1)) : null;
  }

  private static @Nullable Long parseLong(@Nullable String s) {
    if (s == null) {
      return null;
    }
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
