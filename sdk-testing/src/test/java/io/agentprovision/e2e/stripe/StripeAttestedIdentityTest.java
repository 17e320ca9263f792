package io.agentprovision.e2e.stripe;

import io.agentprovision.stripe.StripeApi;
import io.agentprovision.stripe.StripeAttestedIdentity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.testing.stripe.StripeSandbox;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The principal {@link StripeAttestedIdentity} builds from what Stripe attests about the account. */
class StripeAttestedIdentityTest {
  private StripeSandbox sandbox;

  @AfterEach
  void stop() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static IdentityRequest request(boolean mfa) {
    return new IdentityRequest(AgentId.of("coding-agent-7"), RunId.of("run_1"), null, null, mfa);
  }

  @Test
  void attest_whenStripeVerifiedTheEmail_returnsTheProfileAsPrincipalAndReusesTheProject() {
    sandbox = StripeSandbox.builder().start();
    StripeAttestedIdentity identity = StripeAttestedIdentity.builder().api(sandbox.api()).project("my-app").build();

    Principal p = identity.attest(request(false));
    Principal again = identity.attest(request(false));

    assertThat(p.subject()).isEqualTo("prfl_sbx_ada");
    assertThat(p.issuer()).isEqualTo("stripe");
    assertThat(p.email()).isEqualTo("ada@example.com");
    assertThat(p.emailVerified()).isTrue();
    assertThat(p.verifiedFields()).containsExactlyInAnyOrder("email", "name");
    assertThat(p.multiFactor()).isFalse();
    assertThat(again).isEqualTo(p);
    assertThat(sandbox.calls("POST", "/v2/provisioning/projects")).singleElement()
        .satisfies(c -> assertThat(c.body()).isEqualTo("{\"name\":\"my-app\",\"catalog\":\"prod\"}"));
  }

  @Test
  void attest_whenMfaIsRequired_rejectsBecauseStripeAttestsNoAuthenticationStrength() {
    sandbox = StripeSandbox.builder().start();
    StripeAttestedIdentity identity = StripeAttestedIdentity.builder().api(sandbox.api()).build();

    assertThatThrownBy(() -> identity.attest(request(true)))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> assertThat(e.check()).isEqualTo("mfa"));
  }

  @Test
  void attest_whenTheEmailIsNotVerified_rejects() {
    sandbox = StripeSandbox.builder().account("ada@example.com", "Ada", List.of("name")).start();
    StripeAttestedIdentity identity = StripeAttestedIdentity.builder().api(sandbox.api()).build();

    assertThatThrownBy(() -> identity.attest(request(false)))
        .isInstanceOfSatisfying(IdentityRejectedException.class,
            e -> assertThat(e.check()).isEqualTo("email_verified"));
  }

  @Test
  void attest_whenStripeCannotBeReached_rejectsNamingStripe() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    StripeAttestedIdentity identity = StripeAttestedIdentity.builder().api(StripeApi.builder()
        .apiKey(Secret.of("sk_test_x")).apiBase("http://127.0.0.1:" + port).maxNetworkRetries(0).build()).build();

    assertThatThrownBy(() -> identity.attest(request(false)))
        .isInstanceOfSatisfying(IdentityRejectedException.class, e -> {
          assertThat(e.check()).isEqualTo("stripe");
          assertThat(e.getMessage()).doesNotContain("sk_test_x");
        });
  }
}
