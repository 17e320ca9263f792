package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.LifecyclePlan;
import io.agentprovision.core.LifecycleRequest;
import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.RunNotFoundException;
import io.agentprovision.core.ServiceRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.Teardown;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.SimulatedCrash;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Day two over fakes: every change to a deployment is a governed run (priced, judged, approved,
 * journaled, audited, resumable), a change beyond the policy or the catalog is refused before
 * anything happens, and a teardown takes everything down and says what stays.
 */
class LifecycleTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");
  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  /** A deployment on the free plan, no domain: what an upgrade starts from. */
  private Deployment freeDeployment(AgentProvisioner p) {
    return p.provisionAndDeploy(EngineHarness.request().plan("workers:free").domain(null).build());
  }

  private String resourceId(Deployment d, String service) {
    return d.resources().stream().filter(r -> r.serviceId().equals(service)).findFirst().orElseThrow().resourceId();
  }

  private FakeOrchestrator.Resource atOrchestrator(String resourceId) {
    return h.orchestrator.resources().stream().filter(r -> r.ref().id().equals(resourceId)).findFirst().orElseThrow();
  }

  // ---- plan changes --------------------------------------------------------------------------

  @Test
  void changePlan_alongAllowedUpdates_paysTheNewPlanAfterTheApprovalAPaidPlanGets() {
    AgentProvisioner p = h.provisioner();
    Deployment d = freeDeployment(p);
    String plan = resourceId(d, "workers:free");
    int asked = h.gate.requests().size();

    LifecycleResult r = p.changePlan(AGENT, d.runId(), "workers:paid", null);

    assertThat(atOrchestrator(plan).ref().serviceId()).isEqualTo("workers:paid");
    assertThat(h.orchestrator.charges()).singleElement().satisfies(c -> {
      assertThat(c.serviceId()).isEqualTo("workers:paid");
      assertThat(c.amount()).isEqualTo(Money.usd("5.00"));
    });
    assertThat(h.gate.requests().subList(asked, h.gate.requests().size())).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo(CheckpointKind.PAID_PLAN);
      assertThat(a.cost()).isEqualTo(Money.usd("5.00"));
      assertThat(a.run()).isEqualTo(r.runId());
    });
    assertThat(r.deployment()).isEqualTo(d.runId());
    assertThat(r.operation()).isEqualTo(LifecycleRequest.Operation.CHANGE_PLAN);
    assertThat(r.changes()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(LifecycleResult.Change.Kind.PLAN_CHANGED);
      assertThat(c.amount()).isEqualTo(Money.usd("5.00"));
      assertThat(c.description()).contains("workers:free", "workers:paid");
    });
    assertThat(r.spent()).containsExactly(Money.usd("5.00"));
    assertThat(r.auditVerified()).isTrue();
    assertThat(h.journal.run(r.runId()).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
    // the change is a run like the first: its own start, steps and end, heard by listeners and in the audit log
    assertThat(h.events(ProvisioningEvent.RunStarted.class)).extracting(ProvisioningEvent.RunStarted::run)
        .containsExactly(d.runId(), r.runId());
    assertThat(h.events(ProvisioningEvent.StepFinished.class).stream().filter(e -> e.run().equals(r.runId()))
        .map(e -> e.step().value())).containsExactly("identity", "update-plan");
    assertThat(h.audit.entries().stream().filter(e -> r.runId().equals(e.record().run())).map(e -> e.record().action()))
        .containsSubsequence("run.started", "identity.attested", "spend.reserved", "approval.requested",
            "approval.decided", "spend.committed", "plan.changed", "run.finished");
  }

  @Test
  void changePlan_downgradeToTheFreePlan_paysNothingAndSaysWhatWasChargedIsNotRefunded() {
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).build());
    int charges = h.orchestrator.charges().size();

    LifecycleResult r = p.changePlan(AGENT, d.runId(), "workers:free", null);

    assertThat(h.orchestrator.charges()).hasSize(charges);
    assertThat(atOrchestrator(resourceId(d, "workers:paid")).ref().serviceId()).isEqualTo("workers:free");
    assertThat(r.spent()).isEmpty();
    assertThat(r.kept(LifecycleResult.Kept.Kind.CHARGE)).singleElement()
        .satisfies(k -> assertThat(k.description()).contains("USD 5.00", "not refunded"));
  }

  @Test
  void changePlan_outsideAllowedUpdates_isRefusedBeforeAnythingIsChargedOrChanged() {
    Catalog base = FakeOrchestrator.cloudflareCatalog();
    List<ServiceOffering> services = new ArrayList<>();
    for (ServiceOffering s : base.services()) {
      // the paid plan may not be changed to anything
      services.add(s.id().equals("workers:paid") ? s.toBuilder().allowedUpdates(List.of()).build() : s);
    }
    h.orchestrator = FakeOrchestrator.builder().catalog(new Catalog(base.provider(), services))
        .paymentMethodOnFile(true).build();
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).build());
    int charges = h.orchestrator.charges().size();
    int runs = h.journal.runs().size();
    int asked = h.gate.requests().size();

    InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
        () -> p.changePlan(AGENT, d.runId(), "workers:free", null));

    assertThat(e.field()).isEqualTo("newServiceId");
    assertThat(e.getMessage()).contains("workers:paid cannot be changed to workers:free");
    assertThat(h.orchestrator.charges()).hasSize(charges);
    assertThat(h.orchestrator.calls()).extracting(c -> c.method()).doesNotContain("update");
    assertThat(atOrchestrator(resourceId(d, "workers:paid")).ref().serviceId()).isEqualTo("workers:paid");
    assertThat(h.journal.runs()).hasSize(runs);
    assertThat(h.gate.requests()).hasSize(asked);
  }

  @Test
  void changePlan_toAServiceTheCatalogLacksOrToTheSamePlan_isRefusedWithTheFix() {
    AgentProvisioner p = h.provisioner();
    Deployment d = freeDeployment(p);

    assertThatThrownBy(() -> p.planChange(LifecycleRequest.changePlan(AGENT, d.runId(), "workers:free").build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("already on workers:free");
    assertThatThrownBy(() -> p.planChange(LifecycleRequest.changePlan(AGENT, d.runId(), "workers:gold").build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("workers:gold");
  }

  @Test
  void change_beyondThePolicy_isRefusedBeforeAnySideEffect() {
    h.policy = SpendPolicy.builder().limit(SpendLimit.perTransaction(Money.usd("3.00"))).build();
    AgentProvisioner p = h.provisioner();
    Deployment d = freeDeployment(p);
    int calls = h.orchestrator.calls().size();
    int asked = h.gate.requests().size();
    LifecyclePlan plan = p.planChange(LifecycleRequest.changePlan(AGENT, d.runId(), "workers:paid").build());
    assertThat(plan.allowed()).isFalse();

    PolicyViolationException e = catchThrowableOfType(PolicyViolationException.class, () -> p.executeChange(plan));

    assertThat(e.requested()).isEqualTo(Money.usd("5.00"));
    assertThat(h.orchestrator.calls().subList(calls, h.orchestrator.calls().size())).extracting(c -> c.method())
        .doesNotContain("update", "provision", "remove");
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(h.ledger.reservations(plan.runId())).isEmpty();
    assertThat(h.gate.requests()).hasSize(asked);
    assertThat(h.journal.run(plan.runId())).isEmpty();
    assertThat(h.audit.entries()).filteredOn(x -> plan.runId().equals(x.record().run()))
        .extracting(x -> x.record().action()).containsExactly("run.refused");
    assertThat(h.events(ProvisioningEvent.SpendRefused.class)).singleElement()
        .satisfies(x -> assertThat(x.run()).isEqualTo(plan.runId()));
    // nothing holds the deployment: a change within the policy goes through
    assertThat(p.change(LifecycleRequest.rotateCredentials(AGENT, d.runId()).build()).changes()).isNotEmpty();
  }

  @Test
  void addResource_aPaidPlanBeyondAVelocityLimit_isRefusedBeforeAnySideEffect() {
    h.policy = SpendPolicy.builder().velocity(VelocityLimit.perDay(VelocityAction.CREATE_PAID_PLAN, 1).perAgent())
        .build();
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).build()); // the day's one paid plan
    int calls = h.orchestrator.calls().size();
    int charges = h.orchestrator.charges().size();
    int runs = h.journal.runs().size();
    int asked = h.gate.requests().size();
    LifecyclePlan plan = p.planChange(LifecycleRequest.addResource(AGENT, d.runId(), "workers:paid").build());
    assertThat(plan.allowed()).isFalse();

    VelocityLimitException e = catchThrowableOfType(VelocityLimitException.class, () -> p.executeChange(plan));

    assertThat(e.action()).isEqualTo(VelocityAction.CREATE_PAID_PLAN);
    assertThat(h.orchestrator.calls().subList(calls, h.orchestrator.calls().size())).extracting(c -> c.method())
        .doesNotContain("provision", "update");
    assertThat(h.orchestrator.charges()).hasSize(charges);
    assertThat(h.journal.runs()).hasSize(runs);
    assertThat(h.gate.requests()).hasSize(asked);
    assertThat(h.audit.entries()).filteredOn(x -> plan.runId().equals(x.record().run()))
        .extracting(x -> x.record().action()).containsExactly("velocity.refused");
    // a free resource is not a paid plan: it goes through
    assertThat(p.addResource(AGENT, d.runId(), "kv", Map.of("title", "cache"), null).changes()).hasSize(1);
  }

  // ---- who may change what -------------------------------------------------------------------

  @Test
  void change_ofAnotherAgentsRun_isRefusedAsIfTheRunDidNotExist() {
    AgentProvisioner p = h.provisioner();
    Deployment d = freeDeployment(p);
    AgentId other = AgentId.of("other-agent");

    InvalidRequestException theirs = catchThrowableOfType(InvalidRequestException.class,
        () -> p.planChange(LifecycleRequest.teardown(other, d.runId()).build()));
    InvalidRequestException none = catchThrowableOfType(InvalidRequestException.class,
        () -> p.planChange(LifecycleRequest.teardown(other, RunId.of("run_nope")).build()));

    assertThat(theirs).isInstanceOf(RunNotFoundException.class);
    assertThat(theirs.getMessage()).isEqualTo(none.getMessage().replace("run_nope", d.runId().value()));
    assertThat(h.deployer.liveScripts()).hasSize(1);
  }

  // ---- resources -----------------------------------------------------------------------------

  @Test
  void addThenRemoveResource_provisionsInTheAccountThenRemovesItAfterAPersonApproves() {
    AgentProvisioner p = h.provisioner();
    Deployment d = freeDeployment(p);

    LifecycleResult added = p.addResource(AGENT, d.runId(), "kv", Map.of("title", "cache"), null);
    String kv = added.changes().get(0).id();
    assertThat(atOrchestrator(kv).status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(atOrchestrator(kv).accountId()).isEqualTo(d.account().accountId());

    LifecycleResult removed = p.removeResource(AGENT, d.runId(), kv, null);

    assertThat(atOrchestrator(kv).status()).isEqualTo(ResourceStatus.REMOVED);
    assertThat(removed.changes()).extracting(LifecycleResult.Change::kind)
        .containsExactly(LifecycleResult.Change.Kind.RESOURCE_REMOVED);
    assertThat(h.gate.requests(CheckpointKind.CHANGE_APPROVAL)).singleElement().satisfies(a -> {
      assertThat(a.run()).isEqualTo(removed.runId());
      assertThat(a.title()).contains("kv", kv);
    });
    assertThatThrownBy(() -> p.removeResource(AGENT, d.runId(), kv, null)).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("was removed");
  }

  @Test
  void removeResource_deniedByThePerson_removesNothing() {
    h.gate.deny(CheckpointKind.CHANGE_APPROVAL, "keep it");
    AgentProvisioner p = h.provisioner();
    Deployment d = freeDeployment(p);
    String kv = p.addResource(AGENT, d.runId(), "kv", Map.of("title", "cache"), null).changes().get(0).id();

    assertThatThrownBy(() -> p.removeResource(AGENT, d.runId(), kv, null)).isInstanceOf(ApprovalDeniedException.class);

    assertThat(atOrchestrator(kv).status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(h.orchestrator.removals()).isEmpty();
    // the failed change released the deployment
    assertThat(p.change(LifecycleRequest.rotateCredentials(AGENT, d.runId()).build()).changes()).hasSize(1);
  }

  @Test
  void removeResource_ofARunWithoutAnApp_needsNoDeployer_andItsCredentialsLeaveTheVault() {
    h.deployer = null; // a host that provisions services only
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().plan("workers:free").domain(null).app(null)
        .service(ServiceRequest.of("kv").with("title", "sessions"))
        .service(ServiceRequest.of("d1").with("name", "orders")).build());
    String kv = resourceId(d, "kv");
    String kvKeys = "runs/" + d.runId() + "/services/service:kv/";
    assertThat(h.vault.keys(kvKeys)).as("the namespace's credentials, kept for the app's environment").isNotEmpty();
    assertThat(p.env(AGENT, d.runId()).variables()).anyMatch(v -> v.serviceId().equals("kv"));

    LifecycleResult r = p.removeResource(AGENT, d.runId(), kv, null);

    assertThat(atOrchestrator(kv).status()).isEqualTo(ResourceStatus.REMOVED);
    assertThat(h.orchestrator.removals()).extracting(FakeOrchestrator.Removal::resourceId).containsExactly(kv);
    assertThat(h.vault.keys(kvKeys)).as("no copy of a dead credential stays").isEmpty();
    assertThat(h.vault.keys("runs/" + d.runId() + "/services/service:d1/")).isNotEmpty();
    assertThat(p.env(AGENT, d.runId()).variables()).extracting(v -> v.serviceId()).containsOnly("d1");
    assertThat(r.changes()).extracting(LifecycleResult.Change::kind).containsExactly(
        LifecycleResult.Change.Kind.RESOURCE_REMOVED, LifecycleResult.Change.Kind.CREDENTIAL_DELETED);
    assertThat(r.changes().get(1).description()).doesNotContain("runs/");
  }

  @Test
  void removeResource_aRegisteredDomainOrAPlanStillInUse_isRefusedSayingWhy() {
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().build());

    assertThatThrownBy(() -> p.planChange(LifecycleRequest.removeResource(AGENT, d.runId(),
        resourceId(d, "registrar:domain")).build())).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("cannot be removed").hasMessageContaining("not refundable");
    assertThatThrownBy(() -> p.planChange(LifecycleRequest.removeResource(AGENT, d.runId(),
        resourceId(d, "workers:paid")).build())).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("still has");
    assertThatThrownBy(() -> p.planChange(LifecycleRequest.removeResource(AGENT, d.runId(),
        resourceId(d, "workers")).build())).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("runs on");
    assertThat(h.orchestrator.removals()).isEmpty();
  }

  // ---- credentials and the account -----------------------------------------------------------

  @Test
  void rotateThenRevoke_rollTheTokenThenDeleteItAndTheDeploymentNoLongerHandsItOut() {
    AgentProvisioner p = h.provisioner();
    Deployment d = freeDeployment(p);
    String token = d.tokens().get(0).tokenId();

    LifecycleResult rotated = p.change(LifecycleRequest.rotateCredentials(AGENT, d.runId()).build());
    assertThat(rotated.changes()).extracting(LifecycleResult.Change::kind)
        .containsExactly(LifecycleResult.Change.Kind.TOKEN_ROTATED);
    assertThat(h.deployer.tokens()).singleElement().satisfies(t -> assertThat(t.rolls()).isEqualTo(1));
    assertThat(p.deployCredentials(AGENT, d.runId()).tokenId()).isEqualTo(token);

    LifecycleResult revoked = p.change(LifecycleRequest.revokeCredentials(AGENT, d.runId()).reason("leaked").build());

    assertThat(revoked.changes()).extracting(LifecycleResult.Change::id).containsExactly(token);
    assertThat(h.deployer.tokens()).singleElement().satisfies(t -> assertThat(t.revoked()).isTrue());
    assertThat(h.vault.get(d.tokens().get(0).vaultKey())).isEmpty();
    assertThatThrownBy(() -> p.deployCredentials(AGENT, d.runId())).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("revoked");
    assertThat(p.credentialsDueForRotation(java.time.Duration.ofDays(365))).doesNotContain(d.runId());
    assertThatThrownBy(() -> p.change(LifecycleRequest.revokeCredentials(AGENT, d.runId()).build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("was revoked");
  }

  @Test
  void unlinkAccount_forgetsTheLinkAndListsEverythingThatStaysAndIsStillBilled() {
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).build());

    LifecycleResult r = p.unlinkAccount(AGENT, d.runId(), null);

    assertThat(h.orchestrator.unlinks()).singleElement()
        .satisfies(u -> assertThat(u.accountId()).isEqualTo(d.account().accountId()));
    assertThat(h.orchestrator.removals()).isEmpty();
    assertThat(r.kept(LifecycleResult.Kept.Kind.ACCOUNT)).singleElement()
        .satisfies(k -> assertThat(k.description()).contains("stays"));
    assertThat(r.kept(LifecycleResult.Kept.Kind.RESOURCE)).extracting(LifecycleResult.Kept::description)
        .anySatisfy(x -> assertThat(x).contains("workers:paid", "billed"));
    assertThatThrownBy(() -> p.changePlan(AGENT, d.runId(), "workers:free", null))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("unlinked");
  }

  // ---- teardown ------------------------------------------------------------------------------

  @Test
  void teardown_takesEverythingDownAndSaysPlainlyWhatStays() {
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().build());

    Teardown t = p.teardown(AGENT, d.runId(), null);

    assertThat(h.deployer.liveScripts()).isEmpty();
    assertThat(h.deployer.tokens()).allSatisfy(x -> assertThat(x.revoked()).isTrue());
    assertThat(h.orchestrator.removals()).extracting(FakeOrchestrator.Removal::serviceId)
        .containsExactly("workers", "workers:paid");
    assertThat(h.deployer.renewalsOff()).containsOnlyKeys("my-app.com");
    assertThat(t.undeployedScript()).isEqualTo("my-app");
    assertThat(t.removedResources()).containsExactly(resourceId(d, "workers"), resourceId(d, "workers:paid"));
    assertThat(t.revokedTokens()).containsExactly(d.tokens().get(0).tokenId());
    assertThat(t.result().changes(LifecycleResult.Change.Kind.AUTO_RENEW_OFF)).hasSize(1);
    Instant expiry = h.deployer.renewalsOff().get("my-app.com");
    assertThat(t.kept()).extracting(LifecycleResult.Kept::kind).containsExactlyInAnyOrder(
        LifecycleResult.Kept.Kind.DOMAIN, LifecycleResult.Kept.Kind.ACCOUNT, LifecycleResult.Kept.Kind.CHARGE);
    assertThat(t.result().kept(LifecycleResult.Kept.Kind.DOMAIN)).singleElement().satisfies(k -> {
      assertThat(k.id()).isEqualTo("my-app.com");
      assertThat(k.until()).isEqualTo(expiry);
      assertThat(k.description()).contains("stays registered until " + expiry, "will not renew");
    });
    assertThat(t.complete()).isTrue();
    // one person approved the whole teardown, seeing what stays
    assertThat(h.gate.requests(CheckpointKind.CHANGE_APPROVAL)).singleElement().satisfies(a -> {
      assertThat(a.details()).containsKeys("do.1", "stays.1");
      assertThat(String.join(" ", a.details().values())).contains("my-app.com", "not refundable");
    });
    assertThatThrownBy(() -> p.teardown(AGENT, d.runId(), null)).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("nothing left");
  }

  @Test
  void teardown_interruptedMidway_resumesWithoutRepeatingWhatWasDoneAndHoldsTheDeploymentMeanwhile() {
    h.deployer.crashAfter("undeploy", 1);
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).build());
    LifecyclePlan plan = p.planChange(LifecycleRequest.teardown(AGENT, d.runId()).build());

    assertThatThrownBy(() -> p.executeChange(plan)).isInstanceOf(SimulatedCrash.class);
    assertThat(h.deployer.liveScripts()).isEmpty();
    assertThatThrownBy(() -> p.change(LifecycleRequest.rotateCredentials(AGENT, d.runId()).build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("has not finished");

    AgentProvisioner restarted = h.provisioner();
    LifecycleResult r = restarted.resumeChange(AGENT, plan.runId());

    assertThat(h.deployer.undeployments()).hasSize(1);
    assertThat(h.orchestrator.removals()).extracting(FakeOrchestrator.Removal::serviceId)
        .containsExactly("workers", "workers:paid");
    assertThat(r.changes()).extracting(LifecycleResult.Change::kind).contains(
        LifecycleResult.Change.Kind.APP_UNDEPLOYED, LifecycleResult.Change.Kind.TOKEN_REVOKED,
        LifecycleResult.Change.Kind.RESOURCE_REMOVED);
    // the interrupted step ran again under its journaled key; the script was deleted once
    assertThat(h.events(ProvisioningEvent.StepStarted.class)).filteredOn(e -> e.run().equals(plan.runId())
        && e.step().equals(StepId.of("undeploy"))).extracting(ProvisioningEvent.StepStarted::attempt)
        .containsExactly(1, 2);
    assertThat(h.events(ProvisioningEvent.StepFinished.class)).filteredOn(e -> e.run().equals(plan.runId())
        && e.step().equals(StepId.of("identity"))).extracting(e -> e.status().name())
        .containsExactly("SUCCEEDED", "SKIPPED");
    assertThat(restarted.resumeChange(AGENT, plan.runId()).changes()).isEqualTo(r.changes());
    assertThatThrownBy(() -> restarted.resume(AGENT, plan.runId())).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("resumeChange");
  }

  @Test
  void plannedTeardown_listsItsStepsAndWhatStaysWithoutTouchingAnything() {
    AgentProvisioner p = h.provisioner();
    Deployment d = p.provisionAndDeploy(EngineHarness.request().build());
    int calls = h.orchestrator.calls().size();

    LifecyclePlan plan = p.planChange(LifecycleRequest.teardown(AGENT, d.runId()).build());

    assertThat(plan.steps()).extracting(s -> s.id().value()).containsExactly("identity", "change-approval",
        "undeploy", "domain-renewal", "revoke-token", "remove:" + resourceId(d, "workers"),
        "remove:" + resourceId(d, "workers:paid"));
    assertThat(plan.approvalsNeeded()).containsExactly(CheckpointKind.CHANGE_APPROVAL);
    assertThat(plan.stays()).extracting(LifecycleResult.Kept::kind).contains(LifecycleResult.Kept.Kind.DOMAIN,
        LifecycleResult.Kept.Kind.ACCOUNT);
    // not a call at the orchestrator: the catalog the run read is still within its TTL, so the plan reuses it
    assertThat(h.orchestrator.calls().subList(calls, h.orchestrator.calls().size())).extracting(c -> c.method())
        .isEmpty();
    assertThat(h.deployer.liveScripts()).hasSize(1);
  }
}
