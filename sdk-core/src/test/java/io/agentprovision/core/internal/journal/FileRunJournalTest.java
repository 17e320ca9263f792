package io.agentprovision.core.internal.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.wire.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRunJournalTest extends RunJournalContract {
  @TempDir
  Path dir;

  @Override
  protected RunJournal journal() {
    return RunJournal.directory(dir.resolve("runs"));
  }

  /** A journal keeps what it read of a file; what another journal (another process) wrote since is still seen. */
  @Test
  void aJournalThatReadAFile_seesWhatAnotherAppendedAndRewroteSince() {
    FileRunJournal first = FileRunJournal.open(dir.resolve("runs"), file -> {});
    FileRunJournal other = FileRunJournal.open(dir.resolve("runs"), file -> {});
    first.saveRun(run("run_1", T0));
    StepRecord s = step("run_1", "domain");
    first.saveStep(s);
    assertThat(first.step(RunId.of("run_1"), StepId.of("domain"))).contains(s);

    StepRecord byOther = s.next(T0.plusSeconds(1)).status(StepStatus.RUNNING).attempts(1).build();
    other.saveStep(byOther);
    assertThat(first.step(RunId.of("run_1"), StepId.of("domain"))).contains(byOther);
    assertThat(first.saveStep(s.next(T0.plusSeconds(2)).status(StepStatus.FAILED).build()))
        .as("the version check sees the other journal's save").isFalse();

    // the other journal saves until it rewrites the file (a new file in its place) with only the latest lines
    StepRecord latest = byOther;
    for (int i = 0; i < FileRunJournal.COMPACT_AFTER; i++) {
      latest = latest.next(T0.plusSeconds(3 + i)).attempts(2 + i).build();
      assertThat(other.saveStep(latest)).isTrue();
    }
    assertThat(first.step(RunId.of("run_1"), StepId.of("domain"))).contains(latest);
    StepRecord mine = latest.next(T0.plusSeconds(9_000)).status(StepStatus.SUCCEEDED).build();
    assertThat(first.saveStep(mine)).isTrue();
    assertThat(FileRunJournal.open(dir.resolve("runs")).step(RunId.of("run_1"), StepId.of("domain"))).contains(mine);
  }

  /**
   * A journal keeps its run's file open for appending; a file put in its place since (a copy moved over
   * it, as a restore or another process's rewrite does) gets the next line, not the file kept open,
   * which nothing reads any more.
   */
  @Test
  void aRunFileReplacedSinceTheLastSave_getsTheNextLine_notTheFileKeptOpen() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir.resolve("runs"), file -> {});
    j.saveRun(run("run_1", T0));
    StepRecord s = step("run_1", "domain");
    j.saveStep(s);
    Path f = j.fileOf(RunId.of("run_1"));
    Path copy = dir.resolve("copy");
    Files.copy(f, copy);
    Files.move(copy, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);

    StepRecord next = s.next(T0.plusSeconds(1)).status(StepStatus.SUCCEEDED).attempts(1).build();
    assertThat(j.saveStep(next)).isTrue();
    assertThat(FileRunJournal.open(dir.resolve("runs")).step(RunId.of("run_1"), StepId.of("domain"))).contains(next);
    assertThat(Files.readAllLines(f)).hasSize(4);
  }

  /**
   * A save of another process that stopped part-way leaves a torn line past the end of a run file
   * this journal keeps open: the next save through the kept channel cuts it off before its own line,
   * and a new journal reads that line.
   */
  @Test
  void aTornLineLeftPastTheEndOfAFileKeptOpen_isCutOffBeforeTheNextLine() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir.resolve("runs"), file -> {});
    j.saveRun(run("run_1", T0));
    StepRecord s = step("run_1", "domain");
    j.saveStep(s); // the file's channel is kept from here on
    StepRecord started = s.next(T0.plusSeconds(1)).attempts(1).build();
    j.saveStep(started);
    Path f = j.fileOf(RunId.of("run_1"));
    String intact = Files.readString(f);
    // longer than the next line, which written over it would leave the rest in the file
    Files.writeString(f, "{\"step\":{\"run_id\":\"run_1\",\"output\":\"" + "x".repeat(4000),
        java.nio.file.StandardOpenOption.APPEND);

    StepRecord done = started.next(T0.plusSeconds(2)).status(StepStatus.SUCCEEDED).attempts(1).build();
    assertThat(j.saveStep(done)).isTrue();
    assertThat(Files.readString(f)).as("the torn tail cut off, the new line after the intact part")
        .startsWith(intact).doesNotContain("xxx").hasLineCount(5);
    assertThat(FileRunJournal.open(dir.resolve("runs")).step(RunId.of("run_1"), StepId.of("domain"))).contains(done);
  }

  /**
   * Another journal (another process) appends to a run file this journal keeps open: the next save
   * through the kept channel goes after that line, not over it, and a new journal reads both.
   */
  @Test
  void aLineAnotherJournalAppended_toAFileKeptOpen_isFollowedNotOverwritten() {
    FileRunJournal j = FileRunJournal.open(dir.resolve("runs"), file -> {});
    FileRunJournal other = FileRunJournal.open(dir.resolve("runs"), file -> {});
    j.saveRun(run("run_1", T0));
    j.saveStep(step("run_1", "domain"));
    j.saveStep(step("run_1", "account")); // the channel kept
    StepRecord theirs = step("run_1", "deploy");
    assertThat(other.saveStep(theirs)).isTrue();

    StepRecord ours = step("run_1", "verify");
    assertThat(j.saveStep(ours)).isTrue();
    FileRunJournal reopened = FileRunJournal.open(dir.resolve("runs"));
    assertThat(reopened.step(RunId.of("run_1"), StepId.of("deploy"))).contains(theirs);
    assertThat(reopened.step(RunId.of("run_1"), StepId.of("verify"))).contains(ours);
    assertThat(reopened.steps(RunId.of("run_1"))).hasSize(4);
  }

  /** More runs saved in turn than the journal keeps files open for: every line reaches its own run's file. */
  @Test
  void runsSavedInTurn_beyondTheFilesKeptOpen_eachKeepTheirLines() {
    FileRunJournal j = FileRunJournal.open(dir.resolve("runs"), file -> {});
    int runs = FileRunJournal.APPENDERS + 4;
    List<StepRecord> last = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      j.saveRun(run("run_" + r, T0));
      StepRecord s = step("run_" + r, "domain");
      j.saveStep(s);
      last.add(s);
    }
    for (int round = 1; round <= 2; round++) {
      for (int r = 0; r < runs; r++) {
        StepRecord s = last.get(r).next(T0.plusSeconds(round)).attempts(round).build();
        assertThat(j.saveStep(s)).isTrue();
        last.set(r, s);
      }
    }
    FileRunJournal reopened = FileRunJournal.open(dir.resolve("runs"));
    for (int r = 0; r < runs; r++) {
      assertThat(reopened.step(RunId.of("run_" + r), StepId.of("domain"))).contains(last.get(r));
    }
  }

  /**
   * A journal does not read a file again whose key, length and modification time are what it left
   * them at; a file edited in place by hand near its end, to the same length, is seen (its time
   * differs).
   */
  @Test
  void aFileEditedInPlaceToTheSameLength_isSeenByTheJournalThatWroteItLast() throws Exception {
    FileRunJournal first = FileRunJournal.open(dir.resolve("runs"), file -> {});
    first.saveRun(run("run_1", T0));
    StepRecord s = step("run_1", "domain");
    first.saveStep(s);
    assertThat(first.step(RunId.of("run_1"), StepId.of("domain")).orElseThrow().version()).isZero();
    Path f = first.fileOf(RunId.of("run_1"));
    String text = Files.readString(f);
    assertThat(text).endsWith("\"version\":0}}\n");
    java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(f);
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
      byte[] edited = (text.substring(0, text.length() - 4) + "5}}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ch.write(java.nio.ByteBuffer.wrap(edited), 0); // in place: the same file, the same length
    }
    Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(before.toMillis() + 1_000));
    assertThat(Files.size(f)).isEqualTo(text.length());

    assertThat(first.step(RunId.of("run_1"), StepId.of("domain")).orElseThrow().version()).isEqualTo(5);
  }

  /** A line cut short by a crash (or still being written by another process) is left out until it is whole. */
  @Test
  void aJournalThatReadAFile_leavesOutAPartLineUntilItIsWhole() throws Exception {
    FileRunJournal first = FileRunJournal.open(dir.resolve("runs"), file -> {});
    first.saveRun(run("run_1", T0));
    first.saveStep(step("run_1", "domain"));
    Path f = first.fileOf(RunId.of("run_1"));
    FileRunJournal writer = FileRunJournal.open(dir.resolve("scratch"), file -> {});
    StepRecord next = step("run_1", "domain").next(T0.plusSeconds(1)).status(StepStatus.RUNNING).attempts(1).build();
    writer.saveRun(run("run_1", T0));
    writer.saveStep(step("run_1", "domain"));
    writer.saveStep(next);
    List<String> lines = Files.readAllLines(writer.fileOf(RunId.of("run_1")));
    String line = lines.get(lines.size() - 1) + "\n";
    assertThat(Files.readString(f)).doesNotContain(line);

    Files.writeString(f, line.substring(0, 20), java.nio.file.StandardOpenOption.APPEND);
    assertThat(first.step(RunId.of("run_1"), StepId.of("domain")).orElseThrow().version()).isEqualTo(0);
    Files.writeString(f, line.substring(20), java.nio.file.StandardOpenOption.APPEND);
    assertThat(first.step(RunId.of("run_1"), StepId.of("domain"))).contains(next);

    // a save after a part line cuts it off before appending
    Files.writeString(f, line.substring(0, 20), java.nio.file.StandardOpenOption.APPEND);
    StepRecord done = next.next(T0.plusSeconds(2)).status(StepStatus.SUCCEEDED).build();
    assertThat(first.saveStep(done)).isTrue();
    assertThat(FileRunJournal.open(dir.resolve("runs")).step(RunId.of("run_1"), StepId.of("domain"))).contains(done);
    assertThat(Files.readAllLines(f)).hasSize(5);
  }

  /** Lease changes read only what was appended since; another journal's changes and rewrites are seen. */
  @Test
  void leases_changedByAnotherJournal_areSeen() {
    FileRunJournal first = FileRunJournal.open(dir.resolve("runs"), file -> {});
    FileRunJournal other = FileRunJournal.open(dir.resolve("runs"), file -> {});
    Lease mine = first.acquireLease("run:1", "host-a", T0, T0.plusSeconds(30)).orElseThrow();
    assertThat(other.acquireLease("run:1", "host-b", T0, T0.plusSeconds(30))).isEmpty();
    assertThat(first.releaseLease(mine)).isTrue();
    Lease theirs = other.acquireLease("run:1", "host-b", T0, T0.plusSeconds(30)).orElseThrow();
    assertThat(first.lease("run:1")).contains(theirs);
    assertThat(first.acquireLease("run:1", "host-a", T0, T0.plusSeconds(30))).isEmpty();
    for (int i = 0; i < FileRunJournal.COMPACT_AFTER + 5; i++) { // past a rewrite of the lease file
      theirs = other.renewLease(theirs, T0.plusSeconds(31 + i)).orElseThrow();
    }
    assertThat(first.lease("run:1")).contains(theirs);
    assertThat(first.renewLease(mine, T0.plusSeconds(9_000))).isEmpty();
    assertThat(other.releaseLease(theirs)).isTrue();
    assertThat(first.acquireLease("run:1", "host-a", T0.plusSeconds(1), T0.plusSeconds(60))).isPresent();
  }

  /**
   * Fencing tokens are counted across names: every tenure, of any name, whichever journal grants it,
   * takes one more than the last given, across releases, two journals appending in turn, rewrites
   * of the lease file that forget released names, and restarts; a third journal reading sees each
   * change when it happens. A name released long ago, forgotten, is given a token above any it had.
   */
  @Test
  void leaseTokens_riseAcrossReleasesJournalsInTurnRewritesAndRestarts_andAReaderSeesEachChange() throws Exception {
    Path runs = dir.resolve("runs");
    FileRunJournal[] hosts = {FileRunJournal.open(runs, file -> {}), FileRunJournal.open(runs, file -> {})};
    FileRunJournal reader = FileRunJournal.open(runs, file -> {});
    long token = 0;
    Lease other7 = null;
    for (int i = 0; i < 2 * FileRunJournal.COMPACT_AFTER + 40; i++) {
      if (i % 200 == 199) {
        hosts[i % 2] = FileRunJournal.open(runs, file -> {}); // a restart: nothing kept in memory
      }
      FileRunJournal host = hosts[i % 2];
      Lease held = host.acquireLease("run:x", "host-" + i % 2, T0, T0.plusSeconds(60)).orElseThrow();
      assertThat(held.token()).as("tenure %d", i).isEqualTo(token + 1);
      assertThat(reader.lease("run:x")).contains(held);
      assertThat(hosts[(i + 1) % 2].acquireLease("run:x", "other", T0, T0.plusSeconds(60))).isEmpty();
      // other names come and go, so that the file is rewritten and forgets them
      Lease other = host.acquireLease("run:other_" + i, "host-" + i % 2, T0, T0.plusSeconds(60)).orElseThrow();
      assertThat(other.token()).isEqualTo(held.token() + 1);
      token = other.token();
      other7 = i == 7 ? other : other7;
      assertThat(host.releaseLease(other)).isTrue();
      assertThat(host.releaseLease(held)).isTrue();
      assertThat(reader.lease("run:x")).isEmpty();
    }
    assertThat(Files.readString(runs.resolve(".leases.json"))).as("forgotten at a rewrite").doesNotContain("run:other_7\"");
    assertThat(FileRunJournal.open(runs).acquireLease("run:x", "host-c", T0, T0.plusSeconds(60)).orElseThrow().token())
        .isEqualTo(token + 1);
    Lease again = FileRunJournal.open(runs).acquireLease("run:other_7", "host-c", T0, T0.plusSeconds(60)).orElseThrow();
    assertThat(again.token()).as("a name forgotten long ago, above any token it had").isEqualTo(token + 2)
        .isGreaterThan(other7.token());
  }

  /**
   * A host holding an older tenure of a name is refused once another took it, even when the file
   * forgot the name in between (released, then rewritten) and whichever journal, restarted or not,
   * it asks.
   */
  @Test
  void anOlderTenure_ofANameTheFileForgot_isRefusedByEveryJournal() throws Exception {
    Path runs = dir.resolve("runs");
    Path f = runs.resolve(".leases.json");
    FileRunJournal hostA = FileRunJournal.open(runs, file -> {});
    FileRunJournal hostB = FileRunJournal.open(runs, file -> {});
    Lease old = hostA.acquireLease("run:x", "host-a", T0, T0.plusSeconds(60)).orElseThrow();
    assertThat(hostA.releaseLease(old)).isTrue();
    for (int i = 0; i < FileRunJournal.COMPACT_AFTER; i++) { // past a rewrite, which forgets run:x
      hostB.releaseLease(hostB.acquireLease("run:y_" + i, "host-b", T0, T0.plusSeconds(60)).orElseThrow());
    }
    assertThat(Files.readString(f)).doesNotContain("run:x");
    assertThat(hostA.renewLease(old, T0.plusSeconds(90))).as("released and forgotten: nothing to renew").isEmpty();

    Lease taken = hostB.acquireLease("run:x", "host-b", T0.plusSeconds(1), T0.plusSeconds(61)).orElseThrow();

    assertThat(taken.token()).isGreaterThan(old.token());
    for (FileRunJournal j : List.of(hostA, hostB, FileRunJournal.open(runs))) {
      assertThat(j.renewLease(old, T0.plusSeconds(90))).isEmpty();
      assertThat(j.releaseLease(old)).isFalse();
      assertThat(j.acquireLease("run:x", "host-a", T0.plusSeconds(2), T0.plusSeconds(62))).isEmpty();
      assertThat(j.lease("run:x")).contains(taken);
    }
    // the same owner taking its name back (a restart under the same id) is a new tenure: the old one stays refused
    Lease back = hostA.acquireLease("run:x", "host-b", T0.plusSeconds(3), T0.plusSeconds(63)).orElseThrow();
    assertThat(back.token()).isGreaterThan(taken.token());
    assertThat(hostB.renewLease(taken, T0.plusSeconds(90))).isEmpty();
  }

  /**
   * What the lease file holds, and what a journal opening it reads, follows the leases held and not
   * the names ever leased: thousands of runs leased and released leave a file of a few hundred
   * lines at most, and a journal opened then parses no more.
   */
  @Test
  void thousandsOfNamesReleased_leaveAFileOfTheLeasesHeld_andAJournalOpeningItReadsOnlyThose() throws Exception {
    Path runs = dir.resolve("runs");
    FileRunJournal host = FileRunJournal.open(runs, file -> {});
    List<Lease> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      held.add(host.acquireLease("run:held_" + i, "host-a", T0, T0.plusSeconds(60)).orElseThrow());
    }
    for (int i = 0; i < 5_000; i++) {
      host.releaseLease(host.acquireLease("run:old_" + i, "host-a", T0, T0.plusSeconds(60)).orElseThrow());
    }

    List<String> lines = Files.readAllLines(runs.resolve(".leases.json"));
    assertThat(lines.size()).as("lines for 10,005 changes of 5,005 names")
        .isLessThanOrEqualTo(FileRunJournal.COMPACT_AFTER + 2 * 5 + 1);
    FileRunJournal opened = FileRunJournal.open(runs, file -> {});
    for (Lease l : held) {
      assertThat(opened.lease(l.name())).contains(l);
    }
    assertThat(opened.lease("run:old_4999")).isEmpty();
    assertThat(opened.leaseSlotsLoaded()).as("lines parsed on opening").isEqualTo(lines.size() - 1);
    assertThat(Json.parseObject(lines.get(0))).containsEntry("version", 3L);
    assertThat(opened.acquireLease("run:old_0", "host-b", T0, T0.plusSeconds(60)).orElseThrow().token())
        .as("one more than the last of 10,005 tenures").isEqualTo(5 + 5_000 + 1);
  }

  /**
   * A journal never hands out a token below one it read or wrote, even if the lease file is then
   * replaced by an older copy (restored from a backup, edited by hand); a journal opened after the
   * edit can only go by the file.
   */
  @Test
  void aLeaseFileReplacedByAnOlderCopy_doesNotTakeARunningJournalsTokensBack() throws Exception {
    Path runs = dir.resolve("runs");
    Path f = runs.resolve(".leases.json");
    FileRunJournal j = FileRunJournal.open(runs, file -> {});
    j.releaseLease(j.acquireLease("run:a", "host-a", T0, T0.plusSeconds(60)).orElseThrow());
    String older = Files.readString(f);
    Lease last = null;
    for (int i = 0; i < FileRunJournal.COMPACT_AFTER; i++) {
      last = j.acquireLease("run:b_" + i, "host-a", T0, T0.plusSeconds(60)).orElseThrow();
      j.releaseLease(last);
    }
    Path copy = runs.resolve("older-copy");
    Files.writeString(copy, older);
    Files.move(copy, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);

    assertThat(j.acquireLease("run:a", "host-a", T0, T0.plusSeconds(60)).orElseThrow().token())
        .isGreaterThan(last.token());
  }

  /** {@code count} leases of a host that then dies (none released), each until {@code T0 + 60 s}. */
  private static List<Lease> crashedHost(Path runs, int count) {
    FileRunJournal hostA = FileRunJournal.open(runs, file -> {});
    List<Lease> held = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      held.add(hostA.acquireLease("run:crashed_" + i, "host-a", T0, T0.plusSeconds(60)).orElseThrow());
    }
    return held;
  }

  /**
   * A host that died holding hundreds of runs' leases leaves them in the file; the first acquire, by
   * another host, at or after their expiry (the caller's time: a millisecond before it they are
   * kept, at it they are anyone's) rewrites the file without them. From then on the dead host's
   * tenures are refused by every journal, its own included, as a tenure taken over is, and a new
   * tenure of any of those names takes a token above every token the file gave.
   */
  @Test
  void aDeadHostsLeases_areDroppedByTheFirstAcquireAtTheirExpiry_andItsTokensAreRefusedEverywhere() throws Exception {
    Path runs = dir.resolve("runs");
    Path f = runs.resolve(".leases.json");
    FileRunJournal hostA = FileRunJournal.open(runs, file -> {});
    int crashed = 600;
    List<Lease> dead = crashedHost(runs, crashed);
    hostA.lease("run:crashed_0"); // a journal of the dead host that read them, should it come back
    FileRunJournal hostB = FileRunJournal.open(runs, file -> {});

    Lease before = hostB.acquireLease("run:b1", "host-b", T0.plusSeconds(60).minusMillis(1), T0.plusSeconds(120))
        .orElseThrow();
    assertThat(Files.readAllLines(f)).as("a millisecond before their expiry: all kept").hasSize(1 + crashed + 1);
    assertThat(hostA.lease("run:crashed_7")).contains(dead.get(7));

    Lease at = hostB.acquireLease("run:b2", "host-b", T0.plusSeconds(60), T0.plusSeconds(120)).orElseThrow();

    List<String> lines = Files.readAllLines(f);
    assertThat(lines).as("expired at the acquire's time: dropped").hasSize(3);
    assertThat(Json.parseObject(lines.get(0))).containsEntry("last_token", (long) crashed + 2)
        .containsEntry("leases", 2L);
    FileRunJournal opened = FileRunJournal.open(runs, file -> {});
    for (FileRunJournal j : List.of(hostA, hostB, opened)) {
      for (Lease d : List.of(dead.get(0), dead.get(crashed / 2), dead.get(crashed - 1))) {
        assertThat(j.lease(d.name())).isEmpty();
        assertThat(j.renewLease(d, T0.plusSeconds(120))).as("dropped: as if taken over").isEmpty();
        assertThat(j.releaseLease(d)).isFalse();
      }
      assertThat(j.lease("run:b1")).contains(before);
      assertThat(j.lease("run:b2")).contains(at);
    }
    for (Lease d : dead) {
      assertThat(hostA.renewLease(d, T0.plusSeconds(120))).isEmpty();
    }
    assertThat(opened.leaseSlotsLoaded()).as("lines parsed on opening").isEqualTo(2);
    Lease again = opened.acquireLease("run:crashed_0", "host-c", T0.plusSeconds(61), T0.plusSeconds(121)).orElseThrow();
    assertThat(again.token()).as("above every token given, the dropped ones too").isEqualTo(crashed + 3L);
    assertThat(hostA.lease("run:crashed_0")).contains(again);
    assertThat(hostA.renewLease(dead.get(0), T0.plusSeconds(120))).isEmpty();
  }

  /**
   * The expiry rules are not loosened: a holder that renews its expired lease before any rewrite
   * (slow, but alive, and nobody took it) keeps it through the rewrite, and nobody else gets it;
   * one that comes too late, after its expired lease was dropped, is refused, as after a takeover.
   * A file with a few expired leases is not rewritten for them: their holders may still renew.
   */
  @Test
  void anExpiredLeaseRenewedBeforeTheRewrite_isKept_andOneRenewedAfterIt_isRefused() throws Exception {
    Path runs = dir.resolve("runs");
    Path f = runs.resolve(".leases.json");
    FileRunJournal slow = FileRunJournal.open(runs, file -> {});
    Lease renewedInTime = slow.acquireLease("run:slow_1", "host-s", T0, T0.plusSeconds(60)).orElseThrow();
    Lease tooLate = slow.acquireLease("run:slow_2", "host-s", T0, T0.plusSeconds(60)).orElseThrow();
    FileRunJournal hostB = FileRunJournal.open(runs, file -> {});
    hostB.acquireLease("run:b0", "host-b", T0.plusSeconds(61), T0.plusSeconds(121)).orElseThrow();
    assertThat(Files.readAllLines(f)).as("two expired leases: no rewrite for them").hasSize(4);
    renewedInTime = slow.renewLease(renewedInTime, T0.plusSeconds(61)).orElseThrow(); // expired, nobody took it
    renewedInTime = slow.renewLease(renewedInTime, T0.plusSeconds(200)).orElseThrow();

    crashedHost(runs, 600);
    hostB.acquireLease("run:b1", "host-b", T0.plusSeconds(61), T0.plusSeconds(121)).orElseThrow();

    assertThat(Files.readAllLines(f)).as("the crashed host's and the late holder's leases dropped").hasSize(4);
    assertThat(hostB.lease("run:slow_1")).contains(renewedInTime);
    assertThat(hostB.acquireLease("run:slow_1", "host-b", T0.plusSeconds(62), T0.plusSeconds(122))).isEmpty();
    assertThat(slow.renewLease(renewedInTime, T0.plusSeconds(260))).isPresent();
    assertThat(slow.renewLease(tooLate, T0.plusSeconds(260))).as("dropped before its holder came back").isEmpty();
    assertThat(slow.releaseLease(tooLate)).isFalse();
    assertThat(FileRunJournal.open(runs).lease("run:slow_2")).isEmpty();
  }

  /**
   * Lines appended by hand to bring a dropped lease back, or an older tenure over the one held, with
   * their older tokens (a dead host's lease copied back in) are no tenure a journal gave: every
   * journal, the one that read the file before and one opened after, leaves them out, the dead
   * tenure stays refused, and what journals append after them is read as before.
   */
  @Test
  void linesEditedInToBringBackADroppedLeaseWithItsOlderToken_areLeftOutByEveryJournal() throws Exception {
    Path runs = dir.resolve("runs");
    Path f = runs.resolve(".leases.json");
    List<Lease> dead = crashedHost(runs, 600);
    FileRunJournal hostB = FileRunJournal.open(runs, file -> {});
    Lease b = hostB.acquireLease("run:b", "host-b", T0.plusSeconds(60), T0.plusSeconds(120)).orElseThrow();
    assertThat(Files.readAllLines(f)).hasSize(2);
    Lease back = dead.get(3).until(T0.plusSeconds(3600));
    Files.writeString(f, new String(JsonLines.line(Map.of("name", back.name(), "owner", back.owner(),
        "token", back.token(), "expires_at", back.expiresAt().toString())), java.nio.charset.StandardCharsets.UTF_8)
        + new String(JsonLines.line(Map.of("name", "run:b", "owner", "host-a", "token", dead.get(4).token(),
        "expires_at", T0.plusSeconds(3600).toString())), java.nio.charset.StandardCharsets.UTF_8),
        java.nio.file.StandardOpenOption.APPEND);

    FileRunJournal opened = FileRunJournal.open(runs, file -> {});
    for (FileRunJournal j : List.of(hostB, opened)) {
      assertThat(j.lease(back.name())).isEmpty();
      assertThat(j.lease("run:b")).contains(b);
    }
    assertThat(opened.renewLease(back, T0.plusSeconds(3600))).isEmpty();
    assertThat(opened.renewLease(dead.get(3), T0.plusSeconds(3600))).isEmpty();
    assertThat(opened.releaseLease(back)).isFalse();
    Lease b2 = hostB.renewLease(b, T0.plusSeconds(180)).orElseThrow();
    Lease taken = hostB.acquireLease(back.name(), "host-c", T0.plusSeconds(61), T0.plusSeconds(121)).orElseThrow();
    assertThat(taken.token()).isEqualTo(602);
    for (FileRunJournal j : List.of(opened, FileRunJournal.open(runs, file -> {}))) {
      assertThat(j.lease("run:b")).contains(b2);
      assertThat(j.lease(back.name())).contains(taken);
    }
  }

  /** A lease file of a newer version, or of version 3 without its last token, is refused: nothing is reset. */
  @Test
  void aLeaseFileOfANewerVersion_orWithoutItsLastToken_isRefused_andLeftAsItIs() throws Exception {
    Path f = dir.resolve(".leases.json");
    String newer = """
        {"format":"agentprovision-leases","version":4,"last_token":90}
        {"name":"run:run_1","owner":"host-a","token":90,"expires_at":"2026-11-02T09:01:00Z"}
        """;
    Files.writeString(f, newer);
    FileRunJournal j = FileRunJournal.open(dir);

    assertThatThrownBy(() -> j.lease("run:run_1")).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("version 4").hasMessageContaining("newer release").hasMessageNotContaining("delete");
    assertThatThrownBy(() -> j.acquireLease("run:run_2", "host-a", T0, T0.plusSeconds(60)))
        .isInstanceOf(AgentProvisionException.class);
    assertThat(Files.readString(f)).isEqualTo(newer);

    Files.writeString(f, """
        {"format":"agentprovision-leases","version":3}
        {"name":"run:run_1","owner":"host-a","token":1,"expires_at":"2026-11-02T09:01:00Z"}
        """);
    assertThatThrownBy(() -> FileRunJournal.open(dir).acquireLease("run:run_2", "host-a", T0, T0.plusSeconds(60)))
        .isInstanceOf(AgentProvisionException.class).hasMessageContaining("last_token");
  }

  /**
   * A lease file of version 2 as the earlier release wrote it (a slot per name ever leased, tokens
   * counted per name; {@code version2-leases.json}, see {@link LeasesVersion2Fixture}) opens with
   * its leases and tokens; reading it changes nothing; the first change rewrites it in version 3,
   * with the greatest token it held as the last token and only the leases held.
   */
  @Test
  void aVersion2LeaseFile_opensWithItsTokens_andTheFirstChangeConvertsIt() throws Exception {
    Path f = dir.resolve(".leases.json");
    byte[] written;
    try (java.io.InputStream in = getClass().getResourceAsStream("version2-leases.json")) {
      written = in.readAllBytes();
    }
    Files.write(f, written);
    Instant t = Instant.parse("2026-11-02T09:00:00Z");
    FileRunJournal j = FileRunJournal.open(dir);

    assertThat(j.lease("run:run_1")).isEmpty();
    assertThat(j.lease("run:run_2")).contains(new Lease("run:run_2", "host-b", 3, t.plusSeconds(90)));
    assertThat(j.lease("run:run_3")).contains(new Lease("run:run_3", "host-a", 1, t.plusSeconds(60)));
    assertThat(j.lease("person:p_1/cloudflare")).isEmpty();
    assertThat(Files.readAllBytes(f)).as("reading changes nothing").isEqualTo(written);

    Lease run1 = j.acquireLease("run:run_1", "host-c", t, t.plusSeconds(60)).orElseThrow();

    assertThat(run1.token()).as("above run_1's five tenures, and every token of the file").isEqualTo(6);
    List<String> lines = Files.readAllLines(f);
    assertThat(Json.parseObject(lines.get(0))).containsEntry("version", 3L).containsEntry("last_token", 6L);
    assertThat(lines).as("the leases held, no released name").hasSize(4).noneMatch(l -> l.contains("person:p_1"));
    FileRunJournal reopened = FileRunJournal.open(dir);
    Lease b = reopened.lease("run:run_2").orElseThrow();
    assertThat(reopened.renewLease(b, t.plusSeconds(120))).as("host-b's tenure goes on").isPresent();
    assertThat(reopened.acquireLease("person:p_1/cloudflare", "host-c", t, t.plusSeconds(60)).orElseThrow().token())
        .isEqualTo(7);
    Lease takeover = reopened.acquireLease("run:run_3", "host-c", t.plusSeconds(60), t.plusSeconds(120)).orElseThrow();
    assertThat(takeover.token()).as("the dead host's lease taken over").isEqualTo(8);
    assertThat(reopened.renewLease(new Lease("run:run_3", "host-a", 1, t.plusSeconds(60)), t.plusSeconds(200))).isEmpty();
    assertThat(j.releaseLease(run1)).as("the journal that converted it reads on").isTrue();
  }

  /**
   * However many names the lease file has held, a lease change parses no slot again (its own line
   * is known) and a read by another journal parses only the lines appended since it last read.
   */
  @Test
  void aLeaseOperation_afterThousandsOfNames_parsesOnlyTheLinesAppendedSince() {
    Path runs = dir.resolve("runs");
    FileRunJournal host = FileRunJournal.open(runs, file -> {});
    FileRunJournal reader = FileRunJournal.open(runs, file -> {});
    for (int i = 0; i < 3_000; i++) {
      Lease l = host.acquireLease("run:old_" + i, "host-a", T0, T0.plusSeconds(60)).orElseThrow();
      host.releaseLease(l);
    }
    assertThat(reader.lease("run:old_1")).isEmpty(); // the reader's first read takes the file whole
    long hostBefore = host.leaseSlotsLoaded();
    long readerBefore = reader.leaseSlotsLoaded();

    for (int i = 0; i < 20; i++) {
      Lease l = host.acquireLease("run:new_" + i, "host-a", T0, T0.plusSeconds(60)).orElseThrow();
      assertThat(reader.lease("run:new_" + i)).contains(l);
      Lease renewed = host.renewLease(l, T0.plusSeconds(90)).orElseThrow();
      assertThat(host.lease("run:new_" + i)).contains(renewed);
      assertThat(host.releaseLease(renewed)).isTrue();
      assertThat(reader.lease("run:new_" + i)).isEmpty();
    }

    assertThat(host.leaseSlotsLoaded() - hostBefore).as("the writer's own lines").isZero();
    assertThat(reader.leaseSlotsLoaded() - readerBefore).as("three lines a name, each parsed once").isEqualTo(60);
  }

  /**
   * A run a name: a rewrite of the lease file writes the leases held, which another journal then
   * reads whole, so the reader parses about a slot per line appended, and the file stays within
   * {@code COMPACT_AFTER} lines more than twice the leases held, however many names came and went.
   */
  @Test
  void aStreamOfNewNames_keepsTheLeaseFileWithinTheLeasesHeld() throws Exception {
    Path runs = dir.resolve("runs");
    FileRunJournal host = FileRunJournal.open(runs, file -> {});
    FileRunJournal reader = FileRunJournal.open(runs, file -> {});
    for (int i = 0; i < 2_000; i++) {
      host.releaseLease(host.acquireLease("run:old_" + i, "host-a", T0, T0.plusSeconds(60)).orElseThrow());
    }
    reader.lease("run:old_0");
    long before = reader.leaseSlotsLoaded();
    Path f = runs.resolve(".leases.json");

    int rounds = 3_000;
    for (int i = 0; i < rounds; i++) {
      Lease l = host.acquireLease("run:new_" + i, "host-a", T0, T0.plusSeconds(60)).orElseThrow();
      Lease renewed = host.renewLease(l, T0.plusSeconds(90)).orElseThrow();
      assertThat(reader.lease("run:new_" + i)).contains(renewed);
      assertThat(host.releaseLease(renewed)).isTrue();
    }
    reader.lease("run:new_0");

    // rewritten, as its length shows (a new inode would not: the file system may hand the freed one
    // to the file that replaces it)
    assertThat(reader.leaseSlotsLoaded() - before).as("slots parsed for %d lines appended", 3 * rounds)
        .isLessThan(2L * 3 * rounds);
    assertThat(Files.readAllLines(f).size()).as("the file stays within twice the leases held (none now)")
        .isLessThanOrEqualTo(FileRunJournal.COMPACT_AFTER + 1);
  }

  /**
   * Threads of one journal reading a lease while another journal renews it (and rewrites the file)
   * each apply what was appended; none ever sees the lease go back to an earlier renewal.
   */
  @Test
  void readersOfOneJournal_neverSeeALeaseGoBack_whileAnotherJournalRenewsIt() throws Exception {
    Path runs = dir.resolve("runs");
    FileRunJournal writer = FileRunJournal.open(runs, file -> {});
    FileRunJournal shared = FileRunJournal.open(runs, file -> {});
    Lease held = writer.acquireLease("run:x", "host-a", T0, T0.plusSeconds(1)).orElseThrow();
    int renewals = FileRunJournal.COMPACT_AFTER + 100;
    ExecutorService pool = Executors.newFixedThreadPool(3);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    try {
      List<Future<Integer>> readers = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        readers.add(pool.submit(() -> {
          long last = 0;
          int reads = 0;
          while (last < renewals + 1 && !stop.get()) {
            long seconds = shared.lease("run:x").orElseThrow().expiresAt().getEpochSecond() - T0.getEpochSecond();
            assertThat(seconds).as("never an earlier renewal").isGreaterThanOrEqualTo(last);
            last = seconds;
            reads++;
          }
          return reads;
        }));
      }
      for (int i = 2; i <= renewals + 1; i++) {
        held = writer.renewLease(held, T0.plusSeconds(i)).orElseThrow();
      }
      for (Future<Integer> reader : readers) {
        assertThat(reader.get(60, TimeUnit.SECONDS)).isPositive();
      }
    } finally {
      stop.set(true); // a reader left waiting after a failure ends
      pool.shutdownNow();
    }
  }

  /** A lease file of version 2 (released slots among held ones, tokens counted per name) opens with its tokens. */
  @Test
  void aLeaseFileOfVersion2_writtenBefore_opensWithItsTokens() throws Exception {
    Path f = dir.resolve(".leases.json");
    Files.writeString(f, """
        {"format":"agentprovision-leases","version":2}
        {"name":"run:run_1","owner":"host-a","token":6,"expires_at":"2026-11-02T09:01:00Z"}
        {"name":"run:run_2","owner":"host-a","token":3,"expires_at":"2026-11-02T09:01:00Z"}
        {"name":"run:run_1","owner":null,"token":6,"expires_at":null}
        {"name":"run:run_1","owner":"host-b","token":7,"expires_at":"2026-11-02T09:01:00Z"}
        {"name":"run:run_1","owner":null,"token":7,"expires_at":null}
        """);
    FileRunJournal j = FileRunJournal.open(dir);
    assertThat(j.lease("run:run_1")).isEmpty();
    assertThat(j.lease("run:run_2")).contains(new Lease("run:run_2", "host-a", 3, T0.plusSeconds(60)));
    assertThat(j.acquireLease("run:run_1", "host-c", T0, T0.plusSeconds(60)).orElseThrow().token()).isEqualTo(8);
    assertThat(j.acquireLease("run:run_2", "host-c", T0.plusSeconds(61), T0.plusSeconds(120)).orElseThrow().token())
        .as("an expired lease taken over, above every token given").isEqualTo(9);
    assertThat(FileRunJournal.open(dir).lease("run:run_1").orElseThrow().token()).isEqualTo(8);
  }

  @Test
  void open_again_seesEveryRunAndStepSavedBefore() {
    RunJournal first = journal();
    RunRecord v0 = run("run_1", T0);
    first.saveRun(v0);
    RunRecord running = v0.next(RunStatus.RUNNING, null, T0.plusSeconds(5));
    first.saveRun(running);
    StepRecord domain = step("run_1", "domain").next(T0).status(StepStatus.RUNNING).attempts(1)
        .progress("{\"resourceId\":\"res_1\"}").reservation("run_1:domain:1").build();
    first.saveStep(step("run_1", "domain"));
    first.saveStep(domain);

    RunJournal afterCrash = journal();

    assertThat(afterCrash.runs(RunStatus.RUNNING)).containsExactly(running);
    assertThat(afterCrash.step(RunId.of("run_1"), StepId.of("domain"))).contains(domain);
    assertThat(afterCrash.saveStep(domain)).as("the version check holds across instances").isFalse();
    assertThat(afterCrash.saveStep(domain.next(T0).status(StepStatus.SUCCEEDED).build())).isTrue();
    assertThat(first.step(RunId.of("run_1"), StepId.of("domain")).orElseThrow().status())
        .isEqualTo(StepStatus.SUCCEEDED);
  }

  @Test
  void runsFiledUnderAKey_areForcedBeforeFileRunReturns_andSeenByAnotherInstanceAndAfterAReopen() throws Exception {
    List<String> forced = new java.util.concurrent.CopyOnWriteArrayList<>();
    FileRunJournal a = FileRunJournal.open(dir, file -> {
      GroupForce.Forcer.DISK.force(file);
      forced.add(file.getFileName().toString() + ":" + Files.readString(file).lines().count());
    });
    FileRunJournal b = FileRunJournal.open(dir);
    List<RunId> bBefore = b.runsFiledUnder("person-a").orElseThrow();

    assertThat(a.fileRun(RunId.of("run_1"), "person-a")).isTrue();
    assertThat(forced).as("the filing line was on disk when fileRun returned").containsExactly(".filed-runs.json:2");
    assertThat(a.fileRun(RunId.of("run_1"), "person-a")).as("filed already: nothing written").isTrue();
    assertThat(forced).hasSize(1);
    assertThat(b.fileRun(RunId.of("run_2"), "person-a")).isTrue();
    assertThat(a.fileRun(RunId.of("run_3"), "person-b")).isTrue();

    assertThat(a.runsFiledUnder("person-a").orElseThrow()).as("another instance's filing, read from the file")
        .containsExactly(RunId.of("run_1"), RunId.of("run_2"));
    assertThat(b.runsFiledUnder("person-a").orElseThrow()).containsExactly(RunId.of("run_1"), RunId.of("run_2"));
    assertThat(bBefore).as("an earlier answer does not change").isEmpty();
    assertThat(FileRunJournal.open(dir).runsFiledUnder("person-b").orElseThrow()).containsExactly(RunId.of("run_3"));
  }

  @Test
  void aDirectoryJournaledBeforeTheIndex_keepsNone_andIsReadThroughAsBefore() throws Exception {
    FileRunJournal.open(dir).saveRun(run("run_1", T0));
    Files.delete(dir.resolve(".filed-runs.json")); // as an earlier version left it: runs, no index

    FileRunJournal reopened = FileRunJournal.open(dir);

    assertThat(reopened.fileRun(RunId.of("run_1"), "person-a")).as("its earlier runs were never filed").isFalse();
    assertThat(reopened.runsFiledUnder("person-a")).as("callers read the runs instead").isEmpty();
    assertThat(dir.resolve(".filed-runs.json")).doesNotExist();
  }

  @Test
  void aFilingTornByACrash_isLeftOut_andCutOffByTheNextFiling() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.fileRun(RunId.of("run_1"), "person-a");
    Path index = dir.resolve(".filed-runs.json");
    Files.writeString(index, "{\"key\":\"person-a\",\"ru", java.nio.file.StandardOpenOption.APPEND);

    FileRunJournal afterCrash = FileRunJournal.open(dir);
    assertThat(afterCrash.runsFiledUnder("person-a").orElseThrow()).containsExactly(RunId.of("run_1"));
    afterCrash.fileRun(RunId.of("run_2"), "person-a");

    assertThat(FileRunJournal.open(dir).runsFiledUnder("person-a").orElseThrow())
        .containsExactly(RunId.of("run_1"), RunId.of("run_2"));
    assertThat(Files.readString(index)).doesNotContain("\"ru{").endsWith("\n");
  }

  @Test
  void anIndexThatIsNotOne_isReportedWithItsName_andWhatToDo() throws Exception {
    FileRunJournal.open(dir);
    Files.writeString(dir.resolve(".filed-runs.json"), "{\"format\":\"something-else\"}\n");

    assertThatThrownBy(() -> FileRunJournal.open(dir).runsFiledUnder("person-a"))
        .isInstanceOf(AgentProvisionException.class).hasMessageContaining(".filed-runs.json")
        .hasMessageContaining("delete it");
  }

  @Test
  void files_areOnePerRunAndNeverShared() throws Exception {
    RunJournal j = journal();
    j.saveRun(run("Run_1", T0));
    j.saveRun(run("run_1", T0));
    j.saveRun(run("run/1", T0));
    j.saveRun(run("run:1", T0));

    try (Stream<Path> files = Files.list(dir.resolve("runs"))) {
      assertThat(files.filter(f -> f.toString().endsWith(".json") && !f.getFileName().toString().startsWith(".")))
          .hasSize(4);
    }
    assertThat(j.runs()).extracting(r -> r.id().value()).containsExactlyInAnyOrder("Run_1", "run_1", "run/1", "run:1");
  }

  @Test
  void file_isAHeaderThenOneJsonLinePerSavedRecord() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveRun(run("run_1", T0));
    j.saveStep(step("run_1", "deploy"));
    j.saveRun(run("run_1", T0).next(RunStatus.RUNNING, null, T0));

    List<String> lines = Files.readAllLines(j.fileOf(RunId.of("run_1")));

    assertThat(lines).hasSize(4);
    assertThat(Json.parseObject(lines.get(0))).containsEntry("format", "agentprovision-run")
        .containsEntry("version", 3L).containsEntry("run_id", "run_1");
    assertThat(Json.object(Json.parseObject(lines.get(1)), "run")).containsEntry("status", "PLANNED")
        .containsEntry("version", 0L);
    assertThat(Json.object(Json.parseObject(lines.get(2)), "step")).containsEntry("step", "deploy");
    assertThat(Json.object(Json.parseObject(lines.get(3)), "run")).as("a save appends; the last line wins")
        .containsEntry("status", "RUNNING").containsEntry("version", 1L);
    assertThat(j.run(RunId.of("run_1")).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
    assertThat(j.fileOf(RunId.of("run_1")).getFileName().toString()).startsWith("run_1--").endsWith(".json");
  }

  @Test
  void file_keepsAStepsOutputAsOneJsonStringBesideItsTypedFields() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveStep(step("run_1", "plan").toBuilder().status(StepStatus.SUCCEEDED).output("{\"charged\":\"USD 5.00\"}")
        .reservation("run_1:plan:1").build());

    List<String> lines = Files.readAllLines(j.fileOf(RunId.of("run_1")));

    Map<String, Object> plan = Json.object(Json.parseObject(lines.get(1)), "step");
    assertThat(plan).containsEntry("output", "{\"charged\":\"USD 5.00\"}")
        .containsEntry("reservations", List.of("run_1:plan:1")).containsEntry("decisions", List.of());
  }

  @Test
  void a_fileOfThePreviousFormat_isReadAndMovedToTheCurrentOneOnTheNextSave() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    Path f = j.fileOf(RunId.of("run_1"));
    Files.writeString(f, """
        {
          "format": "agentprovision-run",
          "version": 2,
          "run_id": "run_1",
          "run": null,
          "steps": [ {
            "step": "plan", "status": "SUCCEEDED", "idempotency_key": "run_1:plan:key", "attempts": 1,
            "output": "{}", "progress": null, "reservations": [ "run_1:plan:1" ], "decisions": [ ],
            "error": null, "updated_at": "2026-11-02T09:00:00Z", "version": 3
          } ],
          "approvals": [ ]
        }
        """);

    StepRecord plan = j.step(RunId.of("run_1"), StepId.of("plan")).orElseThrow();
    assertThat(plan.status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(plan.reservations()).containsExactly("run_1:plan:1");
    assertThat(j.saveStep(step("run_1", "deploy"))).isTrue();

    assertThat(Json.parseObject(Files.readAllLines(f).get(0))).containsEntry("version", 3L);
    assertThat(FileRunJournal.open(dir).steps(RunId.of("run_1"))).containsExactly(plan, step("run_1", "deploy"));
  }

  @Test
  void a_lastLineCutShortByACrash_isNotPartOfTheJournal_andTheNextSaveReplacesIt() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    RunRecord v0 = run("run_1", T0);
    j.saveRun(v0);
    Path f = j.fileOf(RunId.of("run_1"));
    String intact = Files.readString(f);
    Files.writeString(f, intact + "{\"run\":{\"id\":\"run_1\",\"sta");

    assertThat(j.run(RunId.of("run_1"))).as("a save that never returned is not seen").contains(v0);
    RunRecord v1 = v0.next(RunStatus.RUNNING, null, T0);
    assertThat(j.saveRun(v1)).isTrue();
    assertThat(Files.readString(f)).as("the torn tail is cut before the append").startsWith(intact)
        .doesNotContain("\"sta\n").hasLineCount(3);

    Files.writeString(f, Files.readString(f) + "{\"run\":{\"id\":\u0000\u0000\n");
    assertThat(FileRunJournal.open(dir).run(RunId.of("run_1"))).as("a last line whose end reached the disk, not its middle")
        .contains(v1);
  }

  @Test
  void a_badLineBeforeTheLast_makesTheFileUnreadable() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveRun(run("run_1", T0));
    Path f = j.fileOf(RunId.of("run_1"));
    List<String> lines = new ArrayList<>(Files.readAllLines(f));
    lines.add(1, "{\"run\":{\"id\"");
    Files.write(f, lines);

    assertThatThrownBy(() -> j.run(RunId.of("run_1"))).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining(f.getFileName().toString()).hasMessageContaining("line 2");
  }

  @Test
  void a_longFile_isRewrittenWithTheLatestOfEachRecord() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    RunRecord r = run("run_1", T0);
    j.saveRun(r);
    for (int i = 0; i < FileRunJournal.COMPACT_AFTER; i++) {
      r = r.next(RunStatus.RUNNING, null, T0.plusSeconds(i));
      assertThat(j.saveRun(r)).isTrue();
    }
    j.saveStep(step("run_1", "plan"));

    assertThat(Files.readAllLines(j.fileOf(RunId.of("run_1")))).hasSizeLessThan(10);
    assertThat(FileRunJournal.open(dir).run(RunId.of("run_1"))).contains(r);
    assertThat(FileRunJournal.open(dir).steps(RunId.of("run_1"))).containsExactly(step("run_1", "plan"));
  }

  @Test
  void leases_areAppendedALinePerChange_andALeaseFileOfTheFirstFormatIsReadAndMovedOn() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    Path f = dir.resolve(".leases.json");
    Files.writeString(f, """
        {
          "format" : "agentprovision-leases",
          "leases" : [ {
            "name" : "run:run_1",
            "owner" : "host-a",
            "token" : 4,
            "expires_at" : "2026-11-02T09:01:00Z"
          } ]
        }
        """);

    Lease held = j.lease("run:run_1").orElseThrow();
    assertThat(held).isEqualTo(new Lease("run:run_1", "host-a", 4, T0.plusSeconds(60)));
    Lease renewed = j.renewLease(held, T0.plusSeconds(120)).orElseThrow();
    assertThat(Json.parseObject(Files.readAllLines(f).get(0))).containsEntry("version", 3L);
    assertThat(j.acquireLease("run:run_2", "host-b", T0, T0.plusSeconds(60))).isPresent();
    assertThat(j.releaseLease(renewed)).isTrue();

    List<String> lines = Files.readAllLines(f);
    assertThat(lines).as("header, the moved file's lease, then one line per change").hasSize(4);
    assertThat(Json.parseObject(lines.get(3))).containsEntry("name", "run:run_1").containsEntry("owner", null)
        .containsEntry("token", 4L);
    FileRunJournal reopened = FileRunJournal.open(dir);
    assertThat(reopened.lease("run:run_1")).isEmpty();
    assertThat(reopened.acquireLease("run:run_1", "host-b", T0, T0.plusSeconds(60)).orElseThrow().token())
        .as("tokens never repeat after the move: above run_1's 4 and run_2's 5").isEqualTo(6);
    assertThat(reopened.lease("run:run_2").orElseThrow().owner()).isEqualTo("host-b");
  }

  @Test
  void a_leaseRelease_isForcedByTheNextLeaseChange_andLostInACrashItIsALeaseThatExpires() throws Exception {
    List<String> forced = new java.util.concurrent.CopyOnWriteArrayList<>();
    FileRunJournal j = FileRunJournal.open(dir, file -> {
      GroupForce.Forcer.DISK.force(file);
      if (file.getFileName().toString().equals(".leases.json")) {
        forced.add(Files.readString(file));
      }
    });
    Path f = dir.resolve(".leases.json");
    Lease held = j.acquireLease("run:run_1", "host-a", T0, T0.plusSeconds(60)).orElseThrow();
    String beforeRelease = Files.readString(f);
    int forces = forced.size();

    assertThat(j.releaseLease(held)).isTrue();

    assertThat(forced).as("a release waits for no force of its own").hasSize(forces);
    assertThat(j.lease("run:run_1")).as("every host sees it at once").isEmpty();
    // a machine crash now: the release is lost, the lease is held by a host that is gone until it expires
    Files.writeString(f, beforeRelease);
    FileRunJournal afterCrash = FileRunJournal.open(dir);
    assertThat(afterCrash.acquireLease("run:run_1", "host-b", T0.plusSeconds(30), T0.plusSeconds(90))).isEmpty();
    Lease taken = afterCrash.acquireLease("run:run_1", "host-b", T0.plusSeconds(60), T0.plusSeconds(120))
        .orElseThrow();
    assertThat(taken.token()).as("tokens never repeat").isGreaterThan(held.token());

    // without a crash, the next change's force carries the release
    Lease again = j.acquireLease("run:run_2", "host-a", T0, T0.plusSeconds(60)).orElseThrow();
    assertThat(j.releaseLease(again)).isTrue();
    j.acquireLease("run:run_3", "host-a", T0, T0.plusSeconds(60)).orElseThrow();
    Files.writeString(f, forced.get(forced.size() - 1));
    assertThat(FileRunJournal.open(dir).lease("run:run_2")).isEmpty();
  }

  @Test
  void a_leaseChange_returnsOnlyOnceForced_andATornLastLineIsCutOff() throws Exception {
    Map<Path, String> durable = new ConcurrentHashMap<>();
    FileRunJournal j = FileRunJournal.open(dir, file -> {
      GroupForce.Forcer.DISK.force(file);
      durable.put(file, Files.readString(file));
    });
    Path f = dir.resolve(".leases.json");
    Lease first = j.acquireLease("run:run_1", "host-a", T0, T0.plusSeconds(60)).orElseThrow();
    Lease renewed = j.renewLease(first, T0.plusSeconds(90)).orElseThrow();
    assertThat(durable.get(f)).as("forced before renewLease returned").isEqualTo(Files.readString(f));

    Files.writeString(f, Files.readString(f) + "{\"name\":\"run:run_1\",\"own");
    assertThat(j.lease("run:run_1")).contains(renewed);
    assertThat(j.releaseLease(renewed)).isTrue();
    assertThat(Files.readString(f)).doesNotContain("\"own\n");
    assertThat(FileRunJournal.open(dir).lease("run:run_1")).isEmpty();
  }

  @Test
  void a_save_returnsOnlyOnceItsLineIsForced() throws Exception {
    Map<Path, String> durable = new ConcurrentHashMap<>();
    FileRunJournal j = FileRunJournal.open(dir, file -> {
      GroupForce.Forcer.DISK.force(file);
      durable.put(file, Files.readString(file)); // what a crash right after this force would leave
    });
    j.saveRun(run("run_1", T0)); // the first save creates the file atomically and durably
    StepRecord running = step("run_1", "plan").toBuilder().status(StepStatus.RUNNING).attempts(1).build();

    assertThat(j.saveStep(running)).isTrue();

    Path f = j.fileOf(RunId.of("run_1"));
    assertThat(durable.get(f)).as("forced before saveStep returned").isEqualTo(Files.readString(f));
    Files.writeString(f, durable.get(f));
    assertThat(FileRunJournal.open(dir).step(RunId.of("run_1"), StepId.of("plan"))).contains(running);
  }

  @Test
  void a_stepsResult_isForcedByTheRunsNextSave_notOnItsOwn() throws Exception {
    List<String> forcedContent = new java.util.concurrent.CopyOnWriteArrayList<>();
    FileRunJournal j = FileRunJournal.open(dir, file -> {
      GroupForce.Forcer.DISK.force(file);
      forcedContent.add(Files.readString(file));
    });
    j.saveRun(run("run_1", T0));
    StepRecord running = step("run_1", "plan").toBuilder().status(StepStatus.RUNNING).attempts(1).build();
    j.saveStep(running);
    Path f = j.fileOf(RunId.of("run_1"));
    String beforeResult = Files.readString(f);
    int forcesBefore = forcedContent.size();
    StepRecord succeeded = running.next(T0.plusSeconds(1)).status(StepStatus.SUCCEEDED).output("{\"id\":\"res_1\"}")
        .build();

    assertThat(j.saveStepResult(succeeded)).isTrue();

    assertThat(forcedContent).as("the result is written, not forced on its own").hasSize(forcesBefore);
    assertThat(j.step(RunId.of("run_1"), StepId.of("plan"))).as("readers see it at once").contains(succeeded);
    // a crash now leaves what was forced: the step as journaled before, running, which resume runs again
    Path crashed = dir.resolve("crashed");
    Files.createDirectories(crashed);
    Files.writeString(crashed.resolve(f.getFileName()), beforeResult);
    assertThat(FileRunJournal.open(crashed).step(RunId.of("run_1"), StepId.of("plan"))).contains(running);

    StepRecord next = step("run_1", "domain").toBuilder().status(StepStatus.RUNNING).attempts(1).build();
    assertThat(j.saveStep(next)).isTrue();

    assertThat(forcedContent).as("the next save forces once, covering both").hasSize(forcesBefore + 1);
    Files.writeString(f, forcedContent.get(forcedContent.size() - 1)); // a crash right after that force
    FileRunJournal reopened = FileRunJournal.open(dir);
    assertThat(reopened.step(RunId.of("run_1"), StepId.of("plan"))).contains(succeeded);
    assertThat(reopened.step(RunId.of("run_1"), StepId.of("domain"))).contains(next);
  }

  @Test
  void concurrent_saves_shareAForce_andEachReturnsOnlyOnceCovered() throws Exception {
    CountDownLatch firstForceStarted = new CountDownLatch(1);
    CountDownLatch releaseFirstForce = new CountDownLatch(1);
    AtomicInteger forces = new AtomicInteger();
    Map<Integer, String> forcedContent = new ConcurrentHashMap<>();
    FileRunJournal j = FileRunJournal.open(dir, file -> {
      int n = forces.incrementAndGet();
      if (n == 1) {
        firstForceStarted.countDown();
        await(releaseFirstForce);
      }
      GroupForce.Forcer.DISK.force(file);
      forcedContent.put(n, Files.readString(file));
    });
    j.saveRun(run("run_1", T0));
    Path f = j.fileOf(RunId.of("run_1"));
    ExecutorService pool = Executors.newFixedThreadPool(3);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    try {
      Future<Boolean> first = pool.submit(() -> j.saveStep(step("run_1", "a")));
      await(firstForceStarted);
      Future<Boolean> second = pool.submit(() -> j.saveStep(step("run_1", "b")));
      Future<Boolean> third = pool.submit(() -> j.saveStep(step("run_1", "c")));
      while (Files.readAllLines(f).size() < 5) { // both appended, waiting behind the first force
        Thread.onSpinWait();
      }
      assertThat(second.isDone()).as("the first force began before b was written: it cannot cover b").isFalse();
      releaseFirstForce.countDown();

      assertThat(first.get(30, TimeUnit.SECONDS)).isTrue();
      assertThat(second.get(30, TimeUnit.SECONDS)).isTrue();
      assertThat(third.get(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      pool.shutdownNow();
    }
    assertThat(forces.get()).as("one force for a, one shared by b and c").isEqualTo(2);
    assertThat(forcedContent.get(2)).contains("\"step\":\"b\"").contains("\"step\":\"c\"");
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        throw new AssertionError("timed out waiting for the other saver");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void run_whenTheFileIsFromTheFirstFormat_refusesAndNamesTheFile() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveRun(run("run_1", T0));
    Path f = j.fileOf(RunId.of("run_1"));
    Files.writeString(f, Files.readString(f).replaceFirst("\"version\":3", "\"version\":1"));

    // changed in place, as by hand: a journal opened on it (as after a restore) refuses it
    FileRunJournal reopened = FileRunJournal.open(dir);
    assertThatThrownBy(() -> reopened.run(RunId.of("run_1"))).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining(f.getFileName().toString()).hasMessageContaining("version-2");
  }

  @Test
  void runs_ignoreTemporaryFilesLeftByACrash() throws Exception {
    RunJournal j = journal();
    j.saveRun(run("run_1", T0));
    Files.writeString(dir.resolve("runs/.run_2--0011223344556677.json.123.tmp"), "{\"half");
    Files.writeString(dir.resolve("runs/.stray.json"), "{\"half");

    assertThat(j.runs()).hasSize(1);
  }

  @Test
  void run_whenTheFileIsCorrupt_namesTheFile() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveRun(run("run_1", T0));
    Path f = j.fileOf(RunId.of("run_1"));
    Files.writeString(f, "{\"format\":\"agentprovision-run\",\"version\":2,\"run_id\":\"run_1\",\"run\":{\"id\":\"run_1\"}}");

    assertThatThrownBy(() -> j.run(RunId.of("run_1"))).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining(f.getFileName().toString()).hasMessageContaining("unreadable");
    assertThatThrownBy(j::runs).isInstanceOf(AgentProvisionException.class);
    assertThatThrownBy(() -> j.saveRun(run("run_1", T0))).isInstanceOf(AgentProvisionException.class);
  }

  @Test
  void run_whenAFileHoldsAnotherRun_refuses() throws Exception {
    FileRunJournal j = FileRunJournal.open(dir);
    j.saveRun(run("run_1", T0));
    j.saveRun(run("run_2", T0));
    Files.copy(j.fileOf(RunId.of("run_1")), j.fileOf(RunId.of("run_2")), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> FileRunJournal.open(dir).run(RunId.of("run_2"))).isInstanceOf(AgentProvisionException.class);
  }
}
