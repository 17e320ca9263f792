package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.RotationSchedule;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.testing.VirtualScheduler;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Deploy tokens rotated on a schedule the host starts (run in virtual time: no sleeps), and revoked
 * on demand; both audited.
 */
class RotationAndRevocationTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  private final EngineHarness h = new EngineHarness();
  private final VirtualScheduler scheduler = VirtualScheduler.on(h.time);

  @AfterEach
  void close() {
    h.close();
  }

  private AgentProvisioner provisioner() {
    return h.provisioner(b -> b.scheduler(scheduler));
  }

  private List<AuditRecord> audited(String action) {
    return h.audit.entries().stream().map(e -> e.record()).filter(r -> r.action().equals(action)).toList();
  }

  @Test
  void startRotation_rotatesEachTokenWhenItComesDue_andRenewsIt_inVirtualTime() {
    AgentProvisioner p = provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().build()); // the token lives 7 days

    try (RotationSchedule rotation = p.startRotation(Duration.ofDays(2), Duration.ofHours(1))) {
      scheduler.advance(Duration.ofDays(4));
      assertThat(audited("credentials.rotated")).isEmpty();

      scheduler.advance(Duration.ofDays(1).plusHours(1)); // now less than two days are left
      assertThat(audited("credentials.rotated")).singleElement()
          .satisfies(r -> assertThat(r.run()).isEqualTo(d.runId()));
      assertThat(h.deployer.tokens()).singleElement().satisfies(t -> {
        assertThat(t.rolls()).isEqualTo(1);
        assertThat(t.expiresAt()).isAfter(h.time.instant().plus(Duration.ofDays(6)));
      });

      scheduler.advance(Duration.ofDays(4)); // renewed for 7 days: not due again yet
      assertThat(audited("credentials.rotated")).hasSize(1);
      assertThat(rotation.window()).isEqualTo(Duration.ofDays(2));
    }
    assertThat(audited("rotation.started")).singleElement()
        .satisfies(r -> assertThat(r.details()).containsEntry("every", "PT1H").containsEntry("window", "PT48H"));
    assertThat(audited("rotation.stopped")).hasSize(1);
  }

  @Test
  void startRotation_onceClosed_rotatesNothingMore() {
    AgentProvisioner p = provisioner();
    p.provisionAndDeploy(EngineHarness.request().build());
    RotationSchedule rotation = p.startRotation(Duration.ofDays(2), Duration.ofHours(1));
    scheduler.advance(Duration.ofHours(1));

    rotation.close();
    rotation.close();
    scheduler.advance(Duration.ofDays(10));

    assertThat(audited("credentials.rotated")).isEmpty();
    assertThat(audited("rotation.stopped")).hasSize(1);
    assertThat(rotation.closed()).isTrue();
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void startRotation_aRotationThatFails_isAudited_andTheNextLookRotatesIt() {
    AgentProvisioner p = provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().build());
    h.deployer.failOn("rotate", 1, new ProviderException("cloudflare", 503, null, "req-1", "unavailable", true));

    try (RotationSchedule rotation = p.startRotation(Duration.ofDays(2), Duration.ofHours(1))) {
      scheduler.advance(Duration.ofDays(5).plusHours(1));
      assertThat(audited("credentials.rotation_failed")).singleElement().satisfies(r -> {
        assertThat(r.run()).isEqualTo(d.runId());
        assertThat(r.agent()).isEqualTo(AGENT);
        assertThat(r.details()).containsEntry("error", "ProviderException");
      });
      assertThat(audited("credentials.rotated")).isEmpty();

      scheduler.advance(Duration.ofHours(1));
      assertThat(audited("credentials.rotated")).hasSize(1);
    }
  }

  @Test
  void startRotation_refusesAnIntervalOutsideItsBounds() {
    AgentProvisioner p = provisioner();

    assertThatThrownBy(() -> p.startRotation(Duration.ofDays(1), Duration.ZERO))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("every"));
    assertThatThrownBy(() -> p.startRotation(Duration.ofDays(-1), Duration.ofHours(1)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("window"));
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void rotateDueCredentials_rotatesOnlyWhatIsDue_andNeverARevokedToken() {
    AgentProvisioner p = provisioner();
    Deployment first = p.provisionAndDeploy(EngineHarness.request().build());
    h.time.advance(Duration.ofDays(3));
    Deployment second = p.provisionAndDeploy(EngineHarness.request().project("second").build());
    Deployment third = p.provisionAndDeploy(EngineHarness.request().project("third").build());
    p.revokeCredentials(AGENT, third.runId(), "not needed");
    h.time.advance(Duration.ofDays(3));

    List<Deployment.TokenSummary> rotated = p.rotateDueCredentials(Duration.ofDays(2));

    assertThat(rotated).extracting(Deployment.TokenSummary::tokenId).containsExactly(first.tokens().get(0).tokenId());
    assertThat(p.credentialsDueForRotation(Duration.ofDays(5))).containsExactly(second.runId());
  }

  @Test
  void revokeCredentials_deletesTheTokenAtTheProviderAndFromTheVault_andIsAudited() {
    AgentProvisioner p = provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().build());
    String key = d.tokens().get(0).vaultKey();

    Deployment.TokenSummary revoked = p.revokeCredentials(AGENT, d.runId(), "the laptop was stolen");
    p.revokeCredentials(AGENT, d.runId(), "again");

    assertThat(revoked.tokenId()).isEqualTo(d.tokens().get(0).tokenId());
    assertThat(h.deployer.tokens()).singleElement().satisfies(t -> assertThat(t.revoked()).isTrue());
    assertThat(h.vault.get(key)).isEmpty();
    assertThat(audited("credentials.revoked")).singleElement().satisfies(r -> {
      assertThat(r.run()).isEqualTo(d.runId());
      assertThat(r.agent()).isEqualTo(AGENT);
      assertThat(r.details()).containsEntry("token", revoked.tokenId()).containsEntry("reason", "the laptop was stolen");
    });
    assertThatThrownBy(() -> p.deployCredentials(AGENT, d.runId())).isInstanceOfSatisfying(
        InvalidRequestException.class, e -> assertThat(e.problem()).contains("revoked"));
    assertThatThrownBy(() -> p.rotateCredentials(AGENT, d.runId())).isInstanceOf(InvalidRequestException.class);
  }
}
