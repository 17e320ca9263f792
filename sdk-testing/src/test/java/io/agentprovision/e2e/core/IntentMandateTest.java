package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.LifecycleRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalReceipts;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.IntentMandate;
import io.agentprovision.core.approval.MandateTrust;
import io.agentprovision.core.approval.ReceiptKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.core.identity.Principal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Intent mandates through the engine: a person signs a bounded delegation in advance, and spending
 * checkpoints inside every bound are approved by it (no gate asked, recorded as the mandate, each use
 * audited and counted in the journal across runs and restarts); each bound (person, agent,
 * provider, services, per-step maximum, total, expiry) is enforced, falling back to a person or,
 * by policy, refusing; checkpoints that do not spend money always go to a person.
 */
class IntentMandateTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");
  private final ReceiptKey ada = ReceiptKey.generate("ada-approval-ui");
  private final ReceiptKey host = ReceiptKey.generate("host-2026");
  private final EngineHarness h = new EngineHarness();
  private MandateTrust trust = MandateTrust.trusting(ada.publicOnly());

  @AfterEach
  void close() {
    h.close();
  }

  private AgentProvisioner provisioner() {
    return h.provisioner(b -> b.mandates(trust).receiptKey(host));
  }

  /** A mandate from Ada (the harness's person) for the agent at Cloudflare, changed as the test needs. */
  private String mandate(Consumer<IntentMandate.Builder> change) {
    IntentMandate.Builder b = IntentMandate.builder("mnd-ada-1").person(FakeIdentityProvider.DEFAULT_PRINCIPAL.subject())
        .agent(AGENT).provider("cloudflare").services("workers:paid", "kv").total(Money.usd("8.00"))
        .perStep(Money.usd("5.00")).issuedAt(h.time.instant()).expiresAt(h.time.instant().plus(Duration.ofDays(7)));
    change.accept(b);
    return b.sign(ada);
  }

  private Deployment freeDeployment(AgentProvisioner p) {
    return p.provisionAndDeploy(EngineHarness.request().plan("workers:free").domain(null).build());
  }

  private List<AuditRecord> audited(String action) {
    return h.audit.entries().stream().map(e -> e.record()).filter(r -> r.action().equals(action)).toList();
  }

  private int asked(CheckpointKind kind) {
    return h.gate.requests(kind).size();
  }

  @Test
  void withinEveryBound_theMandateApprovesWithoutAskingAndEachUseIsAuditedAndSigned() {
    AgentProvisioner p = provisioner();
    Deployment d = freeDeployment(p);
    IntentMandate m = p.mandates().accept(mandate(b -> {}));

    var r = p.changePlan(AGENT, d.runId(), "workers:paid", null);

    assertThat(asked(CheckpointKind.PAID_PLAN)).isZero();
    assertThat(h.orchestrator.charges()).extracting(c -> c.amount()).containsExactly(Money.usd("5.00"));
    assertThat(p.mandates().used(m.id())).isEqualTo(Money.usd("5.00"));
    assertThat(audited("mandate.accepted")).singleElement()
        .satisfies(a -> assertThat(a.details()).containsEntry("mandate", "mnd-ada-1").containsEntry("sha256", m.sha256()));
    assertThat(audited("mandate.used")).singleElement().satisfies(a -> {
      assertThat(a.run()).isEqualTo(r.runId());
      assertThat(a.amount()).isEqualTo(Money.usd("5.00"));
      assertThat(a.details()).containsEntry("remaining", Money.usd("3.00").toString());
    });
    AuditRecord decided = audited("approval.decided").stream().filter(a -> r.runId().equals(a.run())).findFirst()
        .orElseThrow();
    assertThat(decided.approver()).isEqualTo("mandate:mnd-ada-1");
    assertThat(decided.details()).containsEntry("mandate", "mnd-ada-1");
    assertThat(ApprovalReceipts.of(host).verify(decided.details().get("receipt")).mandate()).isEqualTo("mnd-ada-1");
    assertThat(p.receipts().verify().valid()).isTrue();
  }

  @Test
  void theTotal_isCountedAcrossRunsAndRestartsAndABoundExceededGoesToAPerson() {
    AgentProvisioner p = provisioner();
    Deployment d = freeDeployment(p);
    IntentMandate m = p.mandates().accept(mandate(b -> {}));
    p.changePlan(AGENT, d.runId(), "workers:paid", null); // USD 5.00 of 8.00
    p.changePlan(AGENT, d.runId(), "workers:free", null); // free: nothing to approve

    // a restarted host shares the journal: the count survives, the mandate is handed over again
    AgentProvisioner restarted = provisioner();
    restarted.mandates().accept(mandate(b -> {}));
    assertThat(restarted.mandates().used(m.id())).isEqualTo(Money.usd("5.00"));
    restarted.changePlan(AGENT, d.runId(), "workers:paid", null); // 5.00 more would make 10.00 > 8.00

    assertThat(asked(CheckpointKind.PAID_PLAN)).as("the person was asked").isEqualTo(1);
    assertThat(restarted.mandates().used(m.id())).isEqualTo(Money.usd("5.00"));
    assertThat(audited("mandate.refused")).singleElement().satisfies(a -> {
      assertThat(a.details()).containsEntry("bound", "total").containsEntry("mandate", "mnd-ada-1");
      assertThat(a.outcome()).isEqualTo("asked_a_person");
    });
  }

  @Test
  void eachBound_servicesPerStepAndExpiry_isEnforced() {
    AgentProvisioner p = provisioner();
    Deployment d = freeDeployment(p);

    // a service the mandate does not list
    p.mandates().accept(mandate(b -> b.services("kv")));
    p.changePlan(AGENT, d.runId(), "workers:paid", null);
    assertThat(asked(CheckpointKind.PAID_PLAN)).isEqualTo(1);
    p.mandates().revoke("mnd-ada-1", "replaced");
    p.changePlan(AGENT, d.runId(), "workers:free", null);

    // a price above the per-step maximum
    AgentProvisioner p2 = provisioner();
    p2.mandates().accept(mandate(b -> b.perStep(Money.usd("4.99")).total(Money.usd("100.00"))));
    p2.changePlan(AGENT, d.runId(), "workers:paid", null);
    assertThat(asked(CheckpointKind.PAID_PLAN)).isEqualTo(2);
    p2.changePlan(AGENT, d.runId(), "workers:free", null);

    // accepted while valid, then expired by the time the checkpoint is asked
    AgentProvisioner p3 = provisioner();
    p3.mandates().accept(mandate(b -> b.expiresAt(h.time.instant().plus(Duration.ofHours(1)))));
    h.time.advance(Duration.ofHours(2));
    p3.changePlan(AGENT, d.runId(), "workers:paid", null);
    assertThat(asked(CheckpointKind.PAID_PLAN)).isEqualTo(3);

    assertThat(audited("mandate.refused")).extracting(a -> a.details().get("bound"))
        .containsExactly("services", "per_step", "expiry");
    assertThat(audited("mandate.used")).isEmpty();
  }

  @Test
  void anotherAgentProviderOrPerson_isOutsideTheMandateAndAPersonIsAsked() {
    AgentProvisioner p = provisioner();
    Deployment d = freeDeployment(p);
    p.mandates().accept(mandate(b -> b.agent(AgentId.of("other-agent"))));
    AgentProvisioner p2 = provisioner();
    p2.mandates().accept(mandate(b -> b.provider("aws")));
    AgentProvisioner p3 = provisioner();
    p3.mandates().accept(mandate(b -> b.person("someone-else")));

    p.changePlan(AGENT, d.runId(), "workers:paid", null);
    p2.changePlan(AGENT, d.runId(), "workers:free", null);
    p2.changePlan(AGENT, d.runId(), "workers:paid", null);
    p3.changePlan(AGENT, d.runId(), "workers:free", null);
    p3.changePlan(AGENT, d.runId(), "workers:paid", null);

    assertThat(asked(CheckpointKind.PAID_PLAN)).isEqualTo(3);
    assertThat(audited("mandate.used")).isEmpty();
  }

  @Test
  void underARefusingPolicy_aBoundExceededIsRefusedWithoutAskingAndNothingIsCharged() {
    trust = trust.onExceeded(MandateTrust.Exceeded.REFUSE);
    AgentProvisioner p = provisioner();
    Deployment d = freeDeployment(p);
    p.mandates().accept(mandate(b -> b.total(Money.usd("4.00"))));

    assertThatThrownBy(() -> p.changePlan(AGENT, d.runId(), "workers:paid", null))
        .isInstanceOf(ApprovalDeniedException.class).hasMessageContaining("mandate:mnd-ada-1");

    assertThat(asked(CheckpointKind.PAID_PLAN)).isZero();
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(audited("mandate.refused")).singleElement()
        .satisfies(a -> assertThat(a.outcome()).isEqualTo("refused"));
  }

  @Test
  void aChangeThatCannotBeTakenBack_alwaysGoesToAPerson() {
    AgentProvisioner p = provisioner();
    Deployment d = freeDeployment(p);
    p.mandates().accept(mandate(b -> b.total(Money.usd("1000.00")).perStep(Money.usd("1000.00"))));

    p.change(LifecycleRequest.teardown(AGENT, d.runId()).build());

    assertThat(asked(CheckpointKind.CHANGE_APPROVAL)).isEqualTo(1);
    assertThat(audited("mandate.used")).isEmpty();
  }

  @Test
  void accept_refusesAForgedOrExpiredMandateAndOneWithoutTrustedKeys() {
    AgentProvisioner p = provisioner();

    String forged = IntentMandate.builder("mnd-x").person("user-1").agent(AGENT).provider("cloudflare")
        .services("workers:paid").total(Money.usd("1000.00")).perStep(Money.usd("1000.00")).issuedAt(h.time.instant())
        .expiresAt(h.time.instant().plus(Duration.ofDays(1))).sign(ReceiptKey.generate("ada-approval-ui"));
    assertThatThrownBy(() -> p.mandates().accept(forged)).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("signature");
    String shortLived = mandate(b -> b.expiresAt(h.time.instant().plus(Duration.ofMinutes(1))));
    h.time.advance(Duration.ofMinutes(2));
    assertThatThrownBy(() -> p.mandates().accept(shortLived)).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("expired");
    AgentProvisioner untrusting = h.provisioner(b -> {});
    assertThatThrownBy(() -> untrusting.mandates().accept(mandate(b -> {})))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("trusts no intent mandates");
    assertThat(p.mandates().active()).isEmpty();
  }

  @Test
  void aFirstRun_thePlanApprovalWithinTheMandateIsApprovedAndTheDomainAboveItsStepMaximumGoesToAPerson() {
    AgentProvisioner p = provisioner();
    p.mandates().accept(mandate(b -> b.services("workers:paid", "registrar:domain").total(Money.usd("30.00"))
        .perStep(Money.usd("10.00"))));

    Deployment d = p.provisionAndDeploy(EngineHarness.request().build());

    assertThat(d.domain()).isEqualTo("my-app.com");
    assertThat(asked(CheckpointKind.PLAN_APPROVAL)).as("approved by the mandate").isZero();
    assertThat(asked(CheckpointKind.DOMAIN_PURCHASE)).as("USD 10.44 is above USD 10.00 a step").isEqualTo(1);
    assertThat(asked(CheckpointKind.TERMS_OF_SERVICE)).as("terms are a person's").isEqualTo(1);
    assertThat(p.mandates().used("mnd-ada-1")).isEqualTo(Money.usd("5.00"));
  }

  /**
   * A plan whose price is not known before buying: its approval approves the cap (the step is not
   * asked again up to it), so a mandate approves that approval only when the cap keeps its bounds.
   */
  private AgentProvisioner pricedAtCost() {
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).noPlanRequired("workers").build();
    PricedPlanOrchestrator provider = new PricedPlanOrchestrator(h.orchestrator);
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).charges(Money.usd("7.25"));
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("40.00")).perProvider()).build();
    return h.provisioner(b -> b.mandates(trust).receiptKey(host).orchestrator(provider));
  }

  @Test
  void aPlanPricedAfterBuying_itsCapAboveTheMandatesStepMaximum_goesToAPerson() {
    AgentProvisioner p = pricedAtCost();
    p.mandates().accept(mandate(b -> b.total(Money.usd("100.00")).perStep(Money.usd("5.00"))));

    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).build());

    assertThat(asked(CheckpointKind.PLAN_APPROVAL)).as("the USD 40.00 cap is above USD 5.00 a step").isEqualTo(1);
    assertThat(p.mandates().used("mnd-ada-1")).isEqualTo(Money.zero("USD"));
    assertThat(d.spent()).containsExactly(Money.usd("7.25"));
  }

  @Test
  void aPlanPricedAfterBuying_isApprovedByAMandateThatAdmitsItsCap_andCountedAtTheCap() {
    AgentProvisioner p = pricedAtCost();
    p.mandates().accept(mandate(b -> b.total(Money.usd("100.00")).perStep(Money.usd("40.00"))));

    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).build());

    assertThat(asked(CheckpointKind.PLAN_APPROVAL)).as("approved by the mandate").isZero();
    assertThat(asked(CheckpointKind.PAID_PLAN)).as("not asked again up to the approved cap").isZero();
    assertThat(p.mandates().used("mnd-ada-1")).isEqualTo(Money.usd("40.00"));
    assertThat(d.spent()).containsExactly(Money.usd("7.25"));
  }

  @Test
  void aPlanPricedAfterBuying_whoseServiceTheMandateDoesNotName_goesToAPerson() {
    AgentProvisioner p = pricedAtCost();
    p.mandates().accept(mandate(b -> b.services("kv").total(Money.usd("100.00")).perStep(Money.usd("100.00"))));

    p.provisionAndDeploy(EngineHarness.request().domain(null).build());

    assertThat(asked(CheckpointKind.PLAN_APPROVAL)).as("workers:paid is not the mandate's").isEqualTo(1);
    assertThat(p.mandates().used("mnd-ada-1")).isEqualTo(Money.zero("USD"));
  }
}
