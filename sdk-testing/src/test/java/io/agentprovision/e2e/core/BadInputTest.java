package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.testing.FaultInjector;
import io.agentprovision.testing.RecordingDeployer;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input is refused with a typed, actionable error before anything happens. */
class BadInputTest {
  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private void assertNothingHappened() {
    assertThat(h.orchestrator.calls()).noneMatch(FaultInjector.Call::sideEffect);
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(h.deployer.calls()).isEmpty();
    assertThat(h.ledger.reservations(null, null, Instant.EPOCH, Instant.MAX)).isEmpty();
    assertThat(h.journal.runs()).isEmpty();
    assertThat(h.gate.requests()).isEmpty();
  }

  private static InvalidRequestException refused(Executable e) {
    InvalidRequestException ex = org.junit.jupiter.api.Assertions.assertThrows(InvalidRequestException.class, e);
    assertThat(ex.problem()).isNotBlank();
    assertThat(ex.fix()).isNotBlank();
    assertThat(ex.getMessage()).contains(ex.field()).contains("fix:");
    return ex;
  }

  @Test
  void negativeMoney_inALimitOrACap_isRefused() {
    assertThat(refused(() -> SpendLimit.monthly(Money.usd("-1.00"))).field()).isEqualTo("limit amount");
    assertThat(refused(() -> DomainRequest.query("my-app").maxPrice(Money.usd("-0.01"))).field()).isEqualTo("maxPrice");
    assertThat(refused(() -> SpendPolicy.builder().requireApprovalAbove(Money.usd("-5"))).field())
        .isEqualTo("requireApprovalAbove");
  }

  @Test
  void mixedCurrencies_areRefusedByArithmeticAndByLimits() {
    assertThat(refused(() -> Money.usd("1.00").plus(Money.eur("1.00"))).field()).isEqualTo("currency");
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.eur("100.00")).perProvider()).build();
    AgentProvisioner p = h.provisioner();

    ProvisionPlan plan = p.plan(EngineHarness.request().build());

    assertThat(plan.allowed()).isFalse();
    assertThat(plan.step(StepId.of("plan")).orElseThrow().verdictDetail()).contains("EUR").contains("USD");
    assertThatThrownBy(() -> p.execute(plan)).isInstanceOf(PolicyViolationException.class);
    assertThat(h.orchestrator.charges()).isEmpty();
  }

  @Test
  void emptyOrMalformedDomain_isRefused() {
    assertThat(refused(() -> DomainRequest.query("")).field()).isEqualTo("domain query");
    assertThat(refused(() -> DomainRequest.exact("my-app")).problem()).contains("no top-level domain");
    assertThat(refused(() -> DomainRequest.query("my_app!")).field()).isEqualTo("domain query");
  }

  @Test
  void negativeRotationWindow_isRefused() {
    AgentProvisioner p = h.provisioner();

    assertThat(refused(() -> p.credentialsDueForRotation(java.time.Duration.ofDays(-1))).field()).isEqualTo("window");
    assertThat(refused(() -> p.rotateDueCredentials(java.time.Duration.ofSeconds(-1))).field()).isEqualTo("window");
    assertNothingHappened();
  }

  @Test
  void unknownProvider_isRefusedAtPlan() {
    AgentProvisioner p = h.provisioner();

    InvalidRequestException e = refused(() -> p.plan(EngineHarness.request().provider("nosuchcloud").build()));

    assertThat(e.field()).isEqualTo("provider");
    assertNothingHappened();
  }

  @Test
  void providerUnknownToTheOrchestrator_isRefusedAtPlan() {
    h.deployer = RecordingDeployer.builder().provider("othercloud").build();
    AgentProvisioner p = h.provisioner();

    InvalidRequestException e = refused(() -> p.plan(EngineHarness.request().provider("othercloud").build()));

    assertThat(e.field()).isEqualTo("provider");
    assertThat(e.problem()).contains("othercloud");
    assertNothingHappened();
  }

  @Test
  void unknownPlan_isRefusedNamingTheCatalogsPlans() {
    AgentProvisioner p = h.provisioner();

    InvalidRequestException e = refused(() -> p.plan(EngineHarness.request().plan("workers:platinum").build()));

    assertThat(e.field()).isEqualTo("plan");
    assertThat(e.fix()).contains("workers:paid").contains("workers:free");
    assertNothingHappened();
  }

  @Test
  void missingAppAgentOrProvider_isRefusedByTheBuilder() {
    assertThat(refused(() -> ProvisionRequest.builder().agent(AgentId.of("a")).provider("cloudflare").build()).field())
        .isEqualTo("app");
    assertThat(refused(() -> ProvisionRequest.builder().provider("cloudflare").app(EngineHarness.app()).build()).field())
        .isEqualTo("agent");
    assertThat(refused(() -> ProvisionRequest.builder().agent(AgentId.of("a")).app(EngineHarness.app()).build()).field())
        .isEqualTo("provider");
    assertThat(refused(() -> WorkerApp.builder("Bad Name")).field()).isEqualTo("app name");
    assertThat(refused(() -> TokenSpec.leastPrivilege().allowIps("not-an-ip")).field()).isEqualTo("allowIps");
    assertThat(refused(() -> AgentId.of(" ")).field()).isEqualTo("agent");
  }

  @Test
  void builderWithoutOrchestratorOrIdentity_isRefused() {
    assertThat(refused(() -> AgentProvisioner.builder().build()).field()).isEqualTo("orchestrator");
    assertThat(refused(() -> AgentProvisioner.builder().orchestrator(h.orchestrator).build()).field())
        .isEqualTo("identity");
  }

  @Test
  void provisionerWithoutDeployer_refusesAnAppAtPlanTime_beforeAnyCall() {
    try (AgentProvisioner p = AgentProvisioner.builder().orchestrator(h.orchestrator).identity(h.identity).build()) {
      InvalidRequestException e = refused(() -> p.plan(EngineHarness.request().build()));

      assertThat(e.field()).isEqualTo("provider");
      assertThat(e.fix()).contains("deployer(...)").contains("leave the app out");
    }
    assertNothingHappened();
  }
}
