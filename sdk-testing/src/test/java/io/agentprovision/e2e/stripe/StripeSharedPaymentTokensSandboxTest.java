package io.agentprovision.e2e.stripe;

import io.agentprovision.stripe.StripeSharedPaymentTokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.stripe.StripeClient;
import com.stripe.exception.CardException;
import com.stripe.net.ApiResource;
import com.stripe.net.StripeResponse;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.stripe.StripeSandbox;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Shared Payment Tokens issued through {@link StripeSharedPaymentTokens} and charged under the sandbox's rules. */
class StripeSharedPaymentTokensSandboxTest {
  private static final String KEY = "sk_test_spt_51Abc";
  private static final String SELLER = "profile_cloudflare_sbx";
  private final VirtualTime time = VirtualTime.create();

  private PaymentTokenRequest request(Money max, Duration lifetime, String key) {
    return new PaymentTokenRequest(SELLER, "prvres_42", max, time.instant().plus(lifetime), key,
        Map.of("run", "run-1"));
  }

  private static final String SELLER_KEY = "sk_test_seller_cloudflare_51";
  private final StripeSandbox sandbox = StripeSandbox.builder().time(time).sellerKey(SELLER_KEY, SELLER).start();
  private final StripeSharedPaymentTokens spt = StripeSharedPaymentTokens.builder().api(sandbox.api())
      .paymentMethod("pm_card_visa").clock(time).build();
  private final StripeClient seller = StripeClient.builder().setApiKey(SELLER_KEY).setApiBase(sandbox.baseUrl())
      .build();

  @AfterEach
  void stop() {
    sandbox.close();
  }

  private StripeResponse charge(PaymentToken token, long amount, String currency) throws Exception {
    return seller.rawRequest(ApiResource.RequestMethod.POST, "/v1/payment_intents", "amount=" + amount + "&currency="
        + currency + "&confirm=true&payment_method_data[shared_payment_granted_token]=" + token.token().reveal());
  }

  @Test
  void charge_withinTheTokensLimits_succeedsAndIsVisibleOnTheToken() throws Exception {
    PaymentToken token = spt.issue(request(Money.usd("10.44"), Duration.ofMinutes(10), "run-1:domain:spt"));

    StripeResponse paid = charge(token, 1044, "usd");

    assertThat(paid.code()).isEqualTo(200);
    assertThat(paid.body()).contains("\"status\":\"succeeded\"");
    PaymentToken read = spt.retrieve(token);
    assertThat(read.captured()).isEqualTo(Money.usd("10.44"));
    assertThat(read.status()).isEqualTo(PaymentToken.Status.DEACTIVATED);
  }

