package io.agentprovision.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class FakeIdentityProviderTest {
  private static final Principal PWD = Principal.builder("user-1", "https://issuer.test").email("ada@example.com", true)
      .amr(List.of("pwd")).build();
  private static final Principal MFA = PWD.toBuilder().amr(List.of("pwd", "otp")).build();

  private static IdentityRequest req(@Nullable Secret evidence, boolean mfa) {
    return new IdentityRequest(AgentId.of("agent-1"), null, evidence, null, mfa);
  }

  private static void assertRejected(Runnable call, String check) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo(check));
  }

  @Test
  void attest_whenNoTokensRegistered_returnsConfiguredPrincipal() {
    FakeIdentityProvider idp = FakeIdentityProvider.returning(PWD);

    assertThat(idp.attest(req(null, false))).isEqualTo(PWD);
    assertThat(idp.requests()).hasSize(1);
  }

  @Test
  void attest_whenMfaRequiredAndPrincipalHasOnlyPassword_rejectsWithMfaCheck() {
    FakeIdentityProvider idp = FakeIdentityProvider.returning(PWD);

    assertRejected(() -> idp.attest(req(null, true)), "mfa");
  }

  @Test
  void attest_whenTokenRegistered_mapsEvidenceToItsPrincipal() {
    FakeIdentityProvider idp = FakeIdentityProvider.builder().token(Secret.of("id-token-1"), PWD).build();

    assertThat(idp.attest(req(Secret.of("id-token-1"), false))).isEqualTo(PWD);
  }

  @Test
  void attest_whenEvidenceUnknownOrMissing_rejectsWithoutEchoingIt() {
    FakeIdentityProvider idp = FakeIdentityProvider.builder().token(Secret.of("id-token-1"), PWD).build();

    assertThatThrownBy(() -> idp.attest(req(Secret.of("stolen-token-xyz"), false)))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
          assertThat(e.check()).isEqualTo("token");
          assertThat(e.getMessage()).doesNotContain("stolen-token-xyz");
        });
    assertRejected(() -> idp.attest(req(null, false)), "evidence");
  }

  @Test
  void attest_whenStepUpHandsOverMfaToken_satisfiesRequireMfa() {
    VirtualTime time = VirtualTime.create();
    FakeIdentityProvider idp = FakeIdentityProvider.builder().token(Secret.of("id-token-1"), PWD).build();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).stepUp(r -> Secret.of("id-token-mfa"));
    FakeStepContext ctx = FakeStepContext.builder().time(time).approvals(gate).build();
    assertRejected(() -> idp.attest(req(Secret.of("id-token-1"), true)), "mfa");

    idp.register(Secret.of("id-token-mfa"), MFA);
    ApprovalDecision d = ctx.checkpoint(CheckpointRequest.confirm(CheckpointKind.STEP_UP, "Confirm with a second factor",
        "a domain purchase needs MFA"));

    assertThat(idp.attest(req(d.credential(), true))).isEqualTo(MFA);
  }

  @Test
  void stepUp_aTokenMintedForANonce_answersThatNonceOnce_andNothingElse() {
    FakeIdentityProvider idp = FakeIdentityProvider.builder().token(Secret.of("id-token-1"), PWD).build();
    Secret fresh = idp.stepUp(MFA, "nonce-1");
    IdentityRequest withNonce = new IdentityRequest(AgentId.of("agent-1"), null, fresh, "nonce-1", true);

    assertRejected(() -> idp.attest(new IdentityRequest(AgentId.of("agent-1"), null, fresh, "nonce-2", true)), "nonce");
    assertRejected(() -> idp.attest(req(fresh, true)), "nonce");
    assertThat(idp.attest(withNonce)).isEqualTo(MFA);
    assertRejected(() -> idp.attest(withNonce), "replay");
    assertRejected(() -> idp.attest(new IdentityRequest(AgentId.of("agent-1"), null, Secret.of("id-token-1"), "nonce-1",
        false)), "nonce");
    assertThat(idp.supportsStepUp()).isTrue();
    assertThat(FakeIdentityProvider.builder().supportsStepUp(false).build().supportsStepUp()).isFalse();
  }

  @Test
  void attest_whenEmailNotVerified_rejects() {
    Principal unverified = PWD.toBuilder().email("ada@example.com", false).build();

    assertRejected(() -> FakeIdentityProvider.returning(unverified).attest(req(null, false)), "email_verified");
    assertThat(FakeIdentityProvider.builder().principal(unverified).requireVerifiedEmail(false).build()
        .attest(req(null, false))).isEqualTo(unverified);
  }

  @Test
  void attest_whenRevokedOrEvidenceRequiredWithoutTokens_rejects() {
    FakeIdentityProvider idp = FakeIdentityProvider.builder().token(Secret.of("id-token-1"), PWD).build();
    idp.revoke(Secret.of("id-token-1"));

    assertRejected(() -> idp.attest(req(Secret.of("id-token-1"), false)), "token");
    assertRejected(() -> FakeIdentityProvider.builder().requireEvidence(true).build().attest(req(Secret.of("x"), false)),
        "token");
  }

  @Test
  void attest_whenFaultArmed_failsOnce() {
    FakeIdentityProvider idp = FakeIdentityProvider.returning(PWD)
        .failOn("attest", 1, new IdentityRejectedException("jwks", "issuer unreachable"));

    assertRejected(() -> idp.attest(req(null, false)), "jwks");
    assertThat(idp.attest(req(null, false))).isEqualTo(PWD);
  }
}
