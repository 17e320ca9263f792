package io.agentprovision.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.MalformedResponseException;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.wire.Json;
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

/**
 * Every shape variant of the provider protocol the client reads (see {@code docs/wire-notes.md}),
 * against a scripted server: unknown members and values everywhere, each union's forms, missing
 * and mistyped members, needs-information in every shape, errors with and without a resource, and
 * the two forms of answering needs-information.
 */
class ProtocolShapesWireTest {
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
    client = ProtocolClient.builder().provider("cloudflare").baseUrl(server.url("/").toString())
        .sharedSecret(Secret.of("whsec_shapes")).clock(time).sleeper(time).build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void answer(int code, String body) {
    server.enqueue(new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json")
        .setHeader("Request-Id", "req_9").body(body).build());
  }

  private static Map<String, Object> json(RecordedRequest r) {
    return Json.parseObject(r.getBody().utf8());
  }

  private static AccountRequest accountRequest() {
    return new AccountRequest("acctreq_1", "ada@example.com", "Ada", null, null, Set.of("email"), List.of(),
        List.of("browser"), Map.of(), Secret.of("conf"), Instant0.AT, Map.of("type", "direct"), null);
  }

  /** A fixed instant for requests whose expiry the server does not read. */
  private static final class Instant0 {
    static final java.time.Instant AT = java.time.Instant.parse("2026-11-02T09:15:00Z");
  }

  // ---------------------------------------------------------------- unknown members and values

  @Test
  void everyAnswer_whenItCarriesMembersAndValuesTheProtocolDoesNotName_isReadAnyway() {
    answer(200, "{\"status\":\"ok\",\"supported_versions\":[\"0.1d\",\"0.2a\"],\"region\":{\"name\":\"eu\"}}");
    answer(200, "{\"object\":\"list\",\"data\":[{\"id\":\"workers:paid\",\"object\":\"provisioning.service\","
        + "\"created\":1790000000,\"kind\":\"plan\",\"scope\":\"project\",\"group\":\"workers\","
        + "\"kyc\":{\"required_fields\":[\"email\"]},\"constraints\":{\"max_per_account\":1},"
        + "\"status_page\":{\"url\":\"https://status.example.com\"},"
        + "\"pricing\":{\"type\":\"paid\",\"paid\":{\"type\":\"freeform\",\"freeform\":\"$5.00/month\"},"
        + "\"tax_behavior\":\"exclusive\"},\"allowed_updates\":[{\"service_id\":\"workers:free\",\"direction\":"
        + "\"downgrade\",\"note\":\"x\"}],\"configuration_schema\":{\"type\":\"object\",\"title\":null}}],"
        + "\"next_cursor\":null,\"has_more\":false}");
    answer(200, "{\"type\":\"credentials\",\"object\":\"account_answer\",\"credentials\":{\"type\":\"bearer\","
        + "\"bearer\":{\"token_type\":\"Bearer\",\"access_token\":\"at_1\",\"refresh_token\":\"rt_1\",\"expires_in\":20,"
        + "\"scope\":\"all\",\"account\":{\"id\":\"acct_1\",\"payment_credentials\":\"orchestrator\",\"new\":true}}}}");
    answer(200, "{\"id\":\"res_1\",\"service_id\":\"kv\",\"status\":\"complete\",\"object\":\"provisioning.resource\","
        + "\"livemode\":false,\"metadata\":{},\"created\":1790000000,\"complete\":{\"access_configuration\":"
        + "{\"CLOUDFLARE_API_TOKEN\":\"tok\",\"CLOUDFLARE_ACCOUNT_ID\":1234},\"rotated_at\":1790000000}}");
    answer(200, "{\"id\":\"res_1\",\"status\":\"hibernating\",\"hibernating\":{\"until\":\"soon\"}}");
    answer(200, "{\"purpose\":\"dashboard\",\"url\":\"https://dash.example.com/d/1\",\"expires_at\":1790000300,"
        + "\"single_use\":true}");

    ProviderHealth health = client.health();
    ServicePage page = client.services(null);
    AccountResponse account = client.requestAccount(accountRequest());
    ProviderResource complete = client.getResource(Secret.of("at_1"), "res_1");
    ProviderResource unknown = client.getResource(Secret.of("at_1"), "res_1");
    var link = client.deepLink(Secret.of("at_1"), "dashboard");

    assertThat(health.supports("0.2a")).isTrue();
    ServiceOffering paid = page.services().get(0);
    assertThat(paid.pricing().amount()).isEqualTo(Money.usd("5.00"));
    assertThat(paid.allowedUpdates()).containsExactly("workers:free");
    assertThat(paid.configurationSchema()).containsEntry("type", "object").containsKey("title");
    ProviderTokens tokens = ((AccountResponse.Credentials) account).tokens();
    assertThat(tokens.accountId()).isEqualTo("acct_1");
    assertThat(tokens.lifetime()).hasSeconds(20);
    assertThat(complete.accessConfiguration().get("CLOUDFLARE_ACCOUNT_ID").reveal()).isEqualTo("1234");
    assertThat(complete.attributes()).containsEntry("service_id", "kv").containsEntry("livemode", "false")
        .doesNotContainKey("metadata");
    assertThat(unknown.status()).isEqualTo(ResourceStatus.UNKNOWN);
    assertThat(link.url()).hasToString("https://dash.example.com/d/1");
  }

