package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.StepId;
import io.agentprovision.core.UnverifiedAction;
import io.agentprovision.testing.RecordingDeployer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The verify step is bounded by the provisioner's verify timeout, not the step deadline, and each
 * of its polls is one request to the app (the deployer does not retry inside a poll).
 */
class VerifyTimeoutTest {
  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void verify_whenTheAppNeverAnswers_givesUpAtTheVerifyTimeoutWithOneRequestPerPoll() {
    h.deployer = RecordingDeployer.builder().notLive(503).build();
    AgentProvisioner provisioner = h.provisioner(b -> b.verifyTimeout(Duration.ofSeconds(30)));

    Deployment d = provisioner.provisionAndDeploy(EngineHarness.request().build());

    // deployed, and not answering by the verify timeout: an outcome of its own, never "succeeded"
    assertThat(d.outcome()).isEqualTo(Deployment.Outcome.DEPLOYED_UNVERIFIED);
    assertThat(d.verification().status()).isEqualTo(503);
    // polls at 0, 1, 3, 7, 15 and 23 s (backoff 1 s doubling to 8 s); the next would start past 30 s
    assertThat(h.deployer.calls()).filteredOn(c -> c.method().equals("verify")).hasSize(6);
    assertThat(h.time.sleeps()).as("no wait of the verify step reaches the 30-minute step deadline")
        .allSatisfy(d2 -> assertThat(d2).isLessThanOrEqualTo(Duration.ofSeconds(8)));
  }

  @Test
  void verify_whenTheAppNeverAnswers_andTheProvisionerIsSetToFail_failsAtTheVerifyTimeout() {
    h.deployer = RecordingDeployer.builder().notLive(503).build();
    AgentProvisioner provisioner = h.provisioner(b -> b.verifyTimeout(Duration.ofSeconds(30))
        .onUnverified(UnverifiedAction.FAIL));

    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOfSatisfying(RunFailedException.class, e -> {
          assertThat(e.failedStep()).isEqualTo(StepId.of("verify"));
          assertThat(e.getCause()).hasMessageContaining("did not answer");
        });
    assertThat(h.deployer.calls()).filteredOn(c -> c.method().equals("verify")).hasSize(6);
  }

  @Test
  void verifyTimeout_defaultsToThreeMinutes_andRefusesNonsense() {
    assertThat(AgentProvisioner.DEFAULT_VERIFY_TIMEOUT).isEqualTo(Duration.ofMinutes(3));
    assertThatThrownBy(() -> AgentProvisioner.builder().verifyTimeout(Duration.ofHours(2)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("verifyTimeout"));
  }
}
