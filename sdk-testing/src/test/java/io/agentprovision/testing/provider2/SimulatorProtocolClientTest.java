package io.agentprovision.testing.provider2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.protocol.AccountRequest;
import io.agentprovision.core.protocol.AccountResponse;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.protocol.ProviderResource;
import io.agentprovision.core.protocol.ProviderResourceRequest;
import io.agentprovision.core.protocol.ProviderTokens;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SDK's current {@link ProtocolClient} against the independent simulator, once per variant (and
 * once with none), over the calls it already reads in every variant: health and version, the paged
 * catalog, an account request in the answer type the variant gives, the token exchange with PKCE,
 * refresh, consent for an existing account, and a free plan. A later change to the client is checked
 * against this; the shapes the client does not read yet are listed in docs/testing.md.
 */
class SimulatorProtocolClientTest {
  private static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

  static Stream<Set<Variant>> variants() {
    return Stream.concat(Stream.of(EnumSet.noneOf(Variant.class)), EnumSet.allOf(Variant.class).stream().map(EnumSet::of));
  }

  private static AccountRequest request(SimWire wire, String email) {
    return new AccountRequest("ar_" + email, email, "Ada", "GB", null, Set.of("email"), List.of(), List.of("browser"),
        Map.of(), Secret.of("confirmation-secret-0123456789"), wire.time.instant().plus(Duration.ofMinutes(15)),
        Map.of("type", "direct"), SimWire.s256(VERIFIER));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void currentClient_readsHealthCatalogAccountsAndTokens(Set<Variant> variants) {
    try (SimWire wire = SimWire.start(b -> b.variants(variants))) {
      ProtocolClient client = wire.protocolClient();

      assertThat(client.checkVersion().supportedVersions()).containsExactly("0.1d");

      List<ServiceOffering> services = client.allServices();
      assertThat(services).extracting(ServiceOffering::id).containsExactly("workers:free", "workers:paid", "workers",
          "d1", "kv", "queues", "hyperdrive", "containers", "workers-ai", "browser-run", "r2:bucket",
          "registrar:domain");
      assertThat(wire.sim.requests(c -> c.equals("GET /provisioning/services"))).hasSize(3);
      Map<String, Pricing.Type> types = services.stream()
          .collect(Collectors.toMap(ServiceOffering::id, s -> s.pricing().type()));
      assertThat(types).containsEntry("workers:free", Pricing.Type.FREE).containsEntry("workers:paid", Pricing.Type.PAID)
          .containsEntry("registrar:domain", Pricing.Type.PAID)
          .containsEntry("workers", variants.contains(Variant.PRICING_COMPONENT) ? Pricing.Type.COMPONENT
              : Pricing.Type.FREE)
          .containsEntry("workers-ai", variants.contains(Variant.PRICING_UNKNOWN_TYPE) ? Pricing.Type.UNKNOWN
              : Pricing.Type.FREE);

      AccountResponse created = client.requestAccount(request(wire, "new@example.com"));
      ProviderTokens tokens;
      if (variants.contains(Variant.NEW_ACCOUNT_AS_OAUTH_CODE)) {
        assertThat(created).isInstanceOf(AccountResponse.OAuthCode.class);
        tokens = client.exchangeCode(((AccountResponse.OAuthCode) created).code(), Secret.of(VERIFIER));
      } else {
        assertThat(created).isInstanceOf(AccountResponse.Credentials.class);
        tokens = ((AccountResponse.Credentials) created).tokens();
      }
      String accountId = wire.backend.findAccount("new@example.com");
      assertThat(tokens.accountId()).isEqualTo(accountId);
      assertThat(tokens.paymentCredentials()).isEqualTo("orchestrator");
      Duration ttl = variants.contains(Variant.SHORT_LIVED_ACCESS_TOKENS)
          ? IndependentProviderSimulator.SHORT_ACCESS_TOKEN_TTL : IndependentProviderSimulator.DEFAULT_ACCESS_TOKEN_TTL;
      assertThat(tokens.expiresAt()).isEqualTo(wire.time.instant().plus(ttl));

      ProviderTokens refreshed = client.refresh(tokens.refreshToken());
      assertThat(refreshed.accountId()).isEqualTo(accountId);
      if (variants.contains(Variant.ROTATING_REFRESH_TOKENS)) {
        assertThat(refreshed.refreshToken().reveal()).isNotEqualTo(tokens.refreshToken().reveal());
        assertThatThrownBy(() -> client.refresh(tokens.refreshToken())).isInstanceOf(ProviderException.class)
            .hasMessageContaining("invalid_grant");
      } else {
        assertThat(client.refresh(tokens.refreshToken()).accountId()).isEqualTo(accountId);
      }

      String existing = wire.backend.existingAccount("old@example.com");
      AccountResponse consent = client.requestAccount(request(wire, "old@example.com"));
      assertThat(consent).isInstanceOf(AccountResponse.RequiresAuth.class);
      Map<String, String> callback = wire.sim.approveConsent(((AccountResponse.RequiresAuth) consent).redirectUrl());
      assertThat(callback).containsEntry("state", "confirmation-secret-0123456789");
      assertThat(client.exchangeCode(Secret.of(callback.get("code")), Secret.of(VERIFIER)).accountId())
          .isEqualTo(existing);

      ProviderResource plan = client.createResource(refreshed.accessToken(), new ProviderResourceRequest("workers:free",
          Map.of(), null, "proj_1", "ores_plan", "production"), "idem_plan");
      assertThat(plan.status()).isEqualTo(ResourceStatus.COMPLETE);
      assertThat(plan.accessConfiguration()).containsOnlyKeys("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID");
      assertThat(plan.accessConfiguration().get("CLOUDFLARE_ACCOUNT_ID").reveal()).isEqualTo(accountId);
      assertThat(wire.sim.requests()).allSatisfy(e -> assertThat(e.status()).as(e.call()).isLessThan(500));
      assertThat(wire.sim.requests()).filteredOn(e -> !e.path().startsWith("/oauth/authorize"))
          .extracting(e -> e.header("API-Version")).containsOnly("0.1d");
    }
  }
}
