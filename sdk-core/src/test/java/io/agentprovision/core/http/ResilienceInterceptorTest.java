package io.agentprovision.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProviderException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ResilienceInterceptorTest {
  static final MediaType JSON = MediaType.get("application/json");

  MockWebServer server;
  ManualTime time;
  List<String> retries;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    QueueDispatcher dispatcher = new QueueDispatcher();
    dispatcher.setFailFast(true);
    server.setDispatcher(dispatcher);
    server.start();
    time = ManualTime.at("2026-11-02T09:00:00Z");
    retries = new ArrayList<>();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  OkHttpClient client(ResiliencePolicy policy) {
    // okhttp's own silent retry of failed connections is off, so each attempt is the interceptor's
    OkHttpClient base = new OkHttpClient.Builder().retryOnConnectionFailure(false).build();
    return ResilienceInterceptor.install(base, "cloudflare", policy, time, time);
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
  void get_whenRetryAfterExceedsTheMaximum_returnsThe429WithoutWaiting() throws Exception {
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "120").build());

    try (Response r = call(client(), request("/zones").build())) {
      assertThat(r.code()).isEqualTo(429);
      assertThat(r.header("Retry-After")).isEqualTo("120");
    }

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
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
  void circuit_afterTheOpenStateWait_letsCallsThroughAgain() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.custom().maxAttempts(1).slidingWindow(2).failureRateThreshold(50)
        .openStateWait(Duration.ofSeconds(30)).build();
    ResilienceInterceptor interceptor = new ResilienceInterceptor("cloudflare", policy, time, time);
    OkHttpClient client = new OkHttpClient.Builder().retryOnConnectionFailure(false).addInterceptor(interceptor).build();
    server.enqueue(status(500));
    server.enqueue(status(500));
    call(client, request("/a").build()).close();
    call(client, request("/a").build()).close();
    assertThat(interceptor.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThatThrownBy(() -> call(client, request("/a").build())).isInstanceOf(ProviderException.class);

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
    OkHttpClient client = client(policy);
    server.enqueue(status(200));
    server.enqueue(status(200));
    call(client, request("/a").build()).close();
    call(client, request("/a").build()).close();

    assertThatThrownBy(() -> call(client, request("/a").build()))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("client_rate_limited"));
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void install_appliesThePolicysTimeouts() {
    ResiliencePolicy policy = ResiliencePolicy.custom().connectTimeout(Duration.ofSeconds(3))
        .readTimeout(Duration.ofSeconds(4)).callTimeout(Duration.ofSeconds(5)).build();

    OkHttpClient c = client(policy);

    assertThat(c.connectTimeoutMillis()).isEqualTo(3000);
    assertThat(c.readTimeoutMillis()).isEqualTo(4000);
    assertThat(c.callTimeoutMillis()).isEqualTo(5000);
    assertThat(c.interceptors()).hasAtLeastOneElementOfType(ResilienceInterceptor.class);
  }

  @Test
  void parseRetryAfter_readsSecondsAndDatesAndIgnoresNonsense() {
    Instant now = Instant.parse("2026-11-02T09:00:00Z");

    assertThat(ResilienceInterceptor.parseRetryAfter("0", now)).isEqualTo(Duration.ZERO);
    assertThat(ResilienceInterceptor.parseRetryAfter(" 30 ", now)).isEqualTo(Duration.ofSeconds(30));
    assertThat(ResilienceInterceptor.parseRetryAfter("Mon, 02 Nov 2026 09:01:00 GMT", now)).isEqualTo(Duration.ofMinutes(1));
    assertThat(ResilienceInterceptor.parseRetryAfter("Mon, 02 Nov 2026 08:00:00 GMT", now)).isEqualTo(Duration.ZERO);
    assertThat(ResilienceInterceptor.parseRetryAfter("-5", now)).isNull();
    assertThat(ResilienceInterceptor.parseRetryAfter("soon", now)).isNull();
    assertThat(ResilienceInterceptor.parseRetryAfter(null, now)).isNull();
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
