package io.agentprovision.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.MalformedResponseException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.NoDelayServerSocketFactory;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How Stripe's answers are read, over HTTP: v2's and v1's forms of integers, timestamps and amounts,
 * members and enumeration values the SDK does not know, and what the caller sees when a member the
 * SDK needs is missing or has the wrong type: a {@link MalformedResponseException}
 * ({@code malformed_response}) naming its JSON path, with the call, status and request id, and
 * never a silent null.
 */
class StripeAnswersWireTest {
  private static final String KEY = "sk_test_answers_51Abc";
  private static final String SELLER = "profile_cloudflare_sbx";

  private final MockWebServer server = new MockWebServer();
  private final QueueDispatcher queue = new QueueDispatcher();
  private final VirtualTime time = VirtualTime.create();
  private StripeProjects stripe;
  private StripeSharedPaymentTokens spt;

  @BeforeEach
  void start() throws IOException {
    queue.setFailFast(true);
    server.setDispatcher(queue);
    server.setServerSocketFactory(NoDelayServerSocketFactory.INSTANCE);
    server.start();
    StripeApi api = StripeApi.builder().apiKey(Secret.of(KEY)).apiBase(server.url("/").toString())
        .maxNetworkRetries(0).build();
    stripe = StripeProjects.builder().api(api).build();
    spt = StripeSharedPaymentTokens.builder().api(api).paymentMethod("pm_1Card").clock(time).build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void answer(int code, String json) {
    queue.enqueue(new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json")
        .setHeader("Request-Id", "req_" + code).body(json).build());
  }

  private void answer(String json) {
    answer(200, json);
  }

  private FakeStepContext ctx(String key) {
    return FakeStepContext.builder().time(time).idempotencyKey(key).approvals(ScriptedApprovalGate.approveAll(time))
        .build();
  }

  /** The error a caller sees for a member Stripe's answer lacks or sends in the wrong type. */
  private static Consumer<MalformedResponseException> malformed(String field, String call, String problem) {
    return e -> {
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.code()).isEqualTo("malformed_response");
      assertThat(e.provider()).isEqualTo("stripe");
      assertThat(e.status()).isEqualTo(200);
      assertThat(e.requestId()).isEqualTo("req_200");
      assertThat(e.retryable()).isFalse();
      assertThat(e.getMessage()).contains(call).contains(field).contains(problem);
    };
  }

  private static final String PROVIDERS = """
      {"data":[{"id":"prvdr_cf","object":"v2.provisioning.provider","name":"Cloudflare","capabilities":["x"],
      "tos_url":"https://www.cloudflare.com/terms/","privacy_policy_url":"not a url"}],"next_page_url":null}""";

  private static final ResourceRef REF = new ResourceRef("cloudflare", "prvres_7", "kv", "cache");

  // ---------------------------------------------------------------- catalog

  @Test
  void catalog_readsV2AmountsSchemasAndUpdateRefsInEveryFormIgnoringUnknownMembers() {
    answer(PROVIDERS);
    answer("""
        {"data":[{"id":"prvsvc_1","service_id":"workers:free","provider":"prvdr_cf","kind":"plan","scope":"project",
          "pricing":{"type":"free"},"allowed_updates":["prvsvc_2"],"llm_context":"cheap","constraints":{"max":1}},
         {"id":"prvsvc_2","service_id":"workers:paid","provider_name":"Cloudflare","kind":"plan",
          "pricing":{"type":"paid","paid":{"amount":{"value":"500","currency":"usd"},"recurring_interval":"month"}},
          "updateable_to":["prvsvc_1"],
          "configuration_schema":{"type":"object","properties":{"size":{"type":"integer","maximum":10}}},
          "development":{"sandbox":true}}],
        "next_page_url":null,"previous_page_url":null}""");

    Catalog catalog = stripe.catalog("cloudflare");

    assertThat(catalog.provider().termsOfService()).hasToString("https://www.cloudflare.com/terms/");
    assertThat(catalog.provider().privacyPolicy()).as("an unusable link is left out").isNull();
    ServiceOffering free = catalog.service("workers:free").orElseThrow();
    ServiceOffering paid = catalog.service("workers:paid").orElseThrow();
    assertThat(free.allowedUpdates()).containsExactly("workers:paid");
    assertThat(paid.allowedUpdates()).containsExactly("workers:free");
    assertThat(paid.pricing().kind()).isEqualTo(Pricing.Kind.KNOWN);
    assertThat(paid.pricing().amount()).isEqualTo(Money.usd("5.00"));
    assertThat(paid.scope()).isEqualTo("unknown");
    @SuppressWarnings("unchecked")
    Map<String, Object> size = (Map<String, Object>) ((Map<String, Object>) paid.configurationSchema()
        .get("properties")).get("size");
    assertThat(size.get("maximum")).as("integers stay integers").isEqualTo(10L);
  }

