package io.agentprovision.e2e.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.cloudflare.CloudflareDeployer;
import io.agentprovision.cloudflare.DomainPurchase;
import io.agentprovision.cloudflare.PurchasedDomain;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import io.agentprovision.testing.cloudflare.CloudflareSandbox.RegistrationScript;
import io.agentprovision.testing.cloudflare.CloudflareSandbox.RegistrationView;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DomainPurchaseSandboxTest {
  private final SandboxFixture f = new SandboxFixture();
  private final ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(f.time);
  private final FakeStepContext ctx = FakeStepContext.builder().time(f.time).approvals(gate).build();

  @AfterEach
  void close() {
    f.close();
  }

  private DomainPurchase purchase() {
    return new DomainPurchase(f.client(f.broad).registrar(f.account));
  }

  @Test
  void purchase_whenTheWorkflowSucceeds_commitsTheQuotedPriceAndCreatesTheZone() {
    PurchasedDomain d = purchase().purchase(DomainRequest.exact("ada-shop.dev").years(2), ctx);

    assertThat(d.domain()).isEqualTo("ada-shop.dev");
    assertThat(d.charged()).isEqualTo(Money.usd("24.00"));
    FakeStepContext.Spend spend = ctx.spends().get(0);
    assertThat(spend.request().kind()).isEqualTo(CheckpointKind.DOMAIN_PURCHASE);
    assertThat(spend.request().amount()).isEqualTo(Money.usd("24.00"));
    assertThat(spend.state()).isEqualTo(FakeStepContext.Spend.State.COMMITTED);
    assertThat(spend.committed()).isEqualTo(Money.usd("24.00"));
    RegistrationView reg = f.cf.registrations(f.account).stream().filter(r -> r.domain().equals("ada-shop.dev"))
        .findFirst().orElseThrow();
    assertThat(reg.state()).isEqualTo("succeeded");
    assertThat(reg.polls()).isEqualTo(2);
    assertThat(f.cf.zones(f.account)).extracting(CloudflareSandbox.ZoneView::name).contains("ada-shop.dev");
    assertThat(f.time.sleeps()).containsExactly(Duration.ofSeconds(2));
    assertThat(ctx.progress()).anyMatch(p -> p.contains("registration of ada-shop.dev"));
  }

  @Test
  void purchase_whenCloudflareNeedsAction_asksTheHumanAndGoesOnAfterTheyAct() {
    f.cf.scriptRegistration("ada-shop.com", RegistrationScript.ACTION_REQUIRED);
    gate.on(CheckpointKind.ACTION_REQUIRED, (ApprovalRequest r) -> {
      f.cf.resolveAction("ada-shop.com");
      return ApprovalDecision.approved("ada", "confirmed the e-mail", f.time.instant());
    });

    PurchasedDomain d = purchase().purchase(DomainRequest.exact("ada-shop.com"), ctx);

    assertThat(d.charged()).isEqualTo(Money.usd("10.44"));
    assertThat(gate.requests(CheckpointKind.ACTION_REQUIRED)).singleElement().satisfies(r -> {
      assertThat(r.details()).containsEntry("action", "confirm_registrant_email")
          .containsEntry("confirmation_sent_to", CloudflareSandbox.USER_EMAIL)
          .containsEntry("domain", "ada-shop.com");
      assertThat(r.title()).contains("ada-shop.com");
    });
    assertThat(ctx.spends().get(0).state()).isEqualTo(FakeStepContext.Spend.State.COMMITTED);
  }

  @Test
  void purchase_whenTheHumanRefusesTheAction_releasesTheReservation() {
    f.cf.scriptRegistration("ada-shop.com", RegistrationScript.ACTION_REQUIRED);
    gate.deny(CheckpointKind.ACTION_REQUIRED, "not now");

    assertThatThrownBy(() -> purchase().purchase(DomainRequest.exact("ada-shop.com"), ctx))
        .isInstanceOf(ApprovalDeniedException.class);

    assertThat(ctx.spends().get(0).state()).isEqualTo(FakeStepContext.Spend.State.RELEASED);
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::outcome).contains("action-required", "abandoned");
  }

  @Test
  void purchase_whenTheRegistrationFails_releasesAndSaysWhy() {
    f.cf.scriptRegistration("ada-shop.com", RegistrationScript.FAIL);

    assertThatThrownBy(() -> purchase().purchase(DomainRequest.exact("ada-shop.com"), ctx))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("registry_rejected");
          assertThat(e.retryable()).isFalse();
        });
    assertThat(ctx.spends().get(0).state()).isEqualTo(FakeStepContext.Spend.State.RELEASED);
  }

  @Test
  void purchase_whenPolicyRefusesThePrice_registersNothing() {
    FakeStepContext capped = FakeStepContext.builder().time(f.time).spendCap(Money.usd("5.00")).build();

    assertThatThrownBy(() -> purchase().purchase(DomainRequest.exact("ada-shop.com"), capped))
        .isInstanceOf(PolicyViolationException.class);

    assertThat(f.cf.registrations(f.account)).extracting(RegistrationView::domain).doesNotContain("ada-shop.com");
    assertThat(f.cf.requests()).noneMatch(r -> r.method().equals("POST") && r.pathOnly().endsWith("/registrations"));
  }

  @Test
  void purchase_forAQuery_picksThePreferredTldWithinTheMaximum() {
    f.cf.takeDomain("ada-shop.dev");

    PurchasedDomain d = purchase().purchase(DomainRequest.query("ada-shop").preferTlds("dev", "app", "com")
        .maxPrice(Money.usd("13.00")), ctx);

    assertThat(d.domain()).isEqualTo("ada-shop.com");
    assertThat(f.cf.requests()).anyMatch(r -> r.method().equals("POST") && r.pathOnly().endsWith("/domain-check"));
  }

  @Test
  void choose_forAnExactNameAboveTheMaximum_refusesBeforeAnySpend() {
    assertThatThrownBy(() -> purchase().purchase(DomainRequest.exact("ada-shop.io").maxPrice(Money.usd("20.00")), ctx))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("maxPrice"));
    assertThat(ctx.spends()).isEmpty();
  }

  @Test
  void choose_forAPremiumName_refusesIt() {
    f.cf.premiumDomain("ada.com");

    assertThatThrownBy(() -> purchase().choose(DomainRequest.exact("ada.com")))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("domain_premium");
  }

  @Test
  void purchase_ofANameTheAccountAlreadyHolds_buysNothing() {
    PurchasedDomain d = purchase().purchase(DomainRequest.exact(SandboxFixture.DOMAIN), ctx);

    assertThat(d.alreadyRegistered()).isTrue();
    assertThat(d.charged().isZero()).isTrue();
    assertThat(ctx.spends()).isEmpty();
  }

  @Test
  void registerDomain_throughTheRegistrarSandbox_usesItsPathAndCreatesNoZone() {
    CloudflareDeployer deployer = CloudflareDeployer.builder().baseUrl(f.cf.baseUrl()).registrarSandbox(true).build();

    PurchasedDomain d = deployer.registerDomain(DomainRequest.exact("ada-test.net"), f.broadConfig(true), f.account, ctx);

    assertThat(d.sandbox()).isTrue();
    assertThat(d.zoneId()).isNull();
    assertThat(f.cf.registrations(f.account)).filteredOn(RegistrationView::sandbox)
        .extracting(RegistrationView::domain, RegistrationView::state).containsExactly(
            org.assertj.core.groups.Tuple.tuple("ada-test.net", "succeeded"));
    assertThat(f.cf.requests()).anyMatch(r -> r.pathOnly().contains("/registrar-sandbox/registrations"));
    assertThat(f.cf.zones(f.account)).extracting(CloudflareSandbox.ZoneView::name).doesNotContain("ada-test.net");
  }

  @Test
  void registerDomain_forReal_fillsInTheZoneCloudflareCreated() {
    PurchasedDomain d = f.deployer.registerDomain(DomainRequest.exact("ada-shop.app"), f.broadConfig(true), f.account, ctx);

    assertThat(d.zoneId()).isEqualTo(f.cf.zones(f.account).stream().filter(z -> z.name().equals("ada-shop.app"))
        .findFirst().orElseThrow().id());
    assertThat(d.charged()).isEqualTo(Money.usd("14.00"));
  }

  @Test
  void purchase_whenTheExactNameIsALookalike_refusesBeforeAnyQuoteOrSpend() {
    assertThatThrownBy(() -> purchase().purchase(DomainRequest.exact("xn--pple-43d.org"), ctx))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("domain");
          assertThat(e.problem()).contains("\u0430pple.org (xn--pple-43d.org)");
        });

    assertThat(ctx.spends()).isEmpty();
    assertThat(f.cf.registrations(f.account)).extracting(RegistrationView::domain).noneMatch(d -> d.startsWith("xn--"));
  }

  @Test
  void purchase_whenTheHostAsksAPersonAboutLookalikes_showsBothFormsAndBuysNothingWhenDenied() {
    gate.deny(CheckpointKind.LOOKALIKE_DOMAIN, "not ours");
    DomainPurchase asking = new DomainPurchase(f.client(f.broad).registrar(f.account), DomainPurchase.DEFAULT_BACKOFF,
        io.agentprovision.core.DomainNames.builder()
            .lookalikePolicy(io.agentprovision.core.DomainNames.LookalikePolicy.ASK_A_PERSON).build());

    assertThatThrownBy(() -> asking.purchase(DomainRequest.exact("xn--pple-43d.com"), ctx))
        .isInstanceOf(ApprovalDeniedException.class);

    assertThat(gate.requests(CheckpointKind.LOOKALIKE_DOMAIN)).singleElement().satisfies(r -> {
      assertThat(r.title()).contains("\u0430pple.com (xn--pple-43d.com)");
      assertThat(r.details()).containsEntry("domain_unicode", "\u0430pple.com").containsEntry("resembles", "apple.com");
    });
    assertThat(ctx.spends()).isEmpty();
    assertThat(f.cf.registrations(f.account)).extracting(RegistrationView::domain).noneMatch(d -> d.startsWith("xn--"));
  }
}
