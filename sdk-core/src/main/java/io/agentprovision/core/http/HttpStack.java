package io.agentprovision.core.http;

import io.agentprovision.core.Sleeper;
import io.agentprovision.core.wire.Digests;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * The one HTTP stack of a provisioner: one okhttp client (its connection pool and dispatcher shared
 * by every adapter) and the resilience state of every provider it calls — one circuit breaker per
 * provider endpoint, one client-side rate limiter per endpoint (or per credential, where the
 * provider limits per token, as Cloudflare does), and the retry layer, the only place in the SDK
 * that repeats a call. That state lives as long as the stack, so a provider's rate limit and breaker
 * carry over from step to step and from adapter to adapter. Immutable and thread-safe.
 *
 * <p>Build one and give it to every adapter and to the provisioner:
 *
 * <pre>{@code
 * HttpStack http = HttpStack.create();                  // or HttpStack.builder().okHttpClient(yours)
 * StripeApi stripe = StripeApi.builder().apiKey(stripeKey).http(http).build();
 * AgentProvisioner provisioner = AgentProvisioner.builder()
 *     .http(http)
 *     .orchestrator(StripeProjects.builder().api(stripe).build())
 *     .identity(OidcIdentityProvider.builder().issuer(issuer).audience(clientId).http(http).build())
 *     .deployer(CloudflareDeployer.builder().http(http).build())
 *     .build();
 * }</pre>
 *
 * <p>An adapter built without one uses {@link #shared()}, one default stack created when first
 * needed and shared by every such adapter in the JVM; never one per call or per instance.
 *
 * <p>Adapters get their client with {@link #client(String, ResiliencePolicy)}: derived from the
 * stack's client with {@code newBuilder()} (so it shares pools), with okhttp's own silent
 * connection retry turned off, the policy's timeouts, and the resilience layer. That layer retries
 * connection failures, every 5xx and the policy's {@link ResiliencePolicy#retryStatuses()} (408 and
 * 429 by default) for requests that are safe to repeat ({@code GET}, {@code HEAD}, {@code PUT},
 * {@code DELETE}, {@code OPTIONS}, or anything carrying an {@code Idempotency-Key}), waiting what
 * {@code Retry-After} asks (seconds or an HTTP date) or else an exponential backoff. A
 * {@code Retry-After} longer than {@link ResiliencePolicy#maxRetryAfter()} is not waited for: the
 * call fails with a retryable {@link io.agentprovision.core.ProviderException} whose
 * {@code retryAfter()} says when to try again. A {@code POST} without an idempotency key is never
 * repeated. It also pauses while the provider's {@code RateLimit} header says the window is used up.
 *
 * <p>Each request may carry tags that the layer honours: a {@link RetryObserver} (told of every
 * retry; plug-ins pass {@code ctx::retrying}), a {@link Sleeper} and a {@link Clock} (a step's
 * virtual time; else the stack's own).
 */
public final class HttpStack implements AutoCloseable {
  /**
   * How many idle connections the stack's own client keeps (for five minutes each), across every
   * host: enough for the requests a provider may have in flight at once ({@link ResiliencePolicy#DEFAULT_MAX_CONCURRENT_REQUESTS}
   * each, for the orchestrator and the provider). okhttp's default keeps 5, so a run's concurrent
   * calls (four at once to Cloudflare in the deploy step, three to Stripe at the start) closed
   * connections that the next step then opened again: a TCP connect, and against the real APIs a TLS
   * handshake, one or two round trips each. A host that gives its own client
   * ({@link Builder#okHttpClient}) keeps its own pool; size it the same way. On virtual threads only
   * the providers' caps bound the requests in flight, so a host that raises a cap gives its own
   * client a pool of at least the caps' sum: a smaller one closes connections the next request opens.
   */
  public static final int IDLE_CONNECTIONS = 64;

  private final OkHttpClient base;
  private final boolean ownsClient;
  private final boolean closable;
  private final Clock clock;
  private final Sleeper sleeper;
  private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
  private final RetryRegistry retries = RetryRegistry.ofDefaults();
  private final ConcurrentMap<ResiliencePolicy, Integer> policyIds = new ConcurrentHashMap<>();
  private final AtomicInteger policyCount = new AtomicInteger();
  private final ConcurrentMap<ClientKey, OkHttpClient> clients = new ConcurrentHashMap<>();
  // per partition (endpoint, or endpoint and credential): its rate limiter and pacing, dropped once idle
  private final ConcurrentMap<String, Partition> partitions = new ConcurrentHashMap<>();
  private final AtomicInteger partitionsCreated = new AtomicInteger();
  private final ConcurrentMap<String, FlightGate> inFlight = new ConcurrentHashMap<>();

  private record ClientKey(String provider, ResiliencePolicy policy) {}

  private HttpStack(Builder b, boolean closable) {
    OkHttpClient given = b.okHttpClient;
    this.ownsClient = given == null;
    // okhttp's own silent retry of failed connections would repeat calls behind the retry layer's back
    this.base = (given != null ? given.newBuilder() : new OkHttpClient.Builder()
        .connectionPool(new ConnectionPool(IDLE_CONNECTIONS, 5, TimeUnit.MINUTES)))
        .retryOnConnectionFailure(false).build();
    this.closable = closable;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
  }

  /** A stack with its own okhttp client, the system clock and real sleeps. */
  public static HttpStack create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The default stack that adapters built without one share: created on first use, never closed
   * ({@link #close()} does nothing on it).
   */
  public static HttpStack shared() {
    return Shared.STACK;
  }

  /**
   * The stack's plain client, for requests that are not provider API calls (fetching a deployed app
   * to verify it): pools shared, okhttp's silent retry off, no resilience layer, so whoever calls it
   * owns any repetition.
   */
  public OkHttpClient okHttpClient() {
    return base;
  }

  /**
   * The client for one provider under one policy: built once per (provider, policy) and shared.
   * Derive variants (no redirects, a signing interceptor) with {@code newBuilder()}; they keep the
   * pools, the breaker and the limiters.
   *
   * @param provider the provider's name, as in errors and events (such as {@code "cloudflare"})
   */
  public OkHttpClient client(String provider, ResiliencePolicy policy) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(policy, "policy");
    return clients.computeIfAbsent(new ClientKey(provider, policy), k -> base.newBuilder()
        .addInterceptor(new ResilienceInterceptor(provider, policy, this))
        .connectTimeout(policy.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .readTimeout(policy.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .callTimeout(policy.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .build());
  }

  /** The clock for waits of requests that carry none (and for circuit breakers). */
  public Clock clock() {
    return clock;
  }

  /** The sleeper for waits of requests that carry none. */
  public Sleeper sleeper() {
    return sleeper;
  }

  /**
   * Releases the okhttp client's threads and idle connections when the stack created that client;
   * a host-supplied client stays the host's to close. Does nothing on {@link #shared()}.
   */
  @Override
  public void close() {
    if (!closable || !ownsClient) {
      return;
    }
    base.dispatcher().executorService().shutdown();
    base.connectionPool().evictAll();
  }

  @Override
  public String toString() {
    return "HttpStack{" + (ownsClient ? "own client" : "host client") + ", providers="
        + clients.keySet().stream().map(ClientKey::provider).distinct().sorted().toList() + "}";
  }

  // ---- state for the resilience layer ----------------------------------------------------------

  private String policyId(ResiliencePolicy policy) {
    return "p" + policyIds.computeIfAbsent(policy, p -> policyCount.incrementAndGet());
  }

  CircuitBreaker circuitBreaker(String endpoint, ResiliencePolicy policy) {
    return breakers.circuitBreaker(endpoint + "/" + policyId(policy), () -> CircuitBreakerConfig.custom()
        .failureRateThreshold(policy.failureRateThreshold())
        .slidingWindowSize(policy.slidingWindow())
        .minimumNumberOfCalls(policy.slidingWindow())
        .waitDurationInOpenState(policy.openStateWait())
        .clock(clock)
        .build());
  }

  /**
   * The requests allowed in flight at once to {@code endpoint}: one first-come-first-served gate per
   * endpoint and cap, shared by every client of the stack (so every run, step and adapter calling
   * that provider).
   */
  FlightGate inFlight(String endpoint, ResiliencePolicy policy) {
    int cap = policy.maxConcurrentRequests();
    return inFlight.computeIfAbsent(endpoint + "#" + cap, k -> new FlightGate(cap));
  }

  /**
   * The rate limiter and pacing of one partition, marked in use until {@link #leave(Partition)}.
   * A partition per credential is one per token, and a provisioner mints a token per run, so idle
   * partitions are dropped (see {@link #sweep()}) instead of kept for the stack's life.
   */
  Partition enter(String partition, ResiliencePolicy policy) {
    return enterKey(partition + "/" + policyId(policy), policy);
  }

  /** The suffix {@link #enter} adds to a partition's name for {@code policy}: its key is the name and this. */
  String partitionSuffix(ResiliencePolicy policy) {
    return "/" + policyId(policy);
  }

  /** {@link #enter} with the partition's key already made ({@link #partitionSuffix}). */
  Partition enterKey(String key, ResiliencePolicy policy) {
    boolean[] created = {false};
    Partition p = partitions.compute(key, (k, v) -> {
      Partition q = v;
      if (q == null) {
        created[0] = true;
        q = new Partition(k, policy.rateLimitPermits() <= 0 ? null : RateLimiter.of(k, RateLimiterConfig.custom()
            .limitForPeriod(policy.rateLimitPermits())
            .limitRefreshPeriod(policy.rateLimitPeriod())
            .timeoutDuration(policy.maxRetryAfter())
            .build()), policy.rateLimitPeriod().plus(policy.maxRetryAfter()).toMillis());
      }
      q.users++;
      q.lastUsedMillis = clock.millis();
      return q;
    });
    if (created[0] && partitionsCreated.incrementAndGet() % SWEEP_EVERY == 0) {
      sweep();
    }
    return p;
  }

  /** Marks a partition entered with {@link #enter} no longer in use by that call. */
  void leave(Partition p) {
    partitions.computeIfPresent(p.key(), (k, v) -> {
      v.users--;
      v.lastUsedMillis = clock.millis();
      return v;
    });
  }

  /**
   * Drops the partitions no call is using whose limiter has refilled (idle for a whole period and
   * the longest reservation ahead) and whose pacing has expired: a new partition in their place
   * behaves exactly as they would, so dropping them forgets nothing.
   */
  private void sweep() {
    long now = clock.millis();
    Instant nowInstant = clock.instant();
    for (String key : partitions.keySet()) {
      partitions.computeIfPresent(key, (k, v) -> {
        Instant paused = v.pausedUntil.get();
        boolean idle = v.users == 0 && now - v.lastUsedMillis >= v.idleAfterMillis
            && (paused == null || !paused.isAfter(nowInstant));
        return idle ? null : v;
      });
    }
  }

  /** How many rate-limit partitions the stack holds (for tests of their eviction). */
  int partitionCount() {
    return partitions.size();
  }

  /** New partitions between two sweeps of idle ones: the sweep's cost spread thin. */
  private static final int SWEEP_EVERY = 256;

  /** One rate-limit partition's state; {@code users} and {@code lastUsedMillis} change only inside the map's compute. */
  static final class Partition {
    private final String key;
    private final @Nullable RateLimiter limiter;
    private final AtomicReference<@Nullable Instant> pausedUntil = new AtomicReference<>();
    private final long idleAfterMillis;
    private int users;
    private long lastUsedMillis;

    Partition(String key, @Nullable RateLimiter limiter, long idleAfterMillis) {
      this.key = key;
      this.limiter = limiter;
      this.idleAfterMillis = idleAfterMillis;
    }

    String key() {
      return key;
    }

    @Nullable RateLimiter limiter() {
      return limiter;
    }

    AtomicReference<@Nullable Instant> pausedUntil() {
      return pausedUntil;
    }
  }

  Retry retry(String provider, ResiliencePolicy policy, RetryConfig config) {
    return retries.retry(provider + "/" + policyId(policy), () -> config);
  }


  /** A short, one-way name for a credential, so limits can be kept per token without holding its value. */
  static String credentialKey(@Nullable String authorization) {
    if (authorization == null || authorization.isEmpty()) {
      return "anonymous";
    }
    return HexFormat.of().formatHex(Digests.sha256(authorization), 0, 8);
  }

  /** Builds an {@link HttpStack}. */
  public static final class Builder {
    private @Nullable OkHttpClient okHttpClient;
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;

    private Builder() {}

    /**
     * The host's okhttp client (proxy, TLS, pools, interceptors) to derive every client from. The
     * host keeps ownership: {@link HttpStack#close()} leaves it open.
     */
    public Builder okHttpClient(OkHttpClient client) {
      this.okHttpClient = Objects.requireNonNull(client, "okHttpClient");
      return this;
    }

    /** The clock for circuit breakers and for requests without a clock tag; the system clock by default. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** The sleeper for retry waits of requests without a sleeper tag; real sleeps by default. */
    public Builder sleeper(Sleeper s) {
      this.sleeper = Objects.requireNonNull(s, "sleeper");
      return this;
    }

    public HttpStack build() {
      return new HttpStack(this, true);
    }
  }

  /** Holder of the lazily created default, so nothing is built until an adapter needs it. */
  private static final class Shared {
    static final HttpStack STACK = new HttpStack(new Builder(), false);
  }
}
