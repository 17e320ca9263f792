package io.agentprovision.core.protocol;

import static io.agentprovision.core.protocol.ScriptedProvider.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link DirectOrchestrator} against a provider that is not the SDK's sandbox: short-lived tokens,
 * needs-information without an id, in rounds, and by a new request only; errors that name no
 * resource; a second removal answered in each way providers answer it.
 */
class DirectOrchestratorWireTest {
  private static final Principal ADA = Principal.builder("user-1", "https://issuer.test")
      .email("ada@example.com", true).name("Ada").verifiedFields(Set.of("email")).build();
  private static final String CATALOG = """
      {"data":[
        {"id":"workers:free","kind":"plan","scope":"project","pricing":{"type":"free"},
         "allowed_updates":[{"service_id":"workers:paid","direction":"upgrade"}]},
        {"id":"workers:paid","kind":"plan","scope":"project",
         "pricing":{"type":"paid","paid":{"type":"freeform","freeform":"$5.00/month"}},
         "allowed_updates":[{"service_id":"workers:free","direction":"downgrade"}]},
        {"id":"kv","kind":"deployable","scope":"project","pricing":{"type":"free"},"allowed_updates":[]},
        {"id":"d1","kind":"deployable","scope":"project","pricing":{"type":"free"}},
        {"id":"registrar:domain","kind":"deployable","scope":"project","pricing":{"type":"component","component":
          {"options":[{"type":"paid","default":true,"paid":{"type":"freeform","freeform":"at cost, one-time"}}]}}}
      ],"next_cursor":null}""";

  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private final RecordingPaymentTokens payments = new RecordingPaymentTokens();
  private final ScriptedProvider provider = new ScriptedProvider();
  private MockWebServer server;
  private DirectOrchestrator orchestrator;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(provider);
    server.start();
    provider.always("GET", "/provisioning/health", 200, "{\"status\":\"ok\",\"supported_versions\":[\"0.1d\"]}")
        .always("GET", "/provisioning/services", 200, CATALOG);
    orchestrator = DirectOrchestrator.builder()
        .provider(ProtocolClient.builder().provider("cloudflare").baseUrl(server.url("/").toString())
            .sharedSecret(Secret.of("whsec_direct_wire")).clock(time).sleeper(time).build())
        .paymentTokens(payments)
        .clock(time)
        .build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private RecordingStepContext ctx(String step) {
    return new RecordingStepContext(time, step, ADA);
  }

  private ProviderAccount link(int expiresIn) {
    provider.on("POST", "/provisioning/account_requests", 200, "{\"type\":\"credentials\",\"credentials\":{\"type\":"
        + "\"bearer\",\"bearer\":{\"token_type\":\"Bearer\",\"access_token\":\"at_1\",\"refresh_token\":\"rt_1\","
        + "\"expires_in\":" + expiresIn + ",\"account\":{\"id\":\"acct_1\",\"payment_credentials\":\"orchestrator\"}}}}");
    return orchestrator.linkAccount(new AccountLinkRequest("cloudflare", ADA, List.of(), Map.of()), ctx("link"));
  }

  private static ResourceRequest request(ProviderAccount a, String service, String name, Map<String, Object> config,
      PaymentAuthorization payment) {
    return new ResourceRequest("cloudflare", service, name, config, a, "proj_1", "production", payment);
  }

  private static String bearer(RecordedRequest r) {
    return r.getHeaders().get("Authorization");
  }

  // ---------------------------------------------------------------- short-lived tokens