  @Test
  void accountAnswers_inEachForm_areRead() {
    answer(200, "{\"type\":\"oauth\",\"oauth\":{\"code\":\"code_1\"}}");
    answer(200, "{\"type\":\"requires_auth\",\"requires_auth\":{\"url\":\"https://dash.example.com/consent\"}}");
    answer(200, "{\"type\":\"credentials\",\"credentials\":{\"type\":\"bearer\",\"access_token\":\"at_2\","
        + "\"account_id\":\"acct_2\"}}");
    answer(200, "{\"type\":\"error\",\"error\":{\"code\":\"browser_required\",\"message\":\"send a browser\"}}");
    answer(200, "{\"type\":\"magic_link\",\"magic_link\":{}}");

    assertThat(((AccountResponse.OAuthCode) client.requestAccount(accountRequest())).code().reveal())
        .isEqualTo("code_1");
    assertThat(((AccountResponse.RequiresAuth) client.requestAccount(accountRequest())).redirectUrl())
        .hasToString("https://dash.example.com/consent");
    assertThat(((AccountResponse.Credentials) client.requestAccount(accountRequest())).tokens().accountId())
        .isEqualTo("acct_2");
    assertThat(client.requestAccount(accountRequest()))
        .isEqualTo(new AccountResponse.Error("browser_required", "send a browser"));
    assertThat(((AccountResponse.Error) client.requestAccount(accountRequest())).code())
        .isEqualTo("unsupported_response_type");
  }

  // ---------------------------------------------------------------- missing and mistyped members

  @Test
  void answers_whenARequiredMemberIsMissing_failWithATypedErrorNamingIt() {
    answer(200, "{\"data\":[{\"id\":\"kv\"},{\"kind\":\"plan\"}]}");
    answer(200, "{\"type\":\"credentials\",\"credentials\":{\"type\":\"bearer\",\"bearer\":{\"account\":{\"id\":\"a\"}}}}");
    answer(200, "{\"access_token\":\"at_3\",\"expires_in\":60}");
    answer(200, "{\"type\":\"requires_auth\",\"requires_auth\":{\"type\":\"redirect\",\"redirect\":{}}}");
    answer(200, "{\"type\":\"oauth\",\"oauth\":{}}");
    answer(200, "{\"status\":\"complete\",\"complete\":{\"access_configuration\":{}}}");
    answer(200, "{\"purpose\":\"dashboard\"}");

    assertMalformed(() -> client.services(null), "$.data[1].id", "GET /provisioning/services");
    assertMalformed(() -> client.requestAccount(accountRequest()), "$.credentials.bearer.access_token",
        "POST /provisioning/account_requests");
    assertMalformed(() -> client.refresh(Secret.of("rt")), "$.account.id", "POST /oauth/token");
    assertMalformed(() -> client.requestAccount(accountRequest()), "$.requires_auth.redirect.url",
        "POST /provisioning/account_requests");
    assertMalformed(() -> client.requestAccount(accountRequest()), "$.oauth.code",
        "POST /provisioning/account_requests");
    assertMalformed(() -> client.createResource(Secret.of("at"), new ProviderResourceRequest("kv", Map.of(), null,
        "p", "kv-1", "production"), "k1"), "$.id", "POST /provisioning/resources");
    assertMalformed(() -> client.deepLink(Secret.of("at"), "dashboard"), "$.url", "POST /provisioning/deep_links");
  }

