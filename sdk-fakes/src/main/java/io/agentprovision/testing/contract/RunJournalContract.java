package io.agentprovision.testing.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.ApprovalRecord;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.RunJournal;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link RunJournal} contract as a JUnit test: extend it with a factory of empty journals
 * (and, for stores that persist, {@link #reopen}) and every implementation is held to the same
 * rules: compare-and-set of runs, steps and approvals on {@code version}, leases exactly as the
 * interface documents them, parked approvals listed by run and by status, oldest first.
 *
 * <pre>{@code
 * class FileRunJournalContractTest extends RunJournalContract {
 *   @TempDir Path dir;
 *   @Override protected RunJournal newJournal() { return RunJournal.directory(dir); }
 *   @Override protected RunJournal reopen(RunJournal j) { return RunJournal.directory(dir); }
 * }
 * }</pre>
 *
 * <p>Times are passed in, as the engine passes its clock's: nothing here waits.
 */
public abstract class RunJournalContract {
  /** When every test's clock starts. */
  protected static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");
  private static final Duration TTL = Duration.ofSeconds(60);
  private static final RunId RUN = RunId.of("run_contract_1");
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  /** The journal under test, new and empty for each test. */
  @SuppressWarnings("NullAway.Init") // set before each test
  protected RunJournal journal;

  /** A new, empty journal. Called once per test. */
  protected abstract RunJournal newJournal() throws Exception;

  /**
   * The same store seen by another host, or opened again after a restart. The default returns
   * {@code journal} itself (a store that lives in one process).
   */
  protected RunJournal reopen(RunJournal journal) throws Exception {
    return journal;
  }

  @BeforeEach
  void openJournal() throws Exception {
    journal = newJournal();
  }

  @AfterEach
  void closeJournal() throws Exception {
    if (journal instanceof AutoCloseable c) {
      c.close();
    }
  }

  // ---- runs and steps --------------------------------------------------------------------------

  private static RunRecord run(RunId id, Instant created) {
    return RunRecord.builder(id, AGENT, "cloudflare", "{\"plan\":\"workers:paid\"}").status(RunStatus.RUNNING)
        .createdAt(created).build();
  }

  @Test
  void saveRun_whenVersionFollowsTheStoredOne_storesIt_andRefusesAStaleWrite() throws Exception {
    RunRecord v0 = run(RUN, T0);
    assertTrue(journal.saveRun(v0), "version 0 of a new run is stored");
    assertFalse(journal.saveRun(v0), "a second version 0 is refused");
    RunRecord v1 = v0.next(RunStatus.AWAITING_APPROVAL, null, T0.plusSeconds(1));
    assertTrue(journal.saveRun(v1));
    assertFalse(journal.saveRun(v0.next(RunStatus.FAILED, "stale", T0.plusSeconds(2))), "a stale version 1 is refused");
    RunJournal other = reopen(journal);
    assertEquals(Optional.of(v1), other.run(RUN));
    assertEquals(List.of(v1), other.runs(RunStatus.AWAITING_APPROVAL));
    assertEquals(List.of(), other.runs(RunStatus.RUNNING));
  }

  @Test
  void runs_areListedOldestFirst_filteredByStatus() {
    RunRecord b = run(RunId.of("run_b"), T0.plusSeconds(5));
    RunRecord a = run(RunId.of("run_a"), T0);
    journal.saveRun(b);
    journal.saveRun(a);
    assertEquals(List.of(a, b), journal.runs());
    assertEquals(List.of(a, b), journal.runs(RunStatus.RUNNING, RunStatus.SUCCEEDED));
  }

  @Test
  void runsFiledUnder_answersTheRunsFiledUnderTheKey_orNothingWhenNoIndexIsKept() {
    RunId other = RunId.of("run_contract_2");
    RunId third = RunId.of("run_contract_3");
    boolean kept = journal.fileRun(RUN, "person-a");
    assertEquals(kept, journal.fileRun(other, "person-b"), "one journal keeps the index for every key or for none");
    assertEquals(kept, journal.fileRun(third, "person-a"));
    assertEquals(kept, journal.fileRun(RUN, "person-a"), "filing a run again changes nothing");
    if (kept) {
      List<RunId> before = journal.runsFiledUnder("person-a").orElseThrow();
      assertEquals(List.of(RUN, third), before, "each run once, in the order first filed");
      RunId fourth = RunId.of("run_contract_4");
      journal.fileRun(fourth, "person-a");
      assertEquals(List.of(RUN, third, fourth), journal.runsFiledUnder("person-a").orElseThrow(), "the newest last");
      assertEquals(List.of(RUN, third), List.copyOf(before), "a list answered before does not change");
      assertEquals(List.of(other), journal.runsFiledUnder("person-b").orElseThrow());
      assertEquals(List.of(), journal.runsFiledUnder("person-c").orElseThrow());
    } else {
      assertEquals(Optional.empty(), journal.runsFiledUnder("person-a"), "callers then read the runs instead");
    }
  }

  @Test
  void saveStep_isCompareAndSet_andStepsKeepTheOrderFirstSaved() throws Exception {
    StepRecord plan = StepRecord.builder(RUN, StepId.of("plan")).status(StepStatus.RUNNING).idempotencyKey("ap_1")
        .attempts(1).updatedAt(T0).reservation("run_contract_1:plan:1").build();
    StepRecord account = StepRecord.builder(RUN, StepId.of("account")).status(StepStatus.RUNNING).updatedAt(T0).build();
    assertTrue(journal.saveStep(plan));
    assertTrue(journal.saveStep(account));
    assertFalse(journal.saveStep(plan), "the same version twice is refused");
    StepRecord done = plan.next(T0.plusSeconds(3)).status(StepStatus.SUCCEEDED).output("{\"x\":1}").build();
    assertTrue(journal.saveStep(done));
    RunJournal other = reopen(journal);
    assertEquals(List.of(StepId.of("plan"), StepId.of("account")),
        other.steps(RUN).stream().map(StepRecord::step).toList());
    assertEquals(Optional.of(done), other.step(RUN, StepId.of("plan")));
  }

  @Test
  void saveStepResult_storesTheStepAsSaveStepDoes_andTheNextSaveMakesItDurable() throws Exception {
    StepRecord plan = StepRecord.builder(RUN, StepId.of("plan")).status(StepStatus.RUNNING).idempotencyKey("ap_1")
        .attempts(1).updatedAt(T0).build();
    assertTrue(journal.saveStep(plan));
    StepRecord done = plan.next(T0.plusSeconds(3)).status(StepStatus.SUCCEEDED).output("{\"x\":1}").build();
    assertFalse(journal.saveStepResult(done.next(T0).build()), "a skipped version is refused");
    assertTrue(journal.saveStepResult(done));
    assertFalse(journal.saveStepResult(done), "the same version twice is refused");
    assertEquals(Optional.of(done), journal.step(RUN, StepId.of("plan")));
    // the run's next save (the next step's start) is what a step's result is durable with
    assertTrue(journal.saveStep(StepRecord.builder(RUN, StepId.of("domain")).status(StepStatus.RUNNING)
        .updatedAt(T0).build()));
    assertEquals(Optional.of(done), reopen(journal).step(RUN, StepId.of("plan")));
  }

  // ---- leases ----------------------------------------------------------------------------------

  @Test
  void acquireLease_whenFree_grantsTokenOne_andRefusesAnotherOwnerUntilItExpires() throws Exception {
    Lease a = journal.acquireLease("run:r1", "host-a", T0, T0.plus(TTL)).orElseThrow();
    assertEquals(new Lease("run:r1", "host-a", 1, T0.plus(TTL)), a);
    assertEquals(Optional.empty(), journal.acquireLease("run:r1", "host-b", T0.plus(TTL).minusMillis(1),
        T0.plus(TTL).plusSeconds(60)), "held and unexpired: another owner is refused");
    assertEquals(Optional.of(a), reopen(journal).lease("run:r1"), "every host sees the holder");

    Lease b = reopen(journal).acquireLease("run:r1", "host-b", T0.plus(TTL), T0.plus(TTL).plus(TTL)).orElseThrow();
    assertEquals("host-b", b.owner(), "at its expiry instant the lease is anyone's");
    assertTrue(b.token() > a.token(), "a new tenure has a greater token");
  }

  @Test
  void acquireLease_bySameOwnerWhileHeld_isANewTenure_andTheOldOneCannotRenew() {
    Lease first = journal.acquireLease("run:r1", "host-a", T0, T0.plus(TTL)).orElseThrow();
    Lease again = journal.acquireLease("run:r1", "host-a", T0.plusSeconds(1), T0.plusSeconds(61)).orElseThrow();
    assertTrue(again.token() > first.token(), "a restarted host under the same owner id takes its run back");
    assertEquals(Optional.empty(), journal.renewLease(first, T0.plusSeconds(90)), "the earlier tenure is over");
    assertTrue(journal.renewLease(again, T0.plusSeconds(90)).isPresent());
  }

  @Test
  void renewLease_byTheHolder_extendsIt_evenAfterExpiryWhenNobodyTookIt() {
    Lease a = journal.acquireLease("run:r1", "host-a", T0, T0.plus(TTL)).orElseThrow();
    Lease renewed = journal.renewLease(a, T0.plusSeconds(100)).orElseThrow();
    assertEquals(a.token(), renewed.token(), "renewing keeps the tenure");
    assertEquals(T0.plusSeconds(100), renewed.expiresAt());
    assertEquals(Optional.of(renewed), journal.lease("run:r1"));
    // expired at T0+100 and nobody took it: the holder may still renew
    assertTrue(journal.renewLease(renewed, T0.plusSeconds(200)).isPresent());
    assertEquals(Optional.empty(), journal.acquireLease("run:r1", "host-b", T0.plusSeconds(150),
        T0.plusSeconds(210)), "renewed before anyone took it: still held");
  }

  @Test
  void renewLease_afterAnotherOwnerTookItOver_isRefused_andChangesNothing() {
    Lease a = journal.acquireLease("run:r1", "host-a", T0, T0.plus(TTL)).orElseThrow();
    Lease b = journal.acquireLease("run:r1", "host-b", T0.plusSeconds(61), T0.plusSeconds(121)).orElseThrow();
    assertEquals(Optional.empty(), journal.renewLease(a, T0.plusSeconds(500)), "host-a lost the run");
    assertEquals(Optional.of(b), journal.lease("run:r1"), "the taker's lease is untouched");
    assertFalse(journal.releaseLease(a), "nor can host-a release host-b's lease");
    assertEquals(Optional.of(b), journal.lease("run:r1"));
  }

  @Test
  void releaseLease_freesTheName_andTokensKeepCountingAfterIt() throws Exception {
    Lease a = journal.acquireLease("run:r1", "host-a", T0, T0.plus(TTL)).orElseThrow();
    assertTrue(journal.releaseLease(a));
    assertFalse(journal.releaseLease(a), "released once");
    assertEquals(Optional.empty(), reopen(journal).lease("run:r1"));
    assertEquals(Optional.empty(), journal.renewLease(a, T0.plusSeconds(30)), "a released lease cannot be renewed");
    Lease b = journal.acquireLease("run:r1", "host-b", T0.plusSeconds(1), T0.plusSeconds(61)).orElseThrow();
    assertTrue(b.token() > a.token(), "tokens never repeat for a name, even after a release");
  }

  @Test
  void leases_ofDifferentNames_areIndependent() {
    Lease r1 = journal.acquireLease("run:r1", "host-a", T0, T0.plus(TTL)).orElseThrow();
    Lease r2 = journal.acquireLease("run:r2", "host-b", T0, T0.plus(TTL)).orElseThrow();
    assertTrue(r2.token() >= 1, "tokens may be counted per name or across names");
    assertTrue(journal.releaseLease(r1));
    assertEquals(Optional.of(r2), journal.lease("run:r2"));
    assertTrue(journal.renewLease(r2, T0.plusSeconds(90)).isPresent(), "r1's release leaves r2's tenure alone");
  }

  @Test
  void acquireLease_whenUntilIsNotAfterNow_isRefusedAsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> journal.acquireLease("run:r1", "host-a", T0, T0));
    assertEquals(Optional.empty(), journal.lease("run:r1"));
  }

  @Test
  void acquireLease_raceOfManyOwners_grantsExactlyOne() throws Exception {
    int hosts = 8;
    ExecutorService pool = Executors.newFixedThreadPool(hosts);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Optional<Lease>>> tries = new ArrayList<>();
      for (int i = 0; i < hosts; i++) {
        String owner = "host-" + i;
        RunJournal view = reopen(journal);
        Callable<Optional<Lease>> attempt = () -> {
          start.await();
          return view.acquireLease("run:contended", owner, T0, T0.plus(TTL));
        };
        tries.add(pool.submit(attempt));
      }
      start.countDown();
      List<Lease> granted = new ArrayList<>();
      for (Future<Optional<Lease>> f : tries) {
        f.get(30, TimeUnit.SECONDS).ifPresent(granted::add);
      }
      assertEquals(1, granted.size(), "one host wins the run: " + granted);
      assertEquals(Optional.of(granted.get(0)), journal.lease("run:contended"));
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- parked approvals ------------------------------------------------------------------------

  /** A pending approval of {@code run}'s plan step asked at {@code at}. */
  protected static ApprovalRecord pendingApproval(String id, RunId run, Instant at) {
    return new ApprovalRecord.Builder(id, run, StepId.of("plan"), 1, AGENT, CheckpointKind.PAID_PLAN,
        "Pay USD 5.00 for workers:paid", "policy requires a human above USD 0.00", "fp-" + id, at,
        at.plus(Duration.ofMinutes(15))).cost(Money.usd("5.00")).url(URI.create("https://example.com/approve"))
        .details(Map.of("service", "workers:paid")).principal("Ada <ada@example.com>").build();
  }

  @Test
  void saveApproval_isCompareAndSet_andAnApprovalIsDecidedOnce() throws Exception {
    ApprovalRecord pending = pendingApproval("apr_1", RUN, T0);
    assertTrue(journal.saveApproval(pending));
    assertFalse(journal.saveApproval(pending), "an id is stored once");
    ApprovalRecord approved = pending.decided(ApprovalDecision.approved("ada@example.com", "fine", T0), T0.plusSeconds(5),
        null);
    ApprovalRecord denied = pending.decided(ApprovalDecision.denied("bob@example.com", "no", T0), T0.plusSeconds(5),
        null);
    assertTrue(journal.saveApproval(approved), "the first decision is stored");
    assertFalse(journal.saveApproval(denied), "a second decision of the same version is refused");
    ApprovalRecord read = reopen(journal).approval("apr_1").orElseThrow();
    assertEquals(approved, read, "every field survives the store");
    assertEquals(ApprovalDecision.Outcome.APPROVED, read.outcome());
    assertEquals(Optional.empty(), journal.approval("apr_unknown"));
  }

  @Test
  void approvals_areListedByRunAndByStatus_oldestFirst() throws Exception {
    RunId other = RunId.of("run_contract_2");
    ApprovalRecord late = pendingApproval("apr_b", RUN, T0.plusSeconds(20));
    ApprovalRecord early = pendingApproval("apr_c", other, T0.plusSeconds(10));
    ApprovalRecord first = pendingApproval("apr_a", RUN, T0);
    journal.saveApproval(late);
    journal.saveApproval(early);
    journal.saveApproval(first);
    ApprovalRecord decided = first.decided(ApprovalDecision.denied("ada@example.com", "no", T0), T0.plusSeconds(30),
        "approvals/apr_a");
    journal.saveApproval(decided);

    RunJournal view = reopen(journal);
    assertEquals(List.of(decided, late), view.approvalsOf(RUN));
    assertEquals(List.of(early), view.approvalsOf(other));
    assertEquals(List.of(early, late), view.approvals(ApprovalRecord.Status.PENDING));
    assertEquals(List.of(decided), view.approvals(ApprovalRecord.Status.DECIDED));
    assertEquals(List.of(decided, early, late), view.approvals());
    assertEquals("approvals/apr_a", view.approval("apr_a").orElseThrow().handedBack());
  }
}
