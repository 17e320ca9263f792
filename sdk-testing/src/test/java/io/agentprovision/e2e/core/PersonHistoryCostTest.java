package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.FakeStepContext;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a person's run reads of their earlier runs does not grow with how many they had. The account
 * and plan steps look for the account and plan an earlier run linked and bought; they read those
 * runs newest first and stop at the first they can use, so a person's thirtieth run reads what their
 * third did, in memory and in a journal directory. Counted at the journal: the reads of steps and
 * runs other than the run's own.
 */
class PersonHistoryCostTest {
  private static final int RUNS = 30;

  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"in memory", "on disk"})
  void aPersonsThirtiethRun_readsNoMoreOfTheirEarlierRunsThanTheirThird(String store, @TempDir Path dir) {
    Counting journal = new Counting(store.equals("in memory") ? h.journal : RunJournal.directory(dir));
    AgentProvisioner p = h.provisioner(b -> b.journal(journal.proxy()));
    List<Integer> reads = new ArrayList<>();
    for (int i = 0; i < RUNS; i++) {
      journal.start();
      Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(null).project("app-" + i).build());
      assertThat(d.verification().live()).isTrue();
      reads.add(journal.readsOfOtherRuns(d.runId()));
    }

    assertThat(h.orchestrator.charges()).as("the plan bought once, reused by every later run").hasSize(1);
    assertThat(h.orchestrator.accounts()).hasSize(1);
    assertThat(reads.get(2)).as("the third run reads its predecessors").isPositive();
    assertThat(reads.subList(2, RUNS)).as("reads of earlier runs, run by run: " + reads).allSatisfy(
        n -> assertThat(n).isLessThanOrEqualTo(reads.get(2)));
  }

  @Test
  void aPlanRemovedAfterManyRunsReusedIt_isReadOnce_thenBoughtAgain() {
    AgentProvisioner p = h.provisioner();
    for (int i = 0; i < 10; i++) {
      p.provisionAndDeploy(EngineHarness.request().domain(null).project("app-" + i).build());
    }
    FakeOrchestrator.Resource plan = h.orchestrator.resources().stream()
        .filter(r -> r.ref().serviceId().equals("workers:paid")).findFirst().orElseThrow();
    h.orchestrator.remove(plan.ref(), FakeStepContext.create());
    long readsBefore = resourceReads();

    Deployment again = p.provisionAndDeploy(EngineHarness.request().domain(null).project("again").build());

    assertThat(again.spent()).as("no longer active: bought again").containsExactly(Money.usd("5.00"));
    assertThat(resourceReads() - readsBefore)
        .as("the nine runs that reused the removed plan name it too: it is read once, not once per run")
        .isEqualTo(1);
  }

  private long resourceReads() {
    return h.orchestrator.calls().stream().filter(c -> c.method().equals("resource")).count();
  }

  /** A journal that counts reads of runs and steps, by the run they are about. */
  private static final class Counting {
    private final RunJournal journal;
    private final List<RunId> readRuns = new ArrayList<>();

    Counting(RunJournal journal) {
      this.journal = journal;
    }

    synchronized void start() {
      readRuns.clear();
    }

    /** Reads made since {@link #start} about runs other than {@code own}. */
    synchronized int readsOfOtherRuns(RunId own) {
      Set<RunId> others = new HashSet<>(readRuns);
      others.remove(own);
      return (int) readRuns.stream().filter(others::contains).count();
    }

    private synchronized void read(RunId run) {
      readRuns.add(run);
    }

    RunJournal proxy() {
      return (RunJournal) Proxy.newProxyInstance(RunJournal.class.getClassLoader(), new Class<?>[] {RunJournal.class},
          (proxy, method, args) -> {
            if ((method.getName().equals("step") || method.getName().equals("run") || method.getName().equals("steps"))
                && args != null && args[0] instanceof RunId run) {
              read(run);
            }
            try {
              return method.invoke(journal, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }
  }
}
