package io.agentprovision.stripe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.wire.WireFormatException;
import io.agentprovision.core.wire.WireRecords;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every record Stripe's answers are bound to, read from JSON as Stripe sends it: v2's strings for
 * 64-bit integers and RFC 3339 times, v1's numbers and Unix seconds, members the records do not
 * declare, and the path named when a required member is missing.
 */
class StripeWireTest {
  private static <T> T read(Class<T> type, String json) {
    return StripeWire.WIRE.read(type, json);
  }

  private static WireFormatException failure(Class<?> type, String json) {
    try {
      read(type, json);
    } catch (WireFormatException e) {
      return e;
    }
    throw new AssertionError("read " + type.getSimpleName() + " although it is malformed: " + json);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "10000 | 10000",
      "\"10000\" | 10000",
      "\" 42 \" | 42",
      "-7 | -7",
      "500.0 | 500",
      "9223372036854775807 | 9223372036854775807",
      "\"9223372036854775807\" | 9223372036854775807"})
  void int64_readsNumbersAndV2DigitStrings(String json, long expected) {
    assertThat(read(ProvisioningJson.UsageLimitsJson.class, "{\"currency\":\"usd\",\"max_amount\":" + json
        + ",\"recurring_interval\":\"month\"}").maxAmount()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"12.5", "\"12.50\"", "\"ten\"", "true", "{}", "[1]", "\"9223372036854775808\"", "1e3"})
  void int64_refusesAnythingElseNamingTheMember(String json) {
    WireFormatException e = failure(ProvisioningJson.UsageLimitsJson.class, "{\"currency\":\"usd\",\"max_amount\":"
        + json + ",\"recurring_interval\":\"month\"}");

    assertThat(e.path()).isEqualTo("$.max_amount");
    assertThat(e.problem()).isEqualTo("is not a 64-bit integer");
    assertThat(e.getMessage()).doesNotContain("ten");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "1793000000 | 2026-10-26T07:33:20Z",
      "\"1793000000\" | 2026-10-26T07:33:20Z",
      "\"2026-11-02T09:00:00Z\" | 2026-11-02T09:00:00Z",
      "\"2026-11-02T09:00:00.123456Z\" | 2026-11-02T09:00:00.123456Z",
      "\"2026-11-02T10:30:00+01:30\" | 2026-11-02T09:00:00Z"})
  void timestamps_readRfc3339AndUnixSeconds(String json, String expected) {
    assertThat(read(ProvisioningJson.AccessConfigurationJson.class, "{\"configuration\":{},\"created\":" + json + "}")
        .created()).isEqualTo(Instant.parse(expected));
  }

  @Test
  void timestamps_whenEmptyOrNull_areAbsentAndWhenUnreadable_nameTheMember() {
    assertThat(read(ProvisioningJson.AccessConfigurationJson.class, "{\"configuration\":{},\"created\":\"\","
        + "\"expires_at\":null}").created()).isNull();

    WireFormatException e = failure(ProvisioningJson.AccessConfigurationJson.class,
        "{\"configuration\":{},\"expires_at\":\"2026-13-45\"}");
    assertThat(e.path()).isEqualTo("$.expires_at");
    assertThat(e.problem()).startsWith("is not a timestamp");
  }

  @Test
  void amounts_readANumberADigitStringOrAV2AmountObject() {
    assertThat(captured("125")).isEqualTo(new StripeWire.AmountJson(125L, null));
    assertThat(captured("\"125\"")).isEqualTo(new StripeWire.AmountJson(125L, null));
    assertThat(captured("{\"value\":\"125\",\"currency\":\"eur\",\"extra\":1}"))
        .isEqualTo(new StripeWire.AmountJson(125L, "eur"));
    assertThat(captured("null")).isNull();
    assertThat(failure(SharedPaymentJson.UsageDetailsJson.class, "{\"amount_captured\":{\"currency\":\"eur\"}}").path())
        .isEqualTo("$.amount_captured.value");
  }

  private static StripeWire.AmountJson captured(String json) {
    return read(SharedPaymentJson.UsageDetailsJson.class, "{\"amount_captured\":" + json + "}").amountCaptured();
  }

  @Test
  void listEnvelope_requiresDataAndNamesItemsByIndex() {
    StripeWire.ListJson<ProvisioningJson.ProviderJson> page = StripeWire.WIRE.read(
        StripeWire.listOf(ProvisioningJson.ProviderJson.class),
        "{\"object\":\"list\",\"data\":[{\"id\":\"prvdr_1\",\"name\":\"A\"}],\"next_page_url\":\"/v2/x?page=2\","
            + "\"previous_page_url\":null}");

    assertThat(page.data()).extracting(ProvisioningJson.ProviderJson::id).containsExactly("prvdr_1");
    assertThat(page.nextPageUrl()).isEqualTo("/v2/x?page=2");
    assertThat(((WireFormatException) catchFailure(() -> StripeWire.WIRE.read(
        StripeWire.listOf(ProvisioningJson.ProviderJson.class), "{\"next_page_url\":null}"))).path())
        .isEqualTo("$.data");
    assertThat(((WireFormatException) catchFailure(() -> StripeWire.WIRE.read(
        StripeWire.listOf(ProvisioningJson.ProviderJson.class),
        "{\"data\":[{\"id\":\"prvdr_1\",\"name\":\"A\"},{\"id\":\"prvdr_2\",\"name\":\" \"}]}"))).path())
        .as("a blank required string is missing").isEqualTo("$.data[1].name");
  }

  /**
   * A connection's {@code active_services} are read by hand (the list grows with a shared account's
   * history): each answer must come out as moshi's own record binding reads it, values and errors
   * alike, and a required member found early must not hide an error after it.
   */
  @Test
  void activeServices_readAsTheRecordBindingReadsThem() {
    WireRecords reference = WireRecords.with(new StripeWire.Int64Factory(), new StripeWire.InstantFactory(),
        new StripeWire.AmountFactory());
    java.lang.reflect.Type page = StripeWire.listOf(ProvisioningJson.ConnectionJson.class);
    List<String> services = List.of(
        "[]",
        "[{\"service_id\":\"workers:paid\",\"status\":\"active\",\"provider_resource_id\":\"r1\"},"
            + "{\"status\":\"pending\"},null,{},{\"service_id\":null,\"extra\":{\"a\":[1,2,{\"b\":null}]}}]",
        "[{\"service_id\":\"a\",\"service_id\":\"b\",\"status\":\"x\",\"status\":null}]",
        "[{\"service\\u005fid\":\"escaped\",\"st\\u0061tus\":\"active\"}]",
        "[{\"service_id\":7}]",
        "[{\"service_id\":\"a\",\"status\":true}]",
        "[\"workers:paid\"]",
        "[[]]",
        "{\"service_id\":\"a\"}",
        "null");
    for (String list : services) {
      String json = "{\"data\":[{\"id\":\"conn_1\",\"provider\":\"p\",\"status\":\"active\","
          + "\"provider_account_details\":{\"id\":\"acct\",\"active_services\":" + list + "}}]}";
      Object expected;
      try {
        expected = reference.read(page, json);
      } catch (WireFormatException e) {
        expected = e.path() + " " + e.problem();
      }
      Object actual;
      try {
        actual = StripeWire.WIRE.read(page, json);
      } catch (WireFormatException e) {
        actual = e.path() + " " + e.problem();
      }
      assertThat(actual).as(list).isEqualTo(expected);
    }
    assertThat(((WireFormatException) catchFailure(() -> StripeWire.WIRE.read(page,
        "{\"data\":[{\"id\":\"conn_1\",\"provider_account_details\":{\"active_services\":[{}, {\"status\":3}]}}]}")))
        .path()).isEqualTo("$.data[0].provider_account_details.active_services[1].status");
  }

  private static Throwable catchFailure(Runnable r) {
    try {
      r.run();
    } catch (WireFormatException e) {
      return e;
    }
    throw new AssertionError("no failure");
  }

  @Test
  void service_readsBothUpdateFormsPricingAndSchemasAsFreeFormAndNeedsBothIds() {
    ProvisioningJson.ServiceJson s = read(ProvisioningJson.ServiceJson.class, """
        {"id":"prvsvc_1","service_id":"workers:free","object":"v2.provisioning.provider_service_detail",
         "allowed_updates":["prvsvc_2",{"service":"prvsvc_3","direction":"upgrade"},{"service_id":"kv"}],
         "pricing":{"type":"paid","paid_pricing":[{"amount":{"value":"500","currency":"usd"}}]},
         "configuration_schema":{"type":"object","default":null},"capabilities":{"deploy":true}}""");

    assertThat(s.allowedUpdates()).extracting(ProvisioningJson.ServiceRefJson::ref)
        .containsExactly("prvsvc_2", "prvsvc_3", "kv");
    assertThat(s.pricing()).isInstanceOf(Map.class);
    assertThat(s.configurationSchema()).containsEntry("default", null);
    assertThat(failure(ProvisioningJson.ServiceJson.class, "{\"service_id\":\"kv\"}").path()).isEqualTo("$.id");
    assertThat(failure(ProvisioningJson.ServiceJson.class, "{\"id\":\"prvsvc_1\"}").path()).isEqualTo("$.service_id");
  }

  @Test
  void provider_project_eligibility_andPaymentMethodRequest_readTheirMembers() {
    ProvisioningJson.ProviderJson p = read(ProvisioningJson.ProviderJson.class,
        "{\"id\":\"prvdr_cf\",\"name\":\"Cloudflare\",\"website_url\":\"https://cloudflare.com\",\"categories\":[1]}");
    ProvisioningJson.ProjectJson project = read(ProvisioningJson.ProjectJson.class, """
        {"id":"proj_1","name":"my-app","catalog":"prod","created":"2026-11-02T09:00:00Z","livemode":false,
         "profile":{"email":"ada@example.com","verified_fields":["email","name"]},"project_profile":"pprof_1"}""");
    ProvisioningJson.EligibilityJson e = read(ProvisioningJson.EligibilityJson.class,
        "{\"is_eligible\":true,\"requirements\":[]}");
    ProvisioningJson.PaymentMethodRequestJson pmr = read(ProvisioningJson.PaymentMethodRequestJson.class,
        "{\"id\":\"pmr_1\",\"status\":\"complete\",\"checkout_session_url\":\"https://c.test/1\",\"livemode\":false}");

    assertThat(p.websiteUrl()).isEqualTo("https://cloudflare.com");
    assertThat(project.profile().verifiedFields()).containsExactly("email", "name");
    assertThat(project.projectProfile()).isEqualTo("pprof_1");
    assertThat(e.eligible()).isTrue();
    assertThat(pmr.status()).isEqualTo("complete");
    assertThat(failure(ProvisioningJson.ProjectJson.class, "{\"name\":\"my-app\"}").path()).isEqualTo("$.id");
    assertThat(failure(ProvisioningJson.EligibilityJson.class, "{\"is_eligible\":\"yes\"}").problem())
        .isEqualTo("is not a boolean");
  }

  @Test
  void connectionRequest_readsItsConnectionErrorAndSchema() {
    ProvisioningJson.ConnectionRequestJson r = read(ProvisioningJson.ConnectionRequestJson.class, """
        {"id":"pcr_1","request_status":"error","error":{"code":"expired","message":"too late","doc":"x"},
         "needs_information_schema":{"type":"object","required":["email"]},"scopes":[],
         "provider_connection":{"id":"pconn_1","provider":"prvdr_cf","status":"active","provider_account":"acct_1"}}""");

    assertThat(r.error()).isEqualTo(new ProvisioningJson.ErrorJson("expired", "too late"));
    assertThat(r.needsInformationSchema()).containsEntry("required", List.of("email"));
    assertThat(r.providerConnection().providerAccount()).isEqualTo("acct_1");
    assertThat(failure(ProvisioningJson.ConnectionRequestJson.class,
        "{\"id\":\"pcr_1\",\"provider_connection\":{\"status\":\"active\"}}").path()).isEqualTo("$.provider_connection.id");
  }

  @Test
  void resource_userMessageIsAnObjectOrText_andIdAndStatusAreRequired() {
    assertThat(read(ProvisioningJson.ResourceJson.class, "{\"id\":\"r\",\"status\":\"pending\",\"user_message\":"
        + "{\"message\":\"Wait\",\"received_at\":1793000000}}").userMessage())
        .isEqualTo(new ProvisioningJson.UserMessageJson("Wait", Instant.ofEpochSecond(1793000000)));
    assertThat(read(ProvisioningJson.ResourceJson.class, "{\"id\":\"r\",\"status\":\"pending\",\"user_message\":"
        + "\"Wait\"}").userMessage()).isEqualTo(new ProvisioningJson.UserMessageJson("Wait", null));
    assertThat(failure(ProvisioningJson.ResourceJson.class, "{\"status\":\"pending\"}").path()).isEqualTo("$.id");
    assertThat(failure(ProvisioningJson.ResourceJson.class, "{\"id\":\"r\",\"status\":null}").path())
        .isEqualTo("$.status");
  }

  @Test
  void paymentProfile_namesAMissingMemberOfANestedLimit() {
    assertThat(failure(ProvisioningJson.PaymentProfileJson.class,
        "{\"providers\":[{\"usage_limits\":{\"currency\":\"usd\",\"max_amount\":1,\"recurring_interval\":\"month\"}}]}")
        .path()).isEqualTo("$.providers[0].provider");
    assertThat(failure(ProvisioningJson.PaymentProfileJson.class,
        "{\"usage_limits\":{\"max_amount\":\"1\",\"recurring_interval\":\"month\"}}").path())
        .isEqualTo("$.usage_limits.currency");
  }

  @Test
  void issuedToken_readsV1AndPreviewFormsAndTheNextActionUrl() {
    SharedPaymentJson.IssuedTokenJson t = read(SharedPaymentJson.IssuedTokenJson.class, """
        {"id":"spt_1","object":"shared_payment.issued_token","created":1751500820,"status":"requires_action",
         "usage_limits":{"currency":"usd","max_amount":1000,"expires_at":1751587220},
         "usage_details":{"amount_captured":{"value":0,"currency":"usd"}},
         "seller_details":{"network_business_profile":"profile_1","external_id":null},
         "next_action":{"type":"redirect_to_url","redirect_to_url":{"url":"https://hooks.stripe.test/3ds",
           "return_url":"https://app.test/back"}},
         "deactivated_at":null,"deactivated_reason":null,"shared_metadata":{}}""");

    assertThat(t.status()).isEqualTo("requires_action");
    assertThat(t.nextActionUrl()).isEqualTo("https://hooks.stripe.test/3ds");
    assertThat(t.usageLimits()).isEqualTo(new SharedPaymentJson.TokenLimitsJson("usd", 1000L,
        Instant.ofEpochSecond(1751587220)));
    assertThat(t.usageDetails().amountCaptured()).isEqualTo(new StripeWire.AmountJson(0L, "usd"));
    assertThat(t.created()).isEqualTo(Instant.ofEpochSecond(1751500820));
    assertThat(read(SharedPaymentJson.IssuedTokenJson.class,
        "{\"id\":\"spt_1\",\"next_action\":{\"type\":\"use_stripe_sdk\",\"use_stripe_sdk\":{}}}").nextActionUrl())
        .isNull();
    assertThat(read(SharedPaymentJson.IssuedTokenJson.class, "{\"id\":\"spt_1\",\"deactivated_at\":"
        + "\"2026-11-02T09:00:00Z\",\"deactivated_reason\":\"consumed\"}").deactivatedReason()).isEqualTo("consumed");
  }

  @Test
  void paymentMethod_readsItsCard() {
    SharedPaymentJson.PaymentMethodJson pm = read(SharedPaymentJson.PaymentMethodJson.class,
        "{\"id\":\"pm_1\",\"type\":\"card\",\"card\":{\"brand\":\"visa\",\"last4\":\"4242\",\"exp_year\":2030}}");

    assertThat(pm.card()).isEqualTo(new SharedPaymentJson.CardJson("visa", "4242"));
    assertThat(failure(SharedPaymentJson.PaymentMethodJson.class, "{\"type\":\"card\"}").path()).isEqualTo("$.id");
  }

  @Test
  void errorBody_readsV1AndV2Shapes() {
    StripeWire.ErrorBodyJson v1 = read(StripeWire.ErrorBodyJson.class, """
        {"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Declined",
         "param":"payment_method","doc_url":"https://stripe.com/docs/error-codes/card-declined","charge":"ch_1"}}""");
    StripeWire.ErrorBodyJson v2 = read(StripeWire.ErrorBodyJson.class, """
        {"error":{"code":"invalid_fields","message":"name is too long","user_message":"Pick a shorter name",
         "invalid_fields":[{"path":"name","message":"too long"}]}}""");

    assertThat(v1.error()).isEqualTo(new StripeWire.ErrorJson("card_error", "card_declined", "Declined",
        "payment_method", "insufficient_funds", "https://stripe.com/docs/error-codes/card-declined", null));
    assertThat(v2.error().type()).isNull();
    assertThat(v2.error().code()).isEqualTo("invalid_fields");
    assertThat(v2.error().userMessage()).isEqualTo("Pick a shorter name");
    assertThat(failure(StripeWire.ErrorBodyJson.class, "{\"error\":\"invalid_grant\"}").path()).isEqualTo("$.error");
  }
}
