package io.agentprovision.core.internal.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.DurabilityException;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.journal.CheckpointDecision;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.StepId;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal attached to a durability barrier writes without forcing; the barrier forces what it
 * owes before every request through an {@link HttpStack} client that may change something, never
 * before a read, and concurrent crossings share one force per file (a group commit).
 */
class DeferredJournalBarrierTest {
  private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");

  @TempDir
  Path dir;

  /** Forces and requests, in the order they happened. */
  private final List<String> wire = new CopyOnWriteArrayList<>();
  private final MockWebServer server = new MockWebServer();
  private final List<DurabilityBarrier> barriers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        wire.add("request " + request.getMethod());
        return request.getMethod().equals("HEAD") ? new MockResponse.Builder().code(200).build()
            : new MockResponse.Builder().code(200).body("{}").build();
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    barriers.forEach(DurabilityBarrier::close); // what the journals owe is forced before the next test
    server.close();
  }

  private DurabilityBarrier barrier() {
    DurabilityBarrier b = new DurabilityBarrier(false);
    barriers.add(b);
    return b;
  }

  private void call(OkHttpClient client, String method) throws Exception {
    RequestBody body = method.equals("GET") || method.equals("HEAD") ? null
        : RequestBody.create("{}", MediaType.get("application/json"));
    try (Response r = client.newCall(new Request.Builder().url(server.url("/things")).method(method, body).build())
        .execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
  }

  @Test
  void aRequestThatMayChangeSomething_goesOutOnlyAfterWhatTheJournalWroteIsForced_aReadWaitsForNothing()
      throws Exception {
    FileRunJournal journal = FileRunJournal.open(dir.resolve("journal"),
        file -> wire.add("force " + file.getFileName()));
    DurabilityBarrier barrier = barrier();
    journal.deferTo(barrier);
    OkHttpClient client = HttpStack.create().client("test", ResiliencePolicy.ofDefaults());
    DurabilityBarrier.Scope run = barrier.enter(); // as the engine does around a step of the provisioner's run

    assertThat(journal.fileRun(RunId.of("run_1"), "person-1")).isTrue();
    assertThat(wire).as("the save returned without a force").isEmpty();
    call(client, "GET");
    call(client, "HEAD");
    call(client, "POST");
    call(client, "PUT"); // nothing written since: nothing to force
    journal.fileRun(RunId.of("run_2"), "person-2");
    call(client, "GET");
    call(client, "DELETE");
    journal.fileRun(RunId.of("run_3"), "person-3");
    call(client, "PATCH");
    run.close();

    assertThat(wire).containsExactly(
        "request GET", "request HEAD",
        "force .filed-runs.json", "request POST",
        "request PUT",
        "request GET",
        "force .filed-runs.json", "request DELETE",
        "force .filed-runs.json", "request PATCH");
    assertThat(FileRunJournal.open(dir.resolve("journal")).runsFiledUnder("person-2").orElseThrow())
        .containsExactly(RunId.of("run_2"));
  }

  /**
   * Given a provisioner, a run's first save writes the run's file where it stays (no temporary file,
   * no rename) and a lease change returns before its force: the file's force, the directory's (which
   * makes the new name durable) and the lease file's are owed to the barrier, forced before the next
   * request that may change something and never before a read. Another process's journal sees the
   * new run and the lease at once.
   */
  @Test
  void aRunsFirstFileAndItsLease_areForcedBeforeTheFirstChangingRequest_notBeforeAReadNorWhenWritten()
      throws Exception {
    Path journalDir = dir.resolve("journal");
    FileRunJournal journal = FileRunJournal.open(journalDir, file -> wire.add("force " + file.getFileName()));
    DurabilityBarrier barrier = barrier();
    journal.deferTo(barrier);
    OkHttpClient client = HttpStack.create().client("test", ResiliencePolicy.ofDefaults());
    DurabilityBarrier.Scope run = barrier.enter();

    // the lease file's first change writes it whole (atomically and forced, once per directory)
    journal.acquireLease("run:run_0", "host-a", T0, T0.plusSeconds(60)).orElseThrow();
    Lease lease = journal.acquireLease("run:run_1", "host-a", T0, T0.plusSeconds(60)).orElseThrow();
    RunRecord v0 = new RunRecord(RunId.of("run_1"), AgentId.of("coding-agent-7"), "cloudflare", RunStatus.PLANNED,
        "{}", T0, T0, null, 0);
    assertThat(journal.saveRun(v0)).isTrue();
    Path runFile = journal.fileOf(RunId.of("run_1"));
    assertThat(wire).as("the lease and the new run file returned unforced").isEmpty();

    // another process's journal: the run is there, and the lease keeps it off the run
    FileRunJournal other = FileRunJournal.open(journalDir);
    assertThat(other.run(RunId.of("run_1"))).hasValue(v0);
    assertThat(other.lease("run:run_1")).map(Lease::owner).hasValue("host-a");
    assertThat(other.acquireLease("run:run_1", "host-b", T0.plusSeconds(1), T0.plusSeconds(61))).isEmpty();

    call(client, "GET");
    assertThat(wire).as("a read waits for nothing").containsExactly("request GET");
    call(client, "POST");
    assertThat(wire).as("the three forces, each once, all before the request").hasSize(5)
        .startsWith("request GET").endsWith("request POST")
        .contains("force .leases.json", "force " + runFile.getFileName(), "force journal");

    // a renewal too is owed, and forced before the next request that may change something
    journal.renewLease(lease, T0.plusSeconds(120)).orElseThrow();
    assertThat(wire).hasSize(5);
    call(client, "PUT");
    run.close();
    assertThat(wire.subList(5, wire.size())).containsExactly("force .leases.json", "request PUT");
    assertThat(FileRunJournal.open(journalDir).lease("run:run_1")).map(Lease::expiresAt)
        .hasValue(T0.plusSeconds(120));
  }

  /**
   * A machine that stops between a run's first save and the barrier's crossing may come back with
   * no file, an empty one, part of its first line or zeros where the kernel had allocated its blocks.
   * Each is read as no run (by any journal, listing included: nothing that depended on the file left
   * the process), and the run's next save writes the file whole. What a stop cannot leave (a whole
   * line without its newline that is not a header) is still refused as damaged.
   */
  @Test
  void aRunsFirstFileCutShortByAStop_isReadAsNoRun_andTheNextSaveWritesItWhole() throws Exception {
    FileRunJournal journal = FileRunJournal.open(dir.resolve("written"), file -> { });
    journal.deferTo(barrier());
    RunId id = RunId.of("run_1");
    RunRecord v0 = new RunRecord(id, AgentId.of("coding-agent-7"), "cloudflare", RunStatus.PLANNED,
        "{}", T0, T0, null, 0);
    journal.saveRun(v0);
    Path name = journal.fileOf(id).getFileName();
    byte[] whole = Files.readAllBytes(journal.fileOf(id));
    int header = JsonLines.indexOf(whole, 0);

    Map<String, byte[]> stops = new java.util.LinkedHashMap<>();
    stops.put("an empty file", new byte[0]);
    stops.put("part of the header", java.util.Arrays.copyOf(whole, 12));
    stops.put("the header without its newline", java.util.Arrays.copyOf(whole, header));
    stops.put("the header and part of the run's line", java.util.Arrays.copyOf(whole, header + 20));
    stops.put("blocks allocated and never written", new byte[whole.length]);
    stops.put("part of the header, then zeros", java.util.Arrays.copyOf(java.util.Arrays.copyOf(whole, 12), whole.length));
    int n = 0;
    for (Map.Entry<String, byte[]> stop : stops.entrySet()) {
      Path d = dir.resolve("stop-" + n++);
      Files.createDirectories(d);
      Files.write(d.resolve(name), stop.getValue());
      FileRunJournal after = FileRunJournal.open(d);
      assertThat(after.run(id)).as(stop.getKey()).isEmpty();
      assertThat(after.runs()).as(stop.getKey()).isEmpty();

      FileRunJournal resumed = FileRunJournal.open(d, file -> { });
      resumed.deferTo(barrier());
      assertThat(resumed.saveRun(v0)).as(stop.getKey()).isTrue();
      assertThat(FileRunJournal.open(d).run(id)).as(stop.getKey()).hasValue(v0);
      assertThat(Files.readAllBytes(d.resolve(name))).as(stop.getKey()).isEqualTo(whole);
    }

    byte[] joined = new String(whole, java.nio.charset.StandardCharsets.UTF_8).replace("\n", "")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Path d = dir.resolve("no-stop");
    Files.createDirectories(d);
    Files.write(d.resolve(name), joined);
    assertThatThrownBy(() -> FileRunJournal.open(d).run(id)).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("unreadable");
  }

  @Test
  void aRequestCrossesOnlyTheBarrierOfTheRunThatSendsIt_oneThatCannotForceFailsOnlyItsOwnRequests() throws Exception {
    List<String> forced = new CopyOnWriteArrayList<>();
    FileRunJournal mine = FileRunJournal.open(dir.resolve("mine"), file -> forced.add("mine"));
    FileRunJournal broken = FileRunJournal.open(dir.resolve("broken"), file -> {
      throw new java.nio.file.NoSuchFileException(file.toString()); // its directory was deleted
    });
    DurabilityBarrier myBarrier = barrier();
    DurabilityBarrier brokenBarrier = barrier();
    mine.deferTo(myBarrier);
    broken.deferTo(brokenBarrier);
    OkHttpClient client = HttpStack.create().client("test", ResiliencePolicy.ofDefaults());
    broken.fileRun(RunId.of("run_b"), "person-b");
    mine.fileRun(RunId.of("run_1"), "person-1");

    call(client, "POST"); // sent outside any provisioner's run: crosses no barrier
    assertThat(forced).isEmpty();
    try (DurabilityBarrier.Scope s = myBarrier.enter()) {
      call(client, "POST"); // the other provisioner's broken files are none of this run's business
    }
    assertThat(forced).containsExactly("mine");
    assertThat(wire).containsExactly("request POST", "request POST");

    try (DurabilityBarrier.Scope s = brokenBarrier.enter()) {
      assertThatThrownBy(() -> call(client, "POST"))
          .isInstanceOf(DurabilityException.class)
          .hasMessageContaining("cannot force the provisioner's file stores to disk")
          .hasMessageContaining("check that the stores' directory exists");
      call(client, "GET"); // a read waits for nothing
      try (DurabilityBarrier.Scope inner = myBarrier.enter()) {
        mine.fileRun(RunId.of("run_2"), "person-2");
        call(client, "DELETE"); // the barrier entered last is the one crossed
      }
    }
    assertThat(wire).as("the broken provisioner's POST never went out").containsExactly(
        "request POST", "request POST", "request GET", "request DELETE");
    assertThat(forced).containsExactly("mine", "mine");

    // a request tagged with a barrier crosses that one, whatever the thread entered
    mine.fileRun(RunId.of("run_3"), "person-3");
    try (Response r = client.newCall(new Request.Builder().url(server.url("/things"))
        .post(RequestBody.create("{}", MediaType.get("application/json"))).tag(DurabilityBarrier.class, myBarrier)
        .build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(forced).containsExactly("mine", "mine", "mine");
    barriers.remove(brokenBarrier); // it cannot close cleanly: its files cannot be forced
  }

  /**
   * The kernel may write a file's pages back before any force, so ordering the forces alone cannot
   * keep a run file's line (a step ended: it is not run again) from reaching the disk before what the
   * step wrote to the other stores (its reservation's commit, its audit entries). A run file's line
   * is therefore written only once what the other stores owed the barrier before it is on disk.
   */
  @Test
  void aRunFilesLine_isWrittenOnlyOnceWhatTheOtherStoresOwedBeforeItIsOnDisk() throws Exception {
    Path journalDir = dir.resolve("journal");
    FileRunJournal journal = FileRunJournal.open(journalDir, file -> wire.add("force " + file.getFileName()));
    DurabilityBarrier barrier = barrier();
    journal.deferTo(barrier);
    RunRecord v0 = new RunRecord(RunId.of("run_1"), AgentId.of("coding-agent-7"), "cloudflare", RunStatus.PLANNED,
        "{}", T0, T0, null, 0);
    assertThat(journal.saveRun(v0)).isTrue();
    Path runFile = journal.fileOf(RunId.of("run_1"));
    long lengthBefore = Files.size(runFile);

    /** The ledger's commit of the step, written and not yet forced: a debt of the first phase. */
    final class LedgerCommit implements DurabilityBarrier.Debt {
      volatile boolean onDisk;
      volatile long runFileAtForce = -1;

      @Override
      public void settle() throws java.io.IOException {
        runFileAtForce = Files.size(runFile);
        wire.add("force ledger");
        onDisk = true;
      }

      @Override
      public boolean settled() {
        return onDisk;
      }
    }
    LedgerCommit commit = new LedgerCommit();
    barrier.owe(commit);

    RunRecord v1 = v0.next(RunStatus.RUNNING, null, T0.plusSeconds(1));
    assertThat(journal.saveRun(v1)).isTrue();

    assertThat(commit.onDisk).as("the ledger's commit forced before the run's line was written").isTrue();
    assertThat(commit.runFileAtForce).as("the run file when the ledger was forced: without the new line")
        .isEqualTo(lengthBefore);
    assertThat(Files.size(runFile)).as("the line written after").isGreaterThan(lengthBefore);
    assertThat(wire).as("the run file's own force still owed to the barrier").containsExactly("force ledger");

    // a step's start claims nothing done: it does not wait for what the other stores owe
    LedgerCommit reserve = new LedgerCommit();
    barrier.owe(reserve);
    StepRecord start = StepRecord.builder(RunId.of("run_1"), StepId.of("domain")).idempotencyKey("run_1:domain:key")
        .status(StepStatus.RUNNING).updatedAt(T0).build();
    assertThat(journal.saveStep(start)).isTrue();
    assertThat(reserve.onDisk).as("a start waits for no force of the other stores").isFalse();
    // its end does
    assertThat(journal.saveStepResult(start.next(T0.plusSeconds(1)).status(StepStatus.SUCCEEDED).output("{}")
        .build())).isTrue();
    assertThat(reserve.onDisk).as("an end written after the other stores' writes are on disk").isTrue();

    // nothing owed by the other stores: a save waits for no force
    assertThat(journal.saveRun(v1.next(RunStatus.SUCCEEDED, null, T0.plusSeconds(2)))).isTrue();
    assertThat(wire).containsExactly("force ledger", "force ledger");
    barrier.cross();
    // the run file, created in place by the first save, and the directory that names it: forced at once
    assertThat(wire).hasSize(4).startsWith("force ledger", "force ledger")
        .contains("force " + runFile.getFileName(), "force journal");
  }

  /**
   * A step still running that journals a person's answer to its checkpoint: on resume the step
   * reuses that answer (audited as reused) instead of asking again, so the line must not reach the
   * disk without the {@code approval.decided} entry the audit log wrote before it.
   */
  @Test
  void aCheckpointDecisionsLine_isWrittenOnlyOnceTheAuditEntryBeforeItIsOnDisk() throws Exception {
    FileRunJournal journal = FileRunJournal.open(dir.resolve("journal"), file -> wire.add("force " + file.getFileName()));
    DurabilityBarrier barrier = barrier();
    journal.deferTo(barrier);
    StepRecord start = StepRecord.builder(RunId.of("run_1"), StepId.of("domain")).idempotencyKey("run_1:domain:key")
        .status(StepStatus.RUNNING).updatedAt(T0).build();
    assertThat(journal.saveStep(start)).isTrue();
    Path runFile = journal.fileOf(RunId.of("run_1"));
    long lengthBefore = Files.size(runFile);
    AtomicInteger forced = new AtomicInteger();
    long[] runFileAtForce = {-1};
    barrier.owe(new DurabilityBarrier.Debt() { // the audit log's approval.decided entry, written, not forced
      @Override
      public void settle() throws java.io.IOException {
        runFileAtForce[0] = Files.size(runFile);
        forced.incrementAndGet();
      }

      @Override
      public boolean settled() {
        return forced.get() > 0;
      }
    });

    CheckpointDecision approved = new CheckpointDecision(1, "apr_1", CheckpointKind.DOMAIN_PURCHASE, "f1",
        ApprovalDecision.Outcome.APPROVED, "ada@example.com", T0.plusSeconds(3), false);
    assertThat(journal.saveStep(start.next(T0.plusSeconds(3)).decision(approved).build())).isTrue();

    assertThat(forced.get()).as("the audit entry forced before the decision's line was written").isEqualTo(1);
    assertThat(runFileAtForce[0]).as("the run file when the audit log was forced: without the decision")
        .isEqualTo(lengthBefore);
    assertThat(journal.step(RunId.of("run_1"), StepId.of("domain")).orElseThrow().decision(1)).contains(approved);
  }

  @Test
  void aRunFilesLine_isNotWritten_whenWhatTheOtherStoresOweCannotBeForced() throws Exception {
    FileRunJournal journal = FileRunJournal.open(dir.resolve("journal"), file -> wire.add("force " + file.getFileName()));
    DurabilityBarrier barrier = barrier();
    journal.deferTo(barrier);
    RunRecord v0 = new RunRecord(RunId.of("run_1"), AgentId.of("coding-agent-7"), "cloudflare", RunStatus.PLANNED,
        "{}", T0, T0, null, 0);
    assertThat(journal.saveRun(v0)).isTrue();
    DurabilityBarrier.Debt lost = new DurabilityBarrier.Debt() {
      @Override
      public void settle() throws java.io.IOException {
        throw new java.nio.file.NoSuchFileException("ledger.jsonl"); // its directory was deleted
      }

      @Override
      public boolean settled() {
        return false;
      }
    };
    barrier.owe(lost);

    assertThatThrownBy(() -> journal.saveRun(v0.next(RunStatus.RUNNING, null, T0.plusSeconds(1))))
        .isInstanceOf(DurabilityException.class)
        .hasMessageContaining("cannot force the provisioner's file stores to disk");
    assertThat(FileRunJournal.open(dir.resolve("journal")).run(RunId.of("run_1")).orElseThrow().status())
        .as("the run's line not written").isEqualTo(RunStatus.PLANNED);
    barriers.remove(barrier); // it cannot close cleanly: a debt cannot be settled
  }

  @Test
  void aJournalNotAttached_forcesEverySaveBeforeItReturns_asBefore() {
    FileRunJournal journal = FileRunJournal.open(dir.resolve("journal"),
        file -> wire.add("force " + file.getFileName()));

    journal.fileRun(RunId.of("run_1"), "person-1");

    assertThat(wire).containsExactly("force .filed-runs.json");
  }

  @Test
  void concurrentCrossings_shareOneForcePerFile() throws Exception {
    Map<Path, AtomicInteger> forces = new ConcurrentHashMap<>();
    CountDownLatch inForce = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    GroupForce.Forcer slow = file -> {
      forces.computeIfAbsent(file, f -> new AtomicInteger()).incrementAndGet();
      inForce.countDown();
      try {
        assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    DurabilityBarrier barrier = barrier();
    FileRunJournal a = FileRunJournal.open(dir.resolve("a"), slow);
    FileRunJournal b = FileRunJournal.open(dir.resolve("b"), slow);
    a.deferTo(barrier);
    b.deferTo(barrier);
    a.fileRun(RunId.of("run_a"), "person-a");
    b.fileRun(RunId.of("run_b"), "person-b");

    List<Thread> crossing = new ArrayList<>();
    List<Throwable> failed = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 6; i++) {
      Thread t = new Thread(() -> {
        try {
          barrier.cross();
        } catch (Throwable e) {
          failed.add(e);
        }
      });
      crossing.add(t);
      t.start();
    }
    assertThat(inForce.await(30, TimeUnit.SECONDS)).as("both files being forced").isTrue();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (crossing.stream().anyMatch(t -> t.getState() != Thread.State.WAITING
        && t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.TERMINATED)
        && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // every crossing waits on a force under way (or is done)
    }
    release.countDown();
    for (Thread t : crossing) {
      t.join(30_000);
    }

    assertThat(failed).isEmpty();
    assertThat(forces).hasSize(2);
    assertThat(forces.values()).as("one force per file for six crossings").allSatisfy(n -> assertThat(n.get())
        .isEqualTo(1));
    assertThat(barrier.owes()).isFalse();

    a.fileRun(RunId.of("run_a2"), "person-a"); // written after the force: the next crossing forces again
    barrier.cross();
    assertThat(forces.get(dir.resolve("a").toAbsolutePath().normalize().resolve(".filed-runs.json")).get())
        .isEqualTo(2);
  }
}
