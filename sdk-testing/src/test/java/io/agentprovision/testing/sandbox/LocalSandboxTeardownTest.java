package io.agentprovision.testing.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.agentprovision.cloudflare.CloudflareClient;
import io.agentprovision.cloudflare.CloudflareException;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.Secret;
import io.agentprovision.core.Teardown;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A teardown on {@link LocalSandbox} with the SDK's real adapters: afterwards no Worker answers at the
 * app's address (through workerd when it is installed), Cloudflare refuses every token the run had,
 * the paid plan is removed at Stripe and at the provider, and the domain is reported as kept, its
 * renewal turned off at the Registrar.
 */
class LocalSandboxTeardownTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");
  private static final String ADA = "ada@example.com";
  private static final String DOMAIN = "my-app.org";

  private final VirtualTime time = VirtualTime.create();
  private final ScriptedApprovalGate human = ScriptedApprovalGate.approveAll(time);
  private final RunJournal journal = RunJournal.inMemory();
  private final SpendLedger ledger = SpendLedger.inMemory(time);
  private final CredentialVault vault = CredentialVault.inMemory();
  private final AuditLog audit = AuditLog.inMemory();
  private LocalSandbox sb;

  @BeforeEach
  void start() {
    sb = LocalSandbox.builder().clock(time).sleeper(time).start();
  }

  @AfterEach
  void stop() {
    sb.close();
  }

  private AgentProvisioner provisioner(Orchestrator orchestrator) {
    return AgentProvisioner.builder().orchestrator(orchestrator).deployer(sb.cloudflareDeployer())
        .identity(sb.identityProvider()).approvals(sb.browser(human)).journal(journal).ledger(ledger).vault(vault)
        .audit(audit).clock(time).sleeper(time).build();
  }

  private ProvisionRequest request() {
    return ProvisionRequest.builder().agent(AGENT).provider(LocalSandbox.PROVIDER).plan("workers:paid")
        .domain(DomainRequest.query("my-app"))
        .token(TokenSpec.leastPrivilege().allowIps(sb.defaultAllowedIps()).ttl(Duration.ofDays(7)))
        .identityToken(sb.signIn(ADA)).app(LocalSandboxEndToEndTest.app()).build();
  }

  @Test
  void teardown_withStripeProjects_leavesNoWorkerNoValidTokenNoPaidPlanAndKeepsTheDomain() throws IOException {
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      Deployment d = provisioner.provisionAndDeploy(request());
      String account = d.account().accountId();
      Secret deployToken = provisioner.deployCredentials(AGENT, d.runId()).token();
      Secret broadToken = vault.get("runs/" + d.runId() + "/broad/CLOUDFLARE_API_TOKEN").orElseThrow().secret();
      assertThat(verifies(deployToken, account)).isTrue();
      assertThat(verifies(broadToken, account)).isTrue();
      assertThat(registration(account).autoRenew()).isTrue();
      int charges = sb.stripe().paymentIntents().size();

      Teardown t = provisioner.teardown(AGENT, d.runId(), sb.signIn(ADA));

      // no Worker: the script and its custom domain are gone at Cloudflare, and nothing answers at the address
      assertThat(sb.cloudflare().scripts(account)).isEmpty();
      assertThat(sb.cloudflare().workerDomains(account)).isEmpty();
      assertThat(t.undeployedScript()).isEqualTo("my-app");
      // no valid token: Cloudflare refuses the deploy token and the broad one
      assertThat(verifies(deployToken, account)).isFalse();
      assertThat(verifies(broadToken, account)).isFalse();
      assertThat(sb.cloudflare().tokens(account)).isEmpty();
      assertThat(t.revokedTokens()).containsExactly(d.tokens().get(0).tokenId());
      assertThat(vault.keys("runs/" + d.runId() + "/")).isEmpty();
      // no active paid plan: Stripe and the provider show it removed, and nothing more was charged
      assertThat(sb.stripe().resources()).filteredOn(r -> !String.valueOf(r.get("service_ref")).contains("registrar"))
          .extracting(r -> r.get("status")).containsOnly("removed");
      Map<String, Object> plan = sb.stripe().resources().stream()
          .filter(r -> String.valueOf(r.get("service_ref")).endsWith("workers_paid")).findFirst().orElseThrow();
      assertThat(((CloudflareProviderBackend) sb.provider().backend()).deprovisioned()).contains((String) plan.get("remote_id"));
      assertThat(sb.stripe().paymentIntents()).hasSize(charges);
      // the domain stays registered, said plainly, with its renewal turned off at the Registrar
      CloudflareSandbox.RegistrationView reg = registration(account);
      assertThat(reg.autoRenew()).isFalse();
      assertThat(t.result().changes(LifecycleResult.Change.Kind.AUTO_RENEW_OFF)).extracting(LifecycleResult.Change::id)
          .containsExactly(DOMAIN);
      assertThat(t.result().kept(LifecycleResult.Kept.Kind.DOMAIN)).singleElement().satisfies(k -> {
        assertThat(k.id()).isEqualTo(DOMAIN);
        // the Registrar's own expiry: a year after it was registered, minutes ago in virtual time
        assertThat(k.until()).isBetween(time.instant().plus(Duration.ofDays(364)), time.instant().plus(Duration.ofDays(365)));
        assertThat(k.description()).contains("stays registered until", "not refundable", "will not renew");
      });
      assertThat(sb.cloudflare().zones(account)).extracting(CloudflareSandbox.ZoneView::name).containsExactly(DOMAIN);
      assertThat(t.result().kept(LifecycleResult.Kept.Kind.ACCOUNT)).singleElement()
          .satisfies(k -> assertThat(k.id()).isEqualTo(account));
      assertThat(t.result().kept(LifecycleResult.Kept.Kind.CHARGE)).extracting(LifecycleResult.Kept::description)
          .anySatisfy(x -> assertThat(x).contains(Money.usd("5.00").toString(), "not refunded"));
      assertThat(human.requests(CheckpointKind.CHANGE_APPROVAL)).hasSize(1);
      assertThat(t.result().auditVerified()).isTrue();
      String trail = audit.entries().toString();
      assertThat(trail).doesNotContain(deployToken.reveal()).doesNotContain(broadToken.reveal());

      assertNoLongerAnswers(d);
    }
  }

  private CloudflareSandbox.RegistrationView registration(String account) {
    List<CloudflareSandbox.RegistrationView> regs = sb.cloudflare().registrations(account);
    return regs.stream().filter(r -> r.domain().equals(DOMAIN)).findFirst().orElseThrow();
  }

  /** Whether Cloudflare accepts {@code token} for the account (its verify endpoint answers for it). */
  private boolean verifies(Secret token, String account) {
    CloudflareClient c = CloudflareClient.builder().baseUrl(sb.cloudflare().baseUrl()).token(token).build();
    try {
      c.accountTokens(account).verify();
      return true;
    } catch (CloudflareException e) {
      assertThat(e.status()).isIn(400, 401, 403);
      return false;
    }
  }

  /** Through workerd, the app's domain and workers.dev address no longer serve it. */
  private void assertNoLongerAnswers(Deployment d) throws IOException {
    assumeTrue(sb.workerdAvailable(), "workerd is not installed (set WORKERD_BIN or run ./scripts/install-workerd.sh): "
        + "the script is gone at Cloudflare, but that its address no longer answers is not checked");
    assertThat(d.verification().live()).isTrue(); // it did answer before the teardown
    for (var url : List.of(d.url(), d.providerUrl())) {
      try (Response r = sb.cloudflare().appClient().newCall(new Request.Builder().url(url.toString()).build())
          .execute()) {
        String body = r.body() == null ? "" : r.body().string();
        assertThat(r.code()).as("status at " + url).isNotEqualTo(200);
        assertThat(body).doesNotContain("hello from");
      }
    }
  }

  @Test
  void teardown_ofAnotherAgentsRun_isRefusedAndTouchesNothing() {
    try (AgentProvisioner provisioner = provisioner(sb.directOrchestrator())) {
      Deployment d = provisioner.provisionAndDeploy(request());

      assertThatThrownBy(() -> provisioner.teardown(AgentId.of("someone-else"), d.runId(), sb.signIn(ADA)))
          .hasMessageContaining("has no run");

      assertThat(sb.cloudflare().scripts(d.account().accountId())).hasSize(1);
      assertThat(human.requests(CheckpointKind.CHANGE_APPROVAL)).isEmpty();
    }
  }
}