  @Test
  void accessToken_whenItLivesTwentySeconds_isRefreshedOnceInFiveCalls() {
    ProviderAccount account = link(20);
    provider.on("POST", "/oauth/token", 200, "{\"token_type\":\"Bearer\",\"access_token\":\"at_2\","
        + "\"refresh_token\":\"rt_2\",\"expires_in\":20,\"account\":{\"id\":\"acct_1\"}}");
    provider.on("POST", "/provisioning/resources", 200, "{\"id\":\"res_kv\",\"status\":\"complete\",\"complete\":"
        + "{\"access_configuration\":{\"T\":\"v\"}}}");
    provider.always("GET", "/provisioning/resources/res_kv", 200, "{\"id\":\"res_kv\",\"status\":\"complete\"}");
    RecordingStepContext ctx = ctx("kv");

    time.advance(Duration.ofSeconds(1));
    ResourceState kv = orchestrator.provision(request(account, "kv", "kv-1", Map.of("title", "t"), null), ctx);
    for (int at : new int[] {5, 9, 12, 16}) {
      time.set(java.time.Instant.parse("2026-11-02T09:00:00Z").plusSeconds(at));
      orchestrator.resource(kv.ref(), ctx);
    }

    List<RecordedRequest> refreshes = provider.requests("POST", "/oauth/token");
    assertThat(refreshes).hasSize(1);
    assertThat(refreshes.get(0).getBody().utf8()).isEqualTo("grant_type=refresh_token&refresh_token=rt_1");
    List<RecordedRequest> reads = provider.requests("GET", "/provisioning/resources/res_kv");
    assertThat(bearer(provider.requests("POST", "/provisioning/resources").get(0))).isEqualTo("Bearer at_1");
    assertThat(reads).extracting(DirectOrchestratorWireTest::bearer)
        .containsExactly("Bearer at_1", "Bearer at_1", "Bearer at_2", "Bearer at_2");
  }

  @Test
  void accessToken_whenTheRefreshTokenRotates_usesTheNewOneNextTime() {
    ProviderAccount account = link(20);
    provider.on("POST", "/oauth/token", 200, "{\"access_token\":\"at_2\",\"refresh_token\":\"rt_2\",\"expires_in\":20,"
        + "\"account\":{\"id\":\"acct_1\"}}");
    provider.on("POST", "/oauth/token", 200, "{\"access_token\":\"at_3\",\"expires_in\":20,\"account\":{\"id\":\"acct_1\"}}");
    provider.on("POST", "/provisioning/resources", 200, "{\"id\":\"res_kv\",\"status\":\"complete\"}");
    provider.always("GET", "/provisioning/resources/res_kv", 200, "{\"id\":\"res_kv\",\"status\":\"complete\"}");
    RecordingStepContext ctx = ctx("kv");
    ResourceState kv = orchestrator.provision(request(account, "kv", "kv-1", Map.of(), null), ctx);

    time.advance(Duration.ofSeconds(15));
    orchestrator.resource(kv.ref(), ctx);
    time.advance(Duration.ofSeconds(15));
    orchestrator.resource(kv.ref(), ctx);

    assertThat(provider.requests("POST", "/oauth/token")).extracting(r -> r.getBody().utf8())
        .containsExactly("grant_type=refresh_token&refresh_token=rt_1", "grant_type=refresh_token&refresh_token=rt_2");
  }

  // ---------------------------------------------------------------- removal

  @ParameterizedTest(name = "second remove answered {0} {1}, then GET {2}")
  @CsvSource(delimiter = '|', value = {
      "200 | {\"id\":\"res_kv\",\"status\":\"removed\"}                                                |     |",
      "404 | {\"status\":\"error\",\"error\":{\"code\":\"resource_not_found\",\"message\":\"gone\"}}     |     |",
      "409 | {\"id\":\"res_kv\",\"status\":\"error\",\"error\":{\"code\":\"invalid_state\"}}            | 200 | {\"id\":\"res_kv\",\"status\":\"removed\"}",
      "200 | {\"id\":\"res_kv\",\"status\":\"error\",\"error\":{\"code\":\"invalid_state\"}}            | 200 | {\"id\":\"res_kv\",\"status\":\"removed\"}",
      "409 | {\"id\":\"res_kv\",\"status\":\"error\",\"error\":{\"code\":\"invalid_state\"}}            | 404 | {\"error\":{\"code\":\"resource_not_found\"}}",
  })
  void remove_whenRepeated_isDoneHoweverTheProviderSaysItIsGone(int status, String body, Integer getStatus,
      String getBody) {
    ProviderAccount account = link(3600);
    provider.on("POST", "/provisioning/resources", 200, "{\"id\":\"res_kv\",\"status\":\"complete\",\"complete\":"
        + "{\"access_configuration\":{\"T\":\"v\"}}}");
    provider.on("POST", "/provisioning/resources/res_kv/remove", 200, "{\"id\":\"res_kv\",\"status\":\"removed\"}");
    provider.on("POST", "/provisioning/resources/res_kv/remove", status, body);
    if (getStatus != null) {
      provider.on("GET", "/provisioning/resources/res_kv", getStatus, getBody);
    }
    RecordingStepContext first = ctx("rm1");
    RecordingStepContext second = ctx("rm2");
    ResourceState kv = orchestrator.provision(request(account, "kv", "kv-1", Map.of(), null), first);

    orchestrator.remove(kv.ref(), first);
    orchestrator.remove(kv.ref(), second);

    assertThat(provider.requests("POST", "/provisioning/resources/res_kv/remove")).hasSize(2);
    assertThat(second.actions()).containsExactly("provider.resource.remove:removed");
  }

