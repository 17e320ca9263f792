package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.stripe.StripeApi;
import io.agentprovision.stripe.StripeAttestedIdentity;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.oidc.OidcIssuerSandbox;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * MFA step-up as the engine does it, with real signed ID tokens from a loopback issuer: every
 * checkpoint kind a policy lists is preceded by a step-up; a step-up is bound to a fresh nonce the
 * engine makes, to the run's principal and to a recent sign-in; an identity that cannot step up is
 * refused when the run is planned.
 */
class MfaStepUpTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  private final EngineHarness h = new EngineHarness();
  private OidcIssuerSandbox issuer;
  private OidcIdentityProvider oidc;

  @BeforeEach
  void start() {
    issuer = OidcIssuerSandbox.start(h.time);
    oidc = OidcIdentityProvider.builder().issuer(issuer.issuer()).audience(OidcIssuerSandbox.DEFAULT_AUDIENCE)
        .clock(h.time).sleeper(h.time).build();
  }

  @AfterEach
  void close() {
    h.close();
    issuer.close();
  }

  private AgentProvisioner provisioner() {
    return h.provisioner(b -> b.identity(oidc));
  }

  /** Ada's sign-in with a password only: the evidence the host hands to every run. */
  private Secret adaSignIn() {
    return issuer.idToken().subject("ada").email("ada@example.com", true).amr("pwd").signSecret();
  }

  /** What Ada's browser hands back from a step-up: a fresh second-factor sign-in answering the checkpoint's nonce. */
  private Secret adaStepsUp(ApprovalRequest r) {
    return issuer.idToken().subject("ada").email("ada@example.com", true).amr("pwd", "otp")
        .nonce(r.details().get("nonce")).signSecret();
  }

  private static int firstIndexOf(List<ApprovalRequest> asked, CheckpointKind kind) {
    for (int i = 0; i < asked.size(); i++) {
      if (asked.get(i).kind() == kind) {
        return i;
      }
    }
    return -1;
  }

  /** An orchestrator that puts every kind of checkpoint a run can meet: consent, terms and a payment method. */
  private void everyCheckpoint() {
    h.orchestrator = FakeOrchestrator.builder().existingAccount("ada@example.com").paymentMethodOnFile(false).build();
    h.gate.respond(CheckpointKind.ACCOUNT_CONSENT, r -> Map.of("code", "code-1", "state", r.details().get("state")));
  }

  // ---------------------------------------------------------------- finding 1: every listed kind is enforced

  @ParameterizedTest
  @EnumSource(value = CheckpointKind.class, names = {"ACCOUNT_CONSENT", "TERMS_OF_SERVICE", "PAYMENT_METHOD",
      "PLAN_APPROVAL"})
  void requireMfaFor_eachListedKind_stepsUpBeforeThatCheckpointIsPutToTheGate(CheckpointKind kind) {
    everyCheckpoint();
    h.policy = SpendPolicy.builder().requireMfaFor(kind).build();
    h.gate.stepUp(this::adaStepsUp);

    provisioner().provisionAndDeploy(EngineHarness.request().identityToken(adaSignIn()).build());

    List<ApprovalRequest> asked = h.gate.requests();
    int at = firstIndexOf(asked, kind);
    assertThat(at).as("the %s checkpoint was asked", kind).isPositive();
    assertThat(asked.get(at - 1).kind()).as("what came just before %s", kind).isEqualTo(CheckpointKind.STEP_UP);
    assertThat(asked.get(at).principal().multiFactor()).isTrue();
    assertThat(h.gate.requests(CheckpointKind.STEP_UP)).hasSize(1);
  }

  @ParameterizedTest
  @EnumSource(value = CheckpointKind.class, names = {"ACCOUNT_CONSENT", "TERMS_OF_SERVICE", "PAYMENT_METHOD",
      "PLAN_APPROVAL"})
  void requireMfaFor_eachListedKind_whenTheStepUpIsRefused_thatCheckpointNeverReachesTheGate(CheckpointKind kind) {
    everyCheckpoint();
    h.policy = SpendPolicy.builder().requireMfaFor(kind).build();
    h.gate.deny(CheckpointKind.STEP_UP, "no phone at hand");

    assertThatThrownBy(() -> provisioner().provisionAndDeploy(EngineHarness.request().identityToken(adaSignIn())
        .build())).isInstanceOf(ApprovalDeniedException.class).hasMessageContaining("no phone at hand");

    assertThat(h.gate.requests(kind)).isEmpty();
    assertThat(h.orchestrator.charges()).isEmpty();
  }

  // ---------------------------------------------------------------- finding 2: nonce, principal, age

  @Test
  void stepUp_handsTheGateAFreshNonce_andATokenCarryingItLetsThePurchaseThrough() {
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.DOMAIN_PURCHASE).build();
    h.gate.stepUp(this::adaStepsUp);
    AgentProvisioner p = provisioner();

    p.provisionAndDeploy(EngineHarness.request().identityToken(adaSignIn()).build());
    h.time.advance(Duration.ofHours(1)); // the first step-up is no longer recent
    p.provisionAndDeploy(EngineHarness.request().identityToken(adaSignIn()).project("second").build());

    List<ApprovalRequest> stepUps = h.gate.requests(CheckpointKind.STEP_UP);
    assertThat(stepUps).hasSize(2);
    String first = stepUps.get(0).details().get("nonce");
    String second = stepUps.get(1).details().get("nonce");
    assertThat(first).isNotBlank().hasSizeGreaterThanOrEqualTo(22); // at least 128 bits, base64url
    assertThat(second).isNotBlank().isNotEqualTo(first);
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .containsExactly("workers:paid", "registrar:domain", "workers:paid", "registrar:domain");
  }

  @Test
  void stepUp_withASecondFactorTokenFromEarlier_isRefusedForItsMissingNonce_andNothingIsCharged() {
    Secret earlier = issuer.idToken().subject("ada").email("ada@example.com", true).amr("pwd", "otp").signSecret();
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.PAID_PLAN, CheckpointKind.DOMAIN_PURCHASE).build();
    h.gate.stepUp(r -> earlier);

    assertThatThrownBy(() -> provisioner().provisionAndDeploy(EngineHarness.request().identityToken(adaSignIn())
        .build())).isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("nonce"));

    assertThat(h.orchestrator.charges()).isEmpty();
  }

  @Test
  void stepUp_byAnotherPersonAnsweringTheNonce_isRefused_andNothingIsCharged() {
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.PAID_PLAN).build();
    h.gate.stepUp(r -> issuer.idToken().subject("eve").email("eve@example.com", true).amr("pwd", "otp")
        .nonce(r.details().get("nonce")).signSecret());

    assertThatThrownBy(() -> provisioner().provisionAndDeploy(EngineHarness.request().identityToken(adaSignIn())
        .build())).isInstanceOfSatisfying(IdentityRejectedException.class,
            e -> assertThat(e.check()).isEqualTo("subject"));

    assertThat(h.orchestrator.charges()).isEmpty();
  }

  @Test
  void stepUp_aSecondFactorSignInThreeDaysOld_doesNotSkipTheStepUp_andNothingIsChargedWithoutIt() {
    // issued just now (a refreshed token), but the person last showed a second factor three days ago
    Secret stale = issuer.idToken().subject("ada").email("ada@example.com", true).amr("pwd", "otp")
        .authTime(h.time.instant().minus(Duration.ofDays(3))).signSecret();
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.PAID_PLAN, CheckpointKind.DOMAIN_PURCHASE).build();
    h.gate.deny(CheckpointKind.STEP_UP, "not now");

    assertThatThrownBy(() -> provisioner().provisionAndDeploy(EngineHarness.request().identityToken(stale).build()))
        .isInstanceOf(ApprovalDeniedException.class);

    assertThat(h.gate.requests(CheckpointKind.STEP_UP)).hasSize(1);
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("0.00"));
  }

  @Test
  void stepUp_whoseSignInIsOlderThanFiveMinutes_isRefused() {
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.PAID_PLAN).build();
    h.gate.stepUp(r -> issuer.idToken().subject("ada").email("ada@example.com", true).amr("pwd", "otp")
        .authTime(h.time.instant().minus(Duration.ofMinutes(6))).nonce(r.details().get("nonce")).signSecret());

    assertThatThrownBy(() -> provisioner().provisionAndDeploy(EngineHarness.request().identityToken(adaSignIn())
        .build())).isInstanceOfSatisfying(IdentityRejectedException.class,
            e -> assertThat(e.check()).isEqualTo("auth_time"));

    assertThat(h.orchestrator.charges()).isEmpty();
  }

  @Test
  void stepUpMaxAge_configuredOnThePolicy_acceptsAnOlderSignInWithinIt() {
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.PAID_PLAN).stepUpMaxAge(Duration.ofMinutes(10))
        .build();
    h.gate.stepUp(r -> issuer.idToken().subject("ada").email("ada@example.com", true).amr("pwd", "otp")
        .authTime(h.time.instant().minus(Duration.ofMinutes(6))).nonce(r.details().get("nonce")).signSecret());

    provisioner().provisionAndDeploy(EngineHarness.request().identityToken(adaSignIn()).build());

    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId).contains("workers:paid");
  }

  @Test
  void raisingALimit_withASecondFactorTokenFromEarlierInTheRun_isRefused_andThePolicyStays() {
    SpendPolicy current = SpendPolicy.builder().requireMfaFor(CheckpointKind.RAISE_LIMIT).build();
    h.policy = current;
    Secret earlier = issuer.idToken().subject("ada").email("ada@example.com", true).amr("pwd", "otp").signSecret();
    h.gate.stepUp(r -> earlier);
    AgentProvisioner p = provisioner();
    SpendPolicy higher = current.toBuilder()
        .replaceLimits(List.of(SpendLimit.monthly(Money.usd("500.00")).perProvider())).build();

    assertThatThrownBy(() -> p.updateSpendPolicy(AGENT, higher, "bigger app", earlier))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("nonce"));

    assertThat(p.spendPolicy()).isSameAs(current);
    assertThat(h.gate.requests(CheckpointKind.RAISE_LIMIT)).isEmpty();
  }

  @Test
  void raisingALimit_withAnotherPersonsSecondFactor_isRefused_andThePolicyStays() {
    SpendPolicy current = SpendPolicy.builder().requireMfaFor(CheckpointKind.RAISE_LIMIT).build();
    h.policy = current;
    h.gate.stepUp(r -> issuer.idToken().subject("eve").email("eve@example.com", true).amr("pwd", "otp")
        .nonce(r.details().get("nonce")).signSecret());
    AgentProvisioner p = provisioner();
    SpendPolicy higher = current.toBuilder()
        .replaceLimits(List.of(SpendLimit.monthly(Money.usd("500.00")).perProvider())).build();

    assertThatThrownBy(() -> p.updateSpendPolicy(AGENT, higher, "bigger app", adaSignIn()))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("subject"));

    assertThat(p.spendPolicy()).isSameAs(current);
  }

  @Test
  void raisingALimit_withAFreshStepUpOfTheSamePerson_asksForTheRaiseAndAppliesIt() {
    SpendPolicy current = SpendPolicy.builder().requireMfaFor(CheckpointKind.RAISE_LIMIT).build();
    h.policy = current;
    h.gate.stepUp(this::adaStepsUp);
    AgentProvisioner p = provisioner();
    SpendPolicy higher = current.toBuilder()
        .replaceLimits(List.of(SpendLimit.monthly(Money.usd("500.00")).perProvider())).build();

    p.updateSpendPolicy(AGENT, higher, "bigger app", adaSignIn());

    assertThat(p.spendPolicy()).isSameAs(higher);
    List<ApprovalRequest> asked = h.gate.requests();
    assertThat(asked).extracting(ApprovalRequest::kind).containsExactly(CheckpointKind.STEP_UP,
        CheckpointKind.RAISE_LIMIT);
    assertThat(asked.get(1).principal().multiFactor()).isTrue();
  }

  // ---------------------------------------------------------------- finding 3: refused at plan

  @Test
  void plan_withAnIdentityThatCannotStepUp_underAPolicyThatNeedsMfa_isRefusedWithTheFix() {
    StripeAttestedIdentity stripe = StripeAttestedIdentity.builder().api(StripeApi.builder()
        .apiKey(Secret.of("sk_test_never_called")).apiBase("http://127.0.0.1:9").build()).build();
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.DOMAIN_PURCHASE).build();
    AgentProvisioner p = h.provisioner(b -> b.identity(stripe));

    assertThatThrownBy(() -> p.plan(EngineHarness.request().build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("identity");
          assertThat(e.getMessage()).contains("DOMAIN_PURCHASE").contains("StripeAttestedIdentity")
              .contains("OidcIdentityProvider");
        });
    assertThat(h.gate.requests()).isEmpty();
    assertThat(h.orchestrator.charges()).isEmpty();
  }

  @Test
  void plan_withAnIdentityThatCannotStepUp_isAllowedWhenTheRunMeetsNoCheckpointThatNeedsMfa() {
    StripeAttestedIdentity stripe = StripeAttestedIdentity.builder().api(StripeApi.builder()
        .apiKey(Secret.of("sk_test_never_called")).apiBase("http://127.0.0.1:9").build()).build();
    h.policy = SpendPolicy.builder().requireMfaFor(CheckpointKind.DOMAIN_PURCHASE).build();
    AgentProvisioner p = h.provisioner(b -> b.identity(stripe));

    assertThat(p.plan(EngineHarness.request().domain(null).build()).approvalsNeeded())
        .doesNotContain(CheckpointKind.STEP_UP, CheckpointKind.DOMAIN_PURCHASE);
  }
}
