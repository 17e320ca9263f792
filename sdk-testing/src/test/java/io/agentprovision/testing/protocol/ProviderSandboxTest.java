package io.agentprovision.testing.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.protocol.AccountRequest;
import io.agentprovision.core.protocol.AccountResponse;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.testing.VirtualTime;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProviderSandboxTest {
  private final VirtualTime time = VirtualTime.create();

  @Test
  void start_whenBuilt_listensOnLoopbackOnly() throws Exception {
    try (ProviderSandbox sandbox = ProviderSandbox.builder().clock(time).start()) {
      assertThat(InetAddress.getByName(sandbox.baseUrl().getHost()).isLoopbackAddress()).isTrue();
    }
  }

  @Test
  void consentLink_whenUsedOnce_cannotBeUsedAgain() {
    Secret shared = Secret.of("whsec_x");
    InMemoryBackend backend = new InMemoryBackend();
    backend.existingAccount("ada@example.com");
    try (ProviderSandbox sandbox = ProviderSandbox.builder().sharedSecret(shared).clock(time).backend(backend).start()) {
      ProtocolClient client = ProtocolClient.builder().provider("cloudflare").baseUrl(sandbox.baseUrl())
          .sharedSecret(shared).clock(time).sleeper(time).build();
      URI consent = ((AccountResponse.RequiresAuth) client.requestAccount(new AccountRequest("r1", "ada@example.com",
          null, null, null, Set.of(), List.of(), List.of(), Map.of(), Secret.of("s"), time.instant().plusSeconds(60),
          Map.of("type", "direct"), null))).redirectUrl();

      assertThat(sandbox.approveConsent(consent)).containsKeys("code", "state");
      assertThatThrownBy(() -> sandbox.approveConsent(consent)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("410");
    }
  }

  @Test
  void charger_whenTokenMisused_declinesWithTheReason() {
    InMemoryPaymentCharger charger = new InMemoryPaymentCharger(time);
    Secret token = charger.issue("cloudflare", Money.usd("10.00"), time.instant().plusSeconds(60));

    assertThatThrownBy(() -> charger.charge(token, Money.usd("1.00"), "someone-else", "x", "k1"))
        .isInstanceOfSatisfying(PaymentCharger.Declined.class, d -> assertThat(d.code()).isEqualTo("seller_mismatch"));
    assertThatThrownBy(() -> charger.charge(token, Money.eur("1.00"), "cloudflare", "x", "k2"))
        .isInstanceOfSatisfying(PaymentCharger.Declined.class, d -> assertThat(d.code()).isEqualTo("currency_mismatch"));
    assertThatThrownBy(() -> charger.charge(Secret.of("spt_forged"), Money.usd("1.00"), "cloudflare", "x", "k3"))
        .isInstanceOfSatisfying(PaymentCharger.Declined.class, d -> assertThat(d.code()).isEqualTo("unknown_token"));
    time.advance(Duration.ofSeconds(60));
    assertThatThrownBy(() -> charger.charge(token, Money.usd("1.00"), "cloudflare", "x", "k4"))
        .isInstanceOfSatisfying(PaymentCharger.Declined.class, d -> assertThat(d.code()).isEqualTo("token_expired"));
    assertThat(charger.charges()).isEmpty();
  }

  @Test
  void charger_whenChargedTwiceWithSameKey_chargesOnceAndThenTheTokenIsUsedUp() {
    InMemoryPaymentCharger charger = new InMemoryPaymentCharger(time);
    Secret token = charger.issue("cloudflare", Money.usd("10.00"), time.instant().plusSeconds(60));

    PaymentCharger.Charge a = charger.charge(token, Money.usd("10.00"), "cloudflare", "x", "k1");
    PaymentCharger.Charge b = charger.charge(token, Money.usd("10.00"), "cloudflare", "x", "k1");

    assertThat(b).isEqualTo(a);
    assertThat(charger.charges()).hasSize(1);
    assertThat(charger.captured(token)).isEqualTo(Money.usd("10.00"));
    assertThatThrownBy(() -> charger.charge(token, Money.usd("1.00"), "cloudflare", "x", "k2"))
        .isInstanceOfSatisfying(PaymentCharger.Declined.class, d -> assertThat(d.code()).isEqualTo("token_inactive"));
  }

  @Test
  void charger_whenRevoked_declines() {
    InMemoryPaymentCharger charger = new InMemoryPaymentCharger(time);
    Secret token = charger.issue("cloudflare", Money.usd("10.00"), time.instant().plusSeconds(60));
    charger.revoke(token);

    assertThatThrownBy(() -> charger.charge(token, Money.usd("1.00"), "cloudflare", "x", "k"))
        .isInstanceOf(PaymentCharger.Declined.class).hasMessageContaining("revoked");
  }
}
