package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditIntegrityException;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditIntegrityException.Reason;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One disk sync per plain commit: the commit's lines go into the head file's ring, which is forced
 * instead of the log. These tests play a disk that keeps only what was forced (and, for what was not,
 * any of the states a stopped machine can leave) and a machine that starts again, and check that
 * every acknowledged append survives, that nothing else is adopted, and that what is not a crash is
 * still refused.
 */
class JsonlAuditLogRedoTest {
  static final AuditKey KEY = AuditKey.of("audit-2026",
      io.agentprovision.core.Secret.of("k6Qm0yJw3vV4l8r2Zp9sT1uX5cA7eB0dG2hK4nM6pR8="));

  @TempDir
  Path dir;

  /** The machine stopped: a fake disk force throws this, wherever the log was. */
  static final class Crash extends Error {
    Crash() {
      super("the machine stopped", null, false, false);
    }
  }

  /** A disk that records what each force made durable, counts forces by file, and can stop the machine. */
  static final class FakeDisk implements Disk {
    volatile @Nullable String boot;
    final Map<Path, byte[]> durable = new ConcurrentHashMap<>();
    final Map<Path, AtomicInteger> forces = new ConcurrentHashMap<>();
    final AtomicInteger count = new AtomicInteger();
    volatile int crashAt = Integer.MAX_VALUE;
    volatile @Nullable CountDownLatch holdFirstHeadForce;
    final CountDownLatch firstHeadForceStarted = new CountDownLatch(1);

    /** A file whose next force is cut by an interrupt, as one landing in the middle of it would (the channel closes). */
    volatile @Nullable Path interruptForceOf;
    /** What {@link #directoryState} answers: null (the default) vouches for nothing. */
    volatile @Nullable Object dirState;

    FakeDisk(@Nullable String boot) {
      this.boot = boot;
    }

    @Override
    public @Nullable String bootId() {
      return boot;
    }

    @Override
    public @Nullable Object directoryState(Path dir) {
      return dirState;
    }

