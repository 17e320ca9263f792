package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.InformationRequiredException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.FaultInjector;
import io.agentprovision.testing.SimulatedCrash;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a run does with each kind of price a catalog may give before buying ({@link Pricing.Kind}):
 * a minimum is reserved and paid as it is; a price not known before buying never blocks planning,
 * the step holds and pays with the most the policy admits, a person allows that cap, and what the
 * provider charged is what is committed; a price that a provider's question reveals is confirmed at
 * that price; a question nobody answers fails naming it, with nothing charged.
 */
class PriceKindsTest {
  private static final StepId PLAN = StepId.of("plan");
  private static final Map<String, Object> BILLING_QUESTION = Map.of("type", "object", "required",
      List.of("billing_period"), "properties", Map.of("billing_period", Map.of("type", "string", "title",
          "How should the plan be billed?", "oneOf", List.of(
              Map.of("const", "monthly", "x-price", Map.of("amount", 500, "currency", "USD")),
              Map.of("const", "yearly", "x-price", Map.of("amount", 5000, "currency", "USD"))))));

  private final EngineHarness h = new EngineHarness();
  private final PricedPlanOrchestrator provider;

  PriceKindsTest() {
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).noPlanRequired("workers").build();
    provider = new PricedPlanOrchestrator(h.orchestrator);
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("40.00")).perProvider()).build();
  }

  @AfterEach
  void close() {
    h.close();
  }

  private AgentProvisioner provisioner() {
    return h.provisioner(b -> b.orchestrator(provider));
  }

  private ProvisionPlan plan() {
    return provisioner().plan(EngineHarness.request().domain(null).build());
  }

  private Deployment run() {
    return provisioner().provisionAndDeploy(EngineHarness.request().domain(null).build());
  }

  private List<Reservation> reservations() {
    return h.ledger.reservations(null, null, Instant.EPOCH, Instant.MAX);
  }

  @Test
  void minimum_isReservedAndPaidAsTheMinimum_andThePlanSaysItIsOne() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("$5/month minimum + usage"));

    PlannedStep planned = plan().step(PLAN).orElseThrow();
    Deployment d = run();

    assertThat(planned.quote()).isEqualTo(Money.usd("5.00"));
    assertThat(planned.priceFinal()).isTrue();
    assertThat(planned.verdictDetail()).startsWith("at least USD 5.00 a month, plus usage");
    assertThat(plan().notes()).anySatisfy(n -> assertThat(n).startsWith("workers:paid: at least USD 5.00 a month"));
    assertThat(provider.payments).extracting(PaymentAuthorization::maxAmount).containsExactly(Money.usd("5.00"));
    assertThat(d.spent()).containsExactly(Money.usd("5.00"));
  }

  @Test
  void unknownPrice_isPlannedWithTheCapTheLimitsAdmit_confirmedThere_andTheChargeIsCommitted() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).charges(Money.usd("7.25"));

    ProvisionPlan plan = plan();
    PlannedStep planned = plan.step(PLAN).orElseThrow();
    Deployment d = run();

    assertThat(plan.allowed()).isTrue();
    assertThat(planned.verdict()).isEqualTo(PlannedStep.Verdict.NEEDS_APPROVAL);
    assertThat(planned.quote()).isEqualTo(Money.usd("40.00"));
    assertThat(planned.priceFinal()).isFalse();
    assertThat(planned.verdictDetail()).startsWith("price unknown before buying: freeform 'at cost'")
        .contains("up to USD 40.00");
    assertThat(plan.notes()).anySatisfy(n -> assertThat(n).contains("price unknown before buying: freeform 'at cost'")
        .contains("at most USD 40.00"));
    // the person saw the cap before anything was bought; the payment was capped there; the charge was committed
    assertThat(h.gate.requests(CheckpointKind.PLAN_APPROVAL)).singleElement()
        .satisfies(r -> assertThat(r.title()).contains("up to USD 40.00"));
    assertThat(provider.payments).extracting(PaymentAuthorization::maxAmount).containsExactly(Money.usd("40.00"));
    assertThat(provider.charges).containsExactly(Money.usd("7.25"));
    assertThat(d.spent()).containsExactly(Money.usd("7.25"));
    assertThat(reservations()).singleElement().satisfies(r -> {
      assertThat(r.amount()).isEqualTo(Money.usd("40.00"));
      assertThat(r.status()).isEqualTo(Reservation.Status.COMMITTED);
      assertThat(r.counted(h.time.instant())).isEqualTo(Money.usd("7.25"));
    });
    assertThat(h.events(ProvisioningEvent.SpendCommitted.class)).singleElement()
        .satisfies(e -> assertThat(e.amount()).isEqualTo(Money.usd("7.25")));
  }

  @Test
  void unknownPrice_withoutAPlanApproval_isConfirmedByAPersonAtTheCapBeforeItIsBought() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).charges(Money.usd("3.00"));
    h.gate.deny(CheckpointKind.PLAN_APPROVAL, "not the whole plan");

    assertThatThrownBy(this::run).hasMessageContaining("not the whole plan");

    assertThat(provider.payments).isEmpty();
    assertThat(provider.charges).isEmpty();
    assertThat(reservations()).isEmpty();
  }

  @Test
  void unknownPrice_underAPerTransactionLimit_holdsNoMoreThanThatLimit() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).charges(Money.usd("7.25"));
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("100.00")).perProvider())
        .limit(SpendLimit.perTransaction(Money.usd("20.00"))).build();

    PlannedStep planned = plan().step(PLAN).orElseThrow();
    run();

    assertThat(planned.quote()).isEqualTo(Money.usd("20.00"));
    assertThat(planned.verdictDetail()).contains("what 'per-transaction");
    assertThat(provider.payments).extracting(PaymentAuthorization::maxAmount).containsExactly(Money.usd("20.00"));
  }

  @Test
  void estimate_andAStripePriceNotLookedUp_areHeldAsCapsNotGuessedPrices() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("about $3 a month"));
    PlannedStep estimate = plan().step(PLAN).orElseThrow();
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.fromWire(Map.of("type", "paid", "paid",
        Map.of("type", "stripe_price", "stripe_price", "price_1Abc"))));
    PlannedStep stripePrice = plan().step(PLAN).orElseThrow();

    assertThat(estimate.quote()).isEqualTo(Money.usd("40.00"));
    assertThat(estimate.priceFinal()).isFalse();
    assertThat(estimate.verdictDetail()).startsWith("price unknown before buying: about USD 3.00 a month (an estimate");
    assertThat(stripePrice.quote()).isEqualTo(Money.usd("40.00"));
    assertThat(stripePrice.verdictDetail())
        .startsWith("price unknown before buying: Stripe price price_1Abc (its amount was not looked up)");
  }

  @Test
  void unknownPrice_whenTheProviderDoesNotSayWhatItCharged_commitsTheCapRatherThanAGuess() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).charges(Money.usd("7.25"))
        .quietAboutCharges();

    Deployment d = run();

    assertThat(d.spent()).containsExactly(Money.usd("40.00"));
    assertThat(h.audit.entries()).filteredOn(e -> e.record().action().equals("resource.provisioned")
        && "workers:paid".equals(e.record().details().get("service"))).singleElement()
        .satisfies(e -> assertThat(e.record().details().get("priced")).isEqualTo("after the call, within USD 40.00"));
  }

  @Test
  void unknownPrice_whenNothingRemainsUnderTheLimit_isDeniedAtPlanTime_andExecuteBuysNothing() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost"));
    AgentProvisioner p = provisioner();
    h.ledger.reserve(ReservationRequest.builder("earlier", AgentId.of("coding-agent-7"), "cloudflare",
        Money.usd("40.00")).at(h.time.instant()).expiresAt(h.time.instant().plusSeconds(3600))
        .limits(h.policy.limitsFor(AgentId.of("coding-agent-7"), "cloudflare")).zone(h.policy.zone())
        .description("an earlier purchase").build());
    h.ledger.commit("earlier", Money.usd("40.00"));

    ProvisionPlan plan = p.plan(EngineHarness.request().domain(null).build());

    assertThat(plan.step(PLAN).orElseThrow().verdict()).isEqualTo(PlannedStep.Verdict.DENIED);
    assertThat(plan.step(PLAN).orElseThrow().verdictDetail()).contains("nothing remains under 'monthly/per-provider");
    assertThatThrownBy(() -> p.execute(plan)).isInstanceOf(PolicyViolationException.class);
    assertThat(h.orchestrator.calls()).noneMatch(FaultInjector.Call::sideEffect);
    assertThat(provider.payments).isEmpty();
  }

  @Test
  void unknownPrice_whenNoLimitBoundsIt_isRefusedAtPlanTimeWithTheFix_andNothingIsCalled() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).charges(Money.usd("7.25"));
    // the only limit is for another provider: nothing caps what this run may be charged
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("40.00")).forProvider("elsewhere")).build();

    Throwable refused = catchThrowable(this::run);

    assertThat(refused).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("spendPolicy");
      assertThat(e.getMessage()).contains("nothing bounds what workers:paid may cost")
          .contains("price unknown before buying: freeform 'at cost'");
      assertThat(e.fix()).contains("SpendLimit.monthly").contains("maxPrice");
    });
    assertThat(h.orchestrator.calls()).noneMatch(FaultInjector.Call::sideEffect);
    assertThat(provider.payments).isEmpty();
    assertThat(provider.charges).isEmpty();
    assertThat(reservations()).isEmpty();
    assertThat(h.gate.requests()).isEmpty();
  }

  @Test
  void question_answeredByAPerson_isBoughtAtTheChosenPrice_confirmedThere_andPaidNoMore() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).asks(BILLING_QUESTION);
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("100.00")).perProvider()).build();
    h.gate.respond(CheckpointKind.ACTION_REQUIRED, r -> Map.of("billing_period", "yearly"));

    Deployment d = run();

    assertThat(h.gate.requests(CheckpointKind.ACTION_REQUIRED)).singleElement().satisfies(r -> {
      assertThat(r.title()).isEqualTo("cloudflare asks: How should the plan be billed?");
      assertThat(r.details()).containsEntry("choice.1", "monthly — USD 5.00").containsEntry("choice.2",
          "yearly — USD 50.00");
    });
    assertThat(provider.answers).containsExactly(Map.of("billing_period", "yearly"));
    // the query carried the cap; the answer a payment capped at the chosen price, under the same reservation
    assertThat(provider.payments).extracting(PaymentAuthorization::maxAmount)
        .containsExactly(Money.usd("100.00"), Money.usd("50.00"));
    assertThat(provider.payments.get(1).reservationId()).isEqualTo(provider.payments.get(0).reservationId());
    assertThat(h.gate.requests(CheckpointKind.PAID_PLAN)).singleElement()
        .satisfies(r -> assertThat(r.cost()).isEqualTo(Money.usd("50.00")));
    assertThat(d.spent()).containsExactly(Money.usd("50.00"));
  }

  @Test
  void question_answeredAndBought_beforeTheHostDied_isCommittedAtTheChosenPriceOnResume() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).asks(BILLING_QUESTION).replaysByKey()
        .hostDiesAfterPurchase();
    h.policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("100.00")).perProvider()).build();
    h.gate.respond(CheckpointKind.ACTION_REQUIRED, r -> Map.of("billing_period", "yearly"));
    AgentProvisioner first = provisioner();
    ProvisionPlan plan = first.plan(EngineHarness.request().domain(null).build());

    assertThatThrownBy(() -> first.execute(plan)).isInstanceOf(SimulatedCrash.class);
    first.close();
    assertThat(provider.charges).containsExactly(Money.usd("50.00"));
    assertThat(reservations()).singleElement().satisfies(r -> assertThat(r.status())
        .isEqualTo(Reservation.Status.RESERVED));

    // a new host resumes: the step asks again, the provider answers that the plan is bought, and the
    // ledger commits the price that was chosen and paid, not what the repeated call says it charged (nothing)
    Deployment d = provisioner().resume(AgentId.of("coding-agent-7"), plan.runId());

    assertThat(provider.charges).as("bought once").containsExactly(Money.usd("50.00"));
    assertThat(reservations()).singleElement().satisfies(r -> {
      assertThat(r.status()).isEqualTo(Reservation.Status.COMMITTED);
      assertThat(r.committed()).isEqualTo(Money.usd("50.00"));
    });
    assertThat(d.spent()).containsExactly(Money.usd("50.00"));
  }

  @Test
  void question_thatNobodyAnswers_failsNamingIt_andChargesNothing() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).asks(BILLING_QUESTION);

    Throwable failed = catchThrowable(this::run);

    InformationRequiredException e = failed instanceof InformationRequiredException i ? i
        : (InformationRequiredException) failed.getCause();
    assertThat(e.field()).isEqualTo("billing_period");
    assertThat(e.question()).isEqualTo("How should the plan be billed?");
    assertThat(e.choices()).containsExactly("monthly", "yearly");
    assertThat(provider.charges).isEmpty();
    assertThat(reservations()).singleElement().satisfies(r -> assertThat(r.status())
        .isEqualTo(Reservation.Status.RELEASED));
  }

  @Test
  void question_askedBeyondTheBoundOfRounds_failsNamingIt() {
    provider.price(PricedPlanOrchestrator.PLAN, Pricing.ofFreeform("at cost")).asksForever(BILLING_QUESTION);
    h.gate.respond(CheckpointKind.ACTION_REQUIRED, r -> Map.of("billing_period", "monthly"));

    Throwable failed = catchThrowable(this::run);

    assertThat(failed).hasStackTraceContaining("asked again after 5 rounds");
    assertThat(provider.answers).hasSize(5);
    assertThat(provider.charges).isEmpty();
  }

  @Test
  void component_pricedUnderTheRunsPlan_isFree_andWithoutThatPlanIsBilledWithItsPlan() {
    Pricing component = Pricing.fromWire(Map.of("type", "component", "component", Map.of("options", List.of(
        Map.of("type", "free", "parent_service_ids", List.of("workers:paid")),
        Map.of("type", "paid", "paid", Map.of("type", "freeform", "freeform", "$0.30 per million requests"),
            "default", true, "parent_service_ids", List.of("workers:free"))))));
    provider.price("workers", component);

    PlannedStep underPaid = plan().step(StepId.of("resource")).orElseThrow();
    PlannedStep underFree = provisioner().plan(EngineHarness.request().domain(null).plan("workers:free").build())
        .step(StepId.of("resource")).orElseThrow();

    assertThat(underPaid.verdict()).isEqualTo(PlannedStep.Verdict.FREE);
    assertThat(underFree.verdict()).isEqualTo(PlannedStep.Verdict.ALLOWED);
    assertThat(underFree.quote()).isNull();
    assertThat(underFree.verdictDetail()).startsWith("billed with its parent plan");
  }
}
