package io.agentprovision.mcp;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.sandbox.LocalSandbox;
import io.agentprovision.tools.AgentTools;
import io.agentprovision.tools.RunWatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A host as an MCP test needs one: the whole system on loopback ({@link LocalSandbox}), a
 * provisioner on its real adapters whose checkpoints go through an {@link ElicitingApprovalGate}
 * (plan approval, terms and the paid plan may be confirmed by the MCP client's user; anything else
 * by the host's scripted human, through the sandbox's browser), and the agent tools bound to
 * coding-agent-7 and the person signed in as ada@example.com.
 */
final class SandboxHost implements AutoCloseable {
  static final AgentId AGENT = AgentId.of("coding-agent-7");
  static final String EMAIL = "ada@example.com";

  final VirtualTime time = VirtualTime.create();
  final LocalSandbox sb;
  final CredentialVault vault = CredentialVault.inMemory();
  final RunWatcher watcher = RunWatcher.create();
  final ScriptedApprovalGate host;
  final ElicitingApprovalGate gate;
  final AgentProvisioner provisioner;
  final AgentTools tools;
  /** Every ID token handed to the tools: secrets too. */
  final List<Secret> signIns = new CopyOnWriteArrayList<>();

  SandboxHost(boolean workerd, Consumer<ScriptedApprovalGate> script, Consumer<ProvisioningEvent> events) {
    sb = LocalSandbox.builder().clock(time).sleeper(time).workerd(workerd).start();
    host = ScriptedApprovalGate.approveAll(time);
    script.accept(host);
    gate = ElicitingApprovalGate.builder(host).clock(time)
        .allow(CheckpointKind.PLAN_APPROVAL, CheckpointKind.TERMS_OF_SERVICE, CheckpointKind.PAID_PLAN).build();
    ApprovalGate approvals = sb.browser(gate);
    provisioner = AgentProvisioner.builder().orchestrator(sb.stripeProjects()).deployer(sb.cloudflareDeployer())
        .identity(sb.identityProvider()).approvals(approvals).vault(vault).listener(watcher)
        .listener(events::accept).clock(time).sleeper(time).build();
    tools = AgentTools.builder(provisioner).agent(AGENT).watcher(watcher).defaultProvider(LocalSandbox.PROVIDER)
        .identityToken(() -> {
          Secret s = sb.signIn(EMAIL);
          signIns.add(s);
          return s;
        })
        .token(TokenSpec.leastPrivilege().allowIps(sb.defaultAllowedIps()).ttl(Duration.ofDays(7)))
        .app(app()).clock(time).settleTimeout(Duration.ofSeconds(30)).build();
  }

  static WorkerApp app() {
    return WorkerApp.builder("my-app").module("index.js", "export default { async fetch(request) {"
        + " return new Response('hello from ' + new URL(request.url).hostname); } };\n").build();
  }

  AgentProvisionMcp mcp() {
    return AgentProvisionMcp.builder(tools).elicitation(gate).build();
  }

  /**
   * Every secret this host holds: Stripe's API key, the vault's values and the ID tokens, but not the
   * account ids kept beside the tokens (results name accounts openly).
   */
  List<String> canaries() {
    List<String> out = new ArrayList<>(List.of(sb.stripe().apiKey().reveal()));
    for (Secret s : signIns) {
      out.add(s.reveal());
    }
    for (String k : vault.keys("")) {
      if (!k.endsWith("_ACCOUNT_ID")) {
        vault.get(k).ifPresent(e -> out.add(e.secret().reveal()));
      }
    }
    return out;
  }

  @Override
  public void close() {
    tools.close();
    provisioner.close();
    sb.close();
  }
}
