package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.vault.VaultEntry;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SecretTest {
  static final String CANARY = "spt_CANARY0secret0value0zz9876";
  static final Instant T = Instant.parse("2026-11-02T09:00:00Z");

  @Test
  void toString_isRedacted() {
    Secret s = Secret.of(CANARY);

    assertThat(s.toString()).isEqualTo("[redacted]");
    assertThat(String.valueOf(s)).doesNotContain(CANARY);
    assertThat("token=" + s).isEqualTo("token=[redacted]");
    assertThat(s.reveal()).isEqualTo(CANARY);
  }

  @Test
  void equals_isIdentity() {
    Secret a = Secret.of(CANARY);
    Secret b = Secret.of(CANARY);

    assertThat(a).isEqualTo(a).isNotEqualTo(b);
    assertThat(a.matches(b)).isTrue();
  }

  @Test
  void hashCode_doesNotDependOnTheValue() {
    Set<Integer> codesOfOneValue = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      codesOfOneValue.add(Secret.of(CANARY).hashCode());
    }

    assertThat(codesOfOneValue).as("identity hashes of equal values differ").hasSizeGreaterThan(1);
    assertThat(codesOfOneValue).doesNotContain(CANARY.hashCode());
  }

  @Test
  void matches_comparesValues() {
    Secret s = Secret.of(CANARY);

    assertThat(s.matches(CANARY)).isTrue();
    assertThat(s.matches(CANARY + "x")).isFalse();
    assertThat(s.matches(CANARY.substring(1))).isFalse();
    assertThat(s.matches(Secret.of("other"))).isFalse();
    assertThat(Secret.of("ü").revealBytes()).containsExactly(0xC3, 0xBC);
  }

  @Test
  void of_whenEmpty_refuses() {
    assertThatThrownBy(() -> Secret.of("")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("secret"));
    assertThatThrownBy(() -> Secret.of(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void recordsHoldingASecret_neverShowIt() {
    Secret canary = Secret.of(CANARY);
    WorkerApp app = WorkerApp.builder("my-app")
        .module("index.js", "export default {}")
        .secretText("API_KEY", canary)
        .plainText("GREETING", "hello")
        .build();
    DeployCredentials deploy = new DeployCredentials("cloudflare", "acct_1", "tok_1", canary, T, List.of("Workers Scripts Write"),
        Map.of("ip", "203.0.113.0/24"));
    List<Object> holders = List.of(
        new AccessConfiguration(Map.of("CLOUDFLARE_API_TOKEN", canary), T, T, 1),
        deploy,
        new PreparedCredentials(deploy, PreparedCredentials.BroadOutcome.ROLLED,
            new AccessConfiguration(Map.of("CLOUDFLARE_API_TOKEN", canary), T, T, 2)),
        new PaymentToken(canary, "cloudflare", Money.usd("25.00"), T, PaymentToken.Status.ACTIVE, null),
        app,
        app.bindings().get(0),
        ProvisionRequest.builder().agent(AgentId.of("agent-1")).provider("cloudflare").app(app).identityToken(canary).build(),
        new IdentityRequest(AgentId.of("agent-1"), null, canary, "n-1", true),
        ApprovalDecision.approved("ada", "ok", T).withCredential(canary),
        new VaultEntry("run_1/token", canary, Map.of(), T, null),
        new ProviderException("cloudflare", 401, "auth", "req_1", "token " + canary.toString() + " rejected", false));

    for (Object holder : holders) {
      assertThat(String.valueOf(holder)).as(holder.getClass().getSimpleName()).doesNotContain(CANARY)
          .doesNotContain("CANARY0secret");
    }
    assertThat(String.valueOf(holders.get(3))).as("a payment token shows its reference").contains("spt_…9876");
    assertThat(String.valueOf(holders.get(6))).contains("identityToken=[redacted]");
  }

  @Test
  void scrub_removesBearerValuesStripeKeysAndLongTokensButKeepsIdsAndShortText() {
    String text = "key sk_live_abcdEFGH1234 token spt_1Qx9zzzz auth Bearer abcdefghijklmnop; jwt "
        + "eyJhbGciOiJSUzI1NiJ9aaaaaaaaaaaa.eyJzdWIiOiJ1c2VyIn0bbbbbbbbbbbb.c2lnbmF0dXJlc2lnbmF0dXJlc2ln zone "
        + "023e105f4ecef8ad9ca31a8372d0c353 at api.cloudflare.com/client/v4\nnext line";

    String scrubbed = Secret.scrub(text);

    assertThat(scrubbed).doesNotContain("sk_live_abcdEFGH1234").doesNotContain("spt_1Qx9zzzz")
        .doesNotContain("abcdefghijklmnop").doesNotContain("eyJhbGciOiJSUzI1NiJ9aaaaaaaaaaaa")
        .contains("key [redacted] token [redacted] auth Bearer [redacted]")
        .contains("023e105f4ecef8ad9ca31a8372d0c353").contains("api.cloudflare.com/client/v4")
        .doesNotContain("\n");
  }

  @Test
  void scrub_capsTheLengthAndToleratesNull() {
    assertThat(Secret.scrub("word ".repeat(200))).hasSize(Secret.MAX_SCRUBBED_LENGTH + 1).endsWith("…");
    assertThat(Secret.scrub(null)).isEmpty();
  }
}
