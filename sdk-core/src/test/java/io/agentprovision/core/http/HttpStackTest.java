package io.agentprovision.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProviderException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The retry layer of {@link HttpStack} clients, on the wire: what is retried and how long it waits
 * (in virtual time), what is never repeated, the breaker, the limiters and pacing that live as long
 * as the stack.
 */
class HttpStackTest {
  static final MediaType JSON = MediaType.get("application/json");

  MockWebServer server;
  ManualTime time;
  HttpStack stack;
  List<String> retries;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    QueueDispatcher dispatcher = new QueueDispatcher();
    dispatcher.setFailFast(true);
    server.setDispatcher(dispatcher);
    server.start();
    time = ManualTime.at("2026-11-02T09:00:00Z");
    stack = HttpStack.builder().clock(time).sleeper(time).build();
    retries = new ArrayList<>();
  }

  @AfterEach
  void stop() {
    server.close();
    stack.close();
  }

  OkHttpClient client(ResiliencePolicy policy) {
    return stack.client("cloudflare", policy);
  }

  OkHttpClient client() {
    return client(ResiliencePolicy.ofDefaults());
  }

  Request.Builder request(String path) {
    RetryObserver observer = (attempt, delay, reason) -> retries.add(attempt + " after " + delay + ": " + reason);
    return new Request.Builder().url(server.url(path)).tag(RetryObserver.class, observer);
  }

  static MockResponse status(int code) {
    return new MockResponse.Builder().code(code).body("{\"success\":" + (code < 400) + "}").build();
  }

  static Response call(OkHttpClient client, Request request) throws IOException {
    return client.newCall(request).execute();
  }

  RecordedRequest take() throws InterruptedException {
    return server.takeRequest(5, TimeUnit.SECONDS);
  }

  /** Sends {@code n} GETs at once and returns the index of the connection each went over. */
  private java.util.Set<Integer> wave(OkHttpClient client, int n) throws Exception {
    CountDownLatch arrived = new CountDownLatch(n);
    java.util.Set<Integer> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) throws InterruptedException {
        connections.add(r.getConnectionIndex());
        arrived.countDown();
        arrived.await(5, TimeUnit.SECONDS); // every call holds its connection until all are in flight
        return status(200);
      }
    });
    ExecutorService callers = Executors.newFixedThreadPool(n);
    try {
      List<Future<Integer>> codes = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        codes.add(callers.submit(() -> {
          try (Response r = call(client, request("/accounts").build())) {
            return r.code();
          }
        }));
      }
      for (Future<Integer> c : codes) {
        assertThat(c.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      }
    } finally {
      callers.shutdownNow();
    }
    return connections;
  }

  @Test
  void theStacksOwnClient_keepsTheConnectionsOfTwelveCallsAtOnce_soTheNextTwelveOpenNone() throws Exception {
    java.util.Set<Integer> first = wave(client(), 12);
    java.util.Set<Integer> second = wave(client(), 12);

    assertThat(first).hasSize(12);
    // okhttp's default pool keeps 5 idle connections: 7 of the second wave's calls would connect again
    assertThat(first).containsAll(second);
  }

  @Test
  void get_when503Then200_retriesAfterTheBackoffAndReturnsTheSuccess() throws Exception {
    server.enqueue(status(503));
    server.enqueue(status(200));

    try (Response r = call(client(), request("/accounts").build())) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("{\"success\":true}");
    }

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(take().getUrl().encodedPath()).isEqualTo("/accounts");
    assertThat(take().getMethod()).isEqualTo("GET");
    assertThat(time.sleeps()).containsExactly(Duration.ofMillis(500));
    assertThat(retries).containsExactly("2 after PT0.5S: HTTP 503");
  }

  @Test
  void post_withoutIdempotencyKey_isNotRetried() throws Exception {
    server.enqueue(status(503));

    try (Response r = call(client(), request("/tokens").post(RequestBody.create("{}", JSON)).build())) {
      assertThat(r.code()).isEqualTo(503);
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
    assertThat(retries).isEmpty();
  }

  @Test
  void post_withIdempotencyKey_isRetriedWithTheSameKeyAndBody() throws Exception {
    server.enqueue(status(502));
    server.enqueue(status(201));
    Request post = request("/tokens").header("Idempotency-Key", "run_1:token").post(RequestBody.create("{\"a\":1}", JSON))
        .build();

    try (Response r = call(client(), post)) {
      assertThat(r.code()).isEqualTo(201);
    }

    RecordedRequest first = take();
    RecordedRequest second = take();
    assertThat(first.getMethod()).isEqualTo("POST");
    assertThat(first.getHeaders().get("Idempotency-Key")).isEqualTo("run_1:token");
    assertThat(second.getHeaders().get("Idempotency-Key")).isEqualTo("run_1:token");
    assertThat(second.getBody().utf8()).isEqualTo("{\"a\":1}");
  }

  @Test
  void get_whenRetryAfterGivesSeconds_waitsThatLong() throws Exception {
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "7").build());
    server.enqueue(status(200));

    try (Response r = call(client(), request("/zones").build())) {
      assertThat(r.code()).isEqualTo(200);
    }

    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(7));
    assertThat(retries).containsExactly("2 after PT7S: HTTP 429");
  }

  @Test
  void get_whenRetryAfterGivesAnHttpDate_waitsUntilThen() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "Mon, 02 Nov 2026 09:00:12 GMT").build());
    server.enqueue(status(200));

    try (Response r = call(client(), request("/zones").build())) {
      assertThat(r.code()).isEqualTo(200);
    }

    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(12));
    assertThat(time.instant()).isEqualTo(Instant.parse("2026-11-02T09:00:12Z"));
  }

  @Test
  void get_whenRetryAfterExceedsTheMaximum_failsRetryableSayingWhenToRetryWithoutWaiting() {
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "120").addHeader("CF-Ray", "ray-1")
        .build());

    assertThatThrownBy(() -> call(client(), request("/zones").build()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.provider()).isEqualTo("cloudflare");
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(120));
          assertThat(e.requestId()).isEqualTo("ray-1");
          assertThat(e.getMessage()).contains("retry at 2026-11-02T09:02:00Z");
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void get_whenAnHttpDateRetryAfterExceedsAConfiguredMaximum_failsWithThatWait() {
    server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "Mon, 02 Nov 2026 09:00:20 GMT").build());
    ResiliencePolicy patient = ResiliencePolicy.custom().maxRetryAfter(Duration.ofSeconds(10)).build();

    assertThatThrownBy(() -> call(client(patient), request("/zones").build()))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(20)));
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void post_withoutIdempotencyKey_on429WithRetryAfter_isNotRetriedAndReturnsThe429() throws Exception {
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "1").build());

    try (Response r = call(client(), request("/tokens").post(RequestBody.create("{}", JSON)).build())) {
      assertThat(r.code()).isEqualTo(429);
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void retryStatuses_andTheHintHeader_decideWhatIsRetried() throws Exception {
    ResiliencePolicy stripeLike = ResiliencePolicy.custom().retryStatuses(409, 429).retryHintHeader("Stripe-Should-Retry")
        .build();
    server.enqueue(status(409));
    server.enqueue(new MockResponse.Builder().code(400).addHeader("Stripe-Should-Retry", "true").build());
    server.enqueue(status(200));

    try (Response r = call(client(stripeLike), request("/v2/x").build())) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(retries).containsExactly("2 after PT0.5S: HTTP 409", "3 after PT1S: HTTP 400");

    server.enqueue(new MockResponse.Builder().code(503).addHeader("Stripe-Should-Retry", "false").build());
    try (Response r = call(client(stripeLike), request("/v2/x").build())) {
      assertThat(r.code()).as("the provider said a retry would not help").isEqualTo(503);
    }
    assertThat(server.getRequestCount()).isEqualTo(4);
  }

  @Test
  void get_whenEveryAttemptFails_givesUpAfterMaxAttemptsReturningTheLastResponse() throws Exception {
    server.enqueue(status(500));
    server.enqueue(status(502));
    server.enqueue(new MockResponse.Builder().code(503).body("last").build());

    try (Response r = call(client(), request("/zones").build())) {
      assertThat(r.code()).isEqualTo(503);
      assertThat(r.body().string()).isEqualTo("last");
    }

    assertThat(server.getRequestCount()).isEqualTo(ResiliencePolicy.DEFAULT_MAX_ATTEMPTS);
    assertThat(time.sleeps()).containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1));
    assertThat(retries).containsExactly("2 after PT0.5S: HTTP 500", "3 after PT1S: HTTP 502");
  }

  @Test
  void get_whenStatusIsNotRetryable_returnsAtOnce() throws Exception {
    server.enqueue(status(404));

    try (Response r = call(client(), request("/zones/missing").build())) {
      assertThat(r.code()).isEqualTo(404);
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void get_whenTheConnectionDrops_retries() throws Exception {
    server.enqueue(new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build());
    server.enqueue(status(200));

    try (Response r = call(client(), request("/zones").build())) {
      assertThat(r.code()).isEqualTo(200);
    }

    assertThat(time.sleeps()).containsExactly(Duration.ofMillis(500));
    assertThat(retries).singleElement().asString().startsWith("2 after PT0.5S: ").contains("IOException");
  }

  @Test
  void post_withoutIdempotencyKey_whenTheConnectionDrops_throws() {
    server.enqueue(new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build());

    assertThatThrownBy(() -> call(client(), request("/tokens").post(RequestBody.create("{}", JSON)).build()))
        .isInstanceOf(IOException.class);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void get_whenTheCallIsCanceled_isNotRetried() throws Exception {
    AtomicReference<Call> call = new AtomicReference<>();
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        call.get().cancel(); // the host cancels the run while the request is in flight
        return new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build();
      }
    });
    call.set(client().newCall(request("/zones").build()));

    assertThatThrownBy(() -> call.get().execute()).isInstanceOf(IOException.class);
    assertThat(time.sleeps()).isEmpty();
    assertThat(retries).isEmpty();
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void circuit_afterTheFailureThreshold_opensAndFailsFastWithoutCallingTheServer() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.custom().maxAttempts(1).slidingWindow(4).failureRateThreshold(50)
        .openStateWait(Duration.ofSeconds(30)).build();
    OkHttpClient client = client(policy);
    server.enqueue(status(200));
    server.enqueue(status(500));
    server.enqueue(status(503));
    server.enqueue(status(200));
    for (int i = 0; i < 4; i++) {
      call(client, request("/zones").build()).close();
    }

    assertThatThrownBy(() -> call(client, request("/zones").build()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("circuit_open");
          assertThat(e.provider()).isEqualTo("cloudflare");
          assertThat(e.status()).isZero();
          assertThat(e.retryable()).isTrue();
        });
    assertThat(server.getRequestCount()).isEqualTo(4);
  }

  @Test
  void circuit_countsEveryOutcomeOfCallsAnsweredAtOnce_andOpensWhenTheWindowIsFull() throws Exception {
    // sixteen calls in flight together, half answered 500: the window of sixteen fills only if no
    // thread's outcome is lost, and then (failure rate 50%) the next call is refused unsent
    int n = 16;
    ResiliencePolicy policy = ResiliencePolicy.custom().maxAttempts(1).slidingWindow(n).failureRateThreshold(50)
        .openStateWait(Duration.ofSeconds(30)).build();
    OkHttpClient client = client(policy);
    CountDownLatch arrived = new CountDownLatch(n);
    AtomicInteger answered = new AtomicInteger();
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) throws InterruptedException {
        arrived.countDown();
        arrived.await(5, TimeUnit.SECONDS); // every call is in flight before any is answered
        return status(answered.getAndIncrement() % 2 == 0 ? 500 : 200);
      }
    });
    ExecutorService callers = Executors.newFixedThreadPool(n);
    try {
      List<Future<Integer>> codes = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        codes.add(callers.submit(() -> {
          try (Response r = call(client, request("/zones").build())) {
            return r.code();
          }
        }));
      }
      for (Future<Integer> c : codes) {
        assertThat(c.get(10, TimeUnit.SECONDS)).isIn(200, 500);
      }
    } finally {
      callers.shutdownNow();
    }

    assertThatThrownBy(() -> call(client, request("/zones").build()))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("circuit_open"));
    assertThat(server.getRequestCount()).isEqualTo(n);
  }

  @Test
  void circuit_afterTheOpenStateWait_letsCallsThroughAgain() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.custom().maxAttempts(1).slidingWindow(2).failureRateThreshold(50)
        .openStateWait(Duration.ofSeconds(30)).build();
    OkHttpClient client = client(policy);
    server.enqueue(status(500));
    server.enqueue(status(500));
    call(client, request("/a").build()).close();
    call(client, request("/a").build()).close();
    assertThatThrownBy(() -> call(client, request("/a").build())).as("open")
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("circuit_open");
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(30));
        });

    time.advance(Duration.ofSeconds(30));
    assertThatThrownBy(() -> call(client, request("/a").build())).as("still open at exactly the wait")
        .isInstanceOf(ProviderException.class);
    time.advance(Duration.ofMillis(1));
    server.enqueue(status(200));

    try (Response r = call(client, request("/a").build())) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void rateLimitHeader_withNoCallsLeft_makesTheNextCallWaitForTheReset() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).addHeader("RateLimit", "\"default\";r=0;t=30").build());
    server.enqueue(status(200));
    OkHttpClient client = client();

    call(client, request("/zones").build()).close();
    assertThat(time.sleeps()).as("the first call itself does not wait").isEmpty();
    call(client, request("/zones").build()).close();

    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(30));
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void rateLimitHeader_withCallsLeft_doesNotWait() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).addHeader("RateLimit", "\"default\";r=5;t=30").build());
    server.enqueue(status(200));
    OkHttpClient client = client();

    call(client, request("/zones").build()).close();
    call(client, request("/zones").build()).close();

    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void clientRateLimit_whenUsedUp_refusesWithoutCallingTheServer() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.custom().rateLimit(2, Duration.ofMinutes(5)).build();
    OkHttpClient client = limitUsedUp(policy);

    assertRateLimited(client);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  /** A client of {@code policy} (a limit of two requests) after two requests that went through. */
  private OkHttpClient limitUsedUp(ResiliencePolicy policy) throws Exception {
    OkHttpClient client = client(policy);
    server.enqueue(status(200));
    server.enqueue(status(200));
    call(client, request("/a").build()).close();
    call(client, request("/a").build()).close();
    return client;
  }

  /** {@code client}'s next request is refused by the client's own rate limit. */
  private void assertRateLimited(OkHttpClient client) {
    assertThatThrownBy(() -> call(client, request("/a").build()))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("client_rate_limited"));
  }

  @Test
  void rateLimitHeader_pausesOnlyTheEndpointThatSentIt() throws Exception {
    // the same server under two host names: two endpoints of one client, each with its own pacing
    server.enqueue(new MockResponse.Builder().code(200).addHeader("RateLimit", "\"default\";r=0;t=30").build());
    server.enqueue(status(200));
    server.enqueue(status(200));
    OkHttpClient client = client();
    HttpUrl a = server.url("/zones");
    HttpUrl b = a.newBuilder().host(a.host().equals("localhost") ? "127.0.0.1" : "localhost").build();

    call(client, request("/zones").url(a).build()).close();
    call(client, request("/zones").url(b).build()).close();
    assertThat(time.sleeps()).as("the other endpoint is not paused").isEmpty();
    call(client, request("/zones").url(a).build()).close();

    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(30));
  }

  @Test
  void clientRateLimit_perEndpoint_isKeptAcrossTheSweepsOfIdlePartitions() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.custom().rateLimit(2, Duration.ofMinutes(5)).build();
    OkHttpClient client = limitUsedUp(policy);
    // many idle per-token partitions come and go (a sweep every 256 new ones), long after the last call
    ResiliencePolicy perToken = ResiliencePolicy.custom().rateLimit(1, Duration.ofSeconds(1)).rateLimitPerCredential(true)
        .build();
    for (int i = 0; i < 600; i++) {
      stack.leave(stack.enter("cloudflare@api:443#" + i, perToken));
      time.advance(Duration.ofMillis(100));
    }
    assertThat(time.instant()).isBefore(Instant.parse("2026-11-02T09:05:00Z"));

    assertRateLimited(client);
    assertThat(server.getRequestCount()).isEqualTo(2);
    // a client of the same provider and policy built later shares the endpoint's limiter
    OkHttpClient later = stack.client("cloudflare", ResiliencePolicy.from(policy).build()).newBuilder().build();
    assertRateLimited(later);
  }

  @Test
  void circuit_isSharedByEveryClientOfTheStackForTheSameProviderAndPolicy() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.custom().maxAttempts(1).slidingWindow(2).build();
    server.enqueue(status(500));
    server.enqueue(status(500));
    // two adapters, or two steps, deriving their own variants of the provider's client
    OkHttpClient one = client(policy).newBuilder().followRedirects(false).build();
    OkHttpClient two = stack.client("cloudflare", ResiliencePolicy.from(policy).build());
    call(one, request("/a").build()).close();
    call(two, request("/a").build()).close();

    assertThatThrownBy(() -> call(two, request("/a").build()))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("circuit_open"));
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(one.connectionPool()).isSameAs(two.connectionPool()).isSameAs(stack.okHttpClient().connectionPool());
    assertThat(one.dispatcher()).isSameAs(stack.okHttpClient().dispatcher());
  }

  @Test
  void circuit_ofAnotherStackOrProvider_isNotAffected() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.custom().maxAttempts(1).slidingWindow(2).build();
    server.enqueue(status(500));
    server.enqueue(status(500));
    server.enqueue(status(200));
    server.enqueue(status(200));
    call(client(policy), request("/a").build()).close();
    call(client(policy), request("/a").build()).close();

    try (HttpStack other = HttpStack.builder().clock(time).sleeper(time).build();
        Response r = call(other.client("cloudflare", policy), request("/a").build())) {
      assertThat(r.code()).isEqualTo(200);
    }
    try (Response r = call(stack.client("stripe", policy), request("/a").build())) {
      assertThat(r.code()).isEqualTo(200);
    }
  }

  @Test
  void clientRateLimit_perCredential_countsEachTokenApartAndLastsAcrossClients() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.custom().rateLimit(1, Duration.ofMinutes(5)).rateLimitPerCredential(true)
        .build();
    server.enqueue(status(200));
    server.enqueue(status(200));
    call(client(policy), request("/a").header("Authorization", "Bearer one").build()).close();
    call(client(policy), request("/a").header("Authorization", "Bearer two").build()).close();

    OkHttpClient later = stack.client("cloudflare", policy).newBuilder().build();
    assertThatThrownBy(() -> call(later, request("/a").header("Authorization", "Bearer one").build()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("client_rate_limited");
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofMinutes(5));
          assertThat(e.getMessage()).doesNotContain("Bearer").doesNotContain("one");
        });
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void rateLimitHeader_withoutAReset_waitsForThePolicysWindow() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).addHeader("Ratelimit", "\"default\";r=0")
        .addHeader("Ratelimit-Policy", "\"default\";q=1200;w=45").build());
    server.enqueue(status(200));
    OkHttpClient client = client();

    call(client, request("/zones").build()).close();
    call(client, request("/zones").build()).close();

    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(45));
  }

  @Test
  void rateLimitHeader_whosePauseExceedsTheMaximum_failsRetryableWithoutCalling() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).addHeader("Ratelimit", "\"default\";r=0;t=300").build());
    OkHttpClient client = client();
    call(client, request("/zones").build()).close();

    assertThatThrownBy(() -> call(client, request("/zones").build()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(300));
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void requestTags_forSleeperAndClock_replaceTheStacksForThatCall() throws Exception {
    ManualTime stepTime = ManualTime.at("2026-11-02T10:00:00Z");
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "Mon, 02 Nov 2026 10:00:03 GMT").build());
    server.enqueue(status(200));

    try (Response r = call(client(), request("/zones").tag(io.agentprovision.core.Sleeper.class, stepTime)
        .tag(java.time.Clock.class, stepTime).build())) {
      assertThat(r.code()).isEqualTo(200);
    }

    assertThat(stepTime.sleeps()).containsExactly(Duration.ofSeconds(3));
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void clients_areBuiltOncePerProviderAndPolicy_andTheStacksOwnClientNeverRetriesSilently() {
    assertThat(stack.client("cloudflare", ResiliencePolicy.ofDefaults()))
        .isSameAs(stack.client("cloudflare", ResiliencePolicy.from(ResiliencePolicy.ofDefaults()).build()));
    assertThat(stack.client("cloudflare", ResiliencePolicy.ofDefaults())).isNotSameAs(stack.client("oidc",
        ResiliencePolicy.ofDefaults()));
    assertThat(stack.okHttpClient().retryOnConnectionFailure()).isFalse();
    assertThat(stack.client("oidc", ResiliencePolicy.ofDefaults()).retryOnConnectionFailure()).isFalse();
    OkHttpClient hosts = new OkHttpClient();
    try (HttpStack withHostClient = HttpStack.builder().okHttpClient(hosts).build()) {
      assertThat(withHostClient.okHttpClient().connectionPool()).isSameAs(hosts.connectionPool());
    }
    assertThat(hosts.dispatcher().executorService().isShutdown()).as("the host's client stays open").isFalse();
    assertThat(HttpStack.shared()).isSameAs(HttpStack.shared());
  }

  @Test
  void client_appliesThePolicysTimeouts() {
    ResiliencePolicy policy = ResiliencePolicy.custom().connectTimeout(Duration.ofSeconds(3))
        .readTimeout(Duration.ofSeconds(4)).callTimeout(Duration.ofSeconds(5)).build();

    OkHttpClient c = client(policy);

    assertThat(c.connectTimeoutMillis()).isEqualTo(3000);
    assertThat(c.readTimeoutMillis()).isEqualTo(4000);
    assertThat(c.callTimeoutMillis()).isEqualTo(5000);
  }

  @Test
  void parseRetryAfter_readsSecondsAndDatesAndIgnoresNonsense() {
    Instant now = Instant.parse("2026-11-02T09:00:00Z");

    assertThat(RetryAfter.parse("0", now)).isEqualTo(Duration.ZERO);
    assertThat(RetryAfter.parse(" 30 ", now)).isEqualTo(Duration.ofSeconds(30));
    assertThat(RetryAfter.parse("Mon, 02 Nov 2026 09:01:00 GMT", now)).isEqualTo(Duration.ofMinutes(1));
    assertThat(RetryAfter.parse("Mon, 02 Nov 2026 08:00:00 GMT", now)).isEqualTo(Duration.ZERO);
    assertThat(RetryAfter.parse("-5", now)).isNull();
    assertThat(RetryAfter.parse("soon", now)).isNull();
    assertThat(RetryAfter.parse(null, now)).isNull();
  }

  @Test
  void retrySafe_coversIdempotentMethodsAndKeyedRequests() {
    assertThat(ResilienceInterceptor.retrySafe(new Request.Builder().url(server.url("/")).build())).isTrue();
    assertThat(ResilienceInterceptor.retrySafe(new Request.Builder().url(server.url("/")).delete().build())).isTrue();
    assertThat(ResilienceInterceptor.retrySafe(new Request.Builder().url(server.url("/"))
        .put(RequestBody.create("x", JSON)).build())).isTrue();
    assertThat(ResilienceInterceptor.retrySafe(new Request.Builder().url(server.url("/"))
        .patch(RequestBody.create("x", JSON)).build())).isFalse();
    assertThat(ResilienceInterceptor.retrySafe(new Request.Builder().url(server.url("/"))
        .post(RequestBody.create("x", JSON)).build())).isFalse();
  }
}
