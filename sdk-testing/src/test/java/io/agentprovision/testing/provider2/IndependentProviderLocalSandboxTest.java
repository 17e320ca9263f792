package io.agentprovision.testing.provider2;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.protocol.AccountRequest;
import io.agentprovision.core.protocol.AccountResponse;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.protocol.ProviderResource;
import io.agentprovision.core.protocol.ProviderResourceRequest;
import io.agentprovision.core.protocol.ProviderResourceUpdate;
import io.agentprovision.core.protocol.ProviderTokens;
import io.agentprovision.stripe.StripeSharedPaymentTokens;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.sandbox.LocalSandbox;
import io.agentprovision.testing.stripe.StripeSandbox;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The independent provider wired into {@link LocalSandbox} as the first one is: its accounts are
 * Cloudflare sandbox accounts, its credentials real Cloudflare sandbox tokens, its domains priced by
 * the Cloudflare Registrar, and it charges Shared Payment Tokens issued by the Stripe sandbox.
 */
class IndependentProviderLocalSandboxTest {
  private static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

  private final VirtualTime time = VirtualTime.create();
  private final LocalSandbox sb = LocalSandbox.builder().clock(time).sleeper(time).workerd(false).cardOnFile(true)
      .start();
  private final StripeSharedPaymentTokens spt = StripeSharedPaymentTokens.builder().api(sb.stripe().api())
      .paymentMethod(StripeSandbox.CHECKOUT_PAYMENT_METHOD).clock(time).build();

  @AfterEach
  void stop() {
    sb.close();
  }

  private ProtocolClient client(IndependentProviderSimulator p) {
    return ProtocolClient.builder().provider(LocalSandbox.PROVIDER).baseUrl(p.baseUrl()).sharedSecret(p.sharedSecret())
        .clock(time).sleeper(time).build();
  }

  private AccountRequest request(String email) {
    return new AccountRequest("ar_" + email, email, "Ada", "GB", null, Set.of("email"), List.of(), List.of("browser"),
        Map.of(), Secret.of("confirmation-secret-0123456789"), time.instant().plus(Duration.ofMinutes(15)),
        Map.of("type", "direct"), SimWire.s256(VERIFIER));
  }

  private Secret token(Money max, String key) {
    return spt.issue(new PaymentTokenRequest(LocalSandbox.SELLER, "ores_" + key, max,
        time.instant().plus(Duration.ofMinutes(10)), key, Map.of())).token();
  }

  @Test
  void paidPlan_isAStripePaymentIntent_andItsCredentialsAreACloudflareToken() {
    IndependentProviderSimulator p = sb.startIndependentProvider(Set.of());
    ProtocolClient client = client(p);

    ProviderTokens tokens = ((AccountResponse.Credentials) client.requestAccount(request("ada@example.com"))).tokens();
    ProviderResource plan = client.createResource(tokens.accessToken(), new ProviderResourceRequest("workers:paid",
        Map.of(), token(Money.usd("5.00"), "plan"), "proj_1", "ores_plan", "production"), "idem_plan");

    assertThat(plan.status()).isEqualTo(ResourceStatus.COMPLETE);
    Secret apiToken = plan.accessConfiguration().get("CLOUDFLARE_API_TOKEN");
    assertThat(sb.cloudflare().tokenByValue(apiToken)).isPresent();
    assertThat(plan.accessConfiguration().get("CLOUDFLARE_ACCOUNT_ID").reveal()).isEqualTo(tokens.accountId());
    assertThat(sb.stripe().paymentIntents()).singleElement()
        .satisfies(pi -> assertThat(((Number) pi.get("amount")).longValue()).isEqualTo(500L));
    assertThat(p.charges()).singleElement().satisfies(c -> assertThat(c.chargeId()).startsWith("pi_"));
  }

  @Test
  void domain_isPricedByTheRegistrar_chargedOnce_andRegisteredInTheAccount() {
    IndependentProviderSimulator p = sb.startIndependentProvider(Set.of(Variant.NEEDS_INFO_PLAIN_ENUM));
    ProtocolClient client = client(p);
    ProviderTokens tokens = ((AccountResponse.Credentials) client.requestAccount(request("ada@example.com"))).tokens();
    client.createResource(tokens.accessToken(), new ProviderResourceRequest("workers:free", Map.of(), null, "proj_1",
        "ores_plan", "production"), "idem_plan");

    ProviderResource asked = client.createResource(tokens.accessToken(), new ProviderResourceRequest(
        "registrar:domain", Map.of("domain_query", "my-app"), null, "proj_1", "ores_domain", "production"), "idem_q");
    assertThat(asked.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    List<InformationRequest.Choice> choices = InformationRequest.fromSchema(asked.needsInformationSchema())
        .choicesFor("domain");
    assertThat(choices).extracting(InformationRequest.Choice::value).contains("my-app.org");
    Money registrarPrice = sb.cloudflare().quoteDomains("my-app.org").stream()
        .filter(q -> q.name().equals("my-app.org")).map(q -> Money.fromDecimal("price", q.registrationCost(),
            q.currency())).findFirst().orElseThrow();

    ProviderResource bought = client.updateService(tokens.accessToken(), asked.id(), new ProviderResourceUpdate(null,
        Map.of("domain", "my-app.org"), token(registrarPrice, "domain")), "idem_answer");

    assertThat(bought.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(p.charges()).extracting(SimulatorCharge::amount).containsExactly(registrarPrice);
    assertThat(sb.stripe().paymentIntents()).hasSize(1);
    assertThat(sb.cloudflare().registrations(tokens.accountId())).hasSize(1);
  }

  @Test
  void existingAccount_linksThroughTheSandboxBrowsersConsentVisit() {
    String account = sb.existingAccount("grace@example.com");
    IndependentProviderSimulator p = sb.startIndependentProvider(b -> b.variant(Variant.ROTATING_REFRESH_TOKENS));
    ProtocolClient client = client(p);

    AccountResponse.RequiresAuth auth = (AccountResponse.RequiresAuth) client.requestAccount(
        request("grace@example.com"));
    Map<String, String> callback = p.approveConsent(auth.redirectUrl());

    assertThat(client.exchangeCode(Secret.of(callback.get("code")), Secret.of(VERIFIER)).accountId()).isEqualTo(account);
  }

  @Test
  void directOrchestrator_forTheIndependentProvider_speaksToIt() {
    IndependentProviderSimulator p = sb.startIndependentProvider(Set.of());

    sb.directOrchestrator(p).catalog(LocalSandbox.PROVIDER);

    assertThat(p.requests(c -> c.startsWith("GET /provisioning/"))).isNotEmpty();
  }
}
