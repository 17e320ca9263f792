package io.agentprovision.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regression: stripe-java neither retries a 429 nor reads {@code Retry-After}, so the SDK's HTTP
 * stack owns Stripe's retries (stripe-java's own loop never runs): a 429 with {@code Retry-After: 1}
 * is waited for once, in the stack's virtual time, and asked again with the same
 * {@code Idempotency-Key}; {@code Stripe-Should-Retry} is obeyed; a wait beyond the bound fails
 * retryable saying when.
 */
class StripeRetryAfterWireTest {
  private static final String KEY = "sk_test_retry_51Abc";
  private static final String VERSION = "2026-05-01.preview";

  private final MockWebServer server = new MockWebServer();
  private final QueueDispatcher queue = new QueueDispatcher();
  private final VirtualTime time = VirtualTime.create();
  private final HttpStack stack = HttpStack.builder().clock(time).sleeper(time).build();
  private StripeProjects stripe;

  @BeforeEach
  void start() throws IOException {
    queue.setFailFast(true);
    server.setDispatcher(queue);
    server.start();
    stripe = StripeProjects.builder().api(StripeApi.builder().apiKey(Secret.of(KEY)).apiBase(server.url("/").toString())
        .provisioningVersion(VERSION).maxNetworkRetries(2).http(stack).build()).build();
  }

  @AfterEach
  void stop() {
    server.close();
    stack.close();
  }

  private void answer(int code, String json, String... headers) {
    MockResponse.Builder b = new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json")
        .setHeader("Request-Id", "req_" + code).body(json);
    for (int i = 0; i < headers.length; i += 2) {
      b.setHeader(headers[i], headers[i + 1]);
    }
    queue.enqueue(b.build());
  }

  private static final String RATE_LIMITED =
      "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"rate_limit\",\"message\":\"slow down\"}}";
  private static final String ELIGIBLE = "{\"object\":\"v2.provisioning.eligibility\",\"is_eligible\":true,"
      + "\"requirements\":[]}";

  private RecordedRequest next() throws InterruptedException {
    RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r).as("a request").isNotNull();
    return r;
  }

  @Test
  void get_on429WithRetryAfterOneSecondThen200_succeedsAfterSleepingOneSecond() throws Exception {
    answer(429, RATE_LIMITED, "Retry-After", "1");
    answer(200, ELIGIBLE);

    assertThat(stripe.eligibility().eligible()).isTrue();

    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1));
    assertThat(next().getTarget()).isEqualTo("/v2/provisioning/eligibility");
    RecordedRequest second = next();
    assertThat(second.getTarget()).isEqualTo("/v2/provisioning/eligibility");
    assertThat(second.getHeaders().get("Authorization")).isEqualTo("Bearer " + KEY);
    assertThat(second.getHeaders().get("Stripe-Version")).isEqualTo(VERSION);
  }

  @Test
  void post_on429WithRetryAfter_isRetriedOnceWithTheSameKeyAndBodyAndReported() throws Exception {
    answer(429, RATE_LIMITED, "Retry-After", "1");
    answer(200, "{\"id\":\"prvres_1\",\"object\":\"v2.provisioning.resource\",\"status\":\"complete\"}");
    FakeStepContext ctx = FakeStepContext.builder().time(time).idempotencyKey("run-1:unlink")
        .approvals(ScriptedApprovalGate.approveAll(time)).build();

    stripe.unlink(new ResourceRef("cloudflare", "prvres_1", "kv", "c"), ctx);

    RecordedRequest first = next();
    RecordedRequest second = next();
    assertThat(first.getMethod()).isEqualTo("POST");
    assertThat(first.getHeaders().get("Idempotency-Key")).isEqualTo("run-1:unlink:stripe.resource.unlink");
    assertThat(second.getHeaders().get("Idempotency-Key")).isEqualTo(first.getHeaders().get("Idempotency-Key"));
    assertThat(second.getBody().utf8()).isEqualTo(first.getBody().utf8());
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1));
    assertThat(ctx.retries()).containsExactly(new FakeStepContext.Retry(2, Duration.ofSeconds(1), "HTTP 429"));
  }

  @Test
  void get_on409LockTimeout_isRetriedWithBackoffAsStripeAdvises() throws Exception {
    answer(409, "{\"error\":{\"type\":\"api_error\",\"code\":\"lock_timeout\",\"message\":\"busy\"}}");
    answer(200, ELIGIBLE);

    assertThat(stripe.eligibility().eligible()).isTrue();

    assertThat(time.sleeps()).containsExactly(Duration.ofMillis(500));
  }

  @Test
  void get_whenStripeShouldRetryIsFalse_isNotRetriedEvenOn503() {
    answer(503, "{\"error\":{\"type\":\"api_error\",\"message\":\"no\"}}", "Stripe-Should-Retry", "false");

    assertThatThrownBy(stripe::eligibility)
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.status()).isEqualTo(503));
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void get_whenRetryAfterExceedsTheBound_failsRetryableAtOnceSayingWhen() {
    answer(429, RATE_LIMITED, "Retry-After", "90");

    assertThatThrownBy(stripe::eligibility)
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.provider()).isEqualTo("stripe");
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(90));
          assertThat(e.getMessage()).contains("retry at");
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void get_whenEveryAttemptIs429_stopsAfterTheConfiguredRetriesWithTheWaitInTheError() {
    for (int i = 0; i < 3; i++) {
      answer(429, RATE_LIMITED, "Retry-After", "2");
    }

    assertThatThrownBy(stripe::eligibility)
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(2));
        });
    assertThat(server.getRequestCount()).as("maxNetworkRetries(2): the first call and two retries").isEqualTo(3);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(2));
  }
}
