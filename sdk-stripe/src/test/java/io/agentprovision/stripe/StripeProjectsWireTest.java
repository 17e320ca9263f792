package io.agentprovision.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.identity.Pkce;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.NoDelayServerSocketFactory;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What {@link StripeProjects} puts on the wire, call by call: method, path and query, the
 * {@code Authorization}, {@code Stripe-Version}, {@code Idempotency-Key} and {@code Content-Type}
 * headers and the exact body; and how Stripe's answers and errors come back.
 */
class StripeProjectsWireTest {
  private static final String KEY = "sk_test_wire_51Abc";
  private static final String VERSION = "2026-05-01.preview";

  private final MockWebServer server = new MockWebServer();
  private final QueueDispatcher queue = new QueueDispatcher();
  private final VirtualTime time = VirtualTime.create();
  private StripeProjects stripe;

  @BeforeEach
  void start() throws IOException {
    queue.setFailFast(true);
    server.setDispatcher(queue);
    server.setServerSocketFactory(NoDelayServerSocketFactory.INSTANCE);
    server.start();
    stripe = StripeProjects.builder().api(api(0)).build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private StripeApi api(int retries) {
    return StripeApi.builder()
        .apiKey(Secret.of(KEY))
        .apiBase(server.url("/").toString())
        .provisioningVersion(VERSION)
        .maxNetworkRetries(retries)
        .build();
  }

  private void answer(int code, String json) {
    queue.enqueue(new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json")
        .setHeader("Request-Id", "req_" + code).body(json).build());
  }

  private void answer(String json) {
    answer(200, json);
  }

  private RecordedRequest next() throws InterruptedException {
    RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r).as("a request").isNotNull();
    assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer " + KEY);
    assertThat(r.getHeaders().get("Stripe-Version")).isEqualTo(VERSION);
    return r;
  }

  private void expectGet(String target) throws InterruptedException {
    RecordedRequest r = next();
    assertThat(r.getMethod()).isEqualTo("GET");
    assertThat(r.getTarget()).isEqualTo(target);
    assertThat(r.getHeaders().get("Idempotency-Key")).isNull();
    assertThat(r.getBodySize()).isZero();
  }

  private void expectPost(String target, String key, String body) throws InterruptedException {
    RecordedRequest r = next();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(r.getTarget()).isEqualTo(target);
    assertThat(r.getHeaders().get("Idempotency-Key")).isEqualTo(key);
    assertThat(r.getHeaders().get("Content-Type")).isEqualTo("application/json");
    assertThat(r.getBody().utf8()).isEqualTo(body);
  }

  private FakeStepContext ctx(String key, ScriptedApprovalGate gate) {
    return FakeStepContext.builder().time(time).idempotencyKey(key).approvals(gate).build();
  }

  private FakeStepContext ctx(String key) {
    return ctx(key, ScriptedApprovalGate.approveAll(time));
  }

  private static final String PROVIDERS = """
      {"data":[{"id":"prvdr_cf","object":"v2.provisioning.provider","name":"Cloudflare","description":"Workers",
      "categories":["compute"],"tos_url":"https://www.cloudflare.com/terms/","unknown_field":{"x":1}}],
      "next_page_url":null}""";

  private static final String SERVICES_PAGE_1 = """
      {"data":[{"id":"prvsvc_1","service_id":"workers:free","provider":"prvdr_cf","provider_name":"Cloudflare",
      "kind":"plan","scope":"project","pricing":{"type":"free"},
      "allowed_updates":[{"service":"prvsvc_2","direction":"upgrade"}],"configuration_schema":{"type":"object"}}],
      "next_page_url":"/v2/provisioning/catalog/services?page=pg_2"}""";

  private static final String SERVICES_PAGE_2 = """
      {"data":[{"id":"prvsvc_2","service_id":"workers:paid","provider":"prvdr_cf","provider_name":"Cloudflare",
      "kind":"plan","scope":"project","pricing":{"type":"paid","paid":{"type":"recurring",
      "description":"$5/month minimum + usage"}},"allowed_updates":[{"service":"prvsvc_1","direction":"downgrade"}]},
      {"id":"prvsvc_3","service_id":"kv","provider":"prvdr_cf","provider_name":"Cloudflare","kind":"deployable",
      "scope":"project","pricing":{"type":"free"},"configuration_schema":{"type":"object","required":["title"]}}],
      "next_page_url":null}""";

