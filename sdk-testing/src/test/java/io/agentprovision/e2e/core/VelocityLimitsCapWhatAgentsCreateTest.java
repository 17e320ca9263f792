package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.spi.VelocityStore;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.SimulatedCrash;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Finding: there were no velocity limits, so an agent could create accounts, paid plans, domains
 * and tokens as fast as the money allowed. A policy now caps how many of each an agent, a person or
 * the whole host creates in a rolling window; going over is refused before anything is created
 * (at plan time where the plan can tell, and atomically at the step), audited as
 * {@code velocity.refused} and announced as an event.
 */
class VelocityLimitsCapWhatAgentsCreateTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");
  private static final AgentId OTHER_AGENT = AgentId.of("coding-agent-8");
  private final EngineHarness h = new EngineHarness();
  private final VelocityStore counts = VelocityStore.inMemory();

  @AfterEach
  void close() {
    h.close();
  }

  private AgentProvisioner provisioner() {
    return h.provisioner(b -> b.velocityStore(counts));
  }

  private static Principal person(String name) {
    return Principal.builder("user-" + name, "https://issuer.test").email(name + "@example.com", true).name(name)
        .amr(List.of("pwd")).build();
  }

  private Deployment run(AgentId agent, String run, String project) {
    return provisioner().provisionAndDeploy(EngineHarness.request().agent(agent).runId(RunId.of(run)).project(project)
        .build());
  }

  private List<AuditRecord> refusals() {
    return h.audit.entries().stream().map(AuditEntry::record).filter(r -> r.action().equals("velocity.refused")).toList();
  }

  @Test
  void aThirdDomainInADayForOneAgent_isRefusedAtPlanTime_beforeAnythingIsCreated() {
    h.policy = SpendPolicy.builder().velocity(VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 2).perAgent()).build();
    run(AGENT, "run_1", "app-1");
    run(AGENT, "run_2", "app-2");
    int charges = h.orchestrator.charges().size();
    long changes = h.orchestrator.calls().stream().filter(c -> c.sideEffect()).count();

    ProvisionPlan plan = provisioner().plan(EngineHarness.request().agent(AGENT).runId(RunId.of("run_3")).project("app-3")
        .build());

    assertThat(plan.steps()).filteredOn(s -> s.id().equals(StepId.of("domain"))).singleElement()
        .satisfies(s -> {
          assertThat(s.verdict()).isEqualTo(PlannedStep.Verdict.DENIED);
          assertThat(s.verdictDetail()).contains("create_domain/1d/per-agent");
        });
    assertThatThrownBy(() -> provisioner().execute(plan)).isInstanceOfSatisfying(VelocityLimitException.class, e -> {
      assertThat(e.action()).isEqualTo(VelocityAction.CREATE_DOMAIN);
      assertThat(e.limit()).isEqualTo("create_domain/1d/per-agent");
      assertThat(e.bucket()).isEqualTo("agent=coding-agent-7");
      assertThat(e.count()).isEqualTo(2);
      assertThat(e.max()).isEqualTo(2);
    });
    assertThat(h.orchestrator.charges()).as("nothing bought").hasSize(charges);
    assertThat(h.orchestrator.calls().stream().filter(c -> c.sideEffect()).count())
        .as("nothing asked of the orchestrator that changes anything").isEqualTo(changes);
    assertThat(h.journal.run(RunId.of("run_3"))).as("the run never started").isEmpty();
    assertThat(refusals()).singleElement().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo("denied");
      assertThat(r.details()).containsEntry("action", "CREATE_DOMAIN").containsEntry("count", "2")
          .containsEntry("max", "2");
    });
    assertThat(h.events(ProvisioningEvent.VelocityRefused.class)).singleElement()
        .satisfies(e -> assertThat(e.step()).isNull());

    // another agent has its own count; and a day later this one may again
    run(OTHER_AGENT, "run_4", "app-4");
    h.time.advance(Duration.ofHours(24));
    run(AGENT, "run_5", "app-5");
    assertThat(counts.count(VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 2).perAgent(), AGENT, null,
        h.time.instant())).isEqualTo(1);
  }

  @Test
  void tokensPerPerson_areCountedAtTheStep_acrossAgents_andRefusedBeforeMinting() {
    h.policy = SpendPolicy.builder().velocity(VelocityLimit.perHour(VelocityAction.CREATE_TOKEN, 1).perPrincipal())
        .build();
    h.identity = FakeIdentityProvider.returning(person("ada"));
    run(AGENT, "run_1", "app-1");

    assertThatThrownBy(() -> run(OTHER_AGENT, "run_2", "app-2"))
        .isInstanceOfSatisfying(VelocityLimitException.class, e -> {
          assertThat(e.bucket()).isEqualTo("principal=https://issuer.test|user-ada");
          assertThat(e.nextAllowedAt()).isNotNull();
          assertThat(e.getSuppressed()).singleElement().isInstanceOf(RunFailedException.class);
        });
    assertThat(h.deployer.tokens()).as("no second token was minted").hasSize(1);
    assertThat(h.events(ProvisioningEvent.VelocityRefused.class)).singleElement()
        .satisfies(e -> assertThat(e.step()).isEqualTo(StepId.of("credentials")));
    assertThat(refusals()).singleElement().satisfies(r -> assertThat(r.step()).isEqualTo(StepId.of("credentials")));

    h.identity = FakeIdentityProvider.returning(person("grace"));
    assertThat(run(OTHER_AGENT, "run_3", "app-3").tokens()).as("another person has a count of their own").hasSize(1);
  }

  @Test
  void accountsForTheHost_countOnlyAccountsCreated_andAreRefusedBeforeTheOrchestratorIsAsked() {
    h.policy = SpendPolicy.builder().velocity(VelocityLimit.perDay(VelocityAction.CREATE_ACCOUNT, 1)).build();
    h.orchestrator = io.agentprovision.testing.FakeOrchestrator.builder().paymentMethodOnFile(true)
        .existingAccount("grace@example.com").build();
    h.gate.respond(io.agentprovision.core.approval.CheckpointKind.ACCOUNT_CONSENT,
        r -> java.util.Map.of("state", r.details().get("state"), "code", "code-1"));
    h.identity = FakeIdentityProvider.returning(person("grace"));
    run(AGENT, "run_1", "app-1"); // linked, not created: not counted
    h.identity = FakeIdentityProvider.returning(person("ada"));
    run(AGENT, "run_2", "app-2"); // created: the one of the day
    h.identity = FakeIdentityProvider.returning(person("alan"));
    long links = h.orchestrator.calls().stream().filter(c -> c.method().equals("linkAccount")).count();

    assertThatThrownBy(() -> run(OTHER_AGENT, "run_3", "app-3")).isInstanceOf(VelocityLimitException.class);
    assertThat(h.orchestrator.calls().stream().filter(c -> c.method().equals("linkAccount")).count())
        .as("the orchestrator was not asked to create a third").isEqualTo(links);
  }

  @Test
  void aStepRunAgainAfterACrash_countsItsDomainOnce() {
    h.policy = SpendPolicy.builder().velocity(VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 1).perAgent()).build();
    h.orchestrator.crashAfter("submitInformation", 1);
    assertThatThrownBy(() -> run(AGENT, "run_1", "app-1")).isInstanceOf(SimulatedCrash.class);

    Deployment d = provisioner().resume(AGENT, RunId.of("run_1"));

    assertThat(d.domain()).isNotNull();
    assertThat(counts.count(VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 1).perAgent(), AGENT, null,
        h.time.instant())).isEqualTo(1);
    assertThat(refusals()).isEmpty();
  }
}
