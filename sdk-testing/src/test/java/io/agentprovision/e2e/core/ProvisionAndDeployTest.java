package io.agentprovision.e2e.core;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.StepId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.FaultInjector;
import io.agentprovision.testing.RecordingDeployer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The whole flow over fakes: from nothing to a live app, and what a plan does not do. */
class ProvisionAndDeployTest {
  private final EngineHarness h = new EngineHarness();
  private AgentProvisioner provisioner;

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void provisionAndDeploy_fromNothing_returnsLiveAppWithAccountResourcesSpendAndAuditHead() {
    provisioner = h.provisioner();

    Deployment d = provisioner.provisionAndDeploy(EngineHarness.request().build());

    assertThat(d.url()).isEqualTo(URI.create("https://my-app.com"));
    assertThat(d.providerUrl()).isEqualTo(URI.create("https://my-app.fake-account.workers.dev"));
    assertThat(d.domain()).isEqualTo("my-app.com");
    assertThat(d.account().email()).isEqualTo("ada@example.com");
    assertThat(d.account().linkAction()).isEqualTo(Deployment.AccountSummary.LinkAction.CREATED);
    assertThat(d.resources()).extracting(Deployment.ResourceSummary::serviceId)
        .containsExactly("workers:paid", "workers", "registrar:domain");
    assertThat(d.resources()).extracting(Deployment.ResourceSummary::charged)
        .containsExactly(Money.usd("5.00"), null, Money.usd("10.44"));
    assertThat(d.spent()).containsExactly(Money.usd("15.44"));
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("15.44"));
    assertThat(d.limits()).singleElement().satisfies(u -> {
      assertThat(u.limit()).isEqualTo(SpendPolicy.DEFAULT_LIMIT);
      assertThat(u.used()).isEqualTo(Money.usd("15.44"));
      assertThat(u.remaining()).isEqualTo(Money.usd("84.56"));
    });
    assertThat(d.tokens()).singleElement().satisfies(t -> {
      assertThat(t.permissions()).contains(RecordingDeployer.SCRIPTS_WRITE);
      assertThat(t.allowedIps()).containsExactly("203.0.113.0/24");
      assertThat(t.expiresAt()).isEqualTo(h.time.instant().plus(Duration.ofDays(7)));
      assertThat(h.vault.get(t.vaultKey())).isPresent();
    });
    assertThat(d.verification().live()).isTrue();
    assertThat(d.verification().status()).isEqualTo(200);
    assertThat(d.warnings()).isEmpty();
    assertThat(d.auditHead()).isEqualTo(h.audit.head().orElseThrow().hash());
    assertThat(d.auditVerified()).isTrue();
    assertThat(h.deployer.liveScripts()).singleElement().satisfies(u -> assertThat(u.domain()).isEqualTo("my-app.com"));
  }

  @Test
  void provisionAndDeploy_withDefaultPolicy_asksForThePlanOnceAndForTheDomainAtItsPrice() {
    provisioner = h.provisioner();

    provisioner.provisionAndDeploy(EngineHarness.request().build());

    // the plan approval covers the plan's known price; the domain's price is only known once chosen
    assertThat(h.gate.requests()).extracting(r -> r.kind())
        .containsExactly(CheckpointKind.PLAN_APPROVAL, CheckpointKind.TERMS_OF_SERVICE, CheckpointKind.DOMAIN_PURCHASE);
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).singleElement().satisfies(r -> {
      assertThat(r.cost()).isEqualTo(Money.usd("10.44"));
      assertThat(r.title()).contains("my-app.com");
      assertThat(r.principal()).isNotNull();
      assertThat(r.agent()).isEqualTo(AgentId.of("coding-agent-7"));
    });
  }

  @Test
  void provisionAndDeploy_emitsStartAndFinishOfEveryStepAndOfTheRun() {
    provisioner = h.provisioner();

    Deployment d = provisioner.provisionAndDeploy(EngineHarness.request().build());

    assertThat(h.events(ProvisioningEvent.RunStarted.class)).singleElement()
        .satisfies(e -> assertThat(e.run()).isEqualTo(d.runId()));
    List<String> started = h.events(ProvisioningEvent.StepStarted.class).stream().map(e -> e.step().value()).toList();
    assertThat(started).containsExactlyInAnyOrder("identity", "plan-approval", "account", "payment-method", "plan",
        "resource", "domain", "credentials", "deploy", "verify");
    assertThat(h.events(ProvisioningEvent.StepFinished.class)).hasSize(10)
        .allSatisfy(e -> assertThat(e.status()).isEqualTo(StepStatus.SUCCEEDED));
    assertThat(h.events(ProvisioningEvent.RunFinished.class)).singleElement()
        .satisfies(e -> assertThat(e.status()).isEqualTo(RunStatus.SUCCEEDED));
    assertThat(h.events(ProvisioningEvent.ApprovalRequested.class)).hasSize(3);
    assertThat(h.events(ProvisioningEvent.ApprovalDecided.class)).hasSize(3);
  }

  @Test
  void provisionAndDeploy_auditsEverySideEffectWithAgentAndPrincipal() {
    provisioner = h.provisioner();

    provisioner.provisionAndDeploy(EngineHarness.request().build());

    assertThat(h.auditActions()).contains("run.started", "identity.attested", "approval.decided", "terms.accepted",
        "account.linked", "payment_method.ready", "spend.reserved", "spend.committed", "resource.provisioned",
        "domain.chosen", "domain.registered", "credentials.revealed", "token.create", "credentials.stored",
        "worker.upload", "app.deployed", "app.verified", "run.finished");
    assertThat(h.audit.entries()).filteredOn(e -> e.record().run() != null && !e.record().action().startsWith("run."))
        .allSatisfy(e -> {
          assertThat(e.record().agent()).isEqualTo(AgentId.of("coding-agent-7"));
          assertThat(e.record().principal()).contains("ada@example.com");
        });
    assertThat(h.audit.entries()).filteredOn(e -> e.record().action().equals("spend.committed"))
        .extracting(e -> e.record().amount()).containsExactlyInAnyOrder(Money.usd("5.00"), Money.usd("10.44"));
    assertThat(h.audit.entries()).filteredOn(e -> e.record().action().equals("resource.provisioned"))
        .allSatisfy(e -> assertThat(e.record().idempotencyKey()).startsWith("ap_"));
  }

  @Test
  void plan_callsNothingWithSideEffects_andReportsPricesVerdictsAndApprovals() {
    provisioner = h.provisioner();

    ProvisionPlan plan = provisioner.plan(EngineHarness.request().build());

    assertThat(h.orchestrator.calls()).noneMatch(FaultInjector.Call::sideEffect);
    assertThat(h.deployer.calls()).isEmpty();
    assertThat(h.audit.entries()).isEmpty();
    assertThat(h.journal.runs()).isEmpty();
    assertThat(h.gate.requests()).isEmpty();
    assertThat(h.ledger.reservations(null, null, java.time.Instant.EPOCH, java.time.Instant.MAX)).isEmpty();

    assertThat(plan.allowed()).isTrue();
    assertThat(plan.step(StepId.of("plan")).orElseThrow()).satisfies(s -> {
      assertThat(s.quote()).isEqualTo(Money.usd("5.00"));
      assertThat(s.priceFinal()).isTrue();
      assertThat(s.verdict()).isEqualTo(PlannedStep.Verdict.NEEDS_APPROVAL);
    });
    assertThat(plan.step(StepId.of("resource")).orElseThrow().verdict()).isEqualTo(PlannedStep.Verdict.FREE);
    // the domain's price comes with the name: the plan holds what the monthly limit leaves after the plan
    assertThat(plan.step(StepId.of("domain")).orElseThrow()).satisfies(s -> {
      assertThat(s.quote()).isEqualTo(Money.usd("95.00"));
      assertThat(s.priceFinal()).isFalse();
      assertThat(s.verdictDetail()).startsWith("price known once a name is chosen; up to USD 95.00");
      assertThat(s.verdict()).isEqualTo(PlannedStep.Verdict.NEEDS_APPROVAL);
      assertThat(s.approvals()).contains(CheckpointKind.DOMAIN_PURCHASE);
    });
    assertThat(plan.total()).containsExactly(Money.usd("100.00"));
    assertThat(plan.approvalsNeeded()).contains(CheckpointKind.PLAN_APPROVAL, CheckpointKind.TERMS_OF_SERVICE,
        CheckpointKind.DOMAIN_PURCHASE);
    assertThat(plan.summary()).contains("workers:paid", "USD 5.00", "NEEDS_APPROVAL");
  }

  @Test
  void plan_withDomainCap_quotesTheCap_andTheDomainIsStillConfirmedAtItsPrice() {
    provisioner = h.provisioner();
    ProvisionRequest req = EngineHarness.request().domain(DomainRequest.query("my-app").maxPrice(Money.usd("11.00")))
        .build();

    ProvisionPlan plan = provisioner.plan(req);
    provisioner.execute(plan);

    assertThat(plan.step(StepId.of("domain")).orElseThrow().quote()).isEqualTo(Money.usd("11.00"));
    assertThat(plan.total()).containsExactly(Money.usd("16.00"));
    assertThat(h.gate.requests()).extracting(r -> r.kind())
        .containsExactly(CheckpointKind.PLAN_APPROVAL, CheckpointKind.TERMS_OF_SERVICE, CheckpointKind.DOMAIN_PURCHASE);
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE).get(0).cost()).isEqualTo(Money.usd("10.44"));
  }

  @Test
  void execute_samePlanTwice_returnsTheFinishedRunWithoutBuyingAgain() {
    provisioner = h.provisioner();
    ProvisionPlan plan = provisioner.plan(EngineHarness.request().build());

    Deployment first = provisioner.execute(plan);
    Deployment second = provisioner.execute(plan);

    assertThat(second.runId()).isEqualTo(first.runId());
    assertThat(second.url()).isEqualTo(first.url());
    assertThat(second.spent()).containsExactly(Money.usd("15.44"));
    assertThat(h.orchestrator.charges()).hasSize(2);
  }

  @Test
  void provisionAndDeploy_withoutDomain_answersOnTheProviderHost() {
    provisioner = h.provisioner();

    Deployment d = provisioner.provisionAndDeploy(EngineHarness.request().domain(null).build());

    assertThat(d.url()).isEqualTo(URI.create("https://my-app.fake-account.workers.dev"));
    assertThat(d.domain()).isNull();
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId).containsExactly("workers:paid");
    assertThat(d.tokens().get(0).permissions()).containsExactly(RecordingDeployer.SCRIPTS_WRITE);
  }

  @Test
  void provisionAndDeploy_withPreferredTld_choosesItOverACheaperOne() {
    provisioner = h.provisioner();

    Deployment d = provisioner.provisionAndDeploy(EngineHarness.request()
        .domain(DomainRequest.query("my-app").preferTlds("dev")).build());

    assertThat(d.domain()).isEqualTo("my-app.dev");
    assertThat(d.spent()).containsExactly(Money.usd("17.00"));
  }

  @Test
  void provisionAndDeploy_whenAppDoesNotAnswerYet_pollsUntilItDoes() {
    h.deployer = RecordingDeployer.builder().notLiveFor(2).build();
    provisioner = h.provisioner();

    Deployment d = provisioner.provisionAndDeploy(EngineHarness.request().build());

    assertThat(d.verification().live()).isTrue();
    assertThat(h.deployer.calls()).filteredOn(c -> c.method().equals("verify")).hasSize(3);
    assertThat(h.events(ProvisioningEvent.Progress.class)).anySatisfy(p -> assertThat(p.message()).contains("app at"));
  }

  @Test
  void provisionAndDeploy_existingAccount_linksAfterConsentWithTheCallbackState() {
    h.orchestrator = FakeOrchestrator.builder().existingAccount("ada@example.com").paymentMethodOnFile(true).build();
    h.gate.respond(CheckpointKind.ACCOUNT_CONSENT, r -> java.util.Map.of("code", "code-1", "state", r.details().get("state")));
    provisioner = h.provisioner();

    Deployment d = provisioner.provisionAndDeploy(EngineHarness.request().build());

    assertThat(d.account().linkAction()).isEqualTo(Deployment.AccountSummary.LinkAction.LINKED_EXISTING);
    assertThat(h.gate.requests(CheckpointKind.ACCOUNT_CONSENT)).singleElement()
        .satisfies(r -> assertThat(r.url()).isNotNull());
    // the decision's data is a credential: only its field names reach the audit log
    assertThat(h.audit.entries()).filteredOn(e -> e.record().action().equals("approval.decided"))
        .anySatisfy(e -> assertThat(e.record().details()).containsEntry("response_fields", "code,state"));
    assertThat(h.audit.entries()).noneSatisfy(e -> assertThat(e.record().details().values()).contains("code-1"));
  }

  @Test
  void provisionAndDeploy_consentWithForgedState_isRejectedAndNothingIsBought() {
    h.orchestrator = FakeOrchestrator.builder().existingAccount("ada@example.com").paymentMethodOnFile(true).build();
    h.gate.respond(CheckpointKind.ACCOUNT_CONSENT, r -> java.util.Map.of("code", "code-1", "state", "forged"));
    provisioner = h.provisioner();

    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOf(IdentityRejectedException.class)
        .satisfies(e -> assertThat(((IdentityRejectedException) e).check()).isEqualTo("state"));
    assertThat(h.orchestrator.charges()).isEmpty();
  }
}