  @Test
  void answers_whenAMemberHasTheWrongType_failNamingItsPathWithoutItsValue() {
    answer(200, "{\"data\":[],\"next_cursor\":42}");
    answer(200, "{\"data\":[{\"id\":\"kv\",\"categories\":[\"storage\",7]}]}");
    answer(200, "{\"access_token\":{\"v\":\"at_SECRET_VALUE\"},\"account\":{\"id\":\"a\"}}");
    answer(200, "{\"id\":\"res_1\",\"status\":5}");

    assertMalformed(() -> client.services(null), "$.next_cursor", "GET /provisioning/services");
    assertMalformed(() -> client.services(null), "$.data[0].categories[1]", "GET /provisioning/services");
    assertThatThrownBy(() -> client.refresh(Secret.of("rt")))
        .isInstanceOfSatisfying(MalformedResponseException.class, e -> {
          assertThat(e.field()).isEqualTo("$.access_token");
          assertThat(e.getMessage()).doesNotContain("at_SECRET_VALUE");
        });
    assertMalformed(() -> client.getResource(Secret.of("at"), "res_1"), "$.status", "GET /provisioning/resources/res_1");
  }

  private static void assertMalformed(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String field,
      String what) {
    assertThatThrownBy(call).isInstanceOfSatisfying(MalformedResponseException.class, e -> {
      assertThat(e.code()).isEqualTo("malformed_response");
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.getMessage()).contains(what).contains(field);
      assertThat(e.retryable()).isFalse();
      assertThat(e.provider()).isEqualTo("cloudflare");
    });
  }

  // ---------------------------------------------------------------- needs_information

  @Test
  void needsInformation_withAnIdAndPricedOneOfChoices_isReadWithPricesAndTheId() {
    answer(200, """
        {"id":"res_d","status":"needs_information","needs_information":{"message":"choose","expires_at":1790003600,
          "schema":{"type":"object","required":["domain"],"properties":{"domain":{"type":"string","oneOf":[
            {"const":"my-app.com","title":"my-app.com","premium":false,
             "pricing":{"type":"paid","paid":{"type":"freeform","freeform":"$10.44/year"}}},
            {"const":"my-app.dev","x-price":{"amount":1200,"currency":"USD"}},
            {"const":"my-app.io","pricing":{"type":"paid","paid":{"type":"freeform","freeform":"from $39/year"}}},
            {"const":"my-app.net"}]}}}}}
        """);

    ProviderResource r = client.createResource(Secret.of("at"), new ProviderResourceRequest("registrar:domain",
        Map.of("domain_query", "my-app"), null, "p", "dom", "production"), "k");
    InformationRequest info = InformationRequest.fromSchema(r.needsInformationSchema(), r.hasId());

    assertThat(r.id()).isEqualTo("res_d");
    assertThat(info.resourceIdGiven()).isTrue();
    assertThat(info.choiceField()).contains("domain");
    assertThat(info.required()).containsExactly("domain");
    assertThat(info.choices()).extracting(InformationRequest.Choice::value, InformationRequest.Choice::price)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("my-app.com", Money.usd("10.44")),
            org.assertj.core.groups.Tuple.tuple("my-app.dev", Money.usd("12.00")),
            org.assertj.core.groups.Tuple.tuple("my-app.io", null),
            org.assertj.core.groups.Tuple.tuple("my-app.net", null));
    Pricing from = info.choices().get(2).pricing();
    assertThat(from.kind()).isEqualTo(Pricing.Kind.MINIMUM);
    assertThat(from.minimum()).isEqualTo(Money.usd("39.00"));
  }

  @Test
  void needsInformation_withoutAnIdAndWithAPlainEnum_isReadAsUnnamedAndUnpriced() {
    answer(200, "{\"status\":\"needs_information\",\"needs_information\":{\"schema\":{\"type\":\"object\","
        + "\"required\":[\"tld\"],\"properties\":{\"tld\":{\"type\":\"string\",\"enum\":[\"com\",\"dev\"]}}}},"
        + "\"object\":\"provisioning.resource\"}");

    ProviderResource r = client.createResource(Secret.of("at"), new ProviderResourceRequest("registrar:domain",
        Map.of("domain_query", "my-app"), null, "p", "dom", "production"), "k");
    InformationRequest info = InformationRequest.fromSchema(r.needsInformationSchema(), r.hasId());

    assertThat(r.id()).isNull();
    assertThat(r.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(info.resourceIdGiven()).isFalse();
    assertThat(info.choicesFor("tld")).extracting(InformationRequest.Choice::value).containsExactly("com", "dev");
    assertThat(info.choices()).allSatisfy(c -> {
      assertThat(c.price()).isNull();
      assertThat(c.pricing()).isNull();
    });
  }

  @Test
  void needsInformation_inTheFlatShapes_isRead() {
    answer(200, "{\"id\":\"res_1\",\"status\":\"needs_information\",\"needs_information_schema\":{\"properties\":"
        + "{\"region\":{\"enum\":[\"weur\"]}}}}");
    answer(200, "{\"id\":\"res_1\",\"status\":\"needs_information\",\"schema\":{\"properties\":"
        + "{\"region\":{\"enum\":[\"enam\"]}}}}");
    answer(200, "{\"id\":\"res_1\",\"status\":\"needs_information\"}");

    assertThat(client.getResource(Secret.of("at"), "res_1").needsInformationSchema()).containsKey("properties");
    assertThat(client.getResource(Secret.of("at"), "res_1").needsInformationSchema()).containsKey("properties");
    assertMalformed(() -> client.getResource(Secret.of("at"), "res_1"), "$.needs_information.schema",
        "GET /provisioning/resources/res_1");
  }

  // ---------------------------------------------------------------- errors

  @Test
  void errors_withoutAResource_underHttp200Or4xx_keepTheProvidersCodeAndMessage() {
    answer(200, "{\"status\":\"error\",\"error\":{\"code\":\"invalid_configuration\",\"message\":"
        + "\"configuration.title is required\"},\"request_id\":\"r1\"}");
    answer(402, "{\"status\":\"error\",\"error\":{\"code\":\"requires_payment_credentials\",\"message\":"
        + "\"workers:paid costs USD 5.00; send payment_credentials\"}}");
    answer(400, "{\"error\":\"invalid_grant\",\"error_description\":\"the code was used\"}");

    ProviderResourceRequest kv = new ProviderResourceRequest("kv", Map.of(), null, "p", "kv-1", "production");
    assertThatThrownBy(() -> client.createResource(Secret.of("at"), kv, "k1"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("invalid_configuration");
          assertThat(e.status()).isEqualTo(200);
          assertThat(e.requestId()).isEqualTo("req_9");
          assertThat(e.getMessage()).contains("configuration.title is required");
          assertThat(e.retryable()).isFalse();
        });
    assertThatThrownBy(() -> client.createResource(Secret.of("at"), kv, "k2"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("requires_payment_credentials");
          assertThat(e.status()).isEqualTo(402);
          assertThat(e.getMessage()).contains("send payment_credentials");
        });
    assertThatThrownBy(() -> client.exchangeCode(Secret.of("c"), null))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("invalid_grant");
          assertThat(e.getMessage()).contains("the code was used");
        });
  }

  @Test
  void errors_aboutAResource_areReturnedAsItsErroredState() {
    answer(200, "{\"id\":\"res_1\",\"status\":\"error\",\"error\":{\"code\":\"registration_failed\",\"message\":"
        + "\"the registry refused my-app.com\"}}");
    answer(200, "{\"id\":\"res_1\",\"status\":\"error\",\"error\":\"quota_exceeded\"}");

    ProviderResource r = client.getResource(Secret.of("at"), "res_1");
    ProviderResource terse = client.getResource(Secret.of("at"), "res_1");

    assertThat(r.status()).isEqualTo(ResourceStatus.ERRORED);
    assertThat(r.errorCode()).isEqualTo("registration_failed");
    assertThat(r.errorMessage()).isEqualTo("the registry refused my-app.com");
    assertThat(terse.errorCode()).isEqualTo("quota_exceeded");
  }

  // ---------------------------------------------------------------- answering needs_information

  @Test
  void answerInformation_byUpdate_postsTheAnswersAndPaymentToUpdateService() throws Exception {
    answer(200, "{\"id\":\"res_d\",\"status\":\"pending\"}");

    ProviderResource r = client.answerInformation(Secret.of("at"), new InformationAnswer.ByUpdate("res_d",
        Map.of("domain", "my-app.com"), Secret.of("spt_1")), "k-answer");

    assertThat(r.status()).isEqualTo(ResourceStatus.PENDING);
    RecordedRequest sent = server.takeRequest();
    assertThat(sent.getUrl().encodedPath()).isEqualTo("/provisioning/resources/res_d/update_service");
    assertThat(sent.getHeaders().get("Idempotency-Key")).isEqualTo("k-answer");
    assertThat(json(sent)).containsEntry("configuration", Map.of("domain", "my-app.com"))
        .containsEntry("payment_credentials", Map.of("type", "stripe_payment_token", "stripe_payment_token", "spt_1"))
        .doesNotContainKey("service_id");
  }

  @Test
  void answerInformation_byNewRequest_postsTheWholeConfigurationAndThePaymentToCreate() throws Exception {
    answer(200, "{\"id\":\"res_new\",\"status\":\"complete\",\"complete\":{\"access_configuration\":{\"T\":\"v\"}}}");

    ProviderResource r = client.answerInformation(Secret.of("at"), new InformationAnswer.ByNewRequest(
        new ProviderResourceRequest("registrar:domain", Map.of("domain_query", "my-app", "domain", "my-app.com"),
            Secret.of("spt_1"), "proj", "dom", "production")), "k-create");

    assertThat(r.id()).isEqualTo("res_new");
    RecordedRequest sent = server.takeRequest();
    assertThat(sent.getUrl().encodedPath()).isEqualTo("/provisioning/resources");
    assertThat(json(sent)).containsEntry("configuration", Map.of("domain_query", "my-app", "domain", "my-app.com"))
        .containsEntry("payment_credentials", Map.of("type", "stripe_payment_token", "stripe_payment_token", "spt_1"))
        .containsEntry("orchestrator_resource_id", "dom");
  }

  @Test
  void answerInformation_whenTheProviderRefusesTheUpdateForm_saysSoWithATypedRefusal() {
    answer(409, "{\"id\":\"res_d\",\"status\":\"error\",\"error\":{\"code\":\"invalid_state\",\"message\":"
        + "\"answers come only as a new POST /provisioning/resources\"}}");
    answer(200, "{\"id\":\"res_d\",\"status\":\"error\",\"error\":{\"code\":\"invalid_state\",\"message\":\"no\"}}");
    answer(404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such route\"}}");
    answer(400, "{\"error\":{\"code\":\"invalid_configuration\",\"message\":\"domain is not a name\"}}");
    InformationAnswer.ByUpdate update = new InformationAnswer.ByUpdate("res_d", Map.of("domain", "x"), null);

    for (int status : new int[] {409, 200, 404}) {
      assertThatThrownBy(() -> client.answerInformation(Secret.of("at"), update, "k"))
          .isInstanceOfSatisfying(InformationAnswerRefusedException.class, e -> {
            assertThat(e.form()).isEqualTo("update_service");
            assertThat(e.status()).isEqualTo(status);
          });
    }
    assertThatThrownBy(() -> client.answerInformation(Secret.of("at"), update, "k"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e).isNotInstanceOf(InformationAnswerRefusedException.class);
          assertThat(e.code()).isEqualTo("invalid_configuration");
        });
  }
}
