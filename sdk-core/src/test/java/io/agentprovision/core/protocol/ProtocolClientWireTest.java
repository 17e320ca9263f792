package io.agentprovision.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.DeepLink;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.spi.ProvisioningProvider;
import io.agentprovision.core.wire.Json;
import io.agentprovision.core.ManualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What {@link ProtocolClient} puts on the wire and how it reads the answers, against a scripted server. */
class ProtocolClientWireTest {
  private static final Secret SHARED = Secret.of("whsec_wire_test");

  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private MockWebServer server;
  private ProtocolClient client;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    QueueDispatcher dispatcher = new QueueDispatcher();
    dispatcher.setFailFast(true);
    server.setDispatcher(dispatcher);
    server.start();
    client = clientBuilder().build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private ProtocolClient.Builder clientBuilder() {
    return ProtocolClient.builder().provider("cloudflare").baseUrl(server.url("/").toString()).sharedSecret(SHARED)
        .clock(time).sleeper(time);
  }

  private void enqueue(int code, String body) {
    server.enqueue(new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json")
        .setHeader("Request-Id", "req_123").body(body).build());
  }

  private static Map<String, Object> json(RecordedRequest r) {
    return Json.parseObject(r.getBody().utf8());
  }

  private void assertSigned(RecordedRequest r) {
    byte[] body = r.getBody() == null ? new byte[0] : r.getBody().toByteArray();
    assertThat(r.getHeaders().get("API-Version")).isEqualTo("0.1d");
    String header = r.getHeaders().get("Stripe-Signature");
    assertThat(header).startsWith("t=" + time.instant().getEpochSecond() + ",v1=");
    assertThat(ProtocolSignature.of(SHARED).verify(header, body, time.instant()))
        .isEqualTo(ProtocolSignature.Check.VALID);
  }

  @Test
  void health_whenCalled_sendsSignedGetWithApiVersion() throws Exception {
    enqueue(200, "{\"status\":\"ok\",\"supported_versions\":[\"0.1d\"],\"region\":\"eu\"}");

    assertThat(client.health().supports("0.1d")).isTrue();

    RecordedRequest r = server.takeRequest();
    assertThat(r.getMethod()).isEqualTo("GET");
    assertThat(r.getUrl().encodedPath()).isEqualTo("/provisioning/health");
    assertThat(r.getHeaders().get("Authorization")).isNull();
    assertSigned(r);
  }

  @Test
  void apiVersion_whenConfigured_isSentAndChecked() throws Exception {
    ProtocolClient v2 = clientBuilder().apiVersion("0.2a").build();
    enqueue(200, "{\"status\":\"ok\",\"supported_versions\":[\"0.1d\"]}");

    assertThatThrownBy(v2::checkVersion).isInstanceOf(ProviderException.class)
        .satisfies(e -> assertThat(((ProviderException) e).code()).isEqualTo("unsupported_api_version"))
        .hasMessageContaining("0.2a");
    assertThat(server.takeRequest().getHeaders().get("API-Version")).isEqualTo("0.2a");
  }

  @Test
  void services_whenPaged_followsNextCursorAndToleratesUnknownFields() throws Exception {
    enqueue(200, "{\"data\":[{\"id\":\"workers:paid\",\"kind\":\"plan\",\"scope\":\"project\",\"future_field\":1,"
        + "\"pricing\":{\"type\":\"paid\",\"paid\":{\"amount\":500,\"currency\":\"usd\",\"interval\":\"month\"}},"
        + "\"allowed_updates\":[{\"service\":\"workers:free\",\"direction\":\"downgrade\"}]}],\"next_cursor\":\"c2\"}");
    enqueue(200, "{\"data\":[{\"id\":\"quantum\",\"kind\":\"teleporter\",\"pricing\":{\"type\":\"barter\"}},"
        + "{\"id\":\"registrar:domain\",\"kind\":\"deployable\",\"pricing\":{\"type\":\"component\","
        + "\"component\":{\"interval\":\"one_time\"}}}],\"next_cursor\":null}");

    List<ServiceOffering> all = client.allServices();

    assertThat(all).extracting(ServiceOffering::id).containsExactly("workers:paid", "quantum", "registrar:domain");
    ServiceOffering paid = all.get(0);
    assertThat(paid.pricing().type()).isEqualTo(Pricing.Type.PAID);
    assertThat(paid.pricing().amount()).isEqualTo(Money.usd("5.00"));
    assertThat(paid.pricing().interval()).isEqualTo(Pricing.Interval.MONTHLY);
    assertThat(paid.allowedUpdates()).containsExactly("workers:free");
    assertThat(all.get(1).kind()).isEqualTo("teleporter");
    assertThat(all.get(1).pricing().type()).isEqualTo(Pricing.Type.UNKNOWN);
    assertThat(all.get(2).pricing().type()).isEqualTo(Pricing.Type.COMPONENT);
    assertThat(all.get(2).pricing().interval()).isEqualTo(Pricing.Interval.ONE_TIME);
    assertThat(server.takeRequest().getUrl().queryParameter("cursor")).isNull();
    assertThat(server.takeRequest().getUrl().queryParameter("cursor")).isEqualTo("c2");
  }

