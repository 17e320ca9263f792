package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.StepId;
import io.agentprovision.core.UnverifiedAction;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.deploy.RotationRequest;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.testing.RecordingDeployer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Finding: "a failed verification ends a run as succeeded". A network error (status 0) while
 * checking that the app answers gave {@code live=false}, a warning, and a run recorded as
 * succeeded. Not answering is an outcome of its own: the run is recorded, announced and audited as
 * deployed but unverified, never as succeeded.
 */
class FailedVerificationIsNotASuccessTest {
  private static final RunId RUN = RunId.of("run_unverified");
  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void anAppThatCannotBeReached_endsTheRunDeployedButUnverified_notSucceeded() {
    h.deployer = RecordingDeployer.builder().notLive(0).build(); // connection refused: no HTTP status at all

    Deployment d = h.provisioner().provisionAndDeploy(EngineHarness.request().runId(RUN).build());

    assertThat(d.verification().live()).isFalse();
    assertThat(h.journal.run(RUN).orElseThrow().status().name()).isEqualTo("DEPLOYED_UNVERIFIED");
    assertThat(h.events(ProvisioningEvent.RunFinished.class)).singleElement()
        .satisfies(f -> assertThat(f.status().name()).isEqualTo("DEPLOYED_UNVERIFIED"));
    assertThat(h.audit.entries()).extracting(AuditEntry::record).filteredOn(r -> r.action().equals("app.verified"))
        .singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("unverified"));
    assertThat(h.audit.entries()).extracting(AuditEntry::record).filteredOn(r -> r.action().equals("run.finished"))
        .singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("unverified"));
    assertThat(d.warnings()).anySatisfy(w -> assertThat(w).contains("did not answer"));
  }

  @Test
  void anAppThatDoesNotAnswer_isADeploymentOutcomeOfItsOwn_andAResumeChecksAgain() {
    h.deployer = RecordingDeployer.builder().notLive(503).build();

    Deployment d = h.provisioner().provisionAndDeploy(EngineHarness.request().runId(RUN).build());

    assertThat(d.outcome()).isEqualTo(Deployment.Outcome.DEPLOYED_UNVERIFIED);
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.DEPLOYED_UNVERIFIED);
    assertThat(h.deployer.undeployments()).as("deployed, and left deployed").isEmpty();

    h.deployer.setLive(true, 200);
    Deployment again = h.provisioner().resume(EngineHarness.request().build().agent(), RUN);

    assertThat(again.outcome()).isEqualTo(Deployment.Outcome.LIVE);
    assertThat(again.verification().live()).isTrue();
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(h.orchestrator.charges()).as("the resume only checked the app again").hasSize(2);
  }

  @Test
  void aProvisionerSetToFail_failsARunWhoseAppDoesNotAnswer_andUndeploysIt() {
    h.deployer = RecordingDeployer.builder().notLive(0).build();
    AgentProvisioner p = h.provisioner(b -> b.onUnverified(UnverifiedAction.FAIL));

    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().runId(RUN).build()))
        .isInstanceOfSatisfying(RunFailedException.class, e -> {
          assertThat(e.failedStep()).isEqualTo(StepId.of("verify"));
          assertThat(e.getMessage()).contains("did not answer");
        });
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.FAILED);
    assertThat(h.deployer.undeployments()).hasSize(1);
  }

  @Test
  void anAppNoRuntimeHereCanRun_isDeployedNotRun_aSuccessThatSaysSo() {
    Deployment d;
    try (AgentProvisioner p = AgentProvisioner.builder().orchestrator(h.orchestrator)
        .deployer(new NoRuntimeDeployer(h.deployer)).identity(h.identity).approvals(h.gate).audit(h.audit)
        .ledger(h.ledger).journal(h.journal).vault(h.vault).clock(h.time).sleeper(h.time).build()) {
      d = p.provisionAndDeploy(EngineHarness.request().runId(RUN).build());
    }

    assertThat(d.outcome()).isEqualTo(Deployment.Outcome.DEPLOYED_NOT_RUN);
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(d.warnings()).singleElement().asString().contains("not run here");
    assertThat(h.audit.entries()).extracting(AuditEntry::record).filteredOn(r -> r.action().equals("app.verified"))
        .singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("not-run"));
  }

  /** A deployer like the sandbox's without workerd: it deploys, and cannot run the app to check it. */
  private static final class NoRuntimeDeployer implements Deployer {
    private final Deployer inner;

    NoRuntimeDeployer(Deployer inner) {
      this.inner = inner;
    }

    @Override
    public String provider() {
      return inner.provider();
    }

    @Override
    public String deployableService() {
      return inner.deployableService();
    }

    @Override
    public PreparedCredentials prepareCredentials(CredentialRequest request, StepContext ctx) {
      return inner.prepareCredentials(request, ctx);
    }

    @Override
    public DeployedApp deploy(DeployRequest request, StepContext ctx) {
      return inner.deploy(request, ctx);
    }

    @Override
    public Verification verify(DeployedApp app, StepContext ctx) {
      return Verification.noRuntime(app.primaryUrl(), "no local runtime: nothing here runs Workers");
    }

    @Override
    public void undeploy(DeployedApp app, DeployCredentials credentials, StepContext ctx) {
      inner.undeploy(app, credentials, ctx);
    }

    @Override
    public DeployCredentials rotate(RotationRequest request, StepContext ctx) {
      return inner.rotate(request, ctx);
    }

    @Override
    public void revoke(DeployCredentials credentials, AccessConfiguration broad, StepContext ctx) {
      inner.revoke(credentials, broad, ctx);
    }
  }
}
