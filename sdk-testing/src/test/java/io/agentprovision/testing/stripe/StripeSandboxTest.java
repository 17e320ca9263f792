package io.agentprovision.testing.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.wire.Json;
import io.agentprovision.stripe.StripeApi;
import io.agentprovision.stripe.StripeProjects;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.VirtualTime;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sandbox's own contract: keys, versions, parameters, idempotency, faults and human pages. */
class StripeSandboxTest {
  private static final MediaType JSON = MediaType.get("application/json");
  private final VirtualTime time = VirtualTime.create();
  private final StripeSandbox sandbox = StripeSandbox.builder().time(time).provider(InProcessProvider::cloudflare)
      .start();
  private final OkHttpClient http = new OkHttpClient();

  @AfterEach
  void stop() {
    sandbox.close();
  }

  private Response call(String method, String path, String body, String key, String version, String idempotencyKey)
      throws IOException {
    Request.Builder b = new Request.Builder().url(sandbox.baseUrl() + path)
        .header("Authorization", "Bearer " + key)
        .header("Stripe-Version", version);
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    b.method(method, "POST".equals(method) ? RequestBody.create(body, JSON) : null);
    return http.newCall(b.build()).execute();
  }

  private Map<String, Object> post(String path, String body, String key) throws IOException {
    try (Response r = call("POST", path, body, sandbox.apiKey().reveal(), StripeApi.DEFAULT_PROVISIONING_VERSION, key)) {
      Map<String, Object> out = Json.parseObject(r.body().string());
      out.put("_status", r.code());
      out.put("_replayed", r.header("Idempotent-Replayed"));
      return out;
    }
  }

  private StripeProjects projects(StripeApi api) {
    return StripeProjects.builder().api(api).build();
  }

  private FakeStepContext ctx(String key) {
    return FakeStepContext.builder().time(time).idempotencyKey(key).build();
  }