  @Test
  void catalog_whenAServiceLacksItsServiceId_failsNamingItRatherThanUsingStripesReference() {
    answer(PROVIDERS);
    answer("""
        {"data":[{"id":"prvsvc_1","service_id":"workers:free","pricing":{"type":"free"}},
         {"id":"prvsvc_2","serviceId":"workers:paid","pricing":{"type":"free"}}],"next_page_url":null}""");

    assertThatThrownBy(() -> stripe.catalog("cloudflare")).isInstanceOfSatisfying(MalformedResponseException.class,
        malformed("$.data[1].service_id", "list Stripe catalog services of cloudflare", "is missing"));
  }

  @Test
  void catalog_whenAnIdIsANumber_failsNamingIt() {
    answer("{\"data\":[{\"id\":42,\"name\":\"Cloudflare\"}],\"next_page_url\":null}");

    assertThatThrownBy(() -> stripe.catalog("cloudflare")).isInstanceOfSatisfying(MalformedResponseException.class,
        malformed("$.data[0].id", "list Stripe catalog providers", "is not a string"));
  }

  @Test
  void catalog_whenTheListHasNoData_isMalformedRatherThanEmpty() {
    answer("{\"object\":\"list\",\"items\":[],\"next_page_url\":null}");

    assertThatThrownBy(() -> stripe.catalog("cloudflare")).isInstanceOfSatisfying(MalformedResponseException.class,
        malformed("$.data", "list Stripe catalog providers", "is missing"));
  }

  // ---------------------------------------------------------------- eligibility

  @Test
  void eligibility_keepsEveryRequirementAndRefusesAnAnswerWithoutIsEligible() {
    answer("{\"is_eligible\":false,\"requirements\":[\"kyc.name\",{\"type\":\"tax_id\"}],\"livemode\":false}");
    answer("{\"eligible\":true,\"requirements\":[]}");

    Eligibility e = stripe.eligibility();

    assertThat(e.eligible()).isFalse();
    assertThat(e.requirements()).containsExactly("kyc.name", "{\"type\":\"tax_id\"}");
    assertThatThrownBy(stripe::eligibility).isInstanceOfSatisfying(MalformedResponseException.class,
        malformed("$.is_eligible", "read Stripe provisioning eligibility", "is missing"));
  }

  // ---------------------------------------------------------------- resources

