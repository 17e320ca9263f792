package io.agentprovision.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.orchestration.ResourceStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regression: a provider that answers 429 with {@code Retry-After} is waited for (in the client's
 * virtual time) and asked again, exactly once per request that is safe to repeat; a POST without an
 * idempotency key is never repeated, and its error says when to retry.
 */
class ProtocolClientRetryAfterTest {
  private static final Secret SHARED = Secret.of("whsec_retry_after_test");

  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private final HttpStack stack = HttpStack.create();
  private final List<String> retries = new ArrayList<>();
  private MockWebServer server;
  private ProtocolClient client;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    QueueDispatcher dispatcher = new QueueDispatcher();
    dispatcher.setFailFast(true);
    server.setDispatcher(dispatcher);
    server.start();
    client = (ProtocolClient) ProtocolClient.builder().provider("acme").baseUrl(server.url("/").toString())
        .sharedSecret(SHARED).clock(time).sleeper(time).http(stack).build()
        .withRetryObserver((attempt, delay, reason) -> retries.add(attempt + " after " + delay + ": " + reason));
  }

  @AfterEach
  void stop() {
    server.close();
    stack.close();
  }

  private static MockResponse tooMany(String retryAfter) {
    return new MockResponse.Builder().code(429).setHeader("Retry-After", retryAfter)
        .setHeader("Content-Type", "application/json")
        .body("{\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\"}}").build();
  }

  private static MockResponse ok(String body) {
    return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json").body(body).build();
  }

  @Test
  void getResource_on429WithRetryAfterOneSecondThen200_succeedsAfterSleepingOneSecond() throws Exception {
    server.enqueue(tooMany("1"));
    server.enqueue(ok("{\"id\":\"res_1\",\"status\":\"pending\"}"));

    ProviderResource r = client.getResource(Secret.of("at_1"), "res_1");

    assertThat(r.status()).isEqualTo(ResourceStatus.PENDING);
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1));
    assertThat(retries).containsExactly("2 after PT1S: HTTP 429");
  }

  @Test
  void createResource_on429WithAnHttpDateRetryAfter_waitsUntilThenAndResendsTheSameKey() throws Exception {
    server.enqueue(tooMany("Mon, 02 Nov 2026 09:00:04 GMT"));
    server.enqueue(ok("{\"id\":\"res_1\",\"status\":\"pending\"}"));

    client.createResource(Secret.of("at_1"), new ProviderResourceRequest("kv", Map.of(), null, "proj_1", "kv-1",
        "production"), "run-1:create");

    RecordedRequest first = server.takeRequest();
    RecordedRequest second = server.takeRequest();
    assertThat(second.getHeaders().get("Idempotency-Key")).isEqualTo("run-1:create")
        .isEqualTo(first.getHeaders().get("Idempotency-Key"));
    assertThat(second.getBody().utf8()).isEqualTo(first.getBody().utf8());
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(4));
  }

  @Test
  void refresh_aPostWithoutIdempotencyKey_on429_isNeverRetriedAndSaysWhenToRetry() {
    server.enqueue(tooMany("1"));

    assertThatThrownBy(() -> client.refresh(Secret.of("rt_1")))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
    assertThat(retries).isEmpty();
  }

  @Test
  void getResource_whenRetryAfterExceedsTheBound_failsRetryableAtOnceWithTheWait() {
    server.enqueue(tooMany("600"));

    assertThatThrownBy(() -> client.getResource(Secret.of("at_1"), "res_1"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.provider()).isEqualTo("acme");
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofMinutes(10));
          assertThat(e.getMessage()).contains("retry at 2026-11-02T09:10:00Z");
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }
}