    @Override
    public void force(FileChannel ch, Path file, boolean metaData) throws IOException {
      if (count.incrementAndGet() == crashAt) {
        throw new Crash();
      }
      if (file.equals(interruptForceOf)) {
        interruptForceOf = null;
        Thread.currentThread().interrupt();
        ch.force(metaData); // throws ClosedByInterruptException, closing ch
      }
      CountDownLatch hold = holdFirstHeadForce;
      if (hold != null && file.getFileName().toString().endsWith(".head")) {
        holdFirstHeadForce = null;
        firstHeadForceStarted.countDown();
        try {
          assertThat(hold.await(30, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
      forces.computeIfAbsent(file, f -> new AtomicInteger()).incrementAndGet();
      durable.put(file, Files.readAllBytes(file));
    }

    int forcesOf(Path file) {
      AtomicInteger n = forces.get(file);
      return n == null ? 0 : n.get();
    }
  }

  private Path file() {
    return dir.resolve("audit.jsonl").toAbsolutePath().normalize();
  }

  private Path headFile() {
    return dir.resolve("audit.jsonl.head").toAbsolutePath().normalize();
  }

  /** The key the log is opened with: null for a plain log. */
  private @Nullable AuditKey key;

  private JsonlAuditLog open(FakeDisk disk) {
    return JsonlAuditLog.open(key == null ? JsonlAuditLog.Options.of(file())
        : new JsonlAuditLog.Options(file(), key, JsonlAuditLog.DEFAULT_KEYED_CHECKPOINT_EVERY, null,
            java.time.Clock.systemUTC()), disk);
  }

  @Test
  void append_forcesOnlyTheHeadFile_andTheLogOncePerRing() {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);

    int n = 2 * HeadFile.SLOTS + 10;
    for (int i = 1; i <= n; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }

    assertThat(disk.forcesOf(headFile())).as("one sync of the head file per commit").isEqualTo(n);
    assertThat(disk.forcesOf(file())).as("the log, when the ring of %d slots wraps", HeadFile.SLOTS)
        .isEqualTo(2).isEqualTo(n / (HeadFile.SLOTS + 1)); // the commit that wraps it needs no slot data
    log.close();
    assertThat(disk.forcesOf(file())).as("and on closing").isEqualTo(3);
  }

  /** Given to a provisioner: a commit writes its slot and forces nothing; the barrier forces the head file once. */
  @Test
  void deferred_commitsForceNothing_aCrossingForcesTheHeadFileOnce() throws Exception {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);
    DurabilityBarrier barrier = new DurabilityBarrier(false);
    log.deferTo(barrier);

    for (int i = 1; i <= 5; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }
    assertThat(disk.forcesOf(headFile())).as("no commit forced the head file").isZero();
    assertThat(disk.forcesOf(file())).isZero();
    assertThat(barrier.owes()).isTrue();

    barrier.cross();
    barrier.cross(); // nothing written since: nothing to force

    assertThat(disk.forcesOf(headFile())).isEqualTo(1);
    assertThat(barrier.owes()).isFalse();
    assertThat(disk.durable.get(headFile())).isEqualTo(Files.readAllBytes(headFile()));
    log.close();
  }

  /**
   * A machine stopping after a crossing, with a later slot of the head file on disk and the slots
   * between not (pages go back in any order) and nothing of the log forced: the log reopens with
   * every entry appended before the crossing, redone from the ring, and drops only what followed it.
   */
  @Test
  void deferred_aMachineStopAfterACrossing_keepsEveryEntryAppendedBeforeIt_whateverSlotsReachedTheDisk()
      throws Exception {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);
    DurabilityBarrier barrier = new DurabilityBarrier(false);
    log.deferTo(barrier);
    List<AuditEntry> crossed = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      crossed.add(log.append(JsonlAuditLogTest.record(i)));
    }
    barrier.cross(); // a request that may change something went out here
    byte[] headAtCrossing = Files.readAllBytes(headFile());
    for (int i = 4; i <= 6; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }
    byte[] headNow = Files.readAllBytes(headFile());
    int last = -1;
    for (int slot = 0; slot < HeadFile.SLOTS; slot++) {
      if (!Arrays.equals(headAtCrossing, slot * HeadFile.SLOT, (slot + 1) * HeadFile.SLOT, headNow,
          slot * HeadFile.SLOT, (slot + 1) * HeadFile.SLOT)) {
        last = slot;
      }
    }
    assertThat(last).as("the commits after the crossing wrote slots").isPositive();
    byte[] stopped = headAtCrossing.clone(); // the last of them reached the disk, the two before it not
    System.arraycopy(headNow, last * HeadFile.SLOT, stopped, last * HeadFile.SLOT, HeadFile.SLOT);
    byte[] logOnDisk = disk.durable.getOrDefault(file(), new byte[0]);
    log.close(); // the process is gone; what the disk holds is put back below
    Files.write(headFile(), stopped);
    Files.write(file(), logOnDisk);

    JsonlAuditLog reopened = open(new FakeDisk("boot-2"));

    assertThat(reopened.entries()).startsWith(crossed.toArray(new AuditEntry[0]));
    assertThat(reopened.entries().stream().map(e -> e.record().action()))
        .as("only the log's own note of the recovery, if any, follows what was crossed")
        .allMatch(a -> a.equals("resource.provision") || a.startsWith("audit."));
    assertThat(reopened.entries().stream().filter(e -> e.record().action().equals("resource.provision")))
        .hasSize(3);
    assertThat(reopened.verify().valid()).isTrue();
    reopened.close();
  }