  private void answerCatalog() {
    answer(PROVIDERS);
    answer(SERVICES_PAGE_1);
    answer(SERVICES_PAGE_2);
  }

  private void expectCatalog() throws InterruptedException {
    expectGet("/v2/provisioning/catalog/providers?catalog=prod&limit=100");
    expectGet("/v2/provisioning/catalog/services?provider_name=Cloudflare&catalog=prod&limit=100");
    expectGet("/v2/provisioning/catalog/services?page=pg_2");
  }

  private static final String CARD_PROFILE = """
      {"object":"v2.provisioning.payment_profile","card_last4":"4242","providers":[{"provider":"prvdr_cf",
      "usage_limits":{"currency":"usd","max_amount":"10000","recurring_interval":"month"}}]}""";

  private static String resource(String id, String service, String status) {
    return "{\"id\":\"" + id + "\",\"object\":\"v2.provisioning.resource\",\"provider\":\"prvdr_cf\",\"service_ref\":\""
        + service + "\",\"name\":\"plan\",\"status\":\"" + status + "\",\"environment\":\"prod\"}";
  }

  private static ProviderAccount account() {
    return new ProviderAccount("cloudflare", "acct_1", "pconn_1", null, null, ProviderAccount.LinkAction.CREATED,
        Map.of());
  }

  @Test
  void catalog_whenServicesSpanTwoPages_followsNextPageUrlAndMapsStripeReferences() throws Exception {
    answerCatalog();

    Catalog catalog = stripe.catalog("cloudflare");

    expectCatalog();
    assertThat(catalog.provider().name()).isEqualTo("cloudflare");
    assertThat(catalog.provider().displayName()).isEqualTo("Cloudflare");
    assertThat(catalog.services()).extracting(s -> s.id()).containsExactly("workers:free", "workers:paid", "kv");
    assertThat(catalog.service("workers:free").orElseThrow().allowedUpdates()).containsExactly("workers:paid");
    Pricing paid = catalog.service("workers:paid").orElseThrow().pricing();
    assertThat(paid.kind()).isEqualTo(Pricing.Kind.MINIMUM);
    assertThat(paid.minimum()).isEqualTo(Money.usd("5.00"));
    assertThat(paid.amount()).isNull();
  }

  @Test
  void provision_whenPaid_checksTheProfileCreatesTheProjectAndTheResourceWithIntentKeys() throws Exception {
    answerCatalog();
    answer(CARD_PROFILE);
    answer("{\"data\":[],\"next_page_url\":null}");
    answer("{\"id\":\"proj_1\",\"object\":\"v2.provisioning.project\",\"name\":\"my-app\",\"catalog\":\"prod\"}");
    answer(resource("prvres_1", "prvsvc_2", "complete"));
    FakeStepContext ctx = ctx("run-1:plan");
    PaymentAuthorization pay = new PaymentAuthorization("res_1", Money.usd("5.00"), time.instant().plusSeconds(600),
        "Workers Paid");

    ResourceState state = stripe.provision(new ResourceRequest("cloudflare", "workers:paid", "plan", Map.of(),
        account(), "my-app", "production", pay), ctx);

    expectCatalog();
    expectGet("/v2/provisioning/payment_profile");
    expectGet("/v2/provisioning/projects?limit=100");
    expectPost("/v2/provisioning/projects", "agentprovision-project-" + projectHash("prod", "my-app"),
        "{\"name\":\"my-app\",\"catalog\":\"prod\"}");
    expectPost("/v2/provisioning/resources", "run-1:plan:stripe.resource.create",
        "{\"provider\":\"prvdr_cf\",\"service_ref\":\"prvsvc_2\",\"configuration\":{},\"project\":\"proj_1\","
            + "\"name\":\"plan\",\"environment\":\"prod\"}");
    assertThat(state.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(state.ref()).isEqualTo(new ResourceRef("cloudflare", "prvres_1", "workers:paid", "plan"));
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action)
        .containsExactly("stripe.project.create", "stripe.resource.create");
    assertThat(ctx.audits().get(1).details()).containsEntry("reservation", "res_1").containsEntry("max_amount",
        "USD 5.00");
  }

