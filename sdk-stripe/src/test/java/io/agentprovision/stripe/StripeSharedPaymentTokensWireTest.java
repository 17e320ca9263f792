package io.agentprovision.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.testing.NoDelayServerSocketFactory;
import io.agentprovision.testing.VirtualTime;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What {@link StripeSharedPaymentTokens} puts on the wire and how it reads the answers. */
class StripeSharedPaymentTokensWireTest {
  private static final String KEY = "sk_test_spt_51Abc";
  private static final String SELLER = "profile_cloudflare_sbx";
  private final VirtualTime time = VirtualTime.create();

  private PaymentTokenRequest request(Money max, Duration lifetime, String key) {
    return new PaymentTokenRequest(SELLER, "prvres_42", max, time.instant().plus(lifetime), key,
        Map.of("run", "run-1"));
  }

  private final MockWebServer server = new MockWebServer();
  private final QueueDispatcher queue = new QueueDispatcher();
  private StripeSharedPaymentTokens spt;

  StripeSharedPaymentTokensWireTest() throws Exception {
    queue.setFailFast(true);
    server.setDispatcher(queue);
    server.setServerSocketFactory(NoDelayServerSocketFactory.INSTANCE);
    server.start();
    spt = StripeSharedPaymentTokens.builder()
        .api(StripeApi.builder().apiKey(Secret.of(KEY)).apiBase(server.url("/").toString())
            .sharedPaymentVersion("2026-05-02.preview").maxNetworkRetries(0).build())
        .paymentMethod("pm_1Card")
        .clock(time)
        .build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void answer(int code, String json) {
    queue.enqueue(new MockResponse.Builder().code(code).body(json).build());
  }

  private RecordedRequest next(String method, String target) throws InterruptedException {
    RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r).isNotNull();
    assertThat(r.getMethod()).isEqualTo(method);
    assertThat(r.getTarget()).isEqualTo(target);
    assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer " + KEY);
    assertThat(r.getHeaders().get("Stripe-Version")).isEqualTo("2026-05-02.preview");
    return r;
  }

