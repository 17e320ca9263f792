package io.agentprovision.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;

/**
 * A step that waited for another starts on the thread that ended it: the run's chain of steps does
 * not wait, at every link, for another thread of the step executor to be woken and scheduled.
 */
class StepChainThreadTest {
  private static final RunId RUN = RunId.of("run_chain");

  private final ManualTime time = ManualTime.at("2026-11-02T09:00:00Z");
  private final StubCloud cloud = new StubCloud();
  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final ExecutorService runs = Executors.newSingleThreadExecutor();
  private final List<ProvisioningEvent> events = new CopyOnWriteArrayList<>();
  /** The thread each step started on. */
  private final Map<StepId, Thread> startedOn = new ConcurrentHashMap<>();
  private final AtomicInteger handedToExecutor = new AtomicInteger();

  /** The pool, counting the tasks the engine hands it. */
  private final ExecutorService steps = new AbstractExecutorService() {
    @Override
    public void execute(Runnable task) {
      handedToExecutor.incrementAndGet();
      pool.execute(task);
    }

    @Override
    public void shutdown() {
      pool.shutdown();
    }

    @Override
    public List<Runnable> shutdownNow() {
      return pool.shutdownNow();
    }

    @Override
    public boolean isShutdown() {
      return pool.isShutdown();
    }

    @Override
    public boolean isTerminated() {
      return pool.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      return pool.awaitTermination(timeout, unit);
    }
  };

  @AfterEach
  void close() {
    pool.shutdownNow();
    runs.shutdownNow();
  }

  @RepeatedTest(3)
  void stepsWaitingForOneStep_startOnTheThreadThatEndedIt_andTheRunCompletes() {
    AtomicInteger ids = new AtomicInteger();
    EngineConfig config = EngineConfig.builder().orchestrator(cloud).deployer(cloud).identity(cloud)
        .ledger(SpendLedger.inMemory(time)).approvals(r -> ApprovalDecision.approved("ada@example.com", "yes",
            time.instant())).audit(AuditLog.inMemory()).vault(CredentialVault.inMemory())
        .journal(RunJournal.inMemory()).listener(e -> {
          events.add(e);
          if (e instanceof ProvisioningEvent.StepStarted s) {
            startedOn.put(s.step(), Thread.currentThread());
          }
        }).clock(time).sleeper(time).ids(prefix -> prefix + "_" + ids.incrementAndGet()).stepExecutor(steps)
        .runExecutor(runs).build();
    Engine engine = new Engine(config);
    RunPlan plan = engine.plan(ProvisionRequest.builder().agent(AgentId.of("coding-agent-7"))
        .provider(StubCloud.PROVIDER).runId(RUN)
        .app(WorkerApp.builder("my-app").module("index.js", "export default {};").build()).build());

    Deployment d = engine.execute(plan);

    assertThat(d.url()).isNotNull();
    assertThat(events).filteredOn(ProvisioningEvent.StepFinished.class::isInstance)
        .map(e -> ((ProvisioningEvent.StepFinished) e).status()).hasSize(plan.steps().size())
        .containsOnly(StepStatus.SUCCEEDED);
    // the end of the chain: deploy waits only for credentials, verify only for deploy
    assertThat(startedOn.get(DeployStep.ID)).isSameAs(startedOn.get(CredentialsStep.ID));
    assertThat(startedOn.get(VerifyStep.ID)).isSameAs(startedOn.get(DeployStep.ID));
    // only the steps that start beside another one are handed to the executor
    assertThat(handedToExecutor.get()).isLessThan(plan.steps().size());
    assertThat(config.journal().run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
  }
}
