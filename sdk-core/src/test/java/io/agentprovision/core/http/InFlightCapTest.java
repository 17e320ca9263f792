package io.agentprovision.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProviderException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cap on requests in flight to one provider ({@link ResiliencePolicy#maxConcurrentRequests()}),
 * seen from the server: how many requests it holds at once. The server holds each request until as
 * many as the cap have arrived together (a barrier), so the cap is reached every time and a client
 * that let more through would be seen doing so; nothing depends on how fast either side runs.
 */
class InFlightCapTest {
  MockWebServer server;
  ManualTime time;
  HttpStack stack;
  ExecutorService callers;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    time = ManualTime.at("2026-11-02T09:00:00Z");
    stack = HttpStack.builder().clock(time).sleeper(time).build();
    callers = Executors.newCachedThreadPool();
  }

  @AfterEach
  void stop() {
    callers.shutdownNow();
    server.close();
    stack.close();
  }

  /** Holds each of the first {@code held} arrivals until {@code together} of them are in; counts who is inside. */
  static final class Counting extends Dispatcher {
    final AtomicInteger inside = new AtomicInteger();
    final AtomicInteger most = new AtomicInteger();
    final AtomicInteger arrived = new AtomicInteger();
    final CyclicBarrier barrier;
    final int held;

    Counting(int together, int held) {
      this.barrier = new CyclicBarrier(together);
      this.held = held;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
      most.accumulateAndGet(inside.incrementAndGet(), Math::max);
      try {
        if (arrived.incrementAndGet() <= held) {
          barrier.await(30, TimeUnit.SECONDS); // a safety net against a hang, not a timing
        }
      } catch (BrokenBarrierException | TimeoutException e) {
        throw new IllegalStateException("the requests never came together", e);
      } finally {
        inside.decrementAndGet();
      }
      return new MockResponse.Builder().code(200).body("{}").build();
    }
  }

  List<Future<Integer>> callAll(OkHttpClient client, int calls) {
    List<Future<Integer>> codes = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      Request request = new Request.Builder().url(server.url("/r/" + i)).build();
      codes.add(callers.submit(() -> {
        try (Response r = client.newCall(request).execute()) {
          return r.code();
        }
      }));
    }
    return codes;
  }

  @Test
  void tenCallersAtOnce_withACapOfThree_neverPutMoreThanThreeOnTheWire() throws Exception {
    Counting counting = new Counting(3, 9); // three groups of three held together, the tenth alone
    server.setDispatcher(counting);
    server.start();
    OkHttpClient client = stack.client("cloudflare", ResiliencePolicy.custom().maxConcurrentRequests(3).build());

    for (Future<Integer> code : callAll(client, 10)) {
      assertThat(code.get(60, TimeUnit.SECONDS)).isEqualTo(200);
    }

    assertThat(counting.most.get()).isEqualTo(3);
    assertThat(server.getRequestCount()).isEqualTo(10);
  }

  @Test
  void theCap_isSharedByEveryClientOfTheProvider_onTheStack() throws Exception {
    Counting counting = new Counting(2, 6);
    server.setDispatcher(counting);
    server.start();
    ResiliencePolicy capOfTwo = ResiliencePolicy.custom().maxConcurrentRequests(2).build();
    // two adapters' clients for the same provider: one a derived variant, as adapters make them
    OkHttpClient one = stack.client("stripe", capOfTwo);
    OkHttpClient other = stack.client("stripe", capOfTwo).newBuilder().followRedirects(false).build();

    List<Future<Integer>> codes = new ArrayList<>(callAll(one, 3));
    codes.addAll(callAll(other, 3));
    for (Future<Integer> code : codes) {
      assertThat(code.get(60, TimeUnit.SECONDS)).isEqualTo(200);
    }

    assertThat(counting.most.get()).isEqualTo(2);
  }

  @Test
  void aRequestWaitingPastItsCallDeadline_failsRetryable_andIsNeverSent() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch firstIn = new CountDownLatch(1);
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        firstIn.countDown();
        release.await(30, TimeUnit.SECONDS);
        return new MockResponse.Builder().code(200).body("{}").build();
      }
    });
    server.start();
    // okhttp's own call timeout off, so the policy's call deadline alone ends the wait
    OkHttpClient client = stack.client("cloudflare", ResiliencePolicy.custom().maxConcurrentRequests(1)
        .callTimeout(Duration.ofMillis(300)).build()).newBuilder().callTimeout(Duration.ZERO).build();
    Future<Integer> first = callAll(client, 1).get(0);
    assertThat(firstIn.await(30, TimeUnit.SECONDS)).isTrue();

    assertThatThrownBy(() -> client.newCall(new Request.Builder().url(server.url("/second")).build()).execute())
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("client_concurrency_limited");
          assertThat(e.retryable()).isTrue();
          assertThat(e.outcome()).isEqualTo(ProviderException.Outcome.NOT_EXECUTED);
        });

    release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(200);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void aCallCancelledWhileWaitingForAPlace_failsWithoutBeingSent_andItsTurnGoesToTheNext() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch firstIn = new CountDownLatch(1);
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        if (request.getUrl().encodedPath().equals("/first")) {
          firstIn.countDown();
          release.await(30, TimeUnit.SECONDS);
        }
        return new MockResponse.Builder().code(200).body("{}").build();
      }
    });
    server.start();
    ResiliencePolicy capOfOne = ResiliencePolicy.custom().maxConcurrentRequests(1).build();
    OkHttpClient client = stack.client("cloudflare", capOfOne);
    FlightGate gate = stack.inFlight("cloudflare@" + server.getHostName() + ":" + server.getPort(), capOfOne);
    Future<Integer> first = callers.submit(() -> {
      try (Response r = client.newCall(new Request.Builder().url(server.url("/first")).build()).execute()) {
        return r.code();
      }
    });
    assertThat(firstIn.await(30, TimeUnit.SECONDS)).isTrue();
    okhttp3.Call cancelled = client.newCall(new Request.Builder().url(server.url("/cancelled")).build());
    Future<Integer> waiting = callers.submit(() -> {
      try (Response r = cancelled.execute()) {
        return r.code();
      }
    });
    awaitWaiting(gate, 1);
    Future<Integer> next = callers.submit(() -> {
      try (Response r = client.newCall(new Request.Builder().url(server.url("/next")).build()).execute()) {
        return r.code();
      }
    });
    awaitWaiting(gate, 2);

    cancelled.cancel();
    assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
    release.countDown();

    assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(200);
    assertThat(next.get(30, TimeUnit.SECONDS)).isEqualTo(200);
    assertThat(server.getRequestCount()).isEqualTo(2); // the cancelled call never reached the provider
    assertThat(gate.free()).isEqualTo(1);
  }

  /** Polls until {@code n} callers wait in line (a safety net against a hang, not a timing). */
  static void awaitWaiting(FlightGate gate, int n) throws InterruptedException {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); gate.waiting() < n; ) {
      assertThat(System.nanoTime()).isLessThan(end);
      Thread.sleep(1);
    }
  }

  @Test
  void theCap_mustBeOneToTheLimit() {
    assertThat(ResiliencePolicy.ofDefaults().maxConcurrentRequests())
        .isEqualTo(ResiliencePolicy.DEFAULT_MAX_CONCURRENT_REQUESTS);
    assertThatThrownBy(() -> ResiliencePolicy.custom().maxConcurrentRequests(0))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("maxConcurrentRequests"));
    assertThat(ResiliencePolicy.from(ResiliencePolicy.custom().maxConcurrentRequests(7).build()).build())
        .isEqualTo(ResiliencePolicy.custom().maxConcurrentRequests(7).build())
        .isNotEqualTo(ResiliencePolicy.ofDefaults());
  }

  // The partitions' bookkeeping is exercised through the stack's own entry points (as the resilience
  // layer calls them per request): hundreds of requests over the wire would measure the loopback.
  static final ResiliencePolicy PER_TOKEN = ResiliencePolicy.custom().rateLimit(100, Duration.ofMinutes(1))
      .rateLimitPerCredential(true).build();

  void oneCallWith(String token) {
    stack.leave(stack.enter("cloudflare@api:443#" + HttpStack.credentialKey("Bearer " + token), PER_TOKEN));
  }

  @Test
  void ratePartitionsPerCredential_areDroppedOnceIdle_soAStackMintingATokenPerRunDoesNotGrow() {
    for (int i = 0; i < 300; i++) {
      oneCallWith("first-" + i);
    }
    assertThat(stack.partitionCount()).isEqualTo(300);
    // the limiters have refilled (a period and the longest wait ahead have passed): a fresh one is the same
    time.advance(Duration.ofMinutes(3));
    for (int i = 0; i < 300; i++) {
      oneCallWith("second-" + i);
    }

    assertThat(stack.partitionCount()).isEqualTo(300);
  }

  @Test
  void aPartitionStillWithinItsWindow_orInUse_isKept_soItsLimitHolds() {
    HttpStack.Partition busy = stack.enter("cloudflare@api:443#busy", PER_TOKEN);
    for (int i = 0; i < 300; i++) {
      oneCallWith("token-" + i);
    }
    time.advance(Duration.ofSeconds(30)); // within the minute's window and the minute any reservation may reach
    for (int i = 300; i < 600; i++) {
      oneCallWith("token-" + i);
    }
    assertThat(stack.partitionCount()).isEqualTo(601);

    time.advance(Duration.ofMinutes(3));
    for (int i = 600; i < 900; i++) {
      oneCallWith("token-" + i);
    }

    // the idle ones went; the one a call still holds stayed, and so does its limiter
    assertThat(stack.partitionCount()).isEqualTo(301);
    assertThat(stack.enter("cloudflare@api:443#busy", PER_TOKEN).limiter()).isSameAs(busy.limiter());
  }
}
