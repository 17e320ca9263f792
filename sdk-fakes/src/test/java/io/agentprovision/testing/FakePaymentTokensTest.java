package io.agentprovision.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.testing.FakePaymentTokens.ChargeDeclinedException.Reason;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FakePaymentTokensTest {
  private final VirtualTime time = VirtualTime.create();
  private final FakePaymentTokens spt = FakePaymentTokens.builder().clock(time).build();

  private PaymentTokenRequest request(String key, String max) {
    return new PaymentTokenRequest("cloudflare", "res_1", Money.usd(max), time.instant().plus(Duration.ofMinutes(30)), key,
        Map.of("run", "run_1"));
  }

  private void assertDeclined(Runnable charge, Reason reason) {
    assertThatThrownBy(charge::run).isInstanceOfSatisfying(FakePaymentTokens.ChargeDeclinedException.class, e -> {
      assertThat(e.reason()).isEqualTo(reason);
      assertThat(e.code()).isEqualTo(reason.code());
      assertThat(e.retryable()).isFalse();
    });
  }

  @Test
  void issue_returnsActiveSecretTokenWithLimits() {
    PaymentToken t = spt.issue(request("k1", "5.00"));

    assertThat(t.token().reveal()).startsWith("spt_fake_");
    assertThat(t.toString()).doesNotContain(t.token().reveal());
    assertThat(t.status()).isEqualTo(PaymentToken.Status.ACTIVE);
    assertThat(t.maxAmount()).isEqualTo(Money.usd("5.00"));
    assertThat(t.seller()).isEqualTo("cloudflare");
    assertThat(t.captured()).isEqualTo(Money.usd("0.00"));
    assertThat(spt.issued()).singleElement().satisfies(i -> {
      assertThat(i.idempotencyKey()).isEqualTo("k1");
      assertThat(i.sellerExternalId()).isEqualTo("res_1");
      assertThat(i.metadata()).containsEntry("run", "run_1");
    });
  }

  @Test
  void issue_whenSameKey_returnsSameTokenAndIssuesNoSecond() {
    PaymentToken first = spt.issue(request("k1", "5.00"));
    PaymentToken again = spt.issue(request("k1", "5.00"));

    assertThat(again.token().matches(first.token())).isTrue();
    assertThat(spt.issued()).hasSize(1);
  }

  @Test
  void issue_whenSameKeyOtherLimits_refuses() {
    spt.issue(request("k1", "5.00"));

    assertThatThrownBy(() -> spt.issue(request("k1", "50.00")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("idempotency_error"));
  }

  @Test
  void issue_whenNoPaymentMethodOrPastExpiry_refuses() {
    assertThatThrownBy(() -> spt.issue(new PaymentTokenRequest("cloudflare", null, Money.usd("5.00"), time.instant(), "k",
        Map.of()))).isInstanceOf(InvalidRequestException.class);

    spt.setPaymentMethod(new PaymentMethodStatus(false, null));

    assertThat(spt.paymentMethod().ready()).isFalse();
    assertThatThrownBy(() -> spt.issue(request("k2", "5.00")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.status()).isEqualTo(402));
    assertThat(spt.issued()).isEmpty();
  }

  @Test
  void charge_whenWithinLimits_capturesAndConsumesToken() {
    PaymentToken t = spt.issue(request("k1", "12.00"));

    FakePaymentTokens.Capture c = spt.charge(t, Money.usd("10.44"), "cloudflare");

    assertThat(c.amount()).isEqualTo(Money.usd("10.44"));
    assertThat(c.tokenReference()).isEqualTo(t.reference());
    PaymentToken now = spt.retrieve(t);
    assertThat(now.captured()).isEqualTo(Money.usd("10.44"));
    assertThat(now.status()).isEqualTo(PaymentToken.Status.DEACTIVATED);
    assertThat(spt.issued().get(0).deactivationReason()).isEqualTo("consumed");
    assertDeclined(() -> spt.charge(t, Money.usd("1.00"), "cloudflare"), Reason.CONSUMED);
    assertThat(spt.captures()).hasSize(1);
  }

  @Test
  void charge_whenOverMaxOtherCurrencyOrOtherSeller_declinesAndCapturesNothing() {
    PaymentToken t = spt.issue(request("k1", "5.00"));

    assertDeclined(() -> spt.charge(t, Money.usd("5.01"), "cloudflare"), Reason.AMOUNT_TOO_LARGE);
    assertDeclined(() -> spt.charge(t, Money.eur("5.00"), "cloudflare"), Reason.CURRENCY_MISMATCH);
    assertDeclined(() -> spt.charge(t, Money.usd("5.00"), "vercel"), Reason.WRONG_SELLER);
    assertDeclined(() -> spt.charge("spt_fake_nope", Money.usd("5.00"), "cloudflare"), Reason.UNKNOWN_TOKEN);

    assertThat(spt.captures()).isEmpty();
    assertThat(spt.retrieve(t).status()).isEqualTo(PaymentToken.Status.ACTIVE);
    assertThat(spt.charge(t.token().reveal(), Money.usd("5.00"), "cloudflare").amount()).isEqualTo(Money.usd("5.00"));
  }

  @Test
  void charge_whenExpired_declinesAndRetrieveShowsDeactivated() {
    PaymentToken t = spt.issue(request("k1", "5.00"));
    time.advance(Duration.ofMinutes(30));

    assertDeclined(() -> spt.charge(t, Money.usd("5.00"), "cloudflare"), Reason.EXPIRED);
    assertThat(spt.retrieve(t).status()).isEqualTo(PaymentToken.Status.DEACTIVATED);
    assertThat(spt.issued().get(0).deactivationReason()).isEqualTo("expired");
  }

  @Test
  void revoke_whenActive_declinesLaterChargesAndRepeatIsNoOp() {
    PaymentToken t = spt.issue(request("k1", "5.00"));

    spt.revoke(t);
    spt.revoke(t);

    assertDeclined(() -> spt.charge(t, Money.usd("5.00"), "cloudflare"), Reason.REVOKED);
    assertThat(spt.issued().get(0).deactivationReason()).isEqualTo("revoked");
  }

  @Test
  void revoke_whenConsumed_keepsConsumedReason() {
    PaymentToken t = spt.issue(request("k1", "5.00"));
    spt.charge(t, Money.usd("5.00"), "cloudflare");

    spt.revoke(t);

    assertThat(spt.issued().get(0).deactivationReason()).isEqualTo("consumed");
  }

  @Test
  void issue_whenCrashAfter_tokenExistsAndRetryWithKeyReturnsIt() {
    spt.crashAfter("issue", 1);

    assertThatThrownBy(() -> spt.issue(request("k1", "5.00"))).isInstanceOf(SimulatedCrash.class);
    PaymentToken t = spt.issue(request("k1", "5.00"));

    assertThat(spt.issued()).singleElement().satisfies(i -> assertThat(i.token().token().matches(t.token())).isTrue());
  }

  @Test
  void requireAuthentication_issuesTokensThatWaitForThePersonsThreeDSecure() {
    spt.requireAuthentication(true);
    PaymentToken t = spt.issue(request("k-3ds", "5.00"));

    assertThat(t.status()).isEqualTo(PaymentToken.Status.REQUIRES_ACTION);
    assertThat(t.nextActionUrl()).isNotNull();
    assertThat(t.nextActionUrl().toString()).startsWith(FakePaymentTokens.AUTHENTICATION_PAGES)
        .doesNotContain(t.token().reveal());
    assertDeclined(() -> spt.charge(t, Money.usd("5.00"), "cloudflare"), Reason.AUTHENTICATION_REQUIRED);

    assertThat(spt.authenticate(t.nextActionUrl())).isTrue();

    assertThat(spt.retrieve(t).status()).isEqualTo(PaymentToken.Status.ACTIVE);
    assertThat(spt.retrieve(t).nextActionUrl()).isNull();
    assertThat(spt.charge(t, Money.usd("5.00"), "cloudflare").amount()).isEqualTo(Money.usd("5.00"));
    assertThat(spt.authenticate(t.nextActionUrl())).as("a page passed once").isFalse();
  }

  @Test
  void requireAuthentication_aTokenRevokedWhileWaiting_isNeverCharged() {
    spt.requireAuthentication(true);
    PaymentToken t = spt.issue(request("k-3ds-2", "5.00"));

    spt.revoke(t);

    assertThat(spt.issued()).singleElement().satisfies(i -> assertThat(i.deactivationReason()).isEqualTo("revoked"));
    assertDeclined(() -> spt.charge(t, Money.usd("5.00"), "cloudflare"), Reason.REVOKED);
  }
}
