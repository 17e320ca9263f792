package io.agentprovision.e2e.core;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.StepId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalTimeoutException;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.SpendReport;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.FaultInjector;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Limits, approvals and alerts: the human's money held to policy. */
class SpendEnforcementTest {
  private final EngineHarness h = new EngineHarness();
  private AgentProvisioner provisioner;

  @AfterEach
  void close() {
    h.close();
  }

  private List<Reservation> reservations() {
    return h.ledger.reservations(null, null, Instant.EPOCH, Instant.MAX);
  }

  @Test
  void execute_whenPlanPriceExceedsLimit_refusesBeforeAnyCallWithSideEffects() {
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("4.00")).perProvider()).build();
    provisioner = h.provisioner();
    ProvisionPlan plan = provisioner.plan(EngineHarness.request().build());

    assertThat(plan.allowed()).isFalse();
    assertThat(plan.step(StepId.of("plan")).orElseThrow().verdict()).isEqualTo(PlannedStep.Verdict.DENIED);
    assertThatThrownBy(() -> provisioner.execute(plan))
        .isInstanceOfSatisfying(PolicyViolationException.class, e -> {
          assertThat(e.limit()).startsWith("monthly/per-provider");
          assertThat(e.requested()).isEqualTo(Money.usd("5.00"));
          assertThat(e.remaining()).isEqualTo(Money.usd("4.00"));
        });
    assertThat(h.orchestrator.calls()).noneMatch(FaultInjector.Call::sideEffect);
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(reservations()).isEmpty();
  }

  @Test
  void execute_whenChosenDomainExceedsWhatRemains_refusesTheDomainAndChargesNothingForIt() {
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("12.00")).perProvider()).build();
    provisioner = h.provisioner();

    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOfSatisfying(PolicyViolationException.class, e -> {
          assertThat(e.requested()).isEqualTo(Money.usd("10.44"));
          assertThat(e.remaining()).isEqualTo(Money.usd("7.00"));
          assertThat(RunFailedException.class).isNotNull();
          assertThat(e.getSuppressed()).singleElement().isInstanceOf(RunFailedException.class);
        });
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId).doesNotContain("registrar:domain");
    assertThat(reservations()).noneSatisfy(r -> assertThat(r.description()).contains("my-app.com"));
  }

  @Test
  void perTransactionLimit_refusesASingleSpendAboveIt() {
    h.policy = SpendPolicy.builder()
        .limit(SpendLimit.monthly(Money.usd("100.00")).perProvider())
        .limit(SpendLimit.perTransaction(Money.usd("10.00")))
        .build();
    provisioner = h.provisioner();

    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOfSatisfying(PolicyViolationException.class,
            e -> assertThat(e.limit()).startsWith("per-transaction"));
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId).containsExactly("workers:paid");
  }

  @Test
  void concurrentRuns_againstOneLimit_neverOverspendIt() throws Exception {
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("20.00")).perProvider())
        .requireApprovalAbove(Money.usd("50.00")).build();
    h.steps.shutdown();
    h.steps = Executors.newFixedThreadPool(8);
    h.people(12); // twelve people, each buying a plan for their own account
    provisioner = h.provisioner();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    List<Future<Deployment>> runs = new ArrayList<>();
    try {
      for (int i = 1; i <= 12; i++) {
        ProvisionRequest req = EngineHarness.request().domain(null).identityToken(EngineHarness.personToken(i)).build();
        runs.add(callers.submit(() -> provisioner.provisionAndDeploy(req)));
      }
      int ok = 0;
      int refused = 0;
      for (Future<Deployment> f : runs) {
        try {
          f.get();
          ok++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(PolicyViolationException.class);
          refused++;
        }
      }
      assertThat(ok).isEqualTo(4);
      assertThat(refused).isEqualTo(8);
    } finally {
      callers.shutdownNow();
    }
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("20.00"));
    Money committed = Money.usd("0");
    for (Reservation r : reservations()) {
      committed = committed.plus(r.counted(h.time.instant()));
    }
    assertThat(committed).isEqualTo(Money.usd("20.00"));
  }

  @Test
  void budgetAlerts_fireOncePerThresholdAsSpendGrows() {
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("20.00")).perProvider())
        .requireApprovalAbove(Money.usd("50.00")).alertAt(25, 50, 100).build();
    h.people(5);
    provisioner = h.provisioner();

    for (int i = 1; i <= 4; i++) {
      provisioner.provisionAndDeploy(EngineHarness.request().domain(null).identityToken(EngineHarness.personToken(i))
          .build());
    }
    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().domain(null)
        .identityToken(EngineHarness.personToken(5)).build()))
        .isInstanceOf(PolicyViolationException.class);

    assertThat(h.events(ProvisioningEvent.BudgetAlert.class)).extracting(ProvisioningEvent.BudgetAlert::percent)
        .containsExactly(25, 50, 100);
    assertThat(h.events(ProvisioningEvent.BudgetAlert.class).get(2).usage().used()).isEqualTo(Money.usd("20.00"));
    assertThat(h.auditActions()).filteredOn("budget.alert"::equals).hasSize(3);
  }

  /** A reservation and the alerts it sets off are audited together: one append of all of them, in that order. */
  @Test
  void aReservationAndTheAlertsItSetsOff_areAuditedTogether() {
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("10.00")).perProvider())
        .requireApprovalAbove(Money.usd("50.00")).alertAt(25, 50).build();
    List<List<String>> appendedTogether = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.agentprovision.core.spi.AuditLog watched = (io.agentprovision.core.spi.AuditLog) java.lang.reflect.Proxy
        .newProxyInstance(getClass().getClassLoader(), new Class<?>[] {io.agentprovision.core.spi.AuditLog.class},
            (proxy, method, args) -> {
              if (method.getName().equals("appendAll")) {
                @SuppressWarnings("unchecked")
                List<io.agentprovision.core.audit.AuditRecord> records = (List<io.agentprovision.core.audit.AuditRecord>) args[0];
                appendedTogether.add(records.stream().map(io.agentprovision.core.audit.AuditRecord::action).toList());
              }
              try {
                return method.invoke(h.audit, args);
              } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
              }
            });
    provisioner = h.provisioner(b -> b.audit(watched));

    provisioner.provisionAndDeploy(EngineHarness.request().domain(null).build()); // the $5 plan: half the limit

    assertThat(appendedTogether).contains(List.of("spend.reserved", "budget.alert", "budget.alert"));
    List<String> actions = h.auditActions();
    int reserved = actions.indexOf("spend.reserved");
    assertThat(actions.subList(reserved, reserved + 3)).containsExactly("spend.reserved", "budget.alert", "budget.alert");
    assertThat(h.events(ProvisioningEvent.BudgetAlert.class)).extracting(ProvisioningEvent.BudgetAlert::percent)
        .containsExactly(25, 50);
  }

  @Test
  void monthlyLimit_resetsInTheNextCalendarMonth() {
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("5.00")).perProvider())
        .requireApprovalAbove(Money.usd("50.00")).build();
    h.people(3); // each run for someone else, so each buys a plan
    provisioner = h.provisioner();
    provisioner.provisionAndDeploy(EngineHarness.request().domain(null).identityToken(EngineHarness.personToken(1))
        .build());
    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().domain(null)
        .identityToken(EngineHarness.personToken(2)).build()))
        .isInstanceOf(PolicyViolationException.class);

    h.time.advance(java.time.Duration.ofDays(31));

    provisioner.provisionAndDeploy(EngineHarness.request().domain(null).identityToken(EngineHarness.personToken(3))
        .build());
    assertThat(h.orchestrator.totalCharged("cloudflare")).isEqualTo(Money.usd("10.00"));
  }

  @Test
  void deniedPlanApproval_buysNothingAndReservesNothing() {
    h.gate.deny(CheckpointKind.PLAN_APPROVAL, "not this month");
    provisioner = h.provisioner();

    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOfSatisfying(ApprovalDeniedException.class, e -> {
          assertThat(e.approver()).isEqualTo("test-human");
          assertThat(e.reason()).isEqualTo("not this month");
        });
    assertThat(h.orchestrator.calls()).noneMatch(FaultInjector.Call::sideEffect);
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(reservations()).isEmpty();
  }

  @Test
  void deniedDomainPurchase_buysNoDomain_releasesItsReservation_andUndoesThePlan() {
    h.gate.deny(CheckpointKind.DOMAIN_PURCHASE, "too expensive");
    provisioner = h.provisioner();

    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOf(ApprovalDeniedException.class);

    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId).doesNotContain("registrar:domain");
    // the domain's reservation was made for the search, before a name was chosen
    assertThat(reservations()).filteredOn(r -> StepId.of("domain").equals(r.step())).singleElement()
        .satisfies(r -> assertThat(r.status()).isEqualTo(Reservation.Status.RELEASED));
    assertThat(h.orchestrator.removals()).extracting(FakeOrchestrator.Removal::serviceId).contains("workers:paid");
  }

  @Test
  void timedOutApproval_failsClosed_andReleasesTheReservation() {
    h.gate.timeOut(CheckpointKind.DOMAIN_PURCHASE);
    provisioner = h.provisioner();

    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOf(ApprovalTimeoutException.class);

    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId).doesNotContain("registrar:domain");
    assertThat(reservations()).filteredOn(r -> StepId.of("domain").equals(r.step())).singleElement()
        .satisfies(r -> assertThat(r.status()).isEqualTo(Reservation.Status.RELEASED));
  }

  @Test
  void failingApprovalGate_failsClosed() {
    h.gate.fail(CheckpointKind.PLAN_APPROVAL, new IllegalStateException("approval service down"));
    provisioner = h.provisioner();

    assertThatThrownBy(() -> provisioner.provisionAndDeploy(EngineHarness.request().build()))
        .isInstanceOf(ApprovalDeniedException.class)
        .hasMessageContaining("approval gate failed");
    assertThat(h.orchestrator.charges()).isEmpty();
  }

  @Test
  void approvalThreshold_letsSmallSpendsThroughWithoutAHuman() {
    h.policy = SpendPolicy.builder().requireApprovalAbove(Money.usd("20.00")).build();
    provisioner = h.provisioner();

    // the domain's price is known only once a name is chosen, and its search already carries a payment
    // token: capped at 15.00, below the threshold, the whole run stays within what needs no human
    provisioner.provisionAndDeploy(EngineHarness.request().domain(DomainRequest.query("my-app")
        .maxPrice(Money.usd("15.00"))).build());

    assertThat(h.gate.requests()).extracting(r -> r.kind()).containsExactly(CheckpointKind.TERMS_OF_SERVICE);
  }

  @Test
  void approvalThreshold_whenTheDomainIsUncapped_hasAPersonApproveTheMostItMayCost() {
    h.policy = SpendPolicy.builder().requireApprovalAbove(Money.usd("20.00")).build();
    provisioner = h.provisioner();

    provisioner.provisionAndDeploy(EngineHarness.request().build());

    // the search's payment could be charged up to what the monthly limit leaves (95.00), above the threshold;
    // the name chosen (10.44) is below it, so it is not asked about again
    assertThat(h.gate.requests()).extracting(r -> r.kind()).containsExactly(CheckpointKind.PLAN_APPROVAL,
        CheckpointKind.TERMS_OF_SERVICE);
    assertThat(h.gate.requests(CheckpointKind.PLAN_APPROVAL)).singleElement()
        .satisfies(r -> assertThat(r.title()).endsWith("USD 5.00 + up to USD 95.00"));
  }

  @Test
  void updateSpendPolicy_raisingALimit_needsApproval_andADenialKeepsTheOldPolicy() {
    provisioner = h.provisioner();
    SpendPolicy higher = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("500.00")).perProvider()).build();
    h.gate.deny(CheckpointKind.RAISE_LIMIT, "no");

    assertThatThrownBy(() -> provisioner.updateSpendPolicy(AgentId.of("coding-agent-7"), higher, "bigger app", null))
        .isInstanceOf(ApprovalDeniedException.class);
    assertThat(provisioner.spendPolicy().limits()).containsExactly(SpendPolicy.DEFAULT_LIMIT);

    h.gate.on(CheckpointKind.RAISE_LIMIT, r -> io.agentprovision.core.approval.ApprovalDecision.approved("ada", "ok",
        h.time.instant()));
    provisioner.updateSpendPolicy(AgentId.of("coding-agent-7"), higher, "bigger app", null);

    assertThat(provisioner.spendPolicy()).isSameAs(higher);
    assertThat(h.gate.requests(CheckpointKind.RAISE_LIMIT)).hasSize(2)
        .allSatisfy(r -> assertThat(r.title()).contains("raises limit monthly/per-provider from USD 100.00 to USD 500.00"));
    assertThat(h.audit.entries()).anySatisfy(e -> {
      assertThat(e.record().action()).isEqualTo("policy.loosened");
      assertThat(e.record().approver()).isEqualTo("ada");
    });
  }

  @Test
  void updateSpendPolicy_tightening_needsNoApproval() {
    provisioner = h.provisioner();
    SpendPolicy lower = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("50.00")).perProvider()).build();

    provisioner.updateSpendPolicy(AgentId.of("coding-agent-7"), lower, "be careful", null);

    assertThat(provisioner.spendPolicy()).isSameAs(lower);
    assertThat(h.gate.requests()).isEmpty();
    assertThat(h.auditActions()).contains("policy.tightened");
  }

  @Test
  void orchestratorsOwnCap_isLoweredToThePolicys_whenThePolicyIsTighter() {
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true)
        .providerLimit("cloudflare", SpendLimit.monthly(Money.usd("500.00")).forProvider("cloudflare")).build();
    provisioner = h.provisioner();

    provisioner.provisionAndDeploy(EngineHarness.request().build());

    assertThat(h.orchestrator.providerLimits("cloudflare")).singleElement()
        .satisfies(l -> assertThat(l.amount()).isEqualTo(Money.usd("100.00")));
    assertThat(h.audit.entries()).anySatisfy(e -> {
      assertThat(e.record().action()).isEqualTo("provider_limit.mirrored");
      assertThat(e.record().details()).containsEntry("from", "USD 500.00").containsEntry("to", "USD 100.00");
    });
  }

  @Test
  void orchestratorsOwnCap_isNeverRaisedByTheEngine() {
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true)
        .providerLimit("cloudflare", SpendLimit.monthly(Money.usd("50.00")).forProvider("cloudflare")).build();
    provisioner = h.provisioner();

    provisioner.provisionAndDeploy(EngineHarness.request().build());

    assertThat(h.orchestrator.providerLimits("cloudflare")).singleElement()
        .satisfies(l -> assertThat(l.amount()).isEqualTo(Money.usd("50.00")));
    assertThat(h.orchestrator.calls()).noneMatch(c -> c.method().equals("updateProviderLimit"));
  }

  @Test
  void spend_reportsEachLimitsUseForTheAgent() {
    provisioner = h.provisioner();
    provisioner.provisionAndDeploy(EngineHarness.request().build());

    SpendReport report = provisioner.spend(AgentId.of("coding-agent-7"));

    assertThat(report.limits()).singleElement().satisfies(u -> {
      assertThat(u.bucket()).isEqualTo("provider=cloudflare");
      assertThat(u.used()).isEqualTo(Money.usd("15.44"));
    });
    assertThat(report.reservations()).extracting(Reservation::status).containsOnly(Reservation.Status.COMMITTED);
  }
}
