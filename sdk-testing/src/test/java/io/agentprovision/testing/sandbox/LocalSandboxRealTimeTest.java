package io.agentprovision.testing.sandbox;

import io.agentprovision.testing.ScriptedApprovalGate;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.TokenSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What the Quickstart runs by default: the sandbox on the system clock, waits really sleeping. The
 * default pending states and poll backoff must keep such a run from waiting on anything but the
 * servers themselves.
 */
class LocalSandboxRealTimeTest {
  @Test
  void provisionAndDeploy_onTheSystemClock_spendsAtMostASecondWaiting() {
    List<Duration> waits = new CopyOnWriteArrayList<>();
    Sleeper recording = d -> {
      waits.add(d);
      Sleeper.SYSTEM.sleep(d);
    };
    try (LocalSandbox sb = LocalSandbox.builder().sleeper(recording).start();
        AgentProvisioner provisioner = AgentProvisioner.builder()
            .orchestrator(sb.stripeProjects())
            .deployer(sb.cloudflareDeployer())
            .identity(sb.identityProvider())
            .approvals(sb.browser(ScriptedApprovalGate.approveAll(Clock.systemUTC())))
            .sleeper(recording)
            .build()) {
      Deployment d = provisioner.provisionAndDeploy(ProvisionRequest.builder()
          .agent(AgentId.of("coding-agent-7"))
          .provider(LocalSandbox.PROVIDER)
          .plan("workers:paid")
          .domain(DomainRequest.query("my-app"))
          .token(TokenSpec.leastPrivilege().allowIps(sb.defaultAllowedIps()).ttl(Duration.ofDays(7)))
          .identityToken(sb.signIn("ada@example.com"))
          .app(LocalSandboxEndToEndTest.app())
          .build());

      assertThat(d.url()).hasToString("https://my-app.org/");
      assertThat(d.verification().live()).isEqualTo(sb.workerdAvailable());
      assertThat(waits.stream().reduce(Duration.ZERO, Duration::plus)).isLessThanOrEqualTo(Duration.ofSeconds(1));
    }
  }
}