  @Test
  void provision_whenPending_pollsInVirtualTimeUntilSettled() throws Exception {
    answerCatalog();
    answer("{\"data\":[{\"id\":\"proj_1\",\"name\":\"my-app\",\"catalog\":\"prod\"}],\"next_page_url\":null}");
    answer(resource("prvres_2", "prvsvc_3", "pending"));
    answer(resource("prvres_2", "prvsvc_3", "pending"));
    answer(resource("prvres_2", "prvsvc_3", "pending"));
    answer(resource("prvres_2", "prvsvc_3", "complete"));
    FakeStepContext ctx = ctx("run-1:kv");

    ResourceState state = stripe.provision(new ResourceRequest("cloudflare", "kv", "cache", Map.of("title", "cache"),
        account(), "my-app", "development", null), ctx);

    expectCatalog();
    expectGet("/v2/provisioning/projects?limit=100");
    expectPost("/v2/provisioning/resources", "run-1:kv:stripe.resource.create",
        "{\"provider\":\"prvdr_cf\",\"service_ref\":\"prvsvc_3\",\"configuration\":{\"title\":\"cache\"},"
            + "\"project\":\"proj_1\",\"name\":\"cache\",\"environment\":\"dev\"}");
    expectGet("/v2/provisioning/resources/prvres_2");
    expectGet("/v2/provisioning/resources/prvres_2");
    expectGet("/v2/provisioning/resources/prvres_2");
    assertThat(state.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(state.ref().serviceId()).isEqualTo("kv");
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    assertThat(ctx.progress()).hasSize(2);
  }

  @Test
  void provision_whenStripeReplaysACompletedCreation_readsTheResourceBeforeTrustingIt() throws Exception {
    answerCatalog();
    answer("{\"data\":[{\"id\":\"proj_1\",\"name\":\"my-app\",\"catalog\":\"prod\"}],\"next_page_url\":null}");
    queue.enqueue(new MockResponse.Builder().code(200).setHeader("Idempotent-Replayed", "true")
        .body(resource("prvres_3", "prvsvc_3", "complete")).build());
    answer(resource("prvres_3", "prvsvc_3", "removed"));

    ResourceState state = stripe.provision(new ResourceRequest("cloudflare", "kv", "cache", Map.of(), account(),
        "my-app", "production", null), ctx("run-2:kv"));

    expectCatalog();
    expectGet("/v2/provisioning/projects?limit=100");
    next();
    expectGet("/v2/provisioning/resources/prvres_3");
    assertThat(state.status()).isEqualTo(ResourceStatus.REMOVED);
  }

  @Test
  void linkAccount_whenTheProviderCreatesTheAccount_sendsPkceChallengeAndMapsTheConnection() throws Exception {
    answer(PROVIDERS);
    answer("{\"data\":[],\"next_page_url\":null}");
    answer("{\"object\":\"v2.provisioning.eligibility\",\"is_eligible\":true,\"requirements\":[]}");
    answer("""
        {"id":"pcr_1","request_status":"complete","provider":"prvdr_cf","provider_connection":{"id":"pconn_9",
        "provider":"prvdr_cf","status":"active","provider_account_details":{"id":"acct_42","display_name":"Ada's",
        "primary_email":"ada@example.com","link_action":"created","active_services":[{"service_id":"workers:free",
        "status":"active"}]}}}""");
    Principal ada = Principal.builder("u1", "https://id.test").email("ada@example.com", true).build();

    ProviderAccount account = stripe.linkAccount(new AccountLinkRequest("cloudflare", ada, List.of(),
        Map.of("country", "GB")), ctx("run-1:link"));

    expectGet("/v2/provisioning/catalog/providers?catalog=prod&limit=100");
    expectGet("/v2/provisioning/provider_connections?limit=100");
    expectGet("/v2/provisioning/eligibility");
    String challenge = Pkce.challenge(Pkce.derivedVerifier(Secret.of(KEY), "run-1:link:stripe.connection_request"));
    expectPost("/v2/provisioning/provider_connection_requests", "run-1:link:stripe.connection_request",
        "{\"provider\":\"prvdr_cf\",\"configuration\":{\"country\":\"GB\"},\"code_challenge\":\"" + challenge
            + "\",\"code_challenge_method\":\"S256\"}");
    assertThat(challenge).hasSize(43);
    assertThat(account).isEqualTo(new ProviderAccount("cloudflare", "acct_42", "pconn_9", "Ada's", "ada@example.com",
        ProviderAccount.LinkAction.CREATED, Map.of("connection_status", "active", "active_services", "workers:free")));
  }

  @Test
  void linkAccount_whenConsentIsDenied_makesNoCallAfterTheCheckpoint() throws Exception {
    answer(PROVIDERS);
    answer("{\"data\":[],\"next_page_url\":null}");
    answer("{\"is_eligible\":true,\"requirements\":[]}");
    answer("{\"id\":\"pcr_2\",\"request_status\":\"pending_auth\",\"redirect_url\":\"https://connect.stripe.test/pcr_2\"}");
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).deny(CheckpointKind.ACCOUNT_CONSENT, "no");
    Principal ada = Principal.builder("u1", "https://id.test").email("ada@example.com", true).build();

    assertThatThrownBy(() -> stripe.linkAccount(new AccountLinkRequest("cloudflare", ada, List.of(), Map.of()),
        ctx("run-1:link", gate))).isInstanceOf(ApprovalDeniedException.class);

    assertThat(server.getRequestCount()).isEqualTo(4);
    assertThat(gate.requests(CheckpointKind.ACCOUNT_CONSENT).get(0).url().toString())
        .isEqualTo("https://connect.stripe.test/pcr_2");
  }

