package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.spi.RunJournal;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.FakeStepContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One account and one plan per person per provider: concurrent runs for the same human take turns
 * at the account and plan steps, and the later ones reuse what the first linked and bought.
 */
class OnePlanPerPersonTest {
  private static final long WAIT_SECONDS = 60;

  private final EngineHarness h = new EngineHarness();
  private final ExecutorService hostBSteps = Executors.newFixedThreadPool(4);

  @AfterEach
  void close() {
    h.close();
    hostBSteps.shutdownNow();
  }

  @Test
  void threeConcurrentRunsForTheSamePersonOnTwoHosts_buyThePlanOnce_andTheOthersReuseIt() throws Exception {
    h.steps.shutdown();
    h.steps = Executors.newFixedThreadPool(4);
    AgentProvisioner hostA = h.provisioner(b -> b.leaseOwner("host-a"));
    AgentProvisioner hostB = h.provisioner(b -> b.leaseOwner("host-b").stepExecutor(hostBSteps));

    List<CompletableFuture<Deployment>> runs = new ArrayList<>();
    runs.add(hostA.provisionAndDeployAsync(EngineHarness.request().domain(null).project("shop").build()));
    runs.add(hostB.provisionAndDeployAsync(EngineHarness.request().domain(null).project("blog").build()));
    runs.add(hostA.provisionAndDeployAsync(EngineHarness.request().domain(null).project("api").build()));
    List<Deployment> done = new ArrayList<>();
    for (CompletableFuture<Deployment> f : runs) {
      done.add(f.get(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    assertThat(done).allSatisfy(d -> assertThat(d.verification().live()).isTrue());
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .as("the plan was bought once").containsExactly("workers:paid");
    assertThat(h.orchestrator.accounts()).as("one account for Ada").hasSize(1);
    assertThat(done).extracting(d -> d.account().accountId()).containsOnly(h.orchestrator.accounts().get(0).accountId());
    String plan = h.orchestrator.charges().get(0).resourceId();
    assertThat(done).allSatisfy(d -> assertThat(d.resources()).filteredOn(r -> r.serviceId().equals("workers:paid"))
        .singleElement().satisfies(r -> assertThat(r.resourceId()).isEqualTo(plan)));
    assertThat(done).extracting(Deployment::spent).containsExactlyInAnyOrder(List.of(Money.usd("5.00")), List.of(),
        List.of());
    Money committed = Money.usd("0.00");
    for (Reservation r : h.ledger.reservations(null, null, Instant.EPOCH, Instant.MAX)) {
      assertThat(r.status()).isIn(Reservation.Status.COMMITTED, Reservation.Status.RELEASED);
      if (r.status() == Reservation.Status.COMMITTED) {
        committed = committed.plus(r.committed());
      }
    }
    assertThat(committed).as("the ledger holds what the provider charged").isEqualTo(Money.usd("5.00"));
    assertThat(h.auditActions()).filteredOn("resource.reused"::equals).hasSize(2);
    assertThat(h.auditActions()).filteredOn("account.reused"::equals).hasSize(2);
    assertThat(h.orchestrator.resources()).as("three Workers, one plan")
        .extracting(r -> r.ref().serviceId()).containsExactlyInAnyOrder("workers:paid", "workers", "workers", "workers");
  }

  @Test
  void aPlanRemovedSince_isBoughtAgain_ratherThanReused() {
    AgentProvisioner p = h.provisioner();
    Deployment first = p.provisionAndDeploy(EngineHarness.request().domain(null).build());
    FakeOrchestrator.Resource plan = h.orchestrator.resources().stream()
        .filter(r -> r.ref().serviceId().equals("workers:paid")).findFirst().orElseThrow();
    h.orchestrator.remove(plan.ref(), FakeStepContext.create());

    Deployment second = p.provisionAndDeploy(EngineHarness.request().domain(null).project("again").build());

    assertThat(first.spent()).containsExactly(Money.usd("5.00"));
    assertThat(second.spent()).as("no longer active at the provider: bought again").containsExactly(Money.usd("5.00"));
    assertThat(h.orchestrator.charges()).hasSize(2);
  }

  /**
   * A person's next run finds their earlier run (and reuses its account and plan), and another
   * person's does not, whether the journal files runs by person (in memory) or is read through (a
   * journal keeping no index), and across a restart of the engine, or of the journal on disk.
   */
  @ParameterizedTest
  @ValueSource(strings = {"in memory", "no index", "on disk"})
  void afterARestart_aPersonsNextRunReusesTheirPlan_andAnotherPersonsRunDoesNot(String store,
      @TempDir Path dir) {
    h.people(2);
    Supplier<RunJournal> journal = switch (store) {
      case "in memory" -> () -> h.journal;
      case "no index" -> () -> withoutIndex(h.journal);
      default -> () -> RunJournal.directory(dir);
    };
    AgentProvisioner first = h.provisioner(b -> b.journal(journal.get()));
    Deployment ada = first.provisionAndDeploy(EngineHarness.request().domain(null).project("ada-1")
        .identityToken(EngineHarness.personToken(1)).build());
    first.close();

    AgentProvisioner restarted = h.provisioner(b -> b.journal(journal.get()));
    Deployment bob = restarted.provisionAndDeploy(EngineHarness.request().domain(null).project("bob-1")
        .identityToken(EngineHarness.personToken(2)).build());
    Deployment adaAgain = restarted.provisionAndDeploy(EngineHarness.request().domain(null).project("ada-2")
        .identityToken(EngineHarness.personToken(1)).build());

    assertThat(ada.spent()).containsExactly(Money.usd("5.00"));
    assertThat(bob.spent()).as("someone else: a plan of their own").containsExactly(Money.usd("5.00"));
    assertThat(adaAgain.spent()).as("Ada's plan, found after the restart").isEmpty();
    assertThat(h.orchestrator.charges()).hasSize(2);
    assertThat(h.orchestrator.accounts()).as("one account each").hasSize(2);
    assertThat(adaAgain.account().accountId()).isEqualTo(ada.account().accountId())
        .isNotEqualTo(bob.account().accountId());
    String adasPlan = planOf(ada);
    assertThat(planOf(adaAgain)).isEqualTo(adasPlan);
    assertThat(planOf(bob)).isNotEqualTo(adasPlan);
    assertThat(h.auditActions()).filteredOn("resource.reused"::equals).hasSize(1);
    assertThat(h.auditActions()).filteredOn("account.reused"::equals).hasSize(1);
  }

  private static String planOf(Deployment d) {
    return d.resources().stream().filter(r -> r.serviceId().equals("workers:paid")).findFirst().orElseThrow()
        .resourceId();
  }

  /** {@code journal} as a journal that keeps no index of runs by person (the interface's defaults). */
  private static RunJournal withoutIndex(RunJournal journal) {
    return (RunJournal) Proxy.newProxyInstance(RunJournal.class.getClassLoader(), new Class<?>[] {RunJournal.class},
        (proxy, method, args) -> {
          if (method.getName().equals("fileRun")) {
            return false;
          }
          if (method.getName().equals("runsFiledUnder")) {
            return Optional.empty();
          }
          try {
            return method.invoke(journal, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