  /**
   * A keyed log forces its commit at every append, attached or not (its lines may be only in the
   * head file's ring until the log is next forced): it owes a barrier nothing.
   */
  @Test
  void aKeyedLog_isNotDeferred() {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = JsonlAuditLog.open(new JsonlAuditLog.Options(file(), io.agentprovision.core.audit.AuditKey.of("k1", io.agentprovision.core.Secret.of("0123456789abcdef0123456789abcdef")), 1, null,
        java.time.Clock.systemUTC()), disk);
    DurabilityBarrier barrier = new DurabilityBarrier(false);
    log.deferTo(barrier);
    log.append(JsonlAuditLogTest.record(1));
    assertThat(barrier.owes()).isFalse();
    assertThat(disk.forcesOf(headFile())).as("the commit's slot forced before the append returned").isEqualTo(1);
    log.close();
  }

  @Test
  void append_whenTheBootCannotBeKnown_forcesTheLogToo() {
    FakeDisk disk = new FakeDisk(null);
    JsonlAuditLog log = open(disk);

    for (int i = 1; i <= 5; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }

    assertThat(disk.forcesOf(file())).isEqualTo(5);
    assertThat(disk.forcesOf(headFile())).isEqualTo(5);
  }

  /**
   * The machine stops at every force of appends that wrap the ring, in turn; whatever of the
   * unforced writes reached the disk (none, all, a zero-filled length, half; of the head file's
   * slot: none, its header, its data, half its header, half its data, all), the log opened after the
   * restart holds every append that returned, with the hash it returned, verifies, and goes on. What
   * a crash left in a head file of format 2 is opened by {@link JsonlAuditLogFormat2Test}, from files
   * that code wrote.
   */
  @Test
  void open_afterTheMachineStoppedAtAnyForce_keepsEveryAcknowledgedAppend() throws Exception {
    crashAtEveryForce(HeadFile.SLOTS + 8, 1); // the ring wraps
  }

  /**
   * The same with entries appended three at a time ({@code appendAll}, one commit each): every batch
   * that returned is kept whole, and of the batch in flight the log keeps all or none.
   */
  @Test
  void open_afterTheMachineStoppedAtAnyForce_keepsEveryAcknowledgedBatchWhole_andNoPartOfAnother() throws Exception {
    crashAtEveryForce(36, 3); // twelve commits: the ring wrapping is the case above
  }

  /** A keyed log commits through the same ring, its slots signed: the same crashes lose nothing acknowledged. */
  @Test
  void open_keyed_afterTheMachineStoppedAtAnyForce_keepsEveryAcknowledgedAppend() throws Exception {
    key = KEY;
    crashAtEveryForce(HeadFile.SLOTS + 8, 1);
  }

  @Test
  void open_keyed_afterTheMachineStoppedAtAnyForce_keepsEveryAcknowledgedBatchWhole_andNoPartOfAnother()
      throws Exception {
    key = KEY;
    crashAtEveryForce(36, 3);
  }

  @Test
  void append_keyed_forcesOnlyTheHeadFile_andTheLogOncePerRing() {
    key = KEY;
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);
    int opening = disk.forcesOf(headFile());

    int n = 2 * HeadFile.SLOTS + 10;
    for (int i = 1; i <= n; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }

