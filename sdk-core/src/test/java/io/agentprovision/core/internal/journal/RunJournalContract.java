package io.agentprovision.core.internal.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.RunJournal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What every {@link RunJournal} must do; each store's test extends this. */
public abstract class RunJournalContract {
  static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");

  protected abstract RunJournal journal();

  static RunRecord run(String id, Instant created) {
    return new RunRecord(RunId.of(id), AgentId.of("coding-agent-7"), "cloudflare", RunStatus.PLANNED,
        "{\"plan\":\"workers:paid\"}", created, created, null, 0);
  }

  static StepRecord step(String run, String step) {
    return StepRecord.builder(RunId.of(run), StepId.of(step)).idempotencyKey(run + ":" + step + ":key").updatedAt(T0)
        .build();
  }

  @Test
  public void saveRun_followsTheCompareAndSetRule() {
    RunJournal j = journal();
    RunRecord v0 = run("run_1", T0);
    RunRecord v1 = v0.next(RunStatus.RUNNING, null, T0.plusSeconds(1));

    assertThat(j.saveRun(v1)).as("version 1 with nothing stored").isFalse();
    assertThat(j.saveRun(v0)).isTrue();
    assertThat(j.saveRun(v0)).as("a second version 0").isFalse();
    assertThat(j.saveRun(v1)).isTrue();
    assertThat(j.saveRun(v1)).as("a stale version").isFalse();
    assertThat(j.saveRun(v1.next(RunStatus.FAILED, "x", T0).next(RunStatus.FAILED, "y", T0))).as("a skipped version")
        .isFalse();
    assertThat(j.run(RunId.of("run_1"))).contains(v1);
  }

  @Test
  public void saveStepResult_storesTheStepAsSaveStepDoes_underTheSameVersionCheck() {
    RunJournal j = journal();
    j.saveRun(run("run_1", T0));
    StepRecord running = step("run_1", "plan").toBuilder().status(StepStatus.RUNNING).attempts(1).build();
    assertThat(j.saveStep(running)).isTrue();
    StepRecord done = running.next(T0.plusSeconds(1)).status(StepStatus.SUCCEEDED).output("{\"id\":\"res_1\"}").build();

    assertThat(j.saveStepResult(done.next(T0).build())).as("a skipped version").isFalse();
    assertThat(j.saveStepResult(done)).isTrue();
    assertThat(j.saveStepResult(done)).as("another host's copy of the same version").isFalse();
    assertThat(j.step(RunId.of("run_1"), StepId.of("plan"))).contains(done);
    assertThat(j.steps(RunId.of("run_1"))).containsExactly(done);
  }

  @Test
  public void runsFiledUnderAKey_areTheRunsFiledUnderIt_orNothingWhenTheJournalKeepsNoIndex() {
    RunJournal j = journal();
    boolean kept = j.fileRun(RunId.of("run_1"), "person-a");
    assertThat(j.fileRun(RunId.of("run_2"), "person-b")).isEqualTo(kept);
    assertThat(j.fileRun(RunId.of("run_3"), "person-a")).isEqualTo(kept);
    assertThat(j.fileRun(RunId.of("run_1"), "person-a")).as("filed again").isEqualTo(kept);

    if (kept) {
      List<RunId> before = j.runsFiledUnder("person-a").orElseThrow();
      assertThat(before).as("in the order first filed").containsExactly(RunId.of("run_1"), RunId.of("run_3"));
      j.fileRun(RunId.of("run_4"), "person-a");
      assertThat(j.runsFiledUnder("person-a").orElseThrow()).as("the newest last")
          .containsExactly(RunId.of("run_1"), RunId.of("run_3"), RunId.of("run_4"));
      assertThat(before).as("a list answered before does not change").containsExactly(RunId.of("run_1"),
          RunId.of("run_3"));
      assertThat(j.runsFiledUnder("person-b").orElseThrow()).containsExactly(RunId.of("run_2"));
      assertThat(j.runsFiledUnder("person-c").orElseThrow()).isEmpty();
    } else {
      assertThat(j.runsFiledUnder("person-a")).as("callers read the runs instead").isEmpty();
    }
  }