  @Test
  void resource_readsRfc3339AndUnixTimesUserMessagesInBothFormsAndUnknownStatuses() {
    answer("""
        {"id":"prvres_7","status":"needs_information","created":"2026-11-02T10:00:00+01:00","livemode":false,
         "needs_information_schema":{"type":"object","required":["domain"]},
         "user_message":{"message":"Pick a domain","received_at":"2026-11-02T09:00:00.123Z"}}""");
    answer("{\"id\":\"prvres_7\",\"status\":\"complete\",\"created\":1793000000,\"user_message\":\"Done\"}");
    answer("{\"id\":\"prvres_7\",\"status\":\"frozen\",\"created\":\"1793000000\",\"brand_new\":{\"a\":[1]}}");

    ResourceState asking = stripe.resource(REF, ctx("run-1"));
    ResourceState done = stripe.resource(REF, ctx("run-1"));
    ResourceState odd = stripe.resource(REF, ctx("run-1"));

    assertThat(asking.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(asking.needsInformation().required()).containsExactly("domain");
    assertThat(asking.userMessage()).isEqualTo("Pick a domain");
    assertThat(asking.attributes()).containsEntry("created", "2026-11-02T09:00:00Z").containsEntry("livemode", "false");
    assertThat(done.userMessage()).isEqualTo("Done");
    assertThat(done.attributes()).containsEntry("created", Instant.ofEpochSecond(1793000000).toString());
    assertThat(odd.status()).isEqualTo(ResourceStatus.UNKNOWN);
    assertThat(odd.attributes()).containsEntry("created", Instant.ofEpochSecond(1793000000).toString());
  }

  @Test
  void resource_whenTheAnswerHasNoStatus_isMalformedNotUnknown() {
    answer("{\"id\":\"prvres_7\",\"object\":\"v2.provisioning.resource\",\"state\":\"complete\"}");

    assertThatThrownBy(() -> stripe.resource(REF, ctx("run-1"))).isInstanceOfSatisfying(
        MalformedResponseException.class, malformed("$.status", "read Stripe resource prvres_7", "is missing")
            .andThen(e -> assertThat(e.outcome()).as("a read changed nothing")
                .isEqualTo(ProviderException.Outcome.NOT_EXECUTED)));
  }

  @Test
  void provision_whenTheNewResourceHasNoId_isMalformedAfterTheCall() throws Exception {
    answer(PROVIDERS);
    answer("""
        {"data":[{"id":"prvsvc_3","service_id":"kv","provider":"prvdr_cf","kind":"deployable",
        "pricing":{"type":"free"}}],"next_page_url":null}""");
    answer("{\"data\":[{\"id\":\"proj_1\",\"name\":\"my-app\",\"catalog\":\"prod\"}],\"next_page_url\":null}");
    answer("{\"object\":\"v2.provisioning.resource\",\"status\":\"pending\"}");

    assertThatThrownBy(() -> stripe.provision(new ResourceRequest("cloudflare", "kv", "cache", Map.of(),
        new ProviderAccount("cloudflare", "acct_1", "pconn_1", null, null, ProviderAccount.LinkAction.CREATED,
            Map.of()), "my-app", "production", null), ctx("run-2:kv")))
        .isInstanceOfSatisfying(MalformedResponseException.class,
            malformed("$.id", "provision kv at cloudflare", "is missing").andThen(e -> assertThat(e.outcome())
                .as("Stripe accepted the change: what it made is unknown").isEqualTo(ProviderException.Outcome.UNKNOWN)));
    assertThat(server.getRequestCount()).isEqualTo(4);
  }

  @Test
  void reveal_readsUnixTimesInBothFormsAndKeepsANumericValueAsItsDigits() {
    answer("""
        {"object":"v2.provisioning.resource_access_configuration","resource":"prvres_7",
         "configuration":{"TOKEN":"cf-secret","ACCOUNT_NUMBER":12345678901234,"OPTIONAL":null},
         "created":1793000000,"expires_at":"1795592000"}""");

    AccessConfiguration a = stripe.revealCredentials(REF, ctx("run-3"));

    assertThat(a.value("TOKEN").reveal()).isEqualTo("cf-secret");
    assertThat(a.value("ACCOUNT_NUMBER").reveal()).isEqualTo("12345678901234");
    assertThat(a.values()).doesNotContainKey("OPTIONAL");
    assertThat(a.created()).isEqualTo(Instant.ofEpochSecond(1793000000));
    assertThat(a.expiresAt()).isEqualTo(Instant.ofEpochSecond(1795592000));
  }

  @Test
  void reveal_whenATimeIsUnreadableOrTheConfigurationMissing_namesTheMember() {
    answer("{\"configuration\":{\"TOKEN\":\"t\"},\"expires_at\":\"next tuesday\"}");
    answer("{\"object\":\"v2.provisioning.resource_access_configuration\",\"created\":\"2026-11-02T09:00:00Z\"}");

    assertThatThrownBy(() -> stripe.revealCredentials(REF, ctx("run-3"))).isInstanceOfSatisfying(
        MalformedResponseException.class, malformed("$.expires_at",
            "reveal the credentials of Stripe resource prvres_7", "is not a timestamp"));
    assertThatThrownBy(() -> stripe.revealCredentials(REF, ctx("run-4"))).isInstanceOfSatisfying(
        MalformedResponseException.class, malformed("$.configuration",
            "reveal the credentials of Stripe resource prvres_7", "is missing"));
  }

  // ---------------------------------------------------------------- linking

  @Test
  void linkAccount_whenAnActiveConnectionExists_readsItsDetailsAndAnUnknownLinkAction() {
    answer(PROVIDERS);
    answer("""
        {"data":[{"id":"pconn_6","provider":"prvdr_other","status":"active"},
         {"id":"pconn_7","provider":"prvdr_cf","status":"active","created":"2026-11-02T09:00:00Z",
          "provider_account_details":{"id":"acct_7","display_name":"Ada's","link_action":"merged","future":true,
          "active_services":[{"service_id":"kv","status":"active"},{"status":"pending"}]}}],"next_page_url":null}""");
    Principal ada = Principal.builder("u1", "https://id.test").email("ada@example.com", true).build();

    ProviderAccount account = stripe.linkAccount(new AccountLinkRequest("cloudflare", ada, List.of(), Map.of()),
        ctx("run-5:link"));

    assertThat(account).isEqualTo(new ProviderAccount("cloudflare", "acct_7", "pconn_7", "Ada's", null,
        ProviderAccount.LinkAction.UNKNOWN, Map.of("connection_status", "active", "active_services", "kv")));
  }

  @Test
  void linkAccount_whenConsentIsPendingWithoutARedirectUrl_isMalformedAndAsksNobody() {
    answer(PROVIDERS);
    answer("{\"data\":[],\"next_page_url\":null}");
    answer("{\"is_eligible\":true,\"requirements\":[]}");
    answer("{\"id\":\"pcr_3\",\"request_status\":\"pending_auth\",\"redirect\":\"https://connect.stripe.test/pcr_3\"}");
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time);
    Principal ada = Principal.builder("u1", "https://id.test").email("ada@example.com", true).build();

    assertThatThrownBy(() -> stripe.linkAccount(new AccountLinkRequest("cloudflare", ada, List.of(), Map.of()),
        FakeStepContext.builder().time(time).idempotencyKey("run-6:link").approvals(gate).build()))
        .isInstanceOfSatisfying(MalformedResponseException.class,
            malformed("$.redirect_url", "request a Stripe connection to cloudflare", "is missing"));
    assertThat(gate.requests(CheckpointKind.ACCOUNT_CONSENT)).isEmpty();
  }

