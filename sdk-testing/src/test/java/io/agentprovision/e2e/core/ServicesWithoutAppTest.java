package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunEnvironment;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.ServiceRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.ProviderException;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.FaultInjector;
import io.agentprovision.testing.SimulatedCrash;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A request that names catalog services (a D1 database, a KV namespace, a paid plan) and no app: the
 * engine plans, prices, judges and provisions each as one step, checks every configuration against
 * the catalog's schema before any call, keeps the resources' credentials in the vault and lists them
 * as an environment of references; no deployer is involved.
 */
class ServicesWithoutAppTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");
  private final EngineHarness h = new EngineHarness();
  private final java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger();

  @AfterEach
  void close() {
    h.close();
  }

  /** A provisioner with no deployer at all: a request without an app needs none. */
  private AgentProvisioner provisioner() {
    AgentProvisioner p = AgentProvisioner.builder().orchestrator(h.orchestrator).identity(h.identity)
        .spendPolicy(h.policy).ledger(h.ledger).approvals(h.gate).audit(h.audit).vault(h.vault).journal(h.journal)
        .listener(h.events::add).clock(h.time).sleeper(h.time).stepExecutor(h.steps)
        .idGenerator(prefix -> prefix + "_" + ids.incrementAndGet()).build();
    return p;
  }

  private static ProvisionRequest.Builder dataRequest() {
    return ProvisionRequest.builder().agent(AGENT)
        .plan("cloudflare", "workers:free") // the provider's deployables need a plan in the account
        .service(ServiceRequest.of("d1").with("name", "orders").with("location_hint", "weur"))
        .service(ServiceRequest.of("cloudflare/kv", Map.of("title", "sessions")));
  }

  private void assertNothingHappened() {
    assertThat(h.orchestrator.calls()).noneMatch(FaultInjector.Call::sideEffect);
    assertThat(h.orchestrator.resources()).isEmpty();
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(h.ledger.reservations(null, null, Instant.EPOCH, Instant.MAX)).isEmpty();
    assertThat(h.journal.runs()).isEmpty();
    assertThat(h.gate.requests()).isEmpty();
  }

  @Test
  void d1AndKvWithoutAnApp_areProvisionedWithTheirConfigurations_withoutAnyDeployStep() {
    try (AgentProvisioner p = provisioner()) {
      ProvisionPlan plan = p.plan(dataRequest().build());

      assertThat(plan.steps()).extracting(s -> s.id().value())
          .containsExactly("identity", "plan-approval", "account", "plan", "service:d1", "service:kv");
      assertThat(plan.step(StepId.of("service:d1")).orElseThrow().dependsOn()).containsExactly(StepId.of("plan"));
      assertThat(plan.total()).as("all free").isEmpty();

      Deployment d = p.execute(plan);

      assertThat(d.hasApp()).isFalse();
      assertThat(d.outcome()).isEqualTo(Deployment.Outcome.PROVISIONED);
      assertThat(d.url()).isNull();
      assertThat(d.tokens()).isEmpty();
      assertThat(d.resources()).extracting(Deployment.ResourceSummary::serviceId)
          .containsExactlyInAnyOrder("workers:free", "d1", "kv");
      assertThat(h.orchestrator.resources()).filteredOn(r -> r.ref().serviceId().equals("d1")).singleElement()
          .satisfies(r -> {
            assertThat(r.configuration()).isEqualTo(Map.of("name", "orders", "location_hint", "weur"));
            assertThat(r.status()).isEqualTo(ResourceStatus.COMPLETE);
            assertThat(r.project()).isEqualTo("coding-agent-7");
          });
      assertThat(h.orchestrator.resources()).filteredOn(r -> r.ref().serviceId().equals("kv")).singleElement()
          .satisfies(r -> assertThat(r.configuration()).isEqualTo(Map.of("title", "sessions")));
      assertThat(h.journal.run(d.runId()).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
      assertThat(h.auditActions()).contains("run.started", "resource.provisioned", "credentials.stored", "run.finished")
          .doesNotContain("app.deployed");
    }
  }

  @Test
  void env_listsEachResourcesCredentialsAsVaultReferences_andRevealIsAuditedAndOwnAgentOnly() {
    try (AgentProvisioner p = provisioner()) {
      Deployment d = p.provisionAndDeploy(dataRequest().build());

      RunEnvironment env = p.env(AGENT, d.runId());

      // both resources have CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID: each is prefixed with its service
      assertThat(env.names()).containsExactly("D1_CLOUDFLARE_ACCOUNT_ID", "D1_CLOUDFLARE_API_TOKEN",
          "KV_CLOUDFLARE_ACCOUNT_ID", "KV_CLOUDFLARE_API_TOKEN");
      assertThat(env.lines()).contains("D1_CLOUDFLARE_API_TOKEN=vault:runs/" + d.runId()
          + "/services/service:d1/CLOUDFLARE_API_TOKEN");
      RunEnvironment.Variable token = env.variable("D1_CLOUDFLARE_API_TOKEN").orElseThrow();
      assertThat(token.credential()).isEqualTo("CLOUDFLARE_API_TOKEN");
      assertThat(token.serviceId()).isEqualTo("d1");
      Secret inVault = h.vault.get(token.vaultKey()).orElseThrow().secret();
      assertThat(inVault.reveal()).startsWith("cf_");
      assertThat(String.join("\n", env.lines()) + env).doesNotContain(inVault.reveal());
      // the journal keeps names only
      h.journal.steps(d.runId()).forEach(s -> assertThat(String.valueOf(s.output())).doesNotContain(inVault.reveal()));

      Secret revealed = p.reveal(AGENT, d.runId(), "D1_CLOUDFLARE_API_TOKEN", "write the app's .env");

      assertThat(revealed.reveal()).isEqualTo(inVault.reveal());
      AuditEntry entry = h.audit.entries().stream().filter(e -> e.record().action().equals("env.revealed"))
          .reduce((a, b) -> b).orElseThrow();
      assertThat(entry.record().details()).containsEntry("name", "D1_CLOUDFLARE_API_TOKEN")
          .containsEntry("reason", "write the app's .env");
      assertThat(entry.record().agent()).isEqualTo(AGENT);
      assertThat(h.audit.entries().toString()).doesNotContain(inVault.reveal());

      AgentId other = AgentId.of("other-agent");
      assertThatThrownBy(() -> p.env(other, d.runId())).isInstanceOfSatisfying(InvalidRequestException.class,
          e -> assertThat(e.field()).isEqualTo("runId"));
      assertThatThrownBy(() -> p.reveal(other, d.runId(), "D1_CLOUDFLARE_API_TOKEN", "x"))
          .isInstanceOf(InvalidRequestException.class);
      assertThatThrownBy(() -> p.reveal(AGENT, d.runId(), "NOPE", "x"))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.fix()).contains("D1_CLOUDFLARE_API_TOKEN"));
      assertThatThrownBy(() -> p.rotateCredentials(AGENT, d.runId())).isInstanceOfSatisfying(InvalidRequestException.class,
          e -> assertThat(e.problem()).contains("deployed no app"));
    }
  }

  @Test
  void aConfigurationTheSchemaRefuses_isRefusedAtPlanTime_namingTheField_withNothingCalledOrCharged() {
    try (AgentProvisioner p = provisioner()) {
      InvalidRequestException badName = catchInvalid(() -> p.provisionAndDeploy(ProvisionRequest.builder().agent(AGENT)
          .plan("cloudflare", "workers:paid")
          .service(ServiceRequest.of("kv").with("title", "sessions"))
          .service(ServiceRequest.of("d1").with("name", "Orders DB!"))
          .build()));
      assertThat(badName.field()).isEqualTo("services[1].configuration.name");
      assertThat(badName.problem()).contains("pattern");

      InvalidRequestException missing = catchInvalid(() -> p.plan(ProvisionRequest.builder().agent(AGENT)
          .plan("cloudflare", "workers:free").service(ServiceRequest.of("kv")).build()));
      assertThat(missing.field()).isEqualTo("services[0].configuration.title");

      InvalidRequestException extra = catchInvalid(() -> p.plan(ProvisionRequest.builder().agent(AGENT)
          .plan("cloudflare", "workers:free").service(ServiceRequest.of("kv").with("title", "t").with("ttl", 60))
          .build()));
      assertThat(extra.field()).isEqualTo("services[0].configuration.ttl");

      InvalidRequestException wrongType = catchInvalid(() -> p.plan(ProvisionRequest.builder().agent(AGENT)
          .plan("cloudflare", "workers:free").service(ServiceRequest.of("kv").with("title", 7)).build()));
      assertThat(wrongType.field()).isEqualTo("services[0].configuration.title");
      assertThat(wrongType.fix()).contains("configuration_schema");

      InvalidRequestException unknown = catchInvalid(() -> p.plan(ProvisionRequest.builder().agent(AGENT)
          .plan("cloudflare", "workers:free").service(ServiceRequest.of("postgres")).build()));
      assertThat(unknown.field()).isEqualTo("services[0].service");
      assertThat(unknown.fix()).contains("d1").contains("kv");

      assertNothingHappened();
    }
  }

  @Test
  void aPaidPlanNamedAsAService_isPricedAndJudgedLikeThePlan_andAboveTheLimitNothingIsCharged() {
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("3.00")).perProvider()).build();
    try (AgentProvisioner p = provisioner()) {
      ProvisionPlan plan = p.plan(ProvisionRequest.builder().agent(AGENT).provider("cloudflare")
          .service(ServiceRequest.of("workers:paid")).service(ServiceRequest.of("d1").with("name", "orders")).build());

      PlannedStep paid = plan.step(StepId.of("service:workers:paid")).orElseThrow();
      assertThat(paid.quote()).isEqualTo(Money.usd("5.00"));
      assertThat(paid.verdict()).isEqualTo(PlannedStep.Verdict.DENIED);
      assertThat(plan.step(StepId.of("service:d1")).orElseThrow().dependsOn())
          .containsExactly(StepId.of("service:workers:paid"));
      assertThat(plan.steps()).extracting(s -> s.id().value()).contains("payment-method");

      assertThatThrownBy(() -> p.execute(plan)).isInstanceOf(PolicyViolationException.class);
      assertThat(h.orchestrator.charges()).isEmpty();
      assertThat(h.orchestrator.resources()).isEmpty();
    }
  }

  @Test
  void aPaidPlanNamedAsAService_withinTheLimit_isReservedAndCommittedAtItsPrice() {
    try (AgentProvisioner p = provisioner()) {
      Deployment d = p.provisionAndDeploy(ProvisionRequest.builder().agent(AGENT).provider("cloudflare")
          .service(ServiceRequest.of("workers:paid")).service(ServiceRequest.of("kv").with("title", "cache")).build());

      assertThat(d.spent()).containsExactly(Money.usd("5.00"));
      assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId).containsExactly("workers:paid");
      assertThat(h.gate.requests()).extracting(r -> r.kind().name()).contains("PLAN_APPROVAL");
      // a plan's credentials are not revealed: only the KV namespace's are kept
      assertThat(p.env(AGENT, d.runId()).variables()).extracting(RunEnvironment.Variable::serviceId).containsOnly("kv");
    }
  }

  @Test
  void theSameServiceTwice_isTwoStepsWithNumberedIds_andTwoResources() {
    try (AgentProvisioner p = provisioner()) {
      Deployment d = p.provisionAndDeploy(ProvisionRequest.builder().agent(AGENT).plan("cloudflare", "workers:free")
          .service("d1", Map.of("name", "orders")).service("d1", Map.of("name", "audit")).build());

      assertThat(h.journal.steps(d.runId())).extracting(s -> s.step().value()).contains("service:d1", "service:d1-2");
      assertThat(h.orchestrator.resources()).filteredOn(r -> r.ref().serviceId().equals("d1"))
          .extracting(r -> r.configuration().get("name")).containsExactlyInAnyOrder("orders", "audit");
      assertThat(p.env(AGENT, d.runId()).names()).contains("D1_CLOUDFLARE_API_TOKEN", "D1_2_CLOUDFLARE_API_TOKEN");
    }
  }

  @Test
  void aServiceThatFails_undoesTheOthers_andDeletesTheirCredentialsFromTheVault() {
    h.orchestrator.failOn("provision", 3, new ProviderException("cloudflare", 400, "quota_exceeded", "req_1",
        "no more KV namespaces on this account", false));
    try (AgentProvisioner p = provisioner()) {
      RunFailedException failed = org.junit.jupiter.api.Assertions.assertThrows(RunFailedException.class,
          () -> p.provisionAndDeploy(dataRequest().build()));

      assertThat(failed.undone()).anyMatch(u -> u.contains("removed d1"));
      assertThat(h.orchestrator.removals()).extracting(FakeOrchestrator.Removal::serviceId).contains("d1");
      assertThat(h.vault.keys("runs/")).noneMatch(k -> k.contains("/services/"));
    }
  }

  @Test
  void aCrashRightAfterTheDatabaseIsCreated_isResumedWithoutASecondDatabase() {
    h.orchestrator.crashAfter("provision", 2); // the plan, then D1: made, and the host dies
    ProvisionRequest request = dataRequest().build();
    try (AgentProvisioner p = provisioner()) {
      org.junit.jupiter.api.Assertions.assertThrows(SimulatedCrash.class, () -> p.provisionAndDeploy(request));
    }
    try (AgentProvisioner restarted = provisioner()) {
      Deployment d = restarted.resume(AGENT, h.journal.runs().get(0).id());

      assertThat(h.orchestrator.resources()).filteredOn(r -> r.ref().serviceId().equals("d1")).hasSize(1);
      assertThat(restarted.env(AGENT, d.runId()).names()).contains("D1_CLOUDFLARE_API_TOKEN", "KV_CLOUDFLARE_API_TOKEN");
    }
  }

  @Test
  void aDomainNamedAsAService_isBoughtThroughTheDomainStep_atItsConfirmedPrice() {
    try (AgentProvisioner p = provisioner()) {
      Deployment d = p.provisionAndDeploy(ProvisionRequest.builder().agent(AGENT).provider("cloudflare")
          .service(ServiceRequest.of("registrar:domain").with("domain", "my-data.com")).build());

      assertThat(d.domain()).isEqualTo("my-data.com");
      assertThat(h.journal.steps(d.runId())).extracting(s -> s.step().value()).contains("domain");
      assertThat(h.gate.requests()).extracting(r -> r.kind().name()).contains("DOMAIN_PURCHASE");
      assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
          .containsExactly("registrar:domain");
    }
  }

  @Test
  void withAnApp_theNamedServicesAreProvisionedBeforeTheDeploy() {
    try (AgentProvisioner p = h.provisioner()) {
      ProvisionPlan plan = p.plan(EngineHarness.request().domain(null)
          .service(ServiceRequest.of("kv").with("title", "cache")).build());

      assertThat(plan.step(StepId.of("deploy")).orElseThrow().dependsOn())
          .containsExactly(StepId.of("credentials"), StepId.of("service:kv"));
      Deployment d = p.execute(plan);
      assertThat(d.hasApp()).isTrue();
      assertThat(d.resources()).extracting(Deployment.ResourceSummary::serviceId).contains("workers", "kv");
    }
  }

  @Test
  void requestBuilder_refusesServicesOfAnotherProvider_andARequestForNothing() {
    InvalidRequestException other = catchInvalid(() -> ProvisionRequest.builder().agent(AGENT).provider("cloudflare")
        .service(ServiceRequest.of("vercel/postgres")).build());
    assertThat(other.field()).isEqualTo("services[0].service");

    InvalidRequestException nothing = catchInvalid(() -> ProvisionRequest.builder().agent(AGENT).provider("cloudflare")
        .build());
    assertThat(nothing.field()).isEqualTo("app");

    InvalidRequestException noProvider = catchInvalid(() -> ProvisionRequest.builder().agent(AGENT)
        .service(ServiceRequest.of("d1")).build());
    assertThat(noProvider.field()).isEqualTo("provider");

    InvalidRequestException badConfig = catchInvalid(() -> ProvisionRequest.builder().agent(AGENT)
        .service("cloudflare/kv", Map.of("title", List.of(Double.NaN))));
    assertThat(badConfig.field()).isEqualTo("services[0].configuration.title[0]");

    assertThat(ProvisionRequest.builder().agent(AGENT).service(ServiceRequest.of("cloudflare/d1")).build().provider())
        .isEqualTo("cloudflare");
  }

  private static InvalidRequestException catchInvalid(org.junit.jupiter.api.function.Executable e) {
    InvalidRequestException ex = org.junit.jupiter.api.Assertions.assertThrows(InvalidRequestException.class, e);
    assertThat(ex.problem()).isNotBlank();
    assertThat(ex.fix()).isNotBlank();
    return ex;
  }
}