  @Test
  void resourceCalls_sendTheirPathsBodiesAndStepDerivedKeys() throws Exception {
    ResourceRef ref = new ResourceRef("cloudflare", "prvres_7", "workers:free", "plan");
    FakeStepContext ctx = ctx("run-3:step");
    answer(resource("prvres_7", "prvsvc_1", "complete"));
    answer("""
        {"object":"v2.provisioning.resource_access_configuration","resource":"prvres_7",
        "configuration":{"CLOUDFLARE_API_TOKEN":"cf-secret-1","CLOUDFLARE_ACCOUNT_ID":"acc"},
        "created":"2026-11-02T09:00:00Z","expires_at":"2026-12-02T09:00:00Z"}""");
    answer(resource("prvres_7", "prvsvc_1", "complete"));
    answer("""
        {"resource":"prvres_7","configuration":{"CLOUDFLARE_API_TOKEN":"cf-secret-2","CLOUDFLARE_ACCOUNT_ID":"acc"},
        "created":"2026-11-02T09:05:00Z"}""");
    answer(resource("prvres_7", "prvsvc_1", "complete"));
    answer(resource("prvres_7", "prvsvc_1", "removed"));
    answer(resource("prvres_7", "prvsvc_1", "complete"));

    ResourceState info = stripe.submitInformation(ref, Map.of("domain", "my-app.com"), null, ctx);
    AccessConfiguration creds = stripe.revealCredentials(ref, ctx);
    AccessConfiguration rotated = stripe.rotateCredentials(ref, ctx);
    stripe.remove(ref, ctx);
    stripe.unlink(ref, ctx);

    // one key per answer (a digest of it), so a second round of questions is a request of its own
    expectPost("/v2/provisioning/resources/prvres_7/submit_information", "run-3:step:stripe.resource.submit_information."
        + io.agentprovision.core.wire.Digests.sha256Hex("{\"domain\":\"my-app.com\"}").substring(0, 16),
        "{\"submitted_information\":{\"domain\":\"my-app.com\"}}");
    expectPost("/v2/provisioning/resources/prvres_7/reveal_access_configuration", "run-3:step:stripe.resource.reveal",
        "{}");
    expectPost("/v2/provisioning/resources/prvres_7/rotate_credentials", "run-3:step:stripe.resource.rotate", "{}");
    expectPost("/v2/provisioning/resources/prvres_7/reveal_access_configuration",
        "run-3:step:stripe.resource.reveal_after_rotate", "{}");
    expectGet("/v2/provisioning/resources/prvres_7");
    expectPost("/v2/provisioning/resources/prvres_7/remove", "run-3:step:stripe.resource.remove", "{}");
    expectPost("/v2/provisioning/resources/prvres_7/unlink", "run-3:step:stripe.resource.unlink", "{}");
    assertThat(info.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(creds.value("CLOUDFLARE_API_TOKEN").reveal()).isEqualTo("cf-secret-1");
    assertThat(creds.expiresAt()).isEqualTo(Instant.parse("2026-12-02T09:00:00Z"));
    assertThat(rotated.value("CLOUDFLARE_API_TOKEN").reveal()).isEqualTo("cf-secret-2");
    assertThat(rotated.generation()).isGreaterThan(creds.generation());
    assertThat(ctx.audits().toString()).doesNotContain("cf-secret");
  }

  @Test
  void update_whenChangingThePlan_postsTheNewServiceRefAfterTheProfileCheck() throws Exception {
    answerCatalog();
    answer(CARD_PROFILE);
    answer(resource("prvres_8", "prvsvc_2", "complete"));
    answer("{\"id\":\"pconn_1\",\"status\":\"expired\"}");
    FakeStepContext ctx = ctx("run-8:upgrade");
    PaymentAuthorization pay = new PaymentAuthorization("res_8", Money.usd("5.00"), time.instant().plusSeconds(600),
        "upgrade");

    ResourceState state = stripe.update(new ResourceRef("cloudflare", "prvres_8", "workers:free", "plan"),
        "workers:paid", Map.of("usage_model", "standard"), pay, ctx);
    stripe.unlinkConnection("pconn_1", ctx);

    expectCatalog();
    expectGet("/v2/provisioning/payment_profile");
    expectPost("/v2/provisioning/resources/prvres_8", "run-8:upgrade:stripe.resource.update",
        "{\"service_ref\":\"prvsvc_2\",\"configuration\":{\"usage_model\":\"standard\"}}");
    expectPost("/v2/provisioning/provider_connections/pconn_1/unlink", "run-8:upgrade:stripe.connection.unlink", "{}");
    assertThat(state.ref().serviceId()).isEqualTo("workers:paid");
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action)
        .containsExactly("stripe.resource.update", "stripe.connection.unlink");
  }

