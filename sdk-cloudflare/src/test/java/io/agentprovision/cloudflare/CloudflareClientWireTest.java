package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.ProviderException;
import io.agentprovision.testing.FakeStepContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

class CloudflareClientWireTest extends WireSupport {
  private static final String ACCOUNTS = "[{\"id\":\"" + ACCOUNT + "\",\"name\":\"Ada\",\"type\":\"standard\"}]";

  @Test
  void get_sendsTheBearerTokenAndReadsTheEnvelope() throws Exception {
    okPage(ACCOUNTS, "{\"page\":1,\"per_page\":50,\"count\":1,\"total_count\":1,\"total_pages\":1}");

    List<Accounts.Account> accounts = client.accounts().list();

    assertThat(accounts).containsExactly(new Accounts.Account(ACCOUNT, "Ada", "standard"));
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("GET");
    assertThat(target(r)).isEqualTo("/accounts?page=1&per_page=50");
    assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer " + TOKEN.reveal());
    assertThat(r.getHeaders().get("Accept")).isEqualTo("application/json");
    assertThat(r.getHeaders().get("User-Agent")).startsWith("agentprovision-cloudflare/");
  }

  @Test
  void call_whenSuccessIsFalseOnHttp200_throwsWithEveryError() {
    enqueue(200, "{\"success\":false,\"errors\":[{\"code\":1003,\"message\":\"Invalid permission group id\","
        + "\"source\":{\"pointer\":\"/policies/0/permission_groups/0/id\"},\"documentation_url\":\"https://developers."
        + "cloudflare.com/api\"},{\"code\":1004,\"message\":\"expires_on must be in the future\"}],\"messages\":[],"
        + "\"result\":null}");

    assertThatThrownBy(() -> client.get("/accounts/" + ACCOUNT + "/tokens/permission_groups", Map.of(), Object.class))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.status()).isEqualTo(200);
          assertThat(e.code()).isEqualTo("1003");
          assertThat(e.requestId()).isEqualTo("8f1e2d3c4b5a6978-SJC");
          assertThat(e.retryable()).isFalse();
          assertThat(e.errors()).extracting(CloudflareError::code).containsExactly(1003, 1004);
          assertThat(e.errors().get(0).pointer()).isEqualTo("/policies/0/permission_groups/0/id");
          assertThat(e.errors().get(0).documentationUrl()).isEqualTo("https://developers.cloudflare.com/api");
          assertThat(e.getMessage()).contains("1003: Invalid permission group id (at /policies/0/permission_groups/0/id)")
              .contains("1004: expires_on must be in the future").contains("request id 8f1e2d3c4b5a6978-SJC");
        });
  }

  @Test
  void call_withAnErrorChain_keepsTheChain() {
    enqueue(400, "{\"success\":false,\"errors\":[{\"code\":6003,\"message\":\"Invalid request headers\",\"error_chain\":"
        + "[{\"code\":6111,\"message\":\"Invalid format for Authorization header\"}]}],\"messages\":[],\"result\":null}");

    assertThatThrownBy(() -> client.get("/user/tokens/verify", Map.of(), Object.class))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.hasCode(6111)).isTrue();
          assertThat(e.errors().get(0).chain()).containsExactly(CloudflareError.of(6111, "Invalid format for Authorization header"));
          assertThat(e.getMessage()).contains("6003: Invalid request headers caused by [6111: Invalid format");
        });
  }

  @Test
  void call_whenTheErrorEchoesTheToken_keepsItOutOfTheMessage() {
    fail(400, 6003, "bad header Bearer " + TOKEN.reveal());

    assertThatThrownBy(() -> client.get("/user/tokens/verify", Map.of(), Object.class))
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.getMessage())
            .doesNotContain(TOKEN.reveal()).contains("Bearer [redacted]"));
  }

  @Test
  void call_whenTheBodyIsNotJson_throwsWithACleanExcerpt() {
    queue.enqueue(new MockResponse.Builder().code(502).addHeader("Content-Type", "text/html")
        .body("<html>Bad gateway " + TOKEN.reveal() + "</html>").build());
    client = client.toBuilder().resilience(io.agentprovision.core.http.ResiliencePolicy.custom().maxAttempts(1).build()).build();

    assertThatThrownBy(() -> client.get("/accounts", Map.of(), Object.class))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.status()).isEqualTo(502);
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage()).contains("Bad gateway").doesNotContain(TOKEN.reveal());
        });
  }

  @Test
  void call_whenA2xxHasNoBody_returnsAnEmptyResult() throws Exception {
    queue.enqueue(new MockResponse.Builder().code(200).build());

    CloudflareResponse<Void> r = client.delete("/accounts/" + ACCOUNT + "/workers/scripts/hello");

    assertThat(r.result()).isNull();
    assertThat(r.page()).isEqualTo(CloudflareResponse.PageInfo.NONE);
    assertThat(take().getMethod()).isEqualTo("DELETE");
  }

  @Test
  void get_on429WithRetryAfter_waitsThatLongInVirtualTimeAndRetries() {
    FakeStepContext ctx = FakeStepContext.builder().time(time).build();
    CloudflareClient observed = client.withRetryObserver(ctx::retrying);
    enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "7").body("{\"success\":false,\"errors\":"
        + "[{\"code\":971,\"message\":\"Please wait and consider throttling your request speed\"}],\"messages\":[],"
        + "\"result\":null}").build());
    okPage(ACCOUNTS, "{\"page\":1,\"per_page\":50,\"total_pages\":1}");

    assertThat(observed.accounts().list()).hasSize(1);

    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(7));
    assertThat(ctx.retries()).containsExactly(new FakeStepContext.Retry(2, Duration.ofSeconds(7), "HTTP 429"));
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void get_on429WithoutRetryAfter_backsOffTwiceThenFailsRetryable() {
    for (int i = 0; i < 3; i++) {
      fail(429, 971, "Please wait and consider throttling your request speed");
    }

    assertThatThrownBy(() -> client.get("/accounts", Map.of(), Object.class))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.code()).isEqualTo("971");
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isNull();
        });
    assertThat(time.sleeps()).containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1));
  }

  @Test
  void post_on429_isNotRepeatedAndCarriesRetryAfter() {
    enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "30").body("{\"success\":false,\"errors\":"
        + "[{\"code\":971,\"message\":\"Please wait\"}],\"messages\":[],\"result\":null}").build());

    assertThatThrownBy(() -> client.post("/zones", Map.of("name", "example.com"), Object.class))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(30));
          assertThat(e.retryable()).isTrue();
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void get_afterARatelimitHeaderWithNothingLeft_pausesUntilTheWindowResets() {
    enqueue(new MockResponse.Builder().code(200).addHeader("Ratelimit", "\"default\";r=0;t=30")
        .addHeader("Ratelimit-Policy", "\"default\";q=1200;w=300")
        .body("{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{\"subdomain\":\"ada\"}}").build());
    ok("{\"subdomain\":\"ada\"}");

    client.workers(ACCOUNT).subdomain();
    assertThat(time.sleeps()).isEmpty();
    client.workers(ACCOUNT).subdomain();

    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(30));
  }

  @Test
  void get_on5xx_retriesWithBackoff() {
    fail(503, 10002, "Unexpected internal server error");
    ok("{\"subdomain\":\"ada\"}");

    assertThat(client.workers(ACCOUNT).subdomain()).contains("ada");
    assertThat(time.sleeps()).containsExactly(Duration.ofMillis(500));
  }

  @Test
  void listPages_walksUntilAnEmptyPage() throws Exception {
    okPage("[{\"id\":\"a\"},{\"id\":\"b\"}]", "{\"page\":1,\"per_page\":50}");
    okPage("[{\"id\":\"c\"}]", "{\"page\":2,\"per_page\":50}");
    okPage("[]", "{\"page\":3,\"per_page\":50}");

    List<String> ids = client.listPages("/accounts", Map.of("direction", "asc"), Item.class).stream().map(Item::id)
        .toList();

    assertThat(ids).containsExactly("a", "b", "c");
    assertThat(target(take())).isEqualTo("/accounts?direction=asc&page=1&per_page=50");
    assertThat(target(take())).isEqualTo("/accounts?direction=asc&page=2&per_page=50");
    assertThat(target(take())).isEqualTo("/accounts?direction=asc&page=3&per_page=50");
  }

  @Test
  void listPages_stopsAtTheLastPageResultInfoNames() {
    okPage("[{\"id\":\"a\"}]", "{\"page\":1,\"per_page\":50,\"total_pages\":2}");
    okPage("[{\"id\":\"b\"}]", "{\"page\":2,\"per_page\":50,\"total_pages\":2}");

    assertThat(client.listPages("/zones", Map.of(), Item.class)).extracting(Item::id).containsExactly("a", "b");
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void listCursor_followsTheCursorUntilItIsEmpty() throws Exception {
    okPage("[{\"domain_name\":\"a.com\"}]", "{\"count\":1,\"cursor\":\"c2\"}");
    okPage("[{\"domain_name\":\"b.com\"}]", "{\"count\":1,\"cursor\":\"\"}");

    assertThat(client.registrar(ACCOUNT).registrations()).extracting(Registrar.Registration::domainName)
        .containsExactly("a.com", "b.com");
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/registrar/registrations");
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/registrar/registrations?cursor=c2");
  }

  @Test
  void listSingle_readsOnePage() {
    ok("[{\"id\":\"hello\",\"etag\":\"e1\"}]");

    assertThat(client.workers(ACCOUNT).scripts()).extracting(Workers.WorkerScript::name).containsExactly("hello");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void calls_neverLogTheToken() {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      ok("{\"id\":\"t1\",\"status\":\"active\"}");
      fail(403, 10000, "Authentication error");
      client.accountTokens(ACCOUNT).verify();
      assertThatThrownBy(() -> client.get("/accounts/" + ACCOUNT + "/tokens", Map.of(), Object.class)).isInstanceOf(CloudflareException.class);
    } finally {
      System.setErr(original);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log).contains("GET /accounts/" + ACCOUNT + "/tokens/verify -> 200").contains("-> 403");
    assertThat(log).doesNotContain(TOKEN.reveal()).doesNotContain("Bearer");
    assertThat(client.toString()).doesNotContain(TOKEN.reveal());
  }

  @Test
  void call_whenNothingListens_failsRetryableWithStatusZero() {
    CloudflareClient dead = client.toBuilder().baseUrl("http://127.0.0.1:1/client/v4").build();

    assertThatThrownBy(() -> dead.get("/accounts", Map.of(), Object.class))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isZero();
          assertThat(e.retryable()).isTrue();
          assertThat(e.code()).isEqualTo("connection_failed");
        });
  }

  @Test
  void builder_acceptsABaseUrlWithATrailingSlash() throws Exception {
    CloudflareClient c = client.toBuilder().baseUrl(server.url("/client/v4/").toString()).build();
    ok("{\"subdomain\":\"ada\"}");

    c.workers(ACCOUNT).subdomain();

    assertThat(take().getTarget()).isEqualTo("/client/v4/accounts/" + ACCOUNT + "/workers/subdomain");
  }

  @Test
  void segment_refusesPathTraversal() {
    assertThatThrownBy(() -> client.workers("../user")).isInstanceOf(io.agentprovision.core.InvalidRequestException.class);
    assertThatThrownBy(() -> client.accountTokens("a/b")).isInstanceOf(io.agentprovision.core.InvalidRequestException.class);
  }

  /** A caller's own result type, bound by the client's moshi. */
  public record Item(String id) {}
}