  @Test
  void remove_whenInvalidStateButTheResourceIsStillThere_isAnError() {
    ProviderAccount account = link(3600);
    provider.on("POST", "/provisioning/resources", 200, "{\"id\":\"res_kv\",\"status\":\"complete\"}");
    provider.on("POST", "/provisioning/resources/res_kv/remove", 409, "{\"id\":\"res_kv\",\"status\":\"error\","
        + "\"error\":{\"code\":\"invalid_state\",\"message\":\"the resource is still pending\"}}");
    provider.on("GET", "/provisioning/resources/res_kv", 200, "{\"id\":\"res_kv\",\"status\":\"complete\"}");
    RecordingStepContext ctx = ctx("rm");
    ResourceState kv = orchestrator.provision(request(account, "kv", "kv-1", Map.of(), null), ctx);

    assertThatThrownBy(() -> orchestrator.remove(kv.ref(), ctx)).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e.code()).isEqualTo("invalid_state");
      assertThat(e.getMessage()).contains("still pending");
    });
  }

  // ---------------------------------------------------------------- needs_information

  private static final String TLD_QUESTION = "{\"status\":\"needs_information\",\"needs_information\":{\"schema\":"
      + "{\"type\":\"object\",\"required\":[\"tld\"],\"properties\":{\"tld\":{\"type\":\"string\",\"enum\":[\"com\",\"dev\"]}}}}}";
  private static final String DOMAIN_QUESTION = "{\"status\":\"needs_information\",\"needs_information\":{\"schema\":"
      + "{\"type\":\"object\",\"required\":[\"domain\"],\"properties\":{\"domain\":{\"type\":\"string\",\"oneOf\":["
      + "{\"const\":\"my-app.com\",\"pricing\":{\"type\":\"paid\",\"paid\":{\"type\":\"freeform\",\"freeform\":\"$10.44/year\"}}}]}}}}}";

  @Test
  void needsInformation_withoutAnId_isAnsweredByNewRequestsCarryingEverythingChosenAndTheSamePayment() {
    ProviderAccount account = link(3600);
    provider.on("POST", "/provisioning/resources", 200, TLD_QUESTION);
    provider.on("POST", "/provisioning/resources", 200, DOMAIN_QUESTION);
    provider.on("POST", "/provisioning/resources", 200, "{\"id\":\"res_dom\",\"status\":\"complete\",\"domain\":"
        + "\"my-app.com\",\"complete\":{\"access_configuration\":{\"T\":\"v\"}}}");
    RecordingStepContext ctx = ctx("domain");
    Map<String, Object> query = Map.of("domain_query", "my-app", "years", 1);

    ResourceState tld = orchestrator.provision(request(account, "registrar:domain", "dom", query,
        ctx.authorize(Money.usd("20.00"))), ctx);
    InformationRequest asked = tld.needsInformation();
    ResourceState domain = orchestrator.submitInformation(tld.ref(), Map.of("tld", "com"), null, ctx);
    payments.capture("spt_test_2", Money.usd("10.44"));
    ResourceState done = orchestrator.submitInformation(domain.ref(), Map.of("domain", "my-app.com"),
        ctx.authorize(Money.usd("10.44")), ctx);

    assertThat(tld.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(tld.ref().id()).isEqualTo("unassigned:dom");
    assertThat(asked.resourceIdGiven()).isFalse();
    assertThat(asked.choicesFor("tld")).extracting(InformationRequest.Choice::price).containsOnlyNulls();
    assertThat(domain.needsInformation().choicesFor("domain").get(0).price()).isEqualTo(Money.usd("10.44"));
    assertThat(done.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(done.ref().id()).isEqualTo("res_dom");
    assertThat(done.charged()).isEqualTo(Money.usd("10.44"));
    assertThat(done.attributes()).containsEntry("domain", "my-app.com");

    List<RecordedRequest> creates = provider.requests("POST", "/provisioning/resources");
    assertThat(creates).hasSize(3);
    assertThat(body(creates.get(1))).containsEntry("configuration", Map.of("domain_query", "my-app", "years", 1L,
        "tld", "com")).containsEntry("payment_credentials", token("spt_test_1"))
        .containsEntry("orchestrator_resource_id", "dom");
    assertThat(body(creates.get(2))).containsEntry("configuration", Map.of("domain_query", "my-app", "years", 1L,
        "tld", "com", "domain", "my-app.com")).containsEntry("payment_credentials", token("spt_test_2"));
    assertThat(creates).extracting(r -> r.getHeaders().get("Idempotency-Key")).doesNotHaveDuplicates();
    assertThat(provider.calls()).noneMatch(c -> c.contains("update_service"));
    // the first token waited with the question and was revoked once the answer carried another; the charged one stays
    assertThat(payments.revoked).containsExactly("spt_test_1");
  }

  @Test
  void needsInformation_whenTheProviderRefusesAnswersByUpdate_fallsBackToANewRequestAndRemembers() {
    ProviderAccount account = link(3600);
    String refused = "{\"id\":\"%s\",\"status\":\"error\",\"error\":{\"code\":\"invalid_state\",\"message\":"
        + "\"answers come only as a new POST /provisioning/resources\"}}";
    provider.on("POST", "/provisioning/resources", 200, DOMAIN_QUESTION.replace("{\"status\"", "{\"id\":\"res_a\",\"status\""));
    provider.on("POST", "/provisioning/resources/res_a/update_service", 409, String.format(refused, "res_a"));
    provider.on("POST", "/provisioning/resources", 200, "{\"id\":\"res_b\",\"status\":\"complete\"}");
    provider.on("POST", "/provisioning/resources", 200, DOMAIN_QUESTION.replace("{\"status\"", "{\"id\":\"res_c\",\"status\""));
    provider.on("POST", "/provisioning/resources", 200, "{\"id\":\"res_d\",\"status\":\"complete\"}");
    RecordingStepContext one = ctx("domain-1");
    RecordingStepContext two = ctx("domain-2");

    ResourceState a = orchestrator.provision(request(account, "registrar:domain", "dom-1",
        Map.of("domain_query", "my-app"), null), one);
    ResourceState b = orchestrator.submitInformation(a.ref(), Map.of("domain", "my-app.com"),
        one.authorize(Money.usd("10.44")), one);
    ResourceState c = orchestrator.provision(request(account, "registrar:domain", "dom-2",
        Map.of("domain_query", "my-other"), null), two);
    ResourceState d = orchestrator.submitInformation(c.ref(), Map.of("domain", "my-other.com"),
        two.authorize(Money.usd("10.44")), two);

    assertThat(a.needsInformation().resourceIdGiven()).isTrue();
    assertThat(b.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(b.ref().id()).isEqualTo("res_b");
    assertThat(d.ref().id()).isEqualTo("res_d");
    assertThat(provider.calls()).containsSubsequence("POST /provisioning/resources",
        "POST /provisioning/resources/res_a/update_service", "POST /provisioning/resources",
        "POST /provisioning/resources", "POST /provisioning/resources");
    assertThat(provider.requests("POST", "/provisioning/resources/res_c/update_service")).isEmpty();
    List<RecordedRequest> creates = provider.requests("POST", "/provisioning/resources");
    // the refused answer's payment token is the one the new request carries
    String refusedToken = ((Map<?, ?>) body(provider.requests("POST", "/provisioning/resources/res_a/update_service")
        .get(0)).get("payment_credentials")).get("stripe_payment_token").toString();
    assertThat(body(creates.get(1))).containsEntry("configuration", Map.of("domain_query", "my-app",
        "domain", "my-app.com")).containsEntry("payment_credentials", token(refusedToken));
    assertThat(one.actions()).contains("provider.resource.answer_form:update_refused");
    assertThat(payments.revoked).doesNotContain(refusedToken);
  }

  @Test
  void needsInformation_inRounds_byUpdate_sendsEachRoundsAnswersOnly() {
    ProviderAccount account = link(3600);
    provider.on("POST", "/provisioning/resources", 200, TLD_QUESTION.replace("{\"status\"", "{\"id\":\"res_r\",\"status\""));
    provider.on("POST", "/provisioning/resources/res_r/update_service", 200,
        DOMAIN_QUESTION.replace("{\"status\"", "{\"id\":\"res_r\",\"status\""));
    provider.on("POST", "/provisioning/resources/res_r/update_service", 200, "{\"id\":\"res_r\",\"status\":\"pending\"}");
    provider.on("GET", "/provisioning/resources/res_r", 200, "{\"id\":\"res_r\",\"status\":\"complete\"}");
    RecordingStepContext ctx = ctx("domain");

    ResourceState tld = orchestrator.provision(request(account, "registrar:domain", "dom",
        Map.of("domain_query", "my-app"), null), ctx);
    ResourceState domain = orchestrator.submitInformation(tld.ref(), Map.of("tld", "com"), null, ctx);
    ResourceState done = orchestrator.submitInformation(domain.ref(), Map.of("domain", "my-app.com"),
        ctx.authorize(Money.usd("10.44")), ctx);

    assertThat(domain.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(domain.needsInformation().choiceField()).contains("domain");
    assertThat(done.status()).isEqualTo(ResourceStatus.COMPLETE);
    List<RecordedRequest> answers = provider.requests("POST", "/provisioning/resources/res_r/update_service");
    assertThat(body(answers.get(0))).isEqualTo(Map.of("configuration", Map.of("tld", "com")));
    assertThat(body(answers.get(1))).containsEntry("configuration", Map.of("domain", "my-app.com"))
        .containsEntry("payment_credentials", token("spt_test_1"));
  }

  // ---------------------------------------------------------------- refusals

  @Test
  void provision_whenTheProviderRefusesWithoutNamingAResource_keepsItsCodeAndRevokesTheToken() {
    ProviderAccount account = link(3600);
    provider.on("POST", "/provisioning/resources", 200, "{\"status\":\"error\",\"error\":{\"code\":"
        + "\"requires_payment_credentials\",\"message\":\"send a token that covers USD 50.00\"}}");
    RecordingStepContext ctx = ctx("plan");

    assertThatThrownBy(() -> orchestrator.provision(request(account, "workers:paid", "plan", Map.of(),
        ctx.authorize(Money.usd("5.00"))), ctx)).isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("requires_payment_credentials");
          assertThat(e.getMessage()).contains("USD 50.00");
        });
    assertThat(payments.revoked).containsExactly("spt_test_1");
    assertThat(ctx.actions()).contains("provider.resource.create:failed");
  }

  @Test
  void provision_whenAFreeformPricedServiceHasNoAuthorization_isRefusedBeforeAnythingIsSent() {
    ProviderAccount account = link(3600);

    assertThatThrownBy(() -> orchestrator.provision(request(account, "workers:paid", "plan", Map.of(), null),
        ctx("plan"))).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("payment");
          assertThat(e.problem()).contains("paid: USD 5.00 a month");
        });
    assertThat(provider.requests("POST", "/provisioning/resources")).isEmpty();
  }

  @Test
  void update_whenTheCatalogAllowsTheServiceNoChange_isRefusedBeforeAnythingIsSent() {
    ProviderAccount account = link(3600);
    provider.on("POST", "/provisioning/resources", 200, "{\"id\":\"res_kv\",\"status\":\"complete\"}");
    RecordingStepContext ctx = ctx("kv");
    ResourceState kv = orchestrator.provision(request(account, "kv", "kv-1", Map.of(), null), ctx);

    assertThatThrownBy(() -> orchestrator.update(kv.ref(), "d1", Map.of(), null, ctx))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("newServiceId"));
    assertThat(provider.requests("POST", "/provisioning/resources/res_kv/update_service")).isEmpty();
  }

  private static Map<String, Object> token(String value) {
    return Map.of("type", "stripe_payment_token", "stripe_payment_token", value);
  }
}