  @Test
  void allServices_whenCursorRepeats_stopsWithError() {
    enqueue(200, "{\"data\":[],\"next_cursor\":\"same\"}");
    enqueue(200, "{\"data\":[],\"next_cursor\":\"same\"}");

    assertThatThrownBy(client::allServices).isInstanceOf(ProviderException.class).hasMessageContaining("cursor");
  }

  private AccountRequest accountRequest(String challenge) {
    return new AccountRequest("acctreq_1", "ada@example.com", "Ada", "GB", null, Set.of("email"), List.of("workers"),
        List.of("browser"), Map.of("plan_hint", "paid"), Secret.of("conf-secret-1"), time.instant().plusSeconds(900),
        Map.of("type", "direct", "direct", Map.of("name", "acme")), challenge);
  }

  @Test
  void requestAccount_whenSent_carriesEveryFieldSigned() throws Exception {
    enqueue(200, "{\"type\":\"requires_auth\",\"requires_auth\":{\"type\":\"redirect\",\"redirect\":{\"url\":"
        + "\"https://dash.example.com/consent/1\"}}}");

    client.requestAccount(accountRequest("chal-123"));

    RecordedRequest r = server.takeRequest();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(r.getUrl().encodedPath()).isEqualTo("/provisioning/account_requests");
    assertThat(r.getHeaders().get("Content-Type")).startsWith("application/json");
    assertSigned(r);
    Map<String, Object> body = json(r);
    assertThat(body).containsEntry("id", "acctreq_1").containsEntry("email", "ada@example.com")
        .containsEntry("name", "Ada").containsEntry("country", "GB").containsEntry("confirmation_secret", "conf-secret-1")
        .containsEntry("expires_at", time.instant().plusSeconds(900).getEpochSecond())
        .containsEntry("code_challenge", "chal-123").containsEntry("code_challenge_method", "S256")
        .containsEntry("scopes", List.of("workers")).containsEntry("client_capabilities", List.of("browser"))
        .containsEntry("kyc", Map.of("verified_fields", List.of("email")))
        .containsEntry("orchestrator", Map.of("type", "direct", "direct", Map.of("name", "acme")))
        .doesNotContainKey("phone");
  }

  @Test
  void requestAccount_whenCredentials_returnsTokensExpiringFromNow() {
    enqueue(200, "{\"type\":\"credentials\",\"credentials\":{\"type\":\"bearer\",\"bearer\":{\"access_token\":\"at_1\","
        + "\"refresh_token\":\"rt_1\",\"expires_in\":3600,\"account\":{\"id\":\"acct_9\","
        + "\"payment_credentials\":\"orchestrator\",\"new\":true}}},\"extra\":{}}");

    AccountResponse answer = client.requestAccount(accountRequest(null));

    assertThat(answer).isInstanceOf(AccountResponse.Credentials.class);
    ProviderTokens t = ((AccountResponse.Credentials) answer).tokens();
    assertThat(t.accessToken().reveal()).isEqualTo("at_1");
    assertThat(t.refreshToken().reveal()).isEqualTo("rt_1");
    assertThat(t.expiresAt()).isEqualTo(time.instant().plusSeconds(3600));
    assertThat(t.accountId()).isEqualTo("acct_9");
    assertThat(t.paymentCredentials()).isEqualTo("orchestrator");
    assertThat(t.toString()).doesNotContain("at_1").doesNotContain("rt_1");
  }

  @Test
  void requestAccount_whenOauth_returnsCode() {
    enqueue(200, "{\"type\":\"oauth\",\"oauth\":{\"code\":\"code_77\"}}");

    AccountResponse answer = client.requestAccount(accountRequest(null));

    assertThat(((AccountResponse.OAuthCode) answer).code().reveal()).isEqualTo("code_77");
  }

