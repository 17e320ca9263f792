package io.agentprovision.e2e.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import io.agentprovision.testing.cloudflare.WorkerdRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The deployed app really answers, served by workerd behind the sandbox. Skipped without workerd. */
class CloudflareDeployerWorkerdTest {
  private SandboxFixture f;
  private FakeStepContext ctx;

  @BeforeEach
  void start() {
    assumeTrue(WorkerdRuntime.locate().isPresent(), "workerd is not installed (set WORKERD_BIN or run "
        + "`npm install --no-save --prefix .workerd workerd` at the repository root): the live-app tests are skipped");
    f = new SandboxFixture(CloudflareSandbox.WorkerdMode.AUTO);
    ctx = f.ctx();
  }

  @AfterEach
  void stop() {
    if (f != null) {
      f.close();
    }
  }

  @Test
  void verify_afterDeploy_theAppAnswersOnItsCustomDomainAndWorkersDev() {
    DeployCredentials deploy = f.deployer.prepareCredentials(f.credentialRequest(TokenSpec.leastPrivilege(),
        SandboxFixture.helloApp(), SandboxFixture.HOST), ctx).deploy();
    DeployedApp app = f.deployer.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST), ctx);

    Verification custom = f.deployer.verify(app, ctx);

    assertThat(custom.live()).isTrue();
    assertThat(custom.status()).isEqualTo(200);
    assertThat(custom.bodyExcerpt()).isEqualTo("hello ada from www.ada-app.dev secret 18");
    DeployedApp workersDevOnly = new DeployedApp(app.provider(), app.accountId(), app.scriptName(), app.url(), null,
        app.attributes());
    assertThat(f.deployer.verify(workersDevOnly, ctx).bodyExcerpt()).isEqualTo("hello ada from hello.ada.workers.dev secret 18");
  }

  @Test
  void deploy_again_restartsWorkerdWithTheNewCode() {
    DeployCredentials deploy = f.deployer.prepareCredentials(f.credentialRequest(TokenSpec.leastPrivilege(),
        SandboxFixture.helloApp(), SandboxFixture.HOST), ctx).deploy();
    f.deployer.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST), ctx);
    WorkerApp v2 = WorkerApp.builder("hello")
        .module("index.js", "export default { fetch(req, env) { return new Response('v2 ' + env.CONFIG.tier); } };")
        .binding(WorkerApp.Binding.of("json", "CONFIG", java.util.Map.of("json", "{\"tier\":\"gold\"}")))
        .build();

    DeployedApp app = f.deployer.deploy(new DeployRequest(v2, deploy, SandboxFixture.HOST), ctx);

    assertThat(f.deployer.verify(app, ctx).bodyExcerpt()).isEqualTo("v2 gold");
  }

  @Test
  void verify_afterUndeploy_theHostIsNoLongerServed() {
    DeployCredentials deploy = f.deployer.prepareCredentials(f.credentialRequest(TokenSpec.leastPrivilege(),
        SandboxFixture.helloApp(), SandboxFixture.HOST), ctx).deploy();
    DeployedApp app = f.deployer.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST), ctx);
    f.deployer.undeploy(app, deploy, ctx);

    Verification v = f.deployer.verify(app, ctx);

    assertThat(v.live()).isFalse();
    assertThat(v.status()).isEqualTo(404);
  }
}
