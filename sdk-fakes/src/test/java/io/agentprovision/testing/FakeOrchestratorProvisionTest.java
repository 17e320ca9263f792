package io.agentprovision.testing;

import static io.agentprovision.testing.OrchestratorFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class FakeOrchestratorProvisionTest {
  private final OrchestratorFixtures f = new OrchestratorFixtures();

  private static void assertProviderError(Throwable t, int status, String code) {
    assertThat(t).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e.provider()).isEqualTo("cloudflare");
      assertThat(e.status()).isEqualTo(status);
      assertThat(e.code()).isEqualTo(code);
      assertThat(e.requestId()).startsWith("req_fake_");
      assertThat(e.retryable()).isFalse();
    });
  }

  @Test
  void provision_whenPaidPlanAuthorizedAtPrice_completesAndChargesPriceOnce() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);

    ResourceState s = orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan"));

    assertThat(s.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(s.charged()).isEqualTo(Money.usd("5.00"));
    assertThat(orch.charges()).singleElement().satisfies(c -> {
      assertThat(c.serviceId()).isEqualTo("workers:paid");
      assertThat(c.resourceId()).isEqualTo(s.ref().id());
      assertThat(c.amount()).isEqualTo(Money.usd("5.00"));
      assertThat(c.idempotencyKey()).isEqualTo("plan");
      assertThat(c.reservationId()).isEqualTo("res_5.00");
    });
    assertThat(orch.totalCharged("cloudflare")).isEqualTo(Money.usd("5.00"));
  }

  @Test
  void provision_whenPaidPlanWithoutPayment_refusesWith402AndChargesNothing() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);

    Throwable t = org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.provision(request(acct, "workers:paid", Map.of(), null), f.ctx("plan")));

    assertProviderError(t, 402, "requires_payment_credentials");
    assertThat(orch.charges()).isEmpty();
    assertThat(orch.resources()).isEmpty();
  }

  @Test
  void provision_whenAuthorizationBelowPrice_refusesWith402() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);

    Throwable t = org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.provision(request(acct, "workers:paid", Map.of(), f.pay("4.99")), f.ctx("plan")));

    assertProviderError(t, 402, "requires_payment_credentials");
    assertThat(t).hasMessageContaining("USD 4.99");
    assertThat(orch.totalCharged("cloudflare")).isEqualTo(Money.usd("0.00"));
  }

  @Test
  void provision_whenAuthorizationExpiredOrOtherCurrency_refusesWith402() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    PaymentAuthorization expired = new PaymentAuthorization("r", Money.usd("5.00"), f.time.instant(), "plan");
    PaymentAuthorization euros = new PaymentAuthorization("r", Money.eur("50.00"), f.time.instant().plusSeconds(60), "plan");

    assertProviderError(org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.provision(request(acct, "workers:paid", Map.of(), expired), f.ctx("p1"))), 402,
        "requires_payment_credentials");
    assertProviderError(org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.provision(request(acct, "workers:paid", Map.of(), euros), f.ctx("p2"))), 402,
        "requires_payment_credentials");
    assertThat(orch.charges()).isEmpty();
  }

  @Test
  void provision_whenRepeatedWithSameKey_returnsSameResourceAndChargesOnce() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);

    ResourceState first = orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan"));
    ResourceState again = orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan"));

    assertThat(again.ref()).isEqualTo(first.ref());
    assertThat(again.charged()).isEqualTo(Money.usd("5.00"));
    assertThat(orch.charges()).hasSize(1);
    assertThat(orch.resources()).hasSize(1);
  }

  @Test
  void provision_whenSameKeyWithOtherParameters_refusesAsIdempotencyError() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan"));

    Throwable t = org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan")));

    assertProviderError(t, 400, "idempotency_error");
    assertThat(orch.charges()).isEmpty();
  }

  @Test
  void provision_whenRefusedBeforeAnyEffect_sameKeyMayBeRetriedWithOtherParameters() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    assertThatThrownBy(() -> orch.provision(request(acct, "workers:paid", Map.of(), null), f.ctx("plan")))
        .isInstanceOf(ProviderException.class);

    ResourceState s = orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan"));

    assertThat(s.status()).isEqualTo(ResourceStatus.COMPLETE);
  }

  @Test
  void provision_whenWorkersWithoutPlan_refusesThenSucceedsAfterPlan() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);

    assertProviderError(org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.provision(request(acct, "workers", Map.of(), null), f.ctx("w1"))), 400, "requires_plan");
    orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan"));
    ResourceState w = orch.provision(request(acct, "workers", Map.of(), null), f.ctx("w2"));

    assertThat(w.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(w.charged()).isNull();
    assertThat(orch.charges()).isEmpty();
  }

  @Test
  void provision_whenPlanWasRemoved_workersRefused() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState plan = orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan"));
    orch.remove(plan.ref(), f.ctx("rm"));

    assertProviderError(org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.provision(request(acct, "workers", Map.of(), null), f.ctx("w"))), 400, "requires_plan");
  }

  @Test
  void provision_whenAccountNotLinked_refusesWith403() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount stranger = new ProviderAccount("cloudflare", "acct_other", null, null, "eve@example.com",
        ProviderAccount.LinkAction.CREATED, Map.of());

    assertProviderError(org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.provision(request(stranger, "workers:free", Map.of(), null), f.ctx("plan"))), 403,
        "account_not_linked");
  }

  @Test
  void provision_whenServiceUnknown_refusesWith404() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);

    assertProviderError(org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.provision(request(acct, "workers:enterprise", Map.of(), null), f.ctx("plan"))), 404,
        "service_not_found");
  }

  @Test
  void provision_whenPendingForTwoPolls_pollsWithBackoffInVirtualTime() {
    FakeOrchestrator orch = FakeOrchestrator.builder().pendingPolls(2).build();
    ProviderAccount acct = f.link(orch);
    FakeStepContext ctx = f.ctx("plan");

    ResourceState s = orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), ctx);

    assertThat(s.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(f.time.sleeps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    assertThat(ctx.progress()).hasSize(2);
    assertThat(orch.charges()).hasSize(1);
  }

  @Test
  void resource_whenPending_countsDownToComplete() {
    // four pending polls: provision spends two before its two-second deadline, resource() sees the rest
    FakeOrchestrator orch = FakeOrchestrator.builder().pendingPolls("workers:free", 4).build();
    ProviderAccount acct = f.link(orch);
    FakeStepContext ctx = FakeStepContext.builder().time(f.time).idempotencyKey("plan")
        .deadlineAfter(Duration.ofSeconds(2)).build();
    assertThatThrownBy(() -> orch.provision(request(acct, "workers:free", Map.of(), null), ctx))
        .isInstanceOfSatisfying(AgentProvisionException.class, e -> assertThat(e.retryable()).isTrue());
    FakeOrchestrator.Resource pending = orch.resources().get(0);
    assertThat(pending.status()).isEqualTo(ResourceStatus.PENDING);

    List<ResourceStatus> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      seen.add(orch.resource(pending.ref(), f.ctx("read")).status());
    }

    assertThat(seen).containsExactly(ResourceStatus.PENDING, ResourceStatus.PENDING, ResourceStatus.COMPLETE);
  }

  @Test
  void provision_whenCrashAfter_purchaseStandsAndResumeWithSameKeyDoesNotChargeAgain() {
    FakeOrchestrator orch = FakeOrchestrator.create().crashAfter("provision", 1);
    ProviderAccount acct = f.link(orch);

    assertThatThrownBy(() -> orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan")))
        .isInstanceOf(SimulatedCrash.class);
    assertThat(orch.charges()).hasSize(1);
    ResourceState resumed = orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan"));

    assertThat(resumed.ref().id()).isEqualTo(orch.charges().get(0).resourceId());
    assertThat(orch.charges()).hasSize(1);
  }

  @Test
  void provision_whenCrashBefore_nothingBoughtAndRetryBuysOnce() {
    FakeOrchestrator orch = FakeOrchestrator.create().crashBefore("provision", 1);
    ProviderAccount acct = f.link(orch);

    assertThatThrownBy(() -> orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan")))
        .isInstanceOf(SimulatedCrash.class);
    assertThat(orch.charges()).isEmpty();
    orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan"));

    assertThat(orch.charges()).hasSize(1);
  }

  @Test
  void provision_whenFailOnFirstCall_throwsGivenErrorOnceAndRecordsCall() {
    ProviderException outage = new ProviderException("cloudflare", 503, "unavailable", null, "try later", true);
    FakeOrchestrator orch = FakeOrchestrator.create().failOn("provision", 1, outage);
    ProviderAccount acct = f.link(orch);

    assertThatThrownBy(() -> orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan")))
        .isSameAs(outage);
    orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan"));

    assertThat(orch.resources()).hasSize(1);
    assertThat(orch.calls()).extracting(FaultInjector.Call::method)
        .containsExactly("linkAccount", "provision", "provision");
    assertThat(orch.calls()).allMatch(FaultInjector.Call::sideEffect);
  }

  @Test
  void provision_whenManyThreadsUseOneKey_createsOneResourceAndChargesOnce() throws Exception {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<ResourceState>> calls = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        calls.add(() -> orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan")));
      }
      List<String> ids = new ArrayList<>();
      for (Future<ResourceState> r : pool.invokeAll(calls)) {
        ids.add(r.get().ref().id());
      }

      assertThat(ids).containsOnly(ids.get(0));
      assertThat(orch.charges()).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void update_whenUpgradeAllowed_chargesNewPlanAndChangesService() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState free = orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan"));

    ResourceState paid = orch.update(free.ref(), "workers:paid", Map.of(), f.pay("5.00"), f.ctx("upgrade"));
    ResourceState again = orch.update(free.ref(), "workers:paid", Map.of(), f.pay("5.00"), f.ctx("upgrade"));

    assertThat(paid.ref().serviceId()).isEqualTo("workers:paid");
    assertThat(paid.ref().id()).isEqualTo(free.ref().id());
    assertThat(paid.charged()).isEqualTo(Money.usd("5.00"));
    assertThat(again).isEqualTo(paid);
    assertThat(orch.charges()).extracting(FakeOrchestrator.Charge::serviceId).containsExactly("workers:paid");
  }

  @Test
  void update_whenUpgradeUnpaid_refusesWith402AndKeepsPlan() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState free = orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan"));

    assertProviderError(org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.update(free.ref(), "workers:paid", Map.of(), null, f.ctx("upgrade"))), 402,
        "requires_payment_credentials");
    assertThat(orch.resources().get(0).ref().serviceId()).isEqualTo("workers:free");
  }

  @Test
  void update_whenTargetNotInAllowedUpdates_refuses() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan"));
    ResourceState kv = orch.provision(request(acct, "kv", Map.of("title", "cache"), null), f.ctx("kv"));

    assertProviderError(org.assertj.core.api.Assertions.catchThrowable(
        () -> orch.update(kv.ref(), "d1", Map.of(), null, f.ctx("change"))), 400, "update_not_allowed");
  }

  @Test
  void remove_whenRepeated_isNoOpAndRefundsNothing() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState plan = orch.provision(request(acct, "workers:paid", Map.of(), f.pay("5.00")), f.ctx("plan"));

    orch.remove(plan.ref(), f.ctx("rm"));
    orch.remove(plan.ref(), f.ctx("rm-again"));

    assertThat(orch.resource(plan.ref(), f.ctx("read")).status()).isEqualTo(ResourceStatus.REMOVED);
    assertThat(orch.removals()).singleElement().satisfies(r -> {
      assertThat(r.resourceId()).isEqualTo(plan.ref().id());
      assertThat(r.serviceId()).isEqualTo("workers:paid");
    });
    assertThat(orch.totalCharged("cloudflare")).isEqualTo(Money.usd("5.00"));
  }

  @Test
  void providerLimits_whenUpdated_reportsNewCap() {
    FakeOrchestrator orch = FakeOrchestrator.builder()
        .providerLimit("cloudflare", io.agentprovision.core.policy.SpendLimit.monthly(Money.usd("100.00"))).build();
    assertThat(orch.providerLimits("cloudflare")).extracting(io.agentprovision.core.policy.SpendLimit::amount)
        .containsExactly(Money.usd("100.00"));

    orch.updateProviderLimit("cloudflare", io.agentprovision.core.policy.SpendLimit.monthly(Money.usd("250.00")), f.ctx("cap"));

    assertThat(orch.providerLimits("cloudflare")).extracting(io.agentprovision.core.policy.SpendLimit::amount)
        .containsExactly(Money.usd("250.00"));
  }
}