  @Test
  void charge_aboveTheLimit_failsAndTakesNothing() throws Exception {
    PaymentToken token = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(10), "k-above"));

    assertThatThrownBy(() -> charge(token, 501, "usd"))
        .isInstanceOfSatisfying(CardException.class, e -> {
          assertThat(e.getStatusCode()).isEqualTo(402);
          assertThat(e.getCode()).isEqualTo("amount_too_large");
        });
    assertThat(sandbox.paymentIntents()).isEmpty();
    assertThat(spt.retrieve(token).captured()).isEqualTo(Money.usd("0.00"));
  }

  @Test
  void charge_inAnotherCurrency_fails() {
    PaymentToken token = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(10), "k-eur"));

    assertThatThrownBy(() -> charge(token, 400, "eur"))
        .isInstanceOfSatisfying(CardException.class, e -> assertThat(e.getCode()).isEqualTo("currency_mismatch"));
    assertThat(sandbox.paymentIntents()).isEmpty();
  }

  @Test
  void charge_afterExpiry_failsAndTheTokenReadsAsDeactivated() {
    PaymentToken token = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(10), "k-late"));
    time.advance(Duration.ofMinutes(10));

    assertThatThrownBy(() -> charge(token, 500, "usd"))
        .isInstanceOfSatisfying(CardException.class, e -> assertThat(e.getCode()).isEqualTo("token_expired"));
    assertThat(spt.retrieve(token).status()).isEqualTo(PaymentToken.Status.DEACTIVATED);
  }

  @Test
  void charge_byAnotherSeller_fails() {
    PaymentToken token = spt.issue(new PaymentTokenRequest("profile_someone_else", null, Money.usd("5.00"),
        time.instant().plusSeconds(300), "k-seller", Map.of()));

    assertThatThrownBy(() -> charge(token, 500, "usd"))
        .isInstanceOfSatisfying(CardException.class, e -> assertThat(e.getCode()).isEqualTo("seller_mismatch"));
  }

  @Test
  void charge_afterRevocation_fails() {
    PaymentToken token = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(10), "k-revoke"));

    spt.revoke(token);
    spt.revoke(token);

    assertThatThrownBy(() -> charge(token, 100, "usd"))
        .isInstanceOfSatisfying(CardException.class, e -> assertThat(e.getCode()).isEqualTo("token_inactive"));
  }

  @Test
  void issue_repeatedUnderOneKey_returnsTheSameTokenButRefusesOtherParameters() {
    PaymentToken first = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(10), "run-2:plan:spt"));
    PaymentToken again = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(10), "run-2:plan:spt"));

    assertThat(again.token().matches(first.token())).isTrue();
    assertThat(sandbox.tokens()).hasSize(1);
    assertThatThrownBy(() -> spt.issue(request(Money.usd("50.00"), Duration.ofMinutes(10), "run-2:plan:spt")))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.code()).isEqualTo("idempotency_error");
          assertThat(e.retryable()).isFalse();
        });
    assertThat(sandbox.tokens()).hasSize(1);
  }

  @Test
  void charge_inProcessAndOverHttp_followTheSameRules() {
    PaymentToken token = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(10), "k-inproc"));

    assertThat(sandbox.charge(token.token().reveal(), Money.eur("1.00"), SELLER, null).declineCode())
        .isEqualTo("currency_mismatch");
    assertThat(sandbox.charge(token.token().reveal(), Money.usd("3.00"), SELLER, "pi-key").succeeded()).isTrue();
    assertThat(sandbox.charge(token.token().reveal(), Money.usd("3.00"), SELLER, "pi-key").succeeded()).isTrue();
    assertThat(sandbox.charge(token.token().reveal(), Money.usd("3.00"), SELLER, "pi-key-2").declineCode())
        .isEqualTo("amount_too_large");
    assertThat(sandbox.paymentIntents()).hasSize(1);
    assertThat(spt.retrieve(token).captured()).isEqualTo(Money.usd("3.00"));
  }

  @Test
  void paymentMethod_whenTheCardExists_isReady() {
    assertThat(spt.paymentMethod()).isEqualTo(new PaymentMethodStatus(true, "visa •••• 4242"));
  }

  @Test
  void token_whoseIssuerWantsThreeDSecure_cannotBeChargedUntilThePersonPassesItsPage() throws Exception {
    sandbox.requireTokenAuthentication(true);
    PaymentToken token = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(10), "k-3ds"));

    assertThat(token.status()).isEqualTo(PaymentToken.Status.REQUIRES_ACTION);
    assertThat(token.nextActionUrl().getPath()).startsWith("/sandbox/authenticate/auth_");
    assertThatThrownBy(() -> charge(token, 500, "usd")).isInstanceOfSatisfying(CardException.class,
        e -> assertThat(e.getCode()).isEqualTo("authentication_required"));

    try (okhttp3.Response page = new okhttp3.OkHttpClient().newCall(new okhttp3.Request.Builder()
        .url(token.nextActionUrl().toString()).build()).execute()) {
      assertThat(page.code()).isEqualTo(200);
    }

    assertThat(spt.retrieve(token).status()).isEqualTo(PaymentToken.Status.ACTIVE);
    assertThat(charge(token, 500, "usd").code()).isEqualTo(200);
    assertThat(sandbox.paymentIntents()).hasSize(1);
  }

  @Test
  void token_waitingForThreeDSecure_canBeRevoked_andItsPageThenFails() throws Exception {
    sandbox.requireTokenAuthentication(true);
    PaymentToken token = spt.issue(request(Money.usd("5.00"), Duration.ofMinutes(10), "k-3ds-revoke"));

    spt.revoke(token);

    try (okhttp3.Response page = new okhttp3.OkHttpClient().newCall(new okhttp3.Request.Builder()
        .url(token.nextActionUrl().toString()).build()).execute()) {
      assertThat(page.code()).isEqualTo(400);
    }
    assertThat(spt.retrieve(token).status()).isEqualTo(PaymentToken.Status.DEACTIVATED);
  }

  @Test
  void lookUpPrice_readsAPriceTheSandboxKeeps() {
    sandbox.addPrice("price_1Plan", Money.usd("5.00"), "month");

    assertThat(spt.lookUpPrice("price_1Plan")).hasValueSatisfying(p -> {
      assertThat(p.amount()).isEqualTo(Money.usd("5.00"));
      assertThat(p.interval()).isEqualTo(io.agentprovision.core.catalog.Pricing.Interval.MONTHLY);
    });
    assertThat(spt.lookUpPrice("price_1Unknown")).isEmpty();
  }
}