  @Test
  void updateProviderLimit_whenRaising_checkpointsThenPostsTheNewLimitAsAString() throws Exception {
    answer(CARD_PROFILE);
    answer(PROVIDERS);
    answer(CARD_PROFILE.replace("10000", "20000"));
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time);

    SpendLimit now = stripe.updateProviderLimit("Cloudflare", SpendLimit.monthly(Money.usd("200.00")),
        ctx("run-4:limit", gate)).orElseThrow();

    expectGet("/v2/provisioning/payment_profile");
    expectGet("/v2/provisioning/catalog/providers?catalog=prod&limit=100");
    expectPost("/v2/provisioning/payment_profile/update_limit", "run-4:limit:stripe.limit.Cloudflare.20000usd.month",
        "{\"provider\":\"prvdr_cf\",\"usage_limits\":{\"currency\":\"usd\",\"max_amount\":\"20000\","
            + "\"recurring_interval\":\"month\"}}");
    assertThat(gate.requests(CheckpointKind.RAISE_LIMIT)).hasSize(1);
    assertThat(now.amount()).isEqualTo(Money.usd("200.00"));
  }

  @Test
  void ensurePaymentMethod_whenNoCard_handsTheCheckoutUrlToTheHumanAndWaitsForTheCard() throws Exception {
    answer("{\"card_last4\":null,\"providers\":[]}");
    answer("{\"checkout_session_url\":\"https://checkout.stripe.test/c/pay_1\",\"status\":\"checkout_initiated\"}");
    answer("{\"card_last4\":null,\"providers\":[]}");
    answer(CARD_PROFILE);
    answer(PROVIDERS);
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time);

    PaymentMethodStatus status = stripe.ensurePaymentMethod("cloudflare", Money.usd("100.00"),
        ctx("run-5:pm", gate));

    expectGet("/v2/provisioning/payment_profile");
    expectPost("/v2/provisioning/payment_method_requests", "run-5:pm:stripe.payment_method_request",
        "{\"usage_limits\":{\"currency\":\"usd\",\"max_amount\":\"10000\",\"recurring_interval\":\"month\"}}");
    expectGet("/v2/provisioning/payment_profile");
    expectGet("/v2/provisioning/payment_profile");
    expectGet("/v2/provisioning/catalog/providers?catalog=prod&limit=100"); // names the profile's prvdr_ ids
    assertThat(gate.requests(CheckpointKind.PAYMENT_METHOD).get(0).url().toString())
        .isEqualTo("https://checkout.stripe.test/c/pay_1");
    assertThat(status).isEqualTo(new PaymentMethodStatus(true, "card •••• 4242"));
  }

  @ParameterizedTest(name = "HTTP {0} -> {1}, retryable={2}")
  @CsvSource({
      "400, parameter_missing, false",
      "401, api_key_invalid, false",
      "402, card_declined, false",
      "403, permission_denied, false",
      "404, resource_missing, false",
      "409, lock_timeout, true",
      "429, rate_limit, true",
      "500, api_error, true",
      "503, service_unavailable, true"})
  void errors_whenStripeRefuses_mapToProviderExceptionWithStatusCodeAndRequestId(int status, String code,
      boolean retryable) {
    answer(status, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"" + code
        + "\",\"message\":\"Refused for key sk_live_abcdefghijkl1234\"}}");

    assertThatThrownBy(() -> stripe.eligibility())
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.provider()).isEqualTo("stripe");
          assertThat(e.status()).isEqualTo(status);
          assertThat(e.code()).isEqualTo(code);
          assertThat(e.requestId()).isEqualTo("req_" + status);
          assertThat(e.retryable()).isEqualTo(retryable);
          assertThat(e.getMessage()).contains("read Stripe provisioning eligibility failed").contains("[redacted]")
              .doesNotContain("sk_live_abcdefghijkl1234");
        });
  }

  @Test
  void errors_whenTheSameKeyCarriesOtherParameters_areNotRetryable() {
    answer(400, "{\"error\":{\"type\":\"idempotency_error\",\"message\":\"Keys for idempotent requests can only be"
        + " used with the same parameters\"}}");

    assertThatThrownBy(() -> stripe.unlink(new ResourceRef("cloudflare", "prvres_1", "kv", "c"), ctx("run-6")))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("idempotency_error");
          assertThat(e.retryable()).isFalse();
        });
  }

  @Test
  void errors_whenAProxyAnswersHtml_keepTheStatusAndNeverEchoTheBody() {
    queue.enqueue(new MockResponse.Builder().code(502).setHeader("Content-Type", "text/html")
        .body("<html>Bad gateway at internal-host-7 token=sk_live_zzzzzzzzzzzz</html>").build());

    assertThatThrownBy(() -> stripe.eligibility())
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(502);
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage()).contains("without a JSON error body").doesNotContain("internal-host-7");
        });
  }

  @Test
  void errors_whenTheErrorBodyIsEmpty_stillMapTheStatus() {
    queue.enqueue(new MockResponse.Builder().code(503).build());

    assertThatThrownBy(() -> stripe.eligibility())
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.retryable()).isTrue();
        });
  }

  @Test
  void errors_whenRateLimitedWithNoRetriesLeft_reportRetryAfter() {
    queue.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", "3")
        .body("{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"rate_limit\",\"message\":\"slow down\"}}")
        .build());

    assertThatThrownBy(stripe::eligibility)
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.retryable()).isTrue();
          assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(3));
          assertThat(e.getMessage()).contains("retry after 3 s");
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void errors_whenStripeCannotBeReached_areRetryableWithStatusZero() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    StripeProjects unreachable = StripeProjects.builder().api(StripeApi.builder().apiKey(Secret.of(KEY))
        .apiBase("http://127.0.0.1:" + closedPort).maxNetworkRetries(0).build()).build();

    assertThatThrownBy(unreachable::eligibility)
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isZero();
          assertThat(e.code()).isEqualTo("connection_failed");
          assertThat(e.retryable()).isTrue();
        });
  }

  @Test
  void retry_whenTheStackRetriesA503_reusesTheIdempotencyKeyAndReportsTheRetry() throws Exception {
    StripeProjects retrying = StripeProjects.builder().api(api(1)).build();
    answer(503, "{\"error\":{\"type\":\"api_error\",\"message\":\"try again\"}}");
    answer(resource("prvres_1", "prvsvc_3", "complete"));
    FakeStepContext ctx = ctx("run-7:unlink");

    retrying.unlink(new ResourceRef("cloudflare", "prvres_1", "kv", "c"), ctx);

    RecordedRequest first = next();
    RecordedRequest second = next();
    assertThat(first.getHeaders().get("Idempotency-Key")).isEqualTo("run-7:unlink:stripe.resource.unlink");
    assertThat(second.getHeaders().get("Idempotency-Key")).isEqualTo(first.getHeaders().get("Idempotency-Key"));
    assertThat(second.getBody().utf8()).isEqualTo(first.getBody().utf8());
    assertThat(ctx.retries()).singleElement().satisfies(r -> {
      assertThat(r.attempt()).isEqualTo(2);
      assertThat(r.reason()).isEqualTo("HTTP 503");
    });
  }

  private static String projectHash(String catalog, String name) {
    String key = io.agentprovision.stripe.internal.ProjectDirectory.idempotencyKey(catalog, name);
    return key.substring("agentprovision-project-".length());
  }
}
