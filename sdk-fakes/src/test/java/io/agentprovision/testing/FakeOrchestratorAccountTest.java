package io.agentprovision.testing;

import static io.agentprovision.testing.OrchestratorFixtures.ADA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FakeOrchestratorAccountTest {
  private final OrchestratorFixtures f = new OrchestratorFixtures();

  private static AccountLinkRequest linkAda() {
    return new AccountLinkRequest("cloudflare", ADA, List.of(), Map.of());
  }

  @Test
  void catalog_byDefault_isCloudflareWithPlansDeployablesAndTerms() {
    Catalog c = FakeOrchestrator.create().catalog("cloudflare");

    assertThat(c.provider().termsOfService()).isEqualTo(URI.create("https://www.cloudflare.com/terms/"));
    assertThat(c.services()).extracting(ServiceOffering::id)
        .containsExactly("workers:free", "workers:paid", "workers", "kv", "d1", "registrar:domain");
    ServiceOffering paid = c.service("workers:paid").orElseThrow();
    assertThat(paid.isPlan()).isTrue();
    assertThat(paid.pricing().kind()).isEqualTo(Pricing.Kind.MINIMUM);
    assertThat(paid.pricing().minimum()).isEqualTo(Money.usd("5.00"));
    assertThat(paid.pricing().interval()).isEqualTo(Pricing.Interval.MONTHLY);
    assertThat(c.service("workers:free").orElseThrow().allowedUpdates()).containsExactly("workers:paid");
    ServiceOffering domain = c.service("registrar:domain").orElseThrow();
    assertThat(domain.pricing().type()).isEqualTo(Pricing.Type.COMPONENT);
    assertThat(domain.pricing().interval()).isEqualTo(Pricing.Interval.ONE_TIME);
    assertThat(c.service("workers").orElseThrow().pricing().isPaid()).isFalse();
  }

  @Test
  void catalog_whenProviderUnknown_throwsNotFound() {
    assertThatThrownBy(() -> FakeOrchestrator.create().catalog("vercel"))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(404);
          assertThat(e.code()).isEqualTo("provider_not_found");
          assertThat(e.retryable()).isFalse();
        });
  }

  @Test
  void linkAccount_whenEmailIsNew_createsAccountWithoutAskingTheHuman() {
    FakeOrchestrator orch = FakeOrchestrator.create();

    ProviderAccount a = orch.linkAccount(linkAda(), f.ctx("link"));

    assertThat(a.linkAction()).isEqualTo(ProviderAccount.LinkAction.CREATED);
    assertThat(a.email()).isEqualTo("ada@example.com");
    assertThat(a.provider()).isEqualTo("cloudflare");
    assertThat(a.connectionId()).isNotNull();
    assertThat(f.gate.requests()).isEmpty();
    assertThat(orch.accounts()).containsExactly(a);
  }

  @Test
  void linkAccount_whenAccountExistsAndCallbackEchoesState_linksExistingAfterConsent() {
    FakeOrchestrator orch = FakeOrchestrator.builder().existingAccount("ADA@example.com").build();
    f.gate.respond(CheckpointKind.ACCOUNT_CONSENT, r -> Map.of("state", r.details().get("state"), "code", "oauth-code-1"));

    ProviderAccount a = orch.linkAccount(linkAda(), f.ctx("link"));

    assertThat(a.linkAction()).isEqualTo(ProviderAccount.LinkAction.LINKED_EXISTING);
    ApprovalRequest consent = f.gate.requests(CheckpointKind.ACCOUNT_CONSENT).get(0);
    assertThat(consent.url()).isNotNull();
    assertThat(consent.url().toString()).contains("state=" + consent.details().get("state"));
    assertThat(consent.details().get("state")).hasSizeGreaterThanOrEqualTo(16);
    assertThat(f.gate.requests()).hasSize(1);
  }

  @Test
  void linkAccount_whenCallbackStateDiffers_rejectsAndLinksNothing() {
    FakeOrchestrator orch = FakeOrchestrator.builder().existingAccount("ada@example.com").build();
    f.gate.respond(CheckpointKind.ACCOUNT_CONSENT, r -> Map.of("state", "forged", "code", "oauth-code-1"));

    assertThatThrownBy(() -> orch.linkAccount(linkAda(), f.ctx("link")))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("state"));
    assertThat(orch.accounts()).isEmpty();
  }

  @Test
  void linkAccount_whenCallbackHasNoState_rejects() {
    FakeOrchestrator orch = FakeOrchestrator.builder().existingAccount("ada@example.com").build();
    f.gate.respond(CheckpointKind.ACCOUNT_CONSENT, r -> Map.of("code", "oauth-code-1"));

    assertThatThrownBy(() -> orch.linkAccount(linkAda(), f.ctx("link")))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("state"));
  }

  @Test
  void linkAccount_whenCallbackHasNoCode_rejects() {
    FakeOrchestrator orch = FakeOrchestrator.builder().existingAccount("ada@example.com").build();
    f.gate.respond(CheckpointKind.ACCOUNT_CONSENT, r -> Map.of("state", r.details().get("state")));

    assertThatThrownBy(() -> orch.linkAccount(linkAda(), f.ctx("link")))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("code"));
    assertThat(orch.accounts()).isEmpty();
  }

  @Test
  void linkAccount_whenConsentDenied_throwsApprovalDenied() {
    FakeOrchestrator orch = FakeOrchestrator.builder().existingAccount("ada@example.com").build();
    f.gate.deny(CheckpointKind.ACCOUNT_CONSENT, "not my account");

    assertThatThrownBy(() -> orch.linkAccount(linkAda(), f.ctx("link"))).isInstanceOf(ApprovalDeniedException.class);
    assertThat(orch.accounts()).isEmpty();
  }

  @Test
  void linkAccount_whenLinkedBefore_returnsSameAccountWithoutAskingAgain() {
    FakeOrchestrator orch = FakeOrchestrator.builder().existingAccount("ada@example.com").build();
    f.gate.respond(CheckpointKind.ACCOUNT_CONSENT, r -> Map.of("state", r.details().get("state"), "code", "c"));
    ProviderAccount first = orch.linkAccount(linkAda(), f.ctx("link"));

    ProviderAccount again = orch.linkAccount(linkAda(), f.ctx("link-2"));

    assertThat(again).isEqualTo(first);
    assertThat(f.gate.requests()).hasSize(1);
    assertThat(orch.accounts()).hasSize(1);
  }

  @Test
  void linkAccount_whenEmailNotVerified_rejects() {
    Principal unverified = ADA.toBuilder().email("bob@example.com", false).build();

    assertThatThrownBy(() -> FakeOrchestrator.create().linkAccount(
        new AccountLinkRequest("cloudflare", unverified, List.of(), Map.of()), f.ctx("link")))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("email_verified"));
  }

  @Test
  void linkAccount_whenTermsCheckpointOn_putsCatalogTermsToTheHumanFirst() {
    FakeOrchestrator orch = FakeOrchestrator.builder().termsCheckpoint(true).build();

    orch.linkAccount(linkAda(), f.ctx("link"));

    assertThat(f.gate.requests()).singleElement().satisfies(r -> {
      assertThat(r.kind()).isEqualTo(CheckpointKind.TERMS_OF_SERVICE);
      assertThat(r.url()).isEqualTo(URI.create("https://www.cloudflare.com/terms/"));
    });
  }

  @Test
  void linkAccount_whenCrashAfter_accountExistsAndRelinkReturnsIt() {
    FakeOrchestrator orch = FakeOrchestrator.create().crashAfter("linkAccount", 1);

    assertThatThrownBy(() -> orch.linkAccount(linkAda(), f.ctx("link"))).isInstanceOf(SimulatedCrash.class);
    ProviderAccount resumed = orch.linkAccount(linkAda(), f.ctx("link"));

    assertThat(orch.accounts()).containsExactly(resumed);
  }

  @Test
  void ensurePaymentMethod_whenNoCard_sendsHumanToCheckoutAndPutsCardOnFile() {
    FakeOrchestrator orch = FakeOrchestrator.create();

    PaymentMethodStatus s = orch.ensurePaymentMethod("cloudflare", Money.usd("100.00"), f.ctx("pm"));

    assertThat(s.ready()).isTrue();
    assertThat(orch.paymentMethodOnFile()).isTrue();
    assertThat(orch.requestedUsageCap("cloudflare")).contains(Money.usd("100.00"));
    assertThat(f.gate.requests()).singleElement().satisfies(r -> {
      assertThat(r.kind()).isEqualTo(CheckpointKind.PAYMENT_METHOD);
      assertThat(r.url().toString()).startsWith("https://checkout.stripe.fake/");
      assertThat(r.details()).containsEntry("usage_cap", "USD 100.00");
    });

    orch.ensurePaymentMethod("cloudflare", Money.usd("100.00"), f.ctx("pm-2"));
    assertThat(f.gate.requests()).hasSize(1);
  }

  @Test
  void ensurePaymentMethod_whenCardOnFile_asksNothing() {
    FakeOrchestrator orch = FakeOrchestrator.builder().paymentMethodOnFile(true).build();

    assertThat(orch.ensurePaymentMethod("cloudflare", Money.usd("100.00"), f.ctx("pm")).display())
        .isEqualTo(FakeOrchestrator.DEFAULT_CARD_DISPLAY);
    assertThat(f.gate.requests()).isEmpty();
  }

  @Test
  void ensurePaymentMethod_whenHumanDeclines_throwsAndNoCardIsOnFile() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    f.gate.deny(CheckpointKind.PAYMENT_METHOD, "later");

    assertThatThrownBy(() -> orch.ensurePaymentMethod("cloudflare", Money.usd("100.00"), f.ctx("pm")))
        .isInstanceOf(ApprovalDeniedException.class);
    assertThat(orch.paymentMethodOnFile()).isFalse();
  }
}
