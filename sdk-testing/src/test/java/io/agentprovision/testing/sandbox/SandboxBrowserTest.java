package io.agentprovision.testing.sandbox;

import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.spi.ApprovalGate;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link LocalSandbox#browser}: the human decides first; only an approval makes the browser act. */
class SandboxBrowserTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  private final VirtualTime time = VirtualTime.create();
  private final ScriptedApprovalGate human = ScriptedApprovalGate.approveAll(time);
  private LocalSandbox sb;
  private ApprovalGate browser;

  @BeforeEach
  void start() {
    sb = LocalSandbox.builder().clock(time).sleeper(time).workerd(false).start();
    browser = sb.browser(human);
  }

  @AfterEach
  void stop() {
    sb.close();
  }

  private ApprovalRequest request(CheckpointKind kind, @Nullable URI url, @Nullable Principal principal,
      Map<String, String> details) {
    return new ApprovalRequest("apr_1", kind, "a checkpoint", "a test", null, AGENT, principal, null, null,
        time.instant(), time.instant().plus(Duration.ofMinutes(15)), url, details, null);
  }

  @Test
  void decide_paymentMethodApproved_completesTheStripeCheckout() throws Exception {
    ApprovalDecision d = browser.decide(request(CheckpointKind.PAYMENT_METHOD, sb.stripe().checkoutUrl(), null, Map.of()));

    assertThat(d.approved()).isTrue();
    assertThat(sb.stripe().calls("GET", "/sandbox/checkout/")).hasSize(1);
    assertThat(sb.stripeProjects().paymentProfile().hasPaymentMethod()).isTrue();
  }

  @Test
  void decide_whenTheHumanDenies_returnsTheDenialAsItIsAndVisitsNothing() throws Exception {
    human.deny(CheckpointKind.PAYMENT_METHOD, "no card for agents");

    ApprovalDecision d = browser.decide(request(CheckpointKind.PAYMENT_METHOD, sb.stripe().checkoutUrl(), null, Map.of()));

    assertThat(d.outcome()).isEqualTo(ApprovalDecision.Outcome.DENIED);
    assertThat(d.reason()).isEqualTo("no card for agents");
    assertThat(sb.stripe().calls("GET", "/sandbox/checkout/")).isEmpty();
    assertThat(sb.stripeProjects().paymentProfile().hasPaymentMethod()).isFalse();
  }

  @Test
  void decide_stepUpApproved_handsOverAFreshSecondFactorSignInOfTheSamePerson() throws Exception {
    OidcIdentityProvider identity = sb.identityProvider();
    Principal ada = identity.attest(new IdentityRequest(AGENT, null, sb.signIn("ada@example.com"), null, false));

    ApprovalDecision d = browser.decide(request(CheckpointKind.STEP_UP, null, ada, Map.of("nonce", "n-42")));

    Principal stepped = identity.attest(new IdentityRequest(AGENT, null, d.credential(), "n-42", true));
    assertThat(ada.multiFactor()).isFalse();
    assertThat(stepped.multiFactor()).isTrue();
    assertThat(stepped.subject()).isEqualTo(ada.subject());
    assertThat(stepped.amr()).containsExactly("pwd", "otp");
  }

  @Test
  void decide_consentApprovedForAPageOffTheSandbox_failsInsteadOfVisitingIt() {
    ApprovalRequest consent = request(CheckpointKind.ACCOUNT_CONSENT, URI.create("https://dash.example.com/oauth/consent"),
        null, Map.of());

    assertThatThrownBy(() -> browser.decide(consent)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("only the sandbox's pages");
  }

  @Test
  void signIn_sameEmail_sameSubjectAndAVerifiedEmail() {
    OidcIdentityProvider identity = sb.identityProvider();

    Principal first = identity.attest(new IdentityRequest(AGENT, null, sb.signIn("grace@example.com"), null, false));
    Principal again = identity.attest(new IdentityRequest(AGENT, null, sb.signIn("grace@example.com", "pwd", "otp"),
        null, true));

    assertThat(again.subject()).isEqualTo(first.subject());
    assertThat(first.email()).isEqualTo("grace@example.com");
    assertThat(first.emailVerified()).isTrue();
    assertThat(first.amr()).containsExactly("pwd");
    assertThat(again.multiFactor()).isTrue();
  }

  @Test
  void answersAtOnce_whatItPassesOnOrSignsWithoutAPage_whenTheHumanDoes_neverWhatVisitsAPage() {
    ApprovalGate quickHuman = io.agentprovision.core.approval.ApprovalGates.approveAll("ada", time);
    ApprovalGate quick = sb.browser(quickHuman);

    assertThat(quick.answersAtOnce(request(CheckpointKind.PLAN_APPROVAL, null, null, Map.of()))).isTrue();
    assertThat(quick.answersAtOnce(request(CheckpointKind.STEP_UP, null, null, Map.of()))).isTrue();
    assertThat(quick.answersAtOnce(request(CheckpointKind.PAYMENT_METHOD, sb.stripe().checkoutUrl(), null, Map.of())))
        .as("loads the checkout page").isFalse();
    assertThat(browser.answersAtOnce(request(CheckpointKind.PLAN_APPROVAL, null, null, Map.of())))
        .as("a human who does not say they answer at once").isFalse();
  }
}
