package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.deploy.RotationRequest;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.testing.RecordingDeployer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The stack given to {@code AgentProvisioner.builder().http(...)} is the one every step hands its plug-ins. */
class ProvisionerHttpStackTest {
  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void everyStep_seesTheProvisionersStack_andWithoutOneTheSharedDefault() {
    Watching watching = new Watching(h.deployer);
    try (HttpStack stack = HttpStack.create();
        AgentProvisioner provisioner = AgentProvisioner.builder().orchestrator(h.orchestrator).deployer(watching)
            .identity(h.identity).approvals(h.gate).clock(h.time).sleeper(h.time).http(stack).build();
        AgentProvisioner withoutStack = AgentProvisioner.builder().orchestrator(h.orchestrator)
            .deployer(RecordingDeployer.create()).identity(h.identity).build()) {

      provisioner.provisionAndDeploy(EngineHarness.request().build());

      assertThat(provisioner.http()).isSameAs(stack);
      assertThat(watching.seen).hasSize(3).allSatisfy(s -> assertThat(s).isSameAs(stack));
      assertThat(withoutStack.http()).isSameAs(HttpStack.shared());
    }
  }

  /** A deployer that notes the stack each step offers it. */
  private static final class Watching implements Deployer {
    final List<HttpStack> seen = new CopyOnWriteArrayList<>();
    private final Deployer d;

    Watching(Deployer d) {
      this.d = d;
    }

    @Override
    public String provider() {
      return d.provider();
    }

    @Override
    public String deployableService() {
      return d.deployableService();
    }

    @Override
    public PreparedCredentials prepareCredentials(CredentialRequest request, StepContext ctx) {
      seen.add(ctx.http());
      return d.prepareCredentials(request, ctx);
    }

    @Override
    public DeployedApp deploy(DeployRequest request, StepContext ctx) {
      seen.add(ctx.http());
      return d.deploy(request, ctx);
    }

    @Override
    public Verification verify(DeployedApp app, StepContext ctx) {
      seen.add(ctx.http());
      return d.verify(app, ctx);
    }

    @Override
    public void undeploy(DeployedApp app, DeployCredentials credentials, StepContext ctx) {
      d.undeploy(app, credentials, ctx);
    }

    @Override
    public DeployCredentials rotate(RotationRequest request, StepContext ctx) {
      return d.rotate(request, ctx);
    }

    @Override
    public void revoke(DeployCredentials credentials, @Nullable AccessConfiguration broad, StepContext ctx) {
      d.revoke(credentials, broad, ctx);
    }
  }
}