  // ---------------------------------------------------------------- payment profile

  @Test
  void paymentProfile_readsMaxAmountsAsNumbersOrStringsAndSkipsAnIntervalItCannotApply() {
    answer("""
        {"card_last4":"4242","payment_method_owner":"platform",
         "usage_limits":{"currency":"usd","max_amount":50000,"recurring_interval":"month"},
         "providers":[{"provider":"cloudflare","usage_limits":{"currency":"usd","max_amount":"2500",
           "recurring_interval":"week"}},
          {"provider":"other","usage_limits":{"currency":"usd","max_amount":"100","recurring_interval":"fortnight"}}]}""");

    PaymentProfile profile = stripe.paymentProfile();

    assertThat(profile.display()).isEqualTo("card •••• 4242");
    assertThat(profile.overallLimit()).isEqualTo(SpendLimit.monthly(Money.usd("500.00")));
    assertThat(profile.providerLimit("cloudflare")).contains(SpendLimit.weekly(Money.usd("25.00"))
        .forProvider("cloudflare"));
    assertThat(profile.providerLimit("other")).isEmpty();
  }

  @Test
  void paymentProfile_whenALimitLacksItsAmountOrSendsAFraction_namesTheMember() {
    answer("""
        {"card_last4":"4242","providers":[{"provider":"a","usage_limits":{"currency":"usd","max_amount":"1",
        "recurring_interval":"month"}},{"provider":"b","usage_limits":{"currency":"usd","recurring_interval":"month"}}]}""");
    answer("{\"card_last4\":\"4242\",\"usage_limits\":{\"currency\":\"usd\",\"max_amount\":\"12.50\","
        + "\"recurring_interval\":\"month\"}}");

    assertThatThrownBy(stripe::paymentProfile).isInstanceOfSatisfying(MalformedResponseException.class,
        malformed("$.providers[1].usage_limits.max_amount", "read the Stripe payment profile", "is missing"));
    assertThatThrownBy(stripe::paymentProfile).isInstanceOfSatisfying(MalformedResponseException.class,
        malformed("$.usage_limits.max_amount", "read the Stripe payment profile", "is not a 64-bit integer"));
  }