  @Test
  void requests_withAnUnknownKey_areRefusedWith401() {
    StripeApi wrong = StripeApi.builder().apiKey(Secret.of("sk_test_not_the_key")).apiBase(sandbox.baseUrl())
        .maxNetworkRetries(0).build();

    assertThatThrownBy(() -> projects(wrong).eligibility())
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(401);
          assertThat(e.code()).isEqualTo("api_key_invalid");
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).doesNotContain("sk_test_not_the_key");
        });
  }

  @Test
  void previewEndpoints_withAnotherStripeVersion_areRefused() {
    StripeApi old = sandbox.api().toBuilder().provisioningVersion("2025-01-01.preview").build();

    assertThatThrownBy(() -> projects(old).eligibility())
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.code()).isEqualTo("invalid_api_version");
        });
  }

  @Test
  void posts_withUnknownOrMissingParameters_areRefusedAndNotStored() throws IOException {
    Map<String, Object> unknown = post("/v2/provisioning/projects", "{\"name\":\"a\",\"colour\":\"red\"}", "k-1");
    Map<String, Object> missing = post("/v2/provisioning/projects", "{\"catalog\":\"prod\"}", "k-2");
    Map<String, Object> fixed = post("/v2/provisioning/projects", "{\"name\":\"a\"}", "k-2");

    assertThat(unknown.get("_status")).isEqualTo(400);
    assertThat(Json.object(unknown, "error")).containsEntry("code", "parameter_unknown").containsEntry("param", "colour");
    assertThat(Json.object(missing, "error")).containsEntry("code", "parameter_missing").containsEntry("param", "name");
    // A request refused by validation is not kept under its key, so a corrected retry with the key succeeds.
    assertThat(fixed.get("_status")).isEqualTo(200);
    assertThat(fixed.get("_replayed")).isNull();
  }

  @Test
  void idempotencyKey_withOtherParametersAfterAnExecutedRequest_isRefused() throws IOException {
    post("/v2/provisioning/projects", "{\"name\":\"a\"}", "k-4");

    Map<String, Object> other = post("/v2/provisioning/projects", "{\"name\":\"b\"}", "k-4");

    assertThat(other.get("_status")).isEqualTo(400);
    assertThat(Json.object(other, "error")).containsEntry("type", "idempotency_error");
  }

  @Test
  void idempotencyKey_withTheSameParameters_replaysTheFirstAnswer() throws IOException {
    Map<String, Object> first = post("/v2/provisioning/projects", "{\"name\":\"a\",\"catalog\":\"dev\"}", "k-3");
    Map<String, Object> again = post("/v2/provisioning/projects", "{\"catalog\":\"dev\",\"name\":\"a\"}", "k-3");

    assertThat(again.get("id")).isEqualTo(first.get("id"));
    assertThat(again.get("_replayed")).isEqualTo("true");
    assertThat(first.get("_replayed")).isNull();
    Map<String, Object> listed;
    try (Response r = call("GET", "/v2/provisioning/projects", "", sandbox.apiKey().reveal(),
        StripeApi.DEFAULT_PROVISIONING_VERSION, null)) {
      listed = Json.parseObject(r.body().string());
    }
    assertThat(Json.list(listed, "data")).hasSize(1);
  }

  @Test
  void v2Posts_withAFormBody_areRefused() throws IOException {
    Request r = new Request.Builder().url(sandbox.baseUrl() + "/v2/provisioning/projects")
        .header("Authorization", "Bearer " + sandbox.apiKey().reveal())
        .header("Stripe-Version", StripeApi.DEFAULT_PROVISIONING_VERSION)
        .post(RequestBody.create("name=a", MediaType.get("application/x-www-form-urlencoded"))).build();
    try (Response res = http.newCall(r).execute()) {
      assertThat(res.code()).isEqualTo(400);
      assertThat(res.body().string()).contains("invalid_content_type");
    }
  }

  @Test
  void faults_aRateLimitIsWaitedForAsRetryAfterSaysThenRetried() {
    sandbox.inject(Fault.rateLimited(Duration.ofSeconds(2)).on("GET", "/v2/provisioning/eligibility"));
    try (HttpStack stack = HttpStack.builder().clock(time).sleeper(time).build()) {

      assertThat(projects(sandbox.api(2).toBuilder().http(stack).build()).eligibility().eligible()).isTrue();

      assertThat(sandbox.calls("GET", "/v2/provisioning/eligibility")).hasSize(2);
      assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(2));
    }
  }

  @Test
  void faults_aRateLimitWithNoRetriesLeftCarriesRetryAfter() {
    sandbox.inject(Fault.rateLimited(Duration.ofSeconds(2)).on("GET", "/v2/provisioning/eligibility"));

    assertThatThrownBy(() -> projects(sandbox.api(0)).eligibility())
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(2));
          assertThat(e.getMessage()).contains("retry after 2 s");
        });
    assertThat(sandbox.calls("GET", "/v2/provisioning/eligibility")).hasSize(1);
    assertThat(projects(sandbox.api(0)).eligibility().eligible()).isTrue();
  }

  @Test
  void faults_aResetConnectionSurfacesAsARetryableConnectionFailure() {
    // Nothing resends silently (okhttp's connection retry is off on the stack); resets beyond any retry fail the call.
    sandbox.inject(Fault.reset().times(3).on("GET", "/v2/provisioning/eligibility"));

    assertThatThrownBy(() -> projects(sandbox.api(0)).eligibility())
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isZero();
          assertThat(e.code()).isEqualTo("connection_failed");
          assertThat(e.retryable()).isTrue();
        });
    assertThat(sandbox.calls("GET", "/v2/provisioning/eligibility")).extracting(c -> c.status()).contains(0);
  }

  @Test
  void faults_aSlowAnswerMovesVirtualTimeOn() {
    sandbox.inject(Fault.slow(Duration.ofSeconds(45)));

    projects(sandbox.api(0)).eligibility();

    assertThat(time.instant()).isEqualTo(VirtualTime.DEFAULT_START.plusSeconds(45));
  }

  @Test
  void faults_aStalledCreationIsRetriedByStripeJavaWithTheSameKeyAndCreatedOnce() {
    StripeProjects link = projects(sandbox.api(1));
    ProviderAccount account = link.linkAccount(new AccountLinkRequest("cloudflare", Principal.builder("u", "i")
        .email("ada@example.com", true).build(), List.of(), Map.of()), ctx("run-link"));
    sandbox.inject(Fault.stall(Duration.ofMillis(1500)).on("POST", "/v2/provisioning/resources"));
    StripeProjects impatient = projects(sandbox.api(1).toBuilder().readTimeout(Duration.ofMillis(300)).build());

    ResourceState kv = impatient.provision(new ResourceRequest("cloudflare", "kv", "cache", Map.of("title", "c"),
        account, "my-app", "production", null), ctx("run-kv"));

    assertThat(kv.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(sandbox.calls("POST", "/v2/provisioning/resources")).hasSize(2)
        .extracting(c -> c.idempotencyKey()).containsOnly("run-kv:stripe.resource.create");
    assertThat(sandbox.resources()).hasSize(1);
  }

  @Test
  void faults_aServerErrorWithShouldRetryFalseIsNotRetried() {
    sandbox.inject(Fault.status(500).shouldRetry(false).on("GET", "/v2/provisioning/eligibility"));

    assertThatThrownBy(() -> projects(sandbox.api(2)).eligibility())
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.status()).isEqualTo(500));
    assertThat(sandbox.calls("GET", "/v2/provisioning/eligibility")).hasSize(1);
  }

  @Test
  void humanPages_checkoutAndConsentWorkAsBrowserVisits() throws IOException {
    Map<String, Object> request = post("/v2/provisioning/payment_method_requests",
        "{\"usage_limits\":{\"currency\":\"usd\",\"max_amount\":\"5000\",\"recurring_interval\":\"month\"}}", "k-pm");
    try (Response page = http.newCall(new Request.Builder().url(request.get("checkout_session_url").toString())
        .build()).execute()) {
      assertThat(page.code()).isEqualTo(200);
    }

    Map<String, Object> profile;
    try (Response r = call("GET", "/v2/provisioning/payment_profile", "", sandbox.apiKey().reveal(),
        StripeApi.DEFAULT_PROVISIONING_VERSION, null)) {
      profile = Json.parseObject(r.body().string());
    }
    assertThat(profile.get("card_last4")).isEqualTo("4242");
    assertThat(Json.object(profile, "usage_limits")).containsEntry("max_amount", "5000");
  }

  @Test
  void resources_whenTheProviderIsSlow_stayPendingUntilItAnswers() {
    try (StripeSandbox slow = StripeSandbox.builder().time(time).pendingReads(0)
        .provider(c -> InProcessProvider.builder().pendingPolls(3).build(c)).start()) {
      StripeProjects stripe = projects(slow.api(0));
      ProviderAccount account = stripe.linkAccount(new AccountLinkRequest("cloudflare", Principal.builder("u", "i")
          .email("ada@example.com", true).build(), List.of(), Map.of()), ctx("run-link"));

      ResourceState kv = stripe.provision(new ResourceRequest("cloudflare", "kv", "cache", Map.of("title", "c"),
          account, "my-app", "production", null), ctx("run-kv"));

      assertThat(kv.status()).isEqualTo(ResourceStatus.COMPLETE);
      assertThat(slow.calls("GET", "/v2/provisioning/resources/")).hasSize(3);
    }
  }

  @Test
  void paidServices_withoutACard_areRefusedByStripe() throws IOException {
    StripeProjects stripe = projects(sandbox.api(0));
    ProviderAccount account = stripe.linkAccount(new AccountLinkRequest("cloudflare", Principal.builder("u", "i")
        .email("ada@example.com", true).build(), List.of(), Map.of()), ctx("run-link"));
    Map<String, Object> project = post("/v2/provisioning/projects", "{\"name\":\"p\"}", "k-p");

    Map<String, Object> created = post("/v2/provisioning/resources", "{\"provider\":\"cloudflare\","
        + "\"service_ref\":\"workers:paid\",\"configuration\":{},\"project\":\"" + project.get("id") + "\"}", "k-r");

    assertThat(account.linkAction()).isEqualTo(ProviderAccount.LinkAction.CREATED);
    assertThat(created.get("_status")).isEqualTo(400);
    assertThat(Json.object(created, "error")).containsEntry("code", "payment_method_required");
    assertThat(sandbox.tokens()).isEmpty();
    assertThat(sandbox.charge("spt_unknown", Money.usd("1.00"), "x", null).declineCode()).isEqualTo("token_not_found");
  }
}