  @Test
  void requestAccount_whenRequiresAuth_returnsRedirect() {
    enqueue(200, "{\"type\":\"requires_auth\",\"requires_auth\":{\"type\":\"redirect\",\"redirect\":{\"url\":"
        + "\"https://dash.example.com/consent/1\"}}}");

    AccountResponse answer = client.requestAccount(accountRequest(null));

    assertThat(((AccountResponse.RequiresAuth) answer).redirectUrl()).hasToString("https://dash.example.com/consent/1");
  }

  @Test
  void requestAccount_whenError_returnsCodeAndMessage() {
    enqueue(200, "{\"type\":\"error\",\"error\":{\"code\":\"expired\",\"message\":\"the request expired\"}}");

    AccountResponse answer = client.requestAccount(accountRequest(null));

    assertThat(answer).isEqualTo(new AccountResponse.Error("expired", "the request expired"));
  }

  @Test
  void requestAccount_whenUnknownType_returnsUnsupportedError() {
    enqueue(200, "{\"type\":\"carrier_pigeon\",\"carrier_pigeon\":{}}");

    AccountResponse answer = client.requestAccount(accountRequest(null));

    assertThat(((AccountResponse.Error) answer).code()).isEqualTo("unsupported_response_type");
  }

  @Test
  void exchangeCode_whenVerifierGiven_postsSignedFormWithVerifier() throws Exception {
    enqueue(200, "{\"token_type\":\"bearer\",\"access_token\":\"at_2\",\"refresh_token\":\"rt_2\",\"expires_in\":60,"
        + "\"account\":{\"id\":\"acct_9\"}}");

    ProviderTokens t = client.exchangeCode(Secret.of("code_1"), Secret.of("verifier-xyz"));

    assertThat(t.accountId()).isEqualTo("acct_9");
    RecordedRequest r = server.takeRequest();
    assertThat(r.getUrl().encodedPath()).isEqualTo("/oauth/token");
    assertThat(r.getHeaders().get("Content-Type")).startsWith("application/x-www-form-urlencoded");
    assertThat(r.getBody().utf8()).isEqualTo("grant_type=authorization_code&code=code_1&code_verifier=verifier-xyz");
    assertSigned(r);
  }

  @Test
  void refresh_whenCalled_postsRefreshGrant() throws Exception {
    enqueue(200, "{\"access_token\":\"at_3\",\"expires_in\":60,\"account\":{\"id\":\"acct_9\"}}");

    ProviderTokens t = client.refresh(Secret.of("rt_2"));

    assertThat(t.refreshToken()).isNull();
    assertThat(server.takeRequest().getBody().utf8()).isEqualTo("grant_type=refresh_token&refresh_token=rt_2");
  }