  @Test
  void issue_sendsAFormWithSellerAndUsageLimitsUnderTheRequestsKey() throws Exception {
    long expires = time.instant().plus(Duration.ofMinutes(15)).getEpochSecond();
    answer(200, "{\"id\":\"spt_abc123xyz9\",\"object\":\"shared_payment.issued_token\",\"status\":\"active\","
        + "\"seller_details\":{\"network_business_profile\":\"" + SELLER + "\"},\"usage_limits\":{\"currency\":\"usd\","
        + "\"max_amount\":500,\"expires_at\":" + expires + "},\"usage_details\":{\"amount_captured\":0},"
        + "\"deactivated_at\":null}");

    PaymentToken token = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(15), "run-1:plan:spt"));

    RecordedRequest r = next("POST", "/v1/shared_payment/issued_tokens");
    assertThat(r.getHeaders().get("Idempotency-Key")).isEqualTo("run-1:plan:spt");
    assertThat(r.getHeaders().get("Content-Type")).isEqualTo("application/x-www-form-urlencoded;charset=UTF-8");
    assertThat(URLDecoder.decode(r.getBody().utf8(), StandardCharsets.UTF_8)).isEqualTo(
        "payment_method=pm_1Card&seller_details[network_business_profile]=" + SELLER
            + "&seller_details[external_id]=prvres_42&usage_limits[currency]=usd&usage_limits[max_amount]=500"
            + "&usage_limits[expires_at]=" + expires);
    assertThat(token.token().reveal()).isEqualTo("spt_abc123xyz9");
    assertThat(token.reference()).isEqualTo("spt_…xyz9");
    assertThat(token.status()).isEqualTo(PaymentToken.Status.ACTIVE);
    assertThat(token.maxAmount()).isEqualTo(Money.usd("5.00"));
    assertThat(token.captured()).isEqualTo(Money.usd("0.00"));
    assertThat(token.toString()).doesNotContain("spt_abc123xyz9");
  }

  @Test
  void issue_whenTheExpiryIsTooFarOrPast_refusesBeforeAnyCall() {
    assertThatThrownBy(() -> spt.issue(request(Money.usd("5.00"), Duration.ofHours(2), "k1")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("expiresAt"));
    assertThatThrownBy(() -> spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(-1), "k2")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("expiresAt"));
    assertThatThrownBy(() -> spt.issue(request(Money.usd("0.00"), Duration.ofMinutes(5), "k3")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("maxAmount"));
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void retrieveAndRevoke_readTheTokenAndTreatAnInactiveOneAsRevoked() throws Exception {
    PaymentToken token = new PaymentToken(Secret.of("spt_abc123xyz9"), SELLER, Money.usd("5.00"),
        time.instant().plusSeconds(600), PaymentToken.Status.ACTIVE, null);
    answer(200, "{\"id\":\"spt_abc123xyz9\",\"status\":\"active\",\"usage_details\":{\"amount_captured\":500},"
        + "\"deactivated_at\":1793000000,\"deactivated_reason\":\"consumed\"}");
    answer(400, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"token_inactive\","
        + "\"message\":\"spt_abc123xyz9 is no longer active\"}}");
    answer(200, "{\"id\":\"spt_abc123xyz9\",\"deactivated_at\":1793000000,\"deactivated_reason\":\"consumed\"}");

    PaymentToken read = spt.retrieve(token);
    spt.revoke(token);

    next("GET", "/v1/shared_payment/issued_tokens/spt_abc123xyz9");
    RecordedRequest revoke = next("POST", "/v1/shared_payment/issued_tokens/spt_abc123xyz9/revoke");
    assertThat(revoke.getHeaders().get("Idempotency-Key")).startsWith("agentprovision-spt-revoke-")
        .doesNotContain("spt_abc123xyz9");
    next("GET", "/v1/shared_payment/issued_tokens/spt_abc123xyz9");
    assertThat(read.status()).isEqualTo(PaymentToken.Status.DEACTIVATED);
    assertThat(read.captured()).isEqualTo(Money.usd("5.00"));
  }

  @Test
  void paymentMethod_readsTheCardAndReportsAMissingOneAsNotReady() throws Exception {
    answer(200, "{\"id\":\"pm_1Card\",\"type\":\"card\",\"card\":{\"brand\":\"visa\",\"last4\":\"4242\"}}");
    answer(404, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"resource_missing\",\"message\":\"No such"
        + " PaymentMethod\"}}");

    assertThat(spt.paymentMethod()).isEqualTo(new PaymentMethodStatus(true, "visa •••• 4242"));
    assertThat(spt.paymentMethod()).isEqualTo(new PaymentMethodStatus(false, null));
    next("GET", "/v1/payment_methods/pm_1Card");
  }

  @Test
  void issue_whenTheIssuerWantsThreeDSecure_returnsTheTokenWithItsNextActionPage() throws Exception {
    long expires = time.instant().plus(Duration.ofMinutes(15)).getEpochSecond();
    answer(200, "{\"id\":\"spt_3ds1\",\"object\":\"shared_payment.issued_token\",\"status\":\"requires_action\","
        + "\"next_action\":{\"type\":\"redirect_to_url\",\"redirect_to_url\":{\"url\":"
        + "\"https://hooks.stripe.test/3d_secure_2/authenticate/src_1\",\"return_url\":null}},"
        + "\"seller_details\":{\"network_business_profile\":\"" + SELLER + "\"},\"usage_limits\":{\"currency\":\"usd\","
        + "\"max_amount\":500,\"expires_at\":" + expires + "},\"usage_details\":{\"amount_captured\":0},"
        + "\"deactivated_at\":null}");

    PaymentToken t = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(15), "run-1:plan:spt"));

    next("POST", "/v1/shared_payment/issued_tokens");
    assertThat(t.status()).isEqualTo(PaymentToken.Status.REQUIRES_ACTION);
    assertThat(t.nextActionUrl()).hasToString("https://hooks.stripe.test/3d_secure_2/authenticate/src_1");
    assertThat(t.toString()).doesNotContain("spt_3ds1");
  }

  @Test
  void issue_whenTheNextActionNeedsStripesSdk_returnsTheTokenWithoutAPage() throws Exception {
    long expires = time.instant().plus(Duration.ofMinutes(15)).getEpochSecond();
    answer(200, "{\"id\":\"spt_3ds2\",\"status\":\"requires_action\",\"next_action\":{\"type\":\"use_stripe_sdk\","
        + "\"use_stripe_sdk\":{}},\"usage_limits\":{\"currency\":\"usd\",\"max_amount\":500,\"expires_at\":" + expires
        + "},\"deactivated_at\":null}");

    PaymentToken t = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(15), "run-1:plan:spt"));

    assertThat(t.status()).isEqualTo(PaymentToken.Status.REQUIRES_ACTION);
    assertThat(t.nextActionUrl()).isNull();
  }

  @Test
  void lookUpPrice_readsAStripePricesAmountAndInterval() throws Exception {
    answer(200, "{\"id\":\"price_1Monthly\",\"object\":\"price\",\"currency\":\"usd\",\"unit_amount\":500,"
        + "\"type\":\"recurring\",\"recurring\":{\"interval\":\"month\",\"interval_count\":1,\"usage_type\":\"licensed\"}}");
    answer(200, "{\"id\":\"price_1Once\",\"object\":\"price\",\"currency\":\"eur\",\"unit_amount\":1299,"
        + "\"type\":\"one_time\",\"recurring\":null}");

    Pricing monthly = spt.lookUpPrice("price_1Monthly").orElseThrow();
    Pricing once = spt.lookUpPrice("price_1Once").orElseThrow();

    next("GET", "/v1/prices/price_1Monthly");
    next("GET", "/v1/prices/price_1Once");
    assertThat(monthly.kind()).isEqualTo(Pricing.Kind.KNOWN);
    assertThat(monthly.amount()).isEqualTo(Money.usd("5.00"));
    assertThat(monthly.interval()).isEqualTo(Pricing.Interval.MONTHLY);
    assertThat(monthly.stripePrice()).isEqualTo("price_1Monthly");
    assertThat(once.amount()).isEqualTo(Money.eur("12.99"));
    assertThat(once.interval()).isEqualTo(Pricing.Interval.ONE_TIME);
  }

  @Test
  void lookUpPrice_whenStripeKnowsNoWholeAmount_leavesThePriceUnknown() throws Exception {
    answer(404, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"resource_missing\","
        + "\"message\":\"No such price: 'price_1Gone'\"}}");
    answer(200, "{\"id\":\"price_1Metered\",\"currency\":\"usd\",\"unit_amount\":null,\"unit_amount_decimal\":\"0.015\","
        + "\"type\":\"recurring\",\"recurring\":{\"interval\":\"month\",\"usage_type\":\"metered\"}}");

    assertThat(spt.lookUpPrice("price_1Gone")).isEmpty();
    assertThat(spt.lookUpPrice("price_1Metered")).isEmpty();
    assertThat(spt.lookUpPrice("not a price id")).isEmpty();
    assertThat(server.getRequestCount()).isEqualTo(2);
  }
}
