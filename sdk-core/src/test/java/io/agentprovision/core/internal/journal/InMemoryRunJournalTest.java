package io.agentprovision.core.internal.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.spi.RunJournal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryRunJournalTest extends RunJournalContract {
  @Override
  protected RunJournal journal() {
    return RunJournal.inMemory();
  }

  @Test
  void keepsAnIndexOfRunsByKey_soAPersonsRunsAreFoundWithoutReadingEveryRun() {
    RunJournal j = journal();
    assertThat(j.fileRun(RunId.of("run_1"), "person-a")).isTrue();
    assertThat(j.runsFiledUnder("person-a")).hasValueSatisfying(ids -> assertThat(ids).containsExactly(RunId.of("run_1")));
  }

  // Runs no longer share one lock: each of these races what a shared monitor used to serialise.

  @Test
  void leaseOnOneName_wantedByManyHostsAtOnce_goesToExactlyOne_andOtherNamesAreEachGranted() throws Exception {
    RunJournal j = journal();
    List<Optional<Lease>> same = race(16, i -> j.acquireLease("person:p/stripe", "host-" + i, T0, T0.plusSeconds(60)));
    List<Optional<Lease>> own = race(16, i -> j.acquireLease("run:run_" + i, "host-" + i, T0, T0.plusSeconds(60)));

    assertThat(same.stream().filter(Optional::isPresent)).hasSize(1);
    Lease winner = same.stream().flatMap(Optional::stream).findFirst().orElseThrow();
    assertThat(j.lease("person:p/stripe")).contains(winner);
    assertThat(own).allSatisfy(l -> assertThat(l).isPresent());
    // the winner's release and a loser's next acquire: the token keeps counting for the name
    assertThat(j.releaseLease(winner)).isTrue();
    Lease next = j.acquireLease("person:p/stripe", "host-late", T0, T0.plusSeconds(60)).orElseThrow();
    assertThat(next.token()).isGreaterThan(winner.token());
  }

  @Test
  void approvalSavedByManyHostsAtOnce_isStoredOnce_andListedOnlyUnderItsRun() throws Exception {
    RunJournal j = journal();
    ApprovalRecord v0 = approval("ap_1", "run_1");
    List<Boolean> saved = race(8, i -> j.saveApproval(v0));
    race(8, i -> j.saveApproval(approval("ap_other_" + i, "run_2")));

    assertThat(saved.stream().filter(b -> b)).hasSize(1);
    assertThat(j.approvalsOf(RunId.of("run_1"))).containsExactly(v0);
    assertThat(j.approvalsOf(RunId.of("run_2"))).hasSize(8);
    assertThat(j.approvalsOf(RunId.of("run_3"))).isEmpty();
    ApprovalRecord v1 = v0.next(T0.plusSeconds(1)).status(ApprovalRecord.Status.WITHDRAWN).build();
    assertThat(j.saveApproval(v1)).isTrue();
    assertThat(j.saveApproval(v1)).isFalse();
    assertThat(j.approvalsOf(RunId.of("run_1"))).containsExactly(v1);
  }

  @Test
  void runsFiledUnderOneKeyByManyThreads_areEachListedOnce() throws Exception {
    RunJournal j = journal();
    race(16, i -> j.fileRun(RunId.of("run_" + (i % 8)), "person-a"));

    assertThat(j.runsFiledUnder("person-a").orElseThrow())
        .hasSize(8)
        .doesNotHaveDuplicates();
  }

  @Test
  void stepsOfOneRunSavedFromManyThreads_areAllKept_eachOnce() throws Exception {
    RunJournal j = journal();
    race(16, i -> j.saveStep(step("run_1", "s" + (i % 8))));

    List<StepRecord> steps = j.steps(RunId.of("run_1"));
    assertThat(steps).hasSize(8);
    assertThat(steps).extracting(StepRecord::step).doesNotHaveDuplicates();
  }

  private static ApprovalRecord approval(String id, String run) {
    return new ApprovalRecord.Builder(id, RunId.of(run), StepId.of("domain"), 1, AgentId.of("coding-agent-7"),
        CheckpointKind.DOMAIN_PURCHASE, "Buy example.com", "a domain", "fp", T0, T0.plusSeconds(3600)).build();
  }

  /** Runs {@code n} calls at once, released together; their answers in call order. */
  private static <T> List<T> race(int n, Call<T> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i;
      Callable<T> c = () -> {
        start.await();
        return call.of(k);
      };
      futures.add(pool.submit(c));
    }
    start.countDown();
    List<T> out = new ArrayList<>();
    for (Future<T> f : futures) {
      out.add(f.get(60, TimeUnit.SECONDS));
    }
    pool.shutdown();
    return out;
  }

  private interface Call<T> {
    T of(int i);
  }
}