    assertThat(disk.forcesOf(headFile()) - opening).as("one sync of the head file per commit").isEqualTo(n);
    assertThat(disk.forcesOf(file())).as("the log, when the ring of %d slots wraps", HeadFile.SLOTS).isEqualTo(2);
    log.close();
    assertThat(disk.forcesOf(file())).as("and on closing").isEqualTo(3);
  }

  @Test
  void appendAll_commitsTheEntriesTogether_withOneSyncOfTheHeadFile() {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);
    log.append(JsonlAuditLogTest.record(1));
    int before = disk.forcesOf(headFile());

    List<AuditEntry> three = log.appendAll(List.of(JsonlAuditLogTest.record(2), JsonlAuditLogTest.record(3),
        JsonlAuditLogTest.record(4)));

    assertThat(disk.forcesOf(headFile()) - before).as("one sync for the three").isEqualTo(1);
    assertThat(disk.forcesOf(file())).as("the log is not forced").isZero();
    assertThat(three).extracting(AuditEntry::sequence).containsExactly(2L, 3L, 4L);
    assertThat(three.get(1).previousHash()).isEqualTo(three.get(0).hash());
    assertThat(log.entries()).extracting(AuditEntry::hash).endsWith(three.get(0).hash(), three.get(1).hash(),
        three.get(2).hash());
    assertThat(log.appendAll(List.of())).isEmpty();
    assertThat(log.verify().valid()).isTrue();
    log.close();
  }

  /**
   * Stops the machine at every force of {@code appends} appends made {@code batch} at a time, in turn;
   * whatever of the unforced writes reached the disk (none, all, a zero-filled length, half; of the
   * head file's slot: none, its header, its data, half its header, all), the log opened after the
   * restart holds every append that returned, with the hash it returned, and of a batch all its
   * entries or none, verifies, and goes on.
   */
  private void crashAtEveryForce(int appends, int batch) throws Exception {
    FakeDisk dry = new FakeDisk("boot-1");
    JsonlAuditLog counting = open(dry);
    int before = dry.count.get();
    for (int i = 1; i <= appends; i += batch) {
      counting.appendAll(java.util.stream.IntStream.range(i, i + batch).mapToObj(JsonlAuditLogTest::record).toList());
    }
    int forces = dry.count.get() - before;
    counting.close();
    int cases = 0;
    for (int crashAt = 1; crashAt <= forces + 1; crashAt++) {
      Files.deleteIfExists(file());
      Files.deleteIfExists(headFile());
      Files.deleteIfExists(dir.resolve("audit.jsonl.unacknowledged"));
      FakeDisk disk = new FakeDisk("boot-1");
      JsonlAuditLog log = open(disk);
      disk.durable.put(file(), Files.readAllBytes(file())); // opening left both files on disk
      disk.durable.put(headFile(), Files.readAllBytes(headFile()));
      disk.crashAt = disk.count.get() + crashAt;
      Map<Long, String> acked = new LinkedHashMap<>();
      try {
        for (int i = 1; i <= appends; i += batch) {
          List<AuditEntry> written = batch == 1 ? List.of(log.append(JsonlAuditLogTest.record(i)))
              : log.appendAll(java.util.stream.IntStream.range(i, i + batch).mapToObj(JsonlAuditLogTest::record).toList());
          written.forEach(e -> acked.put(e.sequence(), e.hash()));
        }
      } catch (Crash stopped) {
        // the append in flight never returned
      }
      byte[] logNow = Files.readAllBytes(file());
      byte[] headNow = Files.readAllBytes(headFile());
      byte[] logDurable = disk.durable.get(file());
      byte[] headDurable = disk.durable.get(headFile());
      List<byte[]> heads = new ArrayList<>();
      heads.addAll(headStates(headDurable, headNow));
      for (byte[] logAfter : logStates(logDurable, logNow)) {
        for (byte[] headAfter : heads) {
          Files.write(file(), logAfter);
          Files.write(headFile(), headAfter);
          Files.deleteIfExists(dir.resolve("audit.jsonl.unacknowledged"));
          String state = "crash at force " + crashAt + ", log " + logAfter.length + " of " + logNow.length
              + " bytes (" + logDurable.length + " forced), head " + (Arrays.equals(headAfter, headDurable) ? "as forced"
              : Arrays.equals(headAfter, headNow) ? "as written" : "partly written") + " (format "
              + HeadFile.formatOfSize(headAfter.length) + ")";
          JsonlAuditLog reopened;
          try {
            reopened = open(new FakeDisk("boot-2"));
          } catch (RuntimeException e) {
            throw new AssertionError(state + ": " + e.getMessage(), e);
          }
          List<AuditEntry> entries = reopened.entries();
          acked.forEach((seq, hash) -> {
            assertThat(entries.size()).as("%s: entry %d was acknowledged", state, seq).isGreaterThanOrEqualTo(
                seq.intValue());
            assertThat(entries.get((int) (seq - 1)).hash()).as("%s: entry %d", state, seq).isEqualTo(hash);
          });
          assertThat(entries).as(state).allSatisfy(e -> assertThat(e.record().action()).isIn("resource.provision",
              "audit.recovered"));
          long provisions = entries.stream().filter(e -> e.record().action().equals("resource.provision")).count();
          assertThat(provisions % batch).as("%s: %d entries kept, batches of %d: none cut in part", state, provisions,
              batch).isZero();
          AuditVerification v = reopened.verify();
          assertThat(v.valid()).as(state + ": " + v.problems()).isTrue();
          reopened.append(JsonlAuditLogTest.record(99));
          assertThat(reopened.verify().valid()).as(state).isTrue();
          reopened.close();
          cases++;
        }
      }
    }
    assertThat(cases).isGreaterThan(forces * 20);
  }

  /** What of the log can be on disk: what was forced, then none, all, zeros, or half of the rest. */
  private static List<byte[]> logStates(byte[] durable, byte[] now) {
    List<byte[]> states = new ArrayList<>();
    states.add(durable);
    if (now.length > durable.length) {
      states.add(now);
      states.add(Arrays.copyOf(durable, now.length)); // the length reached the disk, the data did not
      states.add(Arrays.copyOf(now, durable.length + (now.length - durable.length) / 2));
    }
    return states;
  }

  /**
   * What of the head file can be on disk: what was forced, then the unforced slot write (one write
   * of header and data) in part: all, the header alone, the data alone, half the header, half the data.
   */
  private static List<byte[]> headStates(byte[] durable, byte[] now) {
    List<byte[]> states = new ArrayList<>();
    states.add(durable);
    if (!Arrays.equals(durable, now)) {
      states.add(now);
      assertThat(now).as("slots are overwritten in place").hasSameSizeAs(durable).hasSize(HeadFile.SIZE);
      int first = Arrays.mismatch(durable, now);
      int slotStart = first / HeadFile.SLOT * HeadFile.SLOT;
      int dataStart = slotStart + HeadFile.HEADER;
      int slotEnd = slotStart + HeadFile.SLOT;
      assertThat(Arrays.mismatch(Arrays.copyOfRange(durable, slotEnd, durable.length),
          Arrays.copyOfRange(now, slotEnd, now.length))).as("one slot written").isEqualTo(-1);
      states.add(mix(now, durable, dataStart, slotEnd)); // the header reached the disk, the data did not
      states.add(mix(now, durable, slotStart, dataStart)); // the data did, the header did not
      int tornHeader = first + (dataStart - first) / 2;
      if (first < dataStart) {
        states.add(mix(now, durable, tornHeader, dataStart));
      }
      states.add(mix(now, durable, dataStart + (slotEnd - dataStart) / 8, slotEnd));
    }
    return states;
  }

  /** {@code now} with {@code [from, to)} as {@code durable} holds it. */
  private static byte[] mix(byte[] now, byte[] durable, int from, int to) {
    byte[] mixed = now.clone();
    System.arraycopy(durable, from, mixed, from, to - from);
    return mixed;
  }

  @Test
  void open_afterARestart_redoesTheUnforcedTailFromTheRing() throws Exception {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);
    List<AuditEntry> acked = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      acked.add(log.append(JsonlAuditLogTest.record(i)));
    }
    byte[] whole = Files.readAllBytes(file());
    Files.write(file(), new byte[0]); // nothing of the log was forced yet: the ring holds all five

    JsonlAuditLog reopened = open(new FakeDisk("boot-2"));

    assertThat(reopened.entries()).isEqualTo(acked);
    assertThat(Files.readAllBytes(file())).isEqualTo(whole);
    assertThat(reopened.verify().valid()).isTrue();
  }

  /** In the boot that wrote it, the log is what the page cache holds: a cut is tampering, as before. */
  @Test
  void open_inTheSameBoot_refusesACutTheRingCouldRedo() throws Exception {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);
    for (int i = 1; i <= 5; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }
    List<String> lines = Files.readAllLines(file());
    Files.writeString(file(), String.join("\n", lines.subList(0, 3)) + "\n");

    assertThatThrownBy(() -> open(new FakeDisk("boot-1"))).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> {
          assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
          assertThat(e.firstBadSequence()).isEqualTo(4);
        });
  }

  /** After a restart, bytes that differ from the ring and are not zeros were not left by a crash. */
  @Test
  void open_afterARestart_doesNotRedoOverAnEditedLine() throws Exception {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);
    for (int i = 1; i <= 4; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }
    List<String> lines = new ArrayList<>(Files.readAllLines(file()));
    lines.set(2, lines.get(2).replace("\"outcome\":\"ok\"", "\"outcome\":\"no\""));
    Files.writeString(file(), String.join("\n", lines) + "\n");

    assertThatThrownBy(() -> open(new FakeDisk("boot-2"))).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> {
          assertThat(e.reason()).isEqualTo(Reason.TAMPERED);
          assertThat(e.firstBadSequence()).isEqualTo(3);
        });
    assertThat(String.join("\n", Files.readAllLines(file()))).contains("\"outcome\":\"no\"");
  }

  /** After a restart, a log shorter than what was forced was cut by someone, not by the crash. */
  @Test
  void open_afterARestart_refusesALogCutBelowWhatWasForced() throws Exception {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);
    for (int i = 1; i <= HeadFile.SLOTS + 3; i++) { // the ring wrapped once: the log was forced
      log.append(JsonlAuditLogTest.record(i));
    }
    assertThat(disk.forcesOf(file())).isEqualTo(1);
    List<String> lines = Files.readAllLines(file());
    Files.writeString(file(), String.join("\n", lines.subList(0, 2)) + "\n");

    assertThatThrownBy(() -> open(new FakeDisk("boot-2"))).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
  }

  /**
   * Two instances on one file take turns (one commit, two, or a whole turn of the ring by the other
   * in between): each follows the other's head, and they keep one chain that a restart keeps.
   */
  @Test
  void append_fromTwoInstancesInTurn_eachFollowsTheOthersHead() {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog a = open(disk);
    JsonlAuditLog b = open(disk);
    List<AuditEntry> acked = new ArrayList<>();
    for (int i = 1; i <= 2 * HeadFile.SLOTS + 3; i++) {
      acked.add((i % 3 == 0 ? b : a).append(JsonlAuditLogTest.record(i)));
    }
    for (int i = 0; i < HeadFile.SLOTS + 2; i++) { // b's next slot is overwritten by a newer head of a's
      acked.add(a.append(JsonlAuditLogTest.record(100 + i)));
    }
    acked.add(b.append(JsonlAuditLogTest.record(200)));

    for (int i = 0; i < acked.size(); i++) {
      assertThat(acked.get(i).sequence()).as("one chain").isEqualTo(i + 1);
    }
    assertThat(a.entries()).isEqualTo(acked);
    assertThat(b.verify().valid()).isTrue();
    a.close();
    b.close();
    JsonlAuditLog restarted = open(new FakeDisk("boot-2"));
    assertThat(restarted.entries()).isEqualTo(acked);
    assertThat(restarted.verify().valid()).isTrue();
  }

  /** Appends that queue while a commit's head force runs share the next one: one force for all. */
  @Test
  void append_fromThreads_sharesOneHeadForcePerGroup() throws Exception {
    FakeDisk disk = new FakeDisk("boot-1");
    JsonlAuditLog log = open(disk);
    CountDownLatch release = new CountDownLatch(1);
    disk.holdFirstHeadForce = release;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      Future<AuditEntry> first = pool.submit(() -> log.append(JsonlAuditLogTest.record(1)));
      assertThat(disk.firstHeadForceStarted.await(30, TimeUnit.SECONDS)).isTrue();
      List<Thread> waiting = new ArrayList<>();
      List<Future<AuditEntry>> rest = new ArrayList<>();
      for (int i = 2; i <= 4; i++) {
        int n = i;
        rest.add(pool.submit(() -> {
          synchronized (waiting) {
            waiting.add(Thread.currentThread());
          }
          return log.append(JsonlAuditLogTest.record(n));
        }));
      }
      while (true) { // the three queued behind the commit in flight
        synchronized (waiting) {
          if (waiting.size() == 3 && waiting.stream().allMatch(t -> t.getState() == Thread.State.WAITING)) {
            break;
          }
        }
        Thread.onSpinWait();
      }
      release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).sequence()).isEqualTo(1);
      List<Long> seqs = new ArrayList<>();
      for (Future<AuditEntry> f : rest) {
        seqs.add(f.get(30, TimeUnit.SECONDS).sequence());
      }
      assertThat(seqs).containsExactlyInAnyOrder(2L, 3L, 4L);
    } finally {
      pool.shutdownNow();
    }
    assertThat(disk.forcesOf(headFile())).as("one force for the first, one shared by the other three").isEqualTo(2);
    assertThat(disk.forcesOf(file())).isZero();
    assertThat(log.verify().valid()).isTrue();
  }

  /** A head file written by the previous version (two 512-byte slots) is read, then upgraded on the first move. */
  @Test
  void open_withAHeadFileOfFormat1_readsItAndUpgradesIt() throws Exception {
    JsonlAuditLog log = open(new FakeDisk("boot-1"));
    List<AuditEntry> acked = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      acked.add(log.append(JsonlAuditLogTest.record(i)));
    }
    log.close();
    Files.write(headFile(), format1(5, 3, acked.get(2).hash(), Files.size(file())));

    JsonlAuditLog reopened = open(new FakeDisk("boot-1"));

    assertThat(reopened.entries()).isEqualTo(acked);
    assertThat(reopened.verify().valid()).isTrue();
    assertThat(Files.size(headFile())).as("read as it is").isEqualTo(HeadFile.OLD_SIZE);
    AuditEntry fourth = reopened.append(JsonlAuditLogTest.record(4));
    assertThat(Files.size(headFile())).as("upgraded").isEqualTo(HeadFile.SIZE);
    HeadFile.Head head = HeadFile.decode(Files.readAllBytes(headFile()), null).head();
    assertThat(head.gen()).isEqualTo(6);
    assertThat(head.entries()).isEqualTo(4);
    assertThat(open(new FakeDisk("boot-2")).entries()).endsWith(fourth).hasSize(4);
  }

  @Test
  void open_withAHeadFileOfFormat1_stillRefusesACutLog() throws Exception {
    JsonlAuditLog log = open(new FakeDisk("boot-1"));
    List<AuditEntry> acked = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      acked.add(log.append(JsonlAuditLogTest.record(i)));
    }
    Files.write(headFile(), format1(5, 3, acked.get(2).hash(), Files.size(file())));
    List<String> lines = Files.readAllLines(file());
    Files.writeString(file(), String.join("\n", lines.subList(0, 2)) + "\n");

    assertThatThrownBy(() -> open(new FakeDisk("boot-2"))).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
    assertThat(Files.size(headFile())).as("left as it is").isEqualTo(HeadFile.OLD_SIZE);
  }

  /** A head file as the previous version wrote it: two 512-byte slots, the head in slot {@code gen % 2}. */
  private static byte[] format1(long gen, long entries, String hash, long bytes) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("gen", gen);
    m.put("entries", entries);
    m.put("hash", hash);
    m.put("bytes", bytes);
    String check = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
        Json.canonical(m).getBytes(StandardCharsets.UTF_8)));
    m.put("check", check);
    byte[] file = new byte[HeadFile.OLD_SIZE];
    Arrays.fill(file, (byte) ' ');
    file[511] = '\n';
    file[1023] = '\n';
    byte[] json = Json.canonical(m).getBytes(StandardCharsets.UTF_8);
    System.arraycopy(json, 0, file, (int) (gen % 2) * 512, json.length);
    return file;
  }
}