  @Test
  public void saveRun_keepsEveryField() {
    RunJournal j = journal();
    RunRecord v0 = run("run_1", T0);
    j.saveRun(v0);
    RunRecord failed = v0.next(RunStatus.FAILED, "provider said no \"quota\"\nline two", T0.plusMillis(1234));

    j.saveRun(failed);

    assertThat(j.run(RunId.of("run_1"))).contains(failed);
  }

  @Test
  public void run_whenUnknown_isEmpty() {
    assertThat(journal().run(RunId.of("missing"))).isEmpty();
    assertThat(journal().steps(RunId.of("missing"))).isEmpty();
    assertThat(journal().step(RunId.of("missing"), StepId.of("deploy"))).isEmpty();
  }

  @Test
  public void saveStep_followsTheCompareAndSetRule() {
    RunJournal j = journal();
    j.saveRun(run("run_1", T0));
    StepRecord v0 = step("run_1", "deploy");
    StepRecord v1 = v0.next(T0.plusSeconds(1)).status(StepStatus.RUNNING).attempts(1).build();
    StepRecord v2 = v1.next(T0.plusSeconds(2)).status(StepStatus.SUCCEEDED)
        .output("{\"app\":{\"script\":\"my-app\",\"url\":\"https://my-app.example\"}}").build();

    assertThat(j.saveStep(v1)).isFalse();
    assertThat(j.saveStep(v0)).isTrue();
    assertThat(j.saveStep(v1)).isTrue();
    assertThat(j.saveStep(v1)).isFalse();
    assertThat(j.saveStep(v2)).isTrue();

    assertThat(j.step(RunId.of("run_1"), StepId.of("deploy"))).contains(v2);
  }

  @Test
  public void saveStep_keepsEveryField_outputReservationsDecisionsAndProgress() {
    RunJournal j = journal();
    StepRecord v0 = step("run_1", "domain");
    j.saveStep(v0);
    CheckpointDecision denied = new CheckpointDecision(1, "apr_1", CheckpointKind.STEP_UP, "f1",
        ApprovalDecision.Outcome.DENIED, "ada@example.com", T0.plusSeconds(3), true);
    CheckpointDecision approved = new CheckpointDecision(2, "apr_2", CheckpointKind.DOMAIN_PURCHASE, "f2",
        ApprovalDecision.Outcome.APPROVED, "ada@example.com", T0.plusSeconds(4), false,
        "eyJhbGciOiJFUzI1NiJ9.eyJydW4iOiJydW5fMSJ9.c2ln"); // a signed receipt must survive the store
    StepRecord v1 = v0.next(T0.plusSeconds(5)).status(StepStatus.FAILED).attempts(2)
        .output("{\"domain\":\"my-app.com\",\"charged\":\"USD 10.44\"}").progress("{\"resourceId\":\"res_\\\"7\"}")
        .reservation("run_1:domain:1").reservation("run_1:domain:1/r1").decision(approved).decision(denied)
        .error("provider said no \"quota\"\nline two").build();

    assertThat(j.saveStep(v1)).isTrue();

    StepRecord read = j.step(RunId.of("run_1"), StepId.of("domain")).orElseThrow();
    assertThat(read).isEqualTo(v1);
    assertThat(read.reservations()).containsExactly("run_1:domain:1", "run_1:domain:1/r1");
    assertThat(read.decisions()).extracting(CheckpointDecision::sequence).containsExactly(1, 2);
    assertThat(read.decision(2)).contains(approved);
    assertThat(read.decision(2).orElseThrow().receipt()).isEqualTo(approved.receipt());
    assertThat(read.decision(1).orElseThrow().receipt()).isNull();
    assertThat(read.decision(3)).isEmpty();
  }

