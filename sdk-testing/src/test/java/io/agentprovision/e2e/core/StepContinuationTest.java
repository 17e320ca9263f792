package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Deployment;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.StepId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When a step ends and several steps become ready, the thread that ran it goes on with one of them
 * at once and hands the others to the step executor, whose threads must first be woken (on a busy
 * machine, milliseconds each). It goes on with the step the run most likely waits for: the one
 * with the longest chain of steps after it, and of equals a step that buys something, which
 * authorizes the spend (and may step up) before its first request. In the Quickstart's run that is
 * the domain rather than the Worker resource, both ready once the plan is.
 */
class StepContinuationTest {
  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void oneStepThread_goesOnWithTheDomainBeforeTheWorkerResource_whenThePlanMadeBothReady() {
    Deployment d = h.provisioner().provisionAndDeploy(EngineHarness.request().build());

    assertThat(d.verification().live()).isTrue();
    List<String> started = h.events(ProvisioningEvent.StepStarted.class).stream().map(e -> e.step().value()).toList();
    assertThat(started).containsSubsequence("plan", "domain", "resource", "credentials");
    assertThat(started.indexOf("domain")).isEqualTo(started.indexOf("plan") + 1);
  }

  @Test
  void theThreadThatRanThePlan_runsTheDomain_andTheResourceWaitsForAPoolThread() {
    AtomicInteger n = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(16, r -> { // a thread made for each task handed over: none taken back by the thread that ran the plan
      Thread t = new Thread(r, "step-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    h.steps.shutdownNow();
    h.steps = pool;
    Map<StepId, String> threadOf = new ConcurrentHashMap<>();

    Deployment d = h.provisioner(b -> b.listener(e -> {
      if (e instanceof ProvisioningEvent.StepStarted s) {
        threadOf.put(s.step(), Thread.currentThread().getName());
      } else if (e instanceof ProvisioningEvent.StepFinished f && f.step().value().equals("plan")) {
        threadOf.put(StepId.of("plan-finished"), Thread.currentThread().getName());
      }
    })).provisionAndDeploy(EngineHarness.request().build());

    assertThat(d.verification().live()).isTrue();
    assertThat(threadOf.get(StepId.of("domain"))).isEqualTo(threadOf.get(StepId.of("plan-finished")));
    assertThat(threadOf.get(StepId.of("resource"))).isNotEqualTo(threadOf.get(StepId.of("plan-finished")));
  }
}
