package io.agentprovision.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Drives the fakes through the whole flow the way an engine would, step by step, to show that they
 * fit together: identity, consent to link an existing account, a card, a paid plan, the domain
 * loop, the Worker, credentials, deploy and verify.
 */
class FakesFlowTest {
  private final VirtualTime time = VirtualTime.create();
  private final Principal ada = Principal.builder("user-1", "https://issuer.test").email("ada@example.com", true)
      .amr(List.of("pwd", "otp")).build();
  private final ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time)
      .respond(CheckpointKind.ACCOUNT_CONSENT, r -> Map.of("state", r.details().get("state"), "code", "oauth-code"));

  private FakeStepContext step(String name) {
    return FakeStepContext.builder().time(time).approvals(gate).principal(ada).run(RunId.of("run_1"))
        .step(StepId.of(name)).idempotencyKey("run_1:" + name).build();
  }

  private static ResourceRequest resource(ProviderAccount acct, String service, Map<String, Object> config,
      @Nullable PaymentAuthorization payment) {
    return new ResourceRequest("cloudflare", service, "my-app-" + service.replace(':', '-'), config, acct, "proj_1",
        "production", payment);
  }

  @Test
  void wholeFlow_withFakes_buysPlanAndDomainOnceAndDeploysLive() {
    FakeIdentityProvider identity = FakeIdentityProvider.builder().token(Secret.of("id-token"), ada).build();
    FakeOrchestrator orch = FakeOrchestrator.builder().existingAccount("ada@example.com").pendingPolls(1).build();
    RecordingDeployer deployer = RecordingDeployer.builder().accountSubdomain("ada").build();
    WorkerApp app = WorkerApp.builder("my-app").module("index.js", "export default { fetch() {} };").build();

    Principal principal = identity.attest(new IdentityRequest(AgentId.of("agent-7"), RunId.of("run_1"),
        Secret.of("id-token"), null, true));
    ProviderAccount acct = orch.linkAccount(new AccountLinkRequest("cloudflare", principal, List.of(), Map.of()),
        step("link"));
    orch.ensurePaymentMethod("cloudflare", Money.usd("100.00"), step("payment-method"));

    FakeStepContext planStep = step("plan");
    Money planPrice = orch.catalog("cloudflare").service("workers:paid").orElseThrow().pricing().minimum();
    SpendAuthorization planSpend = planStep.authorizeSpend(new SpendRequest(CheckpointKind.PAID_PLAN, "cloudflare",
        planPrice, "Workers Paid", Map.of()));
    ResourceState plan = orch.provision(resource(acct, "workers:paid", Map.of(), planSpend.payment()), planStep);
    planSpend.commit(plan.charged());

    FakeStepContext domainStep = step("domain");
    ResourceState search = orch.provision(resource(acct, "registrar:domain", Map.of("domain_query", "my-app"), null),
        domainStep);
    InformationRequest.Choice pick = search.needsInformation().choicesFor("domain").stream()
        .filter(InformationRequest.Choice::available).findFirst().orElseThrow();
    SpendAuthorization domainSpend = domainStep.authorizeSpend(new SpendRequest(CheckpointKind.DOMAIN_PURCHASE,
        "cloudflare", pick.price(), "register " + pick.value(), Map.of()));
    ResourceState domain = orch.submitInformation(search.ref(), Map.of("domain", pick.value()), domainSpend.payment(),
        domainStep);
    domainSpend.commit(domain.charged());

    ResourceState workers = orch.provision(resource(acct, "workers", Map.of(), null), step("workers"));
    AccessConfiguration broad = orch.revealCredentials(workers.ref(), step("reveal"));
    PreparedCredentials creds = deployer.prepareCredentials(new CredentialRequest(acct, broad,
        TokenSpec.leastPrivilege().ttl(Duration.ofDays(1)).retireBroadToken(TokenSpec.BroadToken.ROLL), app,
        domain.attributes().get("domain")), step("credentials"));
    DeployedApp live = deployer.deploy(new DeployRequest(app, creds.deploy(), domain.attributes().get("domain")),
        step("deploy"));

    assertThat(acct.linkAction()).isEqualTo(ProviderAccount.LinkAction.LINKED_EXISTING);
    assertThat(domain.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(deployer.verify(live, step("verify")).live()).isTrue();
    assertThat(live.primaryUrl()).isEqualTo(URI.create("https://my-app.com"));
    assertThat(live.url()).isEqualTo(URI.create("https://my-app.ada.workers.dev"));
    assertThat(orch.charges()).extracting(FakeOrchestrator.Charge::serviceId, FakeOrchestrator.Charge::amount)
        .containsExactly(org.assertj.core.api.Assertions.tuple("workers:paid", Money.usd("5.00")),
            org.assertj.core.api.Assertions.tuple("registrar:domain", Money.usd("10.44")));
    assertThat(orch.totalCharged("cloudflare")).isEqualTo(Money.usd("15.44"));
    assertThat(gate.requests()).extracting(r -> r.kind())
        .containsExactly(CheckpointKind.ACCOUNT_CONSENT, CheckpointKind.PAYMENT_METHOD);
    assertThat(creds.broadOutcome()).isEqualTo(PreparedCredentials.BroadOutcome.ROLLED);
    assertThat(time.totalSlept()).isPositive();
  }
}