  @Test
  public void steps_areInTheOrderFirstSaved() {
    RunJournal j = journal();
    j.saveRun(run("run_1", T0));
    StepRecord account = step("run_1", "account");
    j.saveStep(step("run_1", "plan:workers:paid"));
    j.saveStep(account);
    j.saveStep(step("run_1", "deploy"));
    j.saveStep(account.next(T0).status(StepStatus.SUCCEEDED).attempts(1).build()); // an update keeps its place

    assertThat(j.steps(RunId.of("run_1"))).extracting(s -> s.step().value())
        .containsExactly("plan:workers:paid", "account", "deploy");
    assertThat(j.steps(RunId.of("run_1")).get(1).status()).isEqualTo(StepStatus.SUCCEEDED);
  }

  @Test
  public void steps_ofOneRun_doNotSeeAnothersSteps() {
    RunJournal j = journal();
    j.saveStep(step("run_1", "deploy"));
    j.saveStep(step("run_2", "deploy"));

    assertThat(j.steps(RunId.of("run_1"))).extracting(StepRecord::run).containsExactly(RunId.of("run_1"));
  }

  @Test
  public void runs_filtersByStatusAndOrdersOldestFirst() {
    RunJournal j = journal();
    j.saveRun(run("run_c", T0.plusSeconds(30)));
    j.saveRun(run("run_a", T0.plusSeconds(10)));
    j.saveRun(run("run_b", T0.plusSeconds(10)));
    RunRecord d = run("run_d", T0);
    j.saveRun(d);
    j.saveRun(d.next(RunStatus.RUNNING, null, T0.plusSeconds(40)));
    RunRecord e = run("run_e", T0.plusSeconds(50));
    j.saveRun(e);
    j.saveRun(e.next(RunStatus.SUSPENDED, "waiting", T0.plusSeconds(60)));

    assertThat(j.runs()).extracting(r -> r.id().value()).containsExactly("run_d", "run_a", "run_b", "run_c", "run_e");
    assertThat(j.runs(RunStatus.PLANNED)).extracting(r -> r.id().value()).containsExactly("run_a", "run_b", "run_c");
    assertThat(j.runs(RunStatus.RUNNING, RunStatus.SUSPENDED)).extracting(r -> r.id().value())
        .containsExactly("run_d", "run_e");
    assertThat(j.runs(RunStatus.SUCCEEDED)).isEmpty();
  }

  @Test
  public void runs_skipRunsThatHaveOnlySteps() {
    RunJournal j = journal();
    j.saveStep(step("run_1", "deploy"));

    assertThat(j.runs()).isEmpty();
  }

  @Test
  public void saveRun_fromConcurrentWriters_exactlyOneWins() throws Exception {
    RunJournal j = journal();
    RunRecord v0 = run("run_1", T0);
    j.saveRun(v0);
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      String host = "host-" + i;
      results.add(pool.submit(() -> {
        start.await();
        return j.saveRun(v0.next(RunStatus.RUNNING, host, T0.plusSeconds(1)));
      }));
    }
    start.countDown();
    int wins = 0;
    for (Future<Boolean> f : results) {
      wins += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
    }
    pool.shutdown();

    assertThat(wins).isEqualTo(1);
    assertThat(j.run(RunId.of("run_1")).orElseThrow().version()).isEqualTo(1);
  }

  @Test
  public void saveStep_fromConcurrentWriters_exactlyOneStartsTheStep() throws Exception {
    RunJournal j = journal();
    StepRecord v0 = step("run_1", "domain");
    j.saveStep(v0);
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      results.add(pool.submit(() -> {
        start.await();
        return j.saveStep(v0.next(T0).status(StepStatus.RUNNING).attempts(1).build());
      }));
    }
    start.countDown();
    int wins = 0;
    for (Future<Boolean> f : results) {
      wins += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
    }
    pool.shutdown();

    assertThat(wins).isEqualTo(1);
  }

  @Test
  public void saveStep_fromManyRunsInParallel_losesNothing() throws Exception {
    RunJournal j = journal();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> done = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      String run = "run_" + r;
      done.add(pool.submit(() -> {
        j.saveRun(run(run, T0));
        for (int s = 0; s < 10; s++) {
          j.saveStep(step(run, "s" + s));
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();

    assertThat(j.runs()).hasSize(4);
    for (int r = 0; r < 4; r++) {
      assertThat(j.steps(RunId.of("run_" + r))).hasSize(10);
    }
  }
}
