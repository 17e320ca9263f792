package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.testing.FakeStepContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/**
 * Regression: Cloudflare's rate limit (429, error 971, {@code Retry-After} in seconds) is waited for
 * once, in virtual time, and the call asked again, on the client and through the deployer; a POST
 * (Cloudflare takes no idempotency keys) is never repeated and its error says when to retry; a wait
 * beyond the bound fails retryable at once.
 */
class CloudflareRetryAfterWireTest extends WireSupport {
  private static final String RATE_LIMITED = "{\"success\":false,\"errors\":[{\"code\":971,\"message\":"
      + "\"Please wait and consider throttling your request speed\"}],\"messages\":[],\"result\":null}";
  private static final String ZONE = "{\"id\":\"9a7806061c88ada191ed06f989cc3dac\",\"name\":\"example.com\","
      + "\"status\":\"active\"}";

  private void tooMany(String retryAfter) {
    enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", retryAfter)
        .addHeader("Content-Type", "application/json").addHeader("CF-Ray", "8f1e2d3c4b5a6978-SJC").body(RATE_LIMITED)
        .build());
  }

  @Test
  void get_on429WithRetryAfterOneSecondThen200_succeedsAfterSleepingOneSecond() throws Exception {
    FakeStepContext ctx = FakeStepContext.builder().time(time).build();
    tooMany("1");
    ok(ZONE);

    Zones.Zone z = client.withRetryObserver(ctx::retrying).zones().get("9a7806061c88ada191ed06f989cc3dac");

    assertThat(z.name()).isEqualTo("example.com");
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1));
    assertThat(ctx.retries()).containsExactly(new FakeStepContext.Retry(2, Duration.ofSeconds(1), "HTTP 429"));
    assertThat(target(take())).isEqualTo(target(take()));
  }

  @Test
  void get_on429WithAnHttpDateRetryAfter_waitsUntilThatDate() {
    tooMany(java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
        time.instant().plusSeconds(5).atZone(java.time.ZoneOffset.UTC)));
    ok(ZONE);

    client.zones().get("9a7806061c88ada191ed06f989cc3dac");

    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(5));
  }

  @Test
  void post_on429_isNeverRetriedAndTheErrorSaysWhenToRetry() {
    tooMany("1");

    assertThatThrownBy(() -> client.zones().create("example.com", ACCOUNT))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.hasCode(CloudflareException.RATE_LIMITED)).isTrue();
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void get_whenRetryAfterExceedsTheBound_failsRetryableAtOnceSayingWhen() {
    tooMany("300");

    assertThatThrownBy(() -> client.zones().get("9a7806061c88ada191ed06f989cc3dac"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.provider()).isEqualTo("cloudflare");
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofMinutes(5));
          assertThat(e.requestId()).isEqualTo("8f1e2d3c4b5a6978-SJC");
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void deployer_revoke_on429WithRetryAfterOneSecond_waitsInTheStepsTimeAndDeletes() throws Exception {
    FakeStepContext ctx = FakeStepContext.builder().time(time).build();
    CloudflareDeployer deployer = CloudflareDeployer.builder().baseUrl(server.url("/client/v4").toString()).build();
    tooMany("1");
    ok("{\"id\":\"t1\"}");
    DeployCredentials creds = new DeployCredentials("cloudflare", ACCOUNT, "t1", Secret.of("cfat_narrow"), null,
        List.of("Workers Scripts Write"), Map.of());

    deployer.revoke(creds, TOKEN, ctx);

    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1));
    assertThat(ctx.retries()).containsExactly(new FakeStepContext.Retry(2, Duration.ofSeconds(1), "HTTP 429"));
    RecordedRequest first = take();
    assertThat(first.getMethod()).isEqualTo("DELETE");
    assertThat(target(first)).isEqualTo("/accounts/" + ACCOUNT + "/tokens/t1");
    assertThat(take().getHeaders().get("Authorization")).isEqualTo("Bearer " + TOKEN.reveal());
  }

  @Test
  void deployer_steps_shareOneStacksPerTokenRateLimit() {
    ResiliencePolicyFixture f = new ResiliencePolicyFixture();
    try (HttpStack stack = HttpStack.builder().clock(time).sleeper(time).build()) {
      CloudflareDeployer deployer = CloudflareDeployer.builder().baseUrl(server.url("/client/v4").toString())
          .http(stack).resilience(f.twoCallsPerToken).build();
      FakeStepContext one = FakeStepContext.builder().time(time).build();
      FakeStepContext two = FakeStepContext.builder().time(time).build();
      ok(ZONE);
      ok(ZONE);

      deployer.client(TOKEN, one).zones().get("9a7806061c88ada191ed06f989cc3dac");
      deployer.client(TOKEN, two).zones().get("9a7806061c88ada191ed06f989cc3dac");

      assertThatThrownBy(() -> deployer.client(TOKEN, two).zones().get("9a7806061c88ada191ed06f989cc3dac"))
          .as("a third step with the same token finds the budget used")
          .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("client_rate_limited"));
      assertThat(server.getRequestCount()).isEqualTo(2);
    }
  }

  /** A policy small enough to exhaust in a test: two calls per five minutes per token. */
  private static final class ResiliencePolicyFixture {
    final io.agentprovision.core.http.ResiliencePolicy twoCallsPerToken = io.agentprovision.core.http.ResiliencePolicy
        .from(CloudflareClient.DEFAULT_RESILIENCE).rateLimit(2, Duration.ofMinutes(5)).build();
  }
}