  @Test
  void ensurePaymentMethod_whenTheCheckoutUrlIsMissing_isMalformedAndAsksNobody() {
    answer("{\"card_last4\":null,\"providers\":[]}");
    answer("{\"id\":\"pmr_1\",\"status\":\"checkout_initiated\",\"url\":\"https://checkout.stripe.test/c/1\"}");
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time);

    assertThatThrownBy(() -> stripe.ensurePaymentMethod("cloudflare", Money.usd("100.00"),
        FakeStepContext.builder().time(time).idempotencyKey("run-7:pm").approvals(gate).build()))
        .isInstanceOfSatisfying(MalformedResponseException.class,
            malformed("$.checkout_session_url", "ask Stripe for a payment method", "is missing"));
    assertThat(gate.requests(CheckpointKind.PAYMENT_METHOD)).isEmpty();
  }

  // ---------------------------------------------------------------- shared payment tokens

  private PaymentTokenRequest tokenRequest() {
    return new PaymentTokenRequest(SELLER, "prvres_42", Money.usd("5.00"), time.instant().plus(Duration.ofMinutes(15)),
        "run-8:spt", Map.of());
  }

  private PaymentToken token() {
    return new PaymentToken(Secret.of("spt_abc123xyz9"), SELLER, Money.usd("5.00"), time.instant().plusSeconds(600),
        PaymentToken.Status.ACTIVE, null);
  }

  @Test
  void issue_readsStringAmountsAnAmountObjectAndAnRfc3339Expiry() {
    Instant expires = time.instant().plus(Duration.ofMinutes(15));
    answer("{\"id\":\"spt_abc123xyz9\",\"object\":\"shared_payment.issued_token\",\"status\":\"active\","
        + "\"shared_metadata\":{},\"usage_limits\":{\"currency\":\"usd\",\"max_amount\":\"500\",\"expires_at\":\""
        + expires + "\"},\"usage_details\":{\"amount_captured\":{\"value\":\"125\",\"currency\":\"usd\"}}}");

    PaymentToken t = spt.issue(tokenRequest());

    assertThat(t.maxAmount()).isEqualTo(Money.usd("5.00"));
    assertThat(t.captured()).isEqualTo(Money.usd("1.25"));
    assertThat(t.expiresAt()).isEqualTo(expires);
    assertThat(t.seller()).isEqualTo(SELLER);
    assertThat(t.status()).isEqualTo(PaymentToken.Status.ACTIVE);
  }

  @Test
  void retrieve_readsRequiresActionDeactivationAndStatusesItDoesNotKnow() {
    answer("{\"id\":\"spt_abc123xyz9\",\"status\":\"requires_action\",\"next_action\":{\"type\":\"redirect_to_url\","
        + "\"redirect_to_url\":{\"url\":\"https://hooks.stripe.test/3ds/1\",\"return_url\":null}}}");
    answer("{\"id\":\"spt_abc123xyz9\",\"status\":\"active\",\"deactivated_at\":\"2026-11-02T09:00:00Z\","
        + "\"deactivated_reason\":\"revoked\"}");
    answer("{\"id\":\"spt_abc123xyz9\",\"status\":\"paused\"}");

    assertThat(spt.retrieve(token()).status()).isEqualTo(PaymentToken.Status.REQUIRES_ACTION);
    assertThat(spt.retrieve(token()).status()).isEqualTo(PaymentToken.Status.DEACTIVATED);
    assertThat(spt.retrieve(token()).status()).isEqualTo(PaymentToken.Status.UNKNOWN);
  }

  @Test
  void issue_whenTheTokenHasNoIdOrItsLimitNoAmount_namesTheMember() {
    answer("{\"object\":\"shared_payment.issued_token\",\"status\":\"active\"}");
    answer("{\"id\":\"spt_abc123xyz9\",\"usage_limits\":{\"currency\":\"usd\",\"expires_at\":1793000000}}");

    assertThatThrownBy(() -> spt.issue(tokenRequest())).isInstanceOfSatisfying(MalformedResponseException.class,
        malformed("$.id", "issue a Stripe shared payment token for " + SELLER, "is missing"));
    assertThatThrownBy(() -> spt.retrieve(token())).isInstanceOfSatisfying(MalformedResponseException.class,
        malformed("$.usage_limits.max_amount", "read Stripe shared payment token spt_…xyz9", "is missing"));
  }

  // ---------------------------------------------------------------- errors

  @Test
  void errors_whenAV2ErrorHasACodeButNoType_keepTheCodeAndMessage() {
    answer(400, "{\"error\":{\"code\":\"invalid_fields\",\"message\":\"name is too long\","
        + "\"user_message\":\"Pick a shorter name\",\"invalid_fields\":[{\"path\":\"name\"}]}}");

    assertThatThrownBy(stripe::eligibility).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e).isNotInstanceOf(MalformedResponseException.class);
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.code()).isEqualTo("invalid_fields");
      assertThat(e.requestId()).isEqualTo("req_400");
      assertThat(e.getMessage()).contains("name is too long");
    });
  }

  @Test
  void errors_whenTheErrorMemberIsNotAnObject_keepTheStatusAndNeverEchoTheBody() {
    answer(400, "{\"error\":\"invalid_grant\",\"error_description\":\"code sk_live_zzzzzzzzzzzz expired\"}");

    assertThatThrownBy(stripe::eligibility).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.getMessage()).contains("without a JSON error body").doesNotContain("sk_live_zzzzzzzzzzzz");
    });
  }

  @Test
  void answers_whenNotJson_areMalformedWithoutQuotingTheBody() {
    queue.enqueue(new MockResponse.Builder().code(200).setHeader("Request-Id", "req_200")
        .body("<html>maintenance token=sk_live_yyyyyyyyyyyy</html>").build());

    assertThatThrownBy(stripe::eligibility).isInstanceOfSatisfying(MalformedResponseException.class, e -> {
      malformed("$", "read Stripe provisioning eligibility", "is not valid JSON").accept(e);
      assertThat(e.getMessage()).doesNotContain("sk_live_yyyyyyyyyyyy").doesNotContain("maintenance");
    });
  }
}
