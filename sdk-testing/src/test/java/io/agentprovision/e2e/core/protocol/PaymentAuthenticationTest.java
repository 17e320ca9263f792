package io.agentprovision.e2e.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.protocol.DirectOrchestrator;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.testing.FakePaymentTokens;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.protocol.InMemoryBackend;
import io.agentprovision.testing.protocol.PaymentCharger;
import io.agentprovision.testing.provider2.IndependentProviderSimulator;
import io.agentprovision.testing.provider2.SimulatorCharge;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * 3-D Secure as a human checkpoint: a payment token that answers {@code requires_action} sends the
 * person to its page through the approval gate before the paid call; once they have authenticated,
 * the call goes through and the token is charged; declined, timed out or never authenticated, the
 * token is revoked, the provider is never asked, and nothing is charged.
 */
class PaymentAuthenticationTest {
  private static final Principal ADA = Principal.builder("user-1", "https://issuer.test")
      .email("ada@example.com", true).name("Ada").verifiedFields(Set.of("email")).build();

  private final VirtualTime time = VirtualTime.create();
  private final FakePaymentTokens tokens = FakePaymentTokens.builder().clock(time).requireAuthentication(true).build();
  /** The provider charges the fake's tokens as their seller. */
  private final PaymentCharger charger = (token, amount, seller, description, key) -> {
    try {
      FakePaymentTokens.Capture c = tokens.charge(token.reveal(), amount, seller);
      return new PaymentCharger.Charge(c.id(), amount, seller, description);
    } catch (FakePaymentTokens.ChargeDeclinedException e) {
      throw new PaymentCharger.Declined(e.code(), e.getMessage());
    }
  };
  private final IndependentProviderSimulator sim = IndependentProviderSimulator.wiredTo(new InMemoryBackend(), charger,
      "cloudflare").clock(time).start();
  private final ScriptedApprovalGate person = ScriptedApprovalGate.approveAll(time);
  private final DirectOrchestrator orchestrator = DirectOrchestrator.builder()
      .provider(ProtocolClient.builder().provider("cloudflare").baseUrl(sim.baseUrl()).sharedSecret(sim.sharedSecret())
          .clock(time).sleeper(time).build())
      .paymentTokens(tokens).clock(time).pollBackoff(new Polling.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(4)))
      .build();

  @AfterEach
  void stop() {
    sim.close();
  }

  private FakeStepContext ctx() {
    return FakeStepContext.builder().time(time).approvals(person).principal(ADA).step(StepId.of("plan")).build();
  }

  private ResourceState buyPlan(FakeStepContext ctx) {
    ProviderAccount account = orchestrator.linkAccount(new AccountLinkRequest("cloudflare", ADA, List.of(), Map.of()),
        ctx);
    PaymentAuthorization pay = ctx.authorizeSpend(new SpendRequest(CheckpointKind.PAID_PLAN, "cloudflare",
        Money.usd("5.00"), "workers:paid", Map.of())).payment();
    return orchestrator.provision(new ResourceRequest("cloudflare", "workers:paid", "plan", Map.of(), account, "proj_1",
        "production", pay), ctx);
  }

  private long creates() {
    return sim.requests(c -> c.equals("POST /provisioning/resources")).size();
  }

  @Test
  void tokenThatRequiresAction_sendsThePersonToTheBanksPage_thenThePlanIsBoughtOnce() {
    person.on(CheckpointKind.PAYMENT_AUTHENTICATION, r -> {
      assertThat(tokens.authenticate(r.url())).isTrue(); // the person passes 3-D Secure at the page
      return ApprovalDecision.approved("ada", "done at my bank", time.instant());
    });
    FakeStepContext ctx = ctx();

    ResourceState plan = buyPlan(ctx);

    assertThat(plan.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(person.requests(CheckpointKind.PAYMENT_AUTHENTICATION)).singleElement().satisfies(r -> {
      assertThat(r.url().toString()).startsWith(FakePaymentTokens.AUTHENTICATION_PAGES);
      assertThat(r.cost()).isEqualTo(Money.usd("5.00"));
    });
    assertThat(sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("5.00"));
    assertThat(plan.charged()).isEqualTo(Money.usd("5.00"));
    assertThat(ctx.audits()).extracting(a -> a.action()).contains("payment.token.requires_action",
        "payment.token.authenticated");
  }

  @Test
  void declinedAuthentication_revokesTheToken_asksTheProviderNothing_andChargesNothing() {
    person.deny(CheckpointKind.PAYMENT_AUTHENTICATION, "not my card");

    Throwable failed = catchThrowable(() -> buyPlan(ctx()));

    assertThat(failed).isInstanceOf(ApprovalDeniedException.class).hasMessageContaining("not my card");
    assertThat(tokens.issued()).singleElement().satisfies(t -> assertThat(t.deactivationReason()).isEqualTo("revoked"));
    assertThat(creates()).isZero();
    assertThat(sim.chargeAttempts()).isEmpty();
    assertThat(tokens.captures()).isEmpty();
  }

  @Test
  void timedOutAuthentication_failsClosed_andRevokesTheToken() {
    person.timeOut(CheckpointKind.PAYMENT_AUTHENTICATION);

    Throwable failed = catchThrowable(() -> buyPlan(ctx()));

    assertThat(failed).isInstanceOf(ApprovalDeniedException.class);
    assertThat(tokens.issued()).singleElement().satisfies(t -> assertThat(t.deactivationReason()).isEqualTo("revoked"));
    assertThat(creates()).isZero();
  }

  @Test
  void approvalWithoutTheBanksConfirmation_isATypedError_andTheTokenIsRevoked() {
    // approved at the gate, but the person never completed the bank's page: the token still needs action
    Throwable failed = catchThrowable(() -> buyPlan(ctx()));

    assertThat(failed).isInstanceOfSatisfying(ProviderException.class,
        e -> assertThat(e.code()).isEqualTo("payment_token_requires_action"));
    assertThat(tokens.issued()).singleElement().satisfies(t -> assertThat(t.deactivationReason()).isEqualTo("revoked"));
    assertThat(creates()).isZero();
    assertThat(tokens.captures()).isEmpty();
  }
}