  @Test
  void exchangeCode_whenInvalidGrant_throwsOauthErrorNotRetryable() {
    enqueue(400, "{\"error\":\"invalid_grant\",\"error_description\":\"PKCE verification failed\"}");

    assertThatThrownBy(() -> client.exchangeCode(Secret.of("c"), Secret.of("v")))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("invalid_grant");
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.requestId()).isEqualTo("req_123");
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).contains("PKCE verification failed");
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void createResource_whenPaid_sendsBearerIdempotencyKeyAndPaymentCredentials() throws Exception {
    enqueue(200, "{\"id\":\"res_1\",\"status\":\"pending\"}");

    ProviderResource r = client.createResource(Secret.of("at_1"), new ProviderResourceRequest("workers:paid", Map.of(),
        Secret.of("spt_abc123"), "proj_1", "my-plan", "production"), "idem-1:create");

    assertThat(r.status()).isEqualTo(ResourceStatus.PENDING);
    RecordedRequest req = server.takeRequest();
    assertThat(req.getUrl().encodedPath()).isEqualTo("/provisioning/resources");
    assertThat(req.getHeaders().get("Authorization")).isEqualTo("Bearer at_1");
    assertThat(req.getHeaders().get("Idempotency-Key")).isEqualTo("idem-1:create");
    assertSigned(req);
    assertThat(json(req)).containsEntry("service_id", "workers:paid").containsEntry("project_id", "proj_1")
        .containsEntry("orchestrator_resource_id", "my-plan").containsEntry("environment", "production")
        .containsEntry("payment_credentials", Map.of("type", "stripe_payment_token", "stripe_payment_token", "spt_abc123"));
  }

  @Test
  void createResource_whenFree_sendsNoPaymentCredentials() throws Exception {
    enqueue(200, "{\"id\":\"res_1\",\"status\":\"complete\",\"complete\":{\"access_configuration\":{\"TOKEN\":\"v\"}}}");

    ProviderResource r = client.createResource(Secret.of("at_1"), new ProviderResourceRequest("kv", Map.of("title", "x"),
        null, "proj_1", "kv-1", "production"), "k");

    assertThat(r.accessConfiguration().get("TOKEN").reveal()).isEqualTo("v");
    assertThat(json(server.takeRequest())).doesNotContainKey("payment_credentials");
  }

  @Test
  void createResource_whenServerUnavailable_retriesWithSameKeyAndFreshSignature() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "2").body("{}").build());
    enqueue(200, "{\"id\":\"res_1\",\"status\":\"pending\"}");
    List<String> retries = new ArrayList<>();
    ProvisioningProvider observed = client.withRetryObserver((attempt, delay, reason) -> retries.add(attempt + ":" + reason));
    Instant start = time.instant();

    observed.createResource(Secret.of("at"), new ProviderResourceRequest("kv", Map.of(), null, "p", "kv-1", "production"),
        "idem-9");

    RecordedRequest first = server.takeRequest();
    RecordedRequest second = server.takeRequest();
    assertThat(second.getHeaders().get("Idempotency-Key")).isEqualTo(first.getHeaders().get("Idempotency-Key"));
    assertThat(first.getHeaders().get("Stripe-Signature")).startsWith("t=" + start.getEpochSecond() + ",");
    assertThat(second.getHeaders().get("Stripe-Signature")).startsWith("t=" + start.plusSeconds(2).getEpochSecond() + ",");
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(2));
    assertThat(retries).containsExactly("2:HTTP 503");
  }

  @Test
  void requestAccount_whenServerUnavailable_isNotRetriedWithoutIdempotencyKey() {
    enqueue(503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"try later\"}}");

    assertThatThrownBy(() -> client.requestAccount(accountRequest(null)))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.retryable()).isTrue();
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void error_whenMessageEchoesCredentials_scrubsThem() {
    enqueue(401, "{\"error\":{\"code\":\"invalid_token\",\"message\":\"token Bearer at_SECRETSECRET rejected; "
        + "key sk_live_0123456789abcdefghijklmnop\"}}");

    assertThatThrownBy(() -> client.getResource(Secret.of("at_SECRETSECRET"), "res_1"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("invalid_token");
          assertThat(e.getMessage()).doesNotContain("at_SECRETSECRET").doesNotContain("sk_live_0123456789")
              .contains("[redacted]");
        });
  }

  @Test
  void getResource_whenStatesVary_readsEachAndToleratesUnknown() {
    enqueue(200, "{\"id\":\"res_1\",\"status\":\"needs_information\",\"needs_information\":{\"schema\":{\"type\":\"object\","
        + "\"properties\":{\"domain\":{\"oneOf\":[{\"const\":\"a.com\",\"x-price\":{\"amount\":1044,\"currency\":\"USD\"}}]}}}}}");
    enqueue(200, "{\"id\":\"res_1\",\"status\":\"error\",\"error\":{\"code\":\"quota\",\"message\":\"too many\"}}");
    enqueue(200, "{\"id\":\"res_1\",\"status\":\"hibernating\"}");
    enqueue(200, "{\"status\":\"complete\",\"access_configuration\":{\"CLOUDFLARE_API_TOKEN\":\"t\"},\"domain\":\"a.com\"}");

    ProviderResource ni = client.getResource(Secret.of("at"), "res_1");
    ProviderResource err = client.getResource(Secret.of("at"), "res_1");
    ProviderResource unknown = client.getResource(Secret.of("at"), "res_1");
    ProviderResource flat = client.getResource(Secret.of("at"), "res_1");

    assertThat(ni.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(ni.needsInformationSchema()).containsKey("properties");
    assertThat(err.status()).isEqualTo(ResourceStatus.ERRORED);
    assertThat(err.errorCode()).isEqualTo("quota");
    assertThat(unknown.status()).isEqualTo(ResourceStatus.UNKNOWN);
    assertThat(flat.id()).isEqualTo("res_1");
    assertThat(flat.accessConfiguration()).containsKey("CLOUDFLARE_API_TOKEN");
    assertThat(flat.attributes()).containsEntry("domain", "a.com").doesNotContainKey("access_configuration");
  }

  @Test
  void updateService_whenAnsweringWithPayment_postsConfigurationAndToken() throws Exception {
    enqueue(200, "{\"id\":\"res_1\",\"status\":\"pending\"}");

    client.updateService(Secret.of("at"), "res_1", new ProviderResourceUpdate(null, Map.of("domain", "a.com"),
        Secret.of("spt_1")), "k-upd");

    RecordedRequest r = server.takeRequest();
    assertThat(r.getUrl().encodedPath()).isEqualTo("/provisioning/resources/res_1/update_service");
    assertThat(r.getHeaders().get("Idempotency-Key")).isEqualTo("k-upd");
    assertThat(json(r)).containsEntry("configuration", Map.of("domain", "a.com")).doesNotContainKey("service_id")
        .containsEntry("payment_credentials", Map.of("type", "stripe_payment_token", "stripe_payment_token", "spt_1"));
  }

  @Test
  void rotateAndRemove_whenCalled_postEmptyObjectsWithKeys() throws Exception {
    enqueue(200, "{\"id\":\"res_1\",\"status\":\"complete\",\"complete\":{\"access_configuration\":{\"T\":\"new\"}}}");
    enqueue(200, "{\"status\":\"removed\"}");

    client.rotateCredentials(Secret.of("at"), "res_1", "k-rot");
    ProviderResource removed = client.removeResource(Secret.of("at"), "res_1", "k-rm");

    assertThat(removed.status()).isEqualTo(ResourceStatus.REMOVED);
    assertThat(removed.id()).isEqualTo("res_1");
    RecordedRequest rot = server.takeRequest();
    assertThat(rot.getUrl().encodedPath()).isEqualTo("/provisioning/resources/res_1/rotate_credentials");
    assertThat(rot.getBody().utf8()).isEqualTo("{}");
    assertThat(server.takeRequest().getUrl().encodedPath()).isEqualTo("/provisioning/resources/res_1/remove");
  }

  @Test
  void deepLink_whenCalled_returnsUrlAndExpiry() throws Exception {
    enqueue(200, "{\"purpose\":\"dashboard\",\"url\":\"https://dash.example.com/l/1\",\"expires_at\":1800000000}");

    DeepLink link = client.deepLink(Secret.of("at"), "dashboard");

    assertThat(link.url()).hasToString("https://dash.example.com/l/1");
    assertThat(link.expiresAt()).isEqualTo(Instant.ofEpochSecond(1800000000L));
    assertThat(json(server.takeRequest())).containsEntry("purpose", "dashboard");
  }

  @Test
  void anyCall_whenProviderRejectsSignature_throwsInvalidSignature() {
    enqueue(401, "{\"error\":{\"code\":\"invalid_signature\",\"message\":\"bad signature\"}}");

    assertThatThrownBy(client::health).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e.code()).isEqualTo("invalid_signature");
      assertThat(e.provider()).isEqualTo("cloudflare");
    });
  }

  @Test
  void anyCall_whenBodyIsNotJson_throwsMalformedResponse() {
    enqueue(200, "<html>hello</html>");

    assertThatThrownBy(client::health).isInstanceOfSatisfying(ProviderException.class,
        e -> assertThat(e.code()).isEqualTo("malformed_response"));
  }

  @Test
  void builder_whenMisconfigured_refusesNamingTheField() {
    assertThatThrownBy(() -> ProtocolClient.builder().baseUrl("http://provider.example.com"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("baseUrl"));
    assertThatThrownBy(() -> ProtocolClient.builder().apiVersion("0.1d; drop"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("apiVersion"));
    assertThatThrownBy(() -> ProtocolClient.builder().provider("cloudflare").baseUrl("https://p.example.com").build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("sharedSecret"));
    assertThat(ProtocolClient.builder().provider("p").baseUrl("https://p.example.com").sharedSecret(SHARED).build()
        .toString()).doesNotContain("whsec_wire_test");
  }

  @Test
  void createResource_whenIdempotencyKeyBlank_isRefusedBeforeSending() {
    assertThatThrownBy(() -> client.createResource(Secret.of("at"),
        new ProviderResourceRequest("kv", Map.of(), null, "p", "n", "e"), " "))
        .isInstanceOf(InvalidRequestException.class);
    assertThat(server.getRequestCount()).isZero();
  }
}
