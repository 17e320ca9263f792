package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditIntegrityException;
import io.agentprovision.core.audit.AuditIntegrityException.Reason;
import io.agentprovision.core.internal.audit.JsonlAuditLogRedoTest.FakeDisk;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit does not look at the files' paths while their directory is unchanged (what
 * {@link Disk#directoryState} vouches for: played here by a fake disk whose answer the test changes
 * when it changes the directory). Whatever happens to the files in place is still noticed: another
 * process's commits, a log cut, a head file put back or cut; and a file replaced in the directory
 * still is, by the directory's change.
 */
class JsonlAuditLogDirectoryTest {
  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("audit.jsonl").toAbsolutePath().normalize();
  }

  private Path headFile() {
    return dir.resolve("audit.jsonl.head").toAbsolutePath().normalize();
  }

  private FakeDisk vouching() {
    FakeDisk disk = new FakeDisk("boot-1");
    disk.dirState = "directory as it was";
    return disk;
  }

  private JsonlAuditLog open(FakeDisk disk) {
    return JsonlAuditLog.open(JsonlAuditLog.Options.of(file()), disk);
  }

  private static void appendSome(JsonlAuditLog log, int from, int to) {
    for (int i = from; i <= to; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }
  }

  @Test
  void append_whileTheDirectoryIsUnchanged_followsAnotherInstancesCommits() {
    FakeDisk disk = vouching();
    JsonlAuditLog a = open(disk);
    JsonlAuditLog b = open(disk);
    appendSome(a, 1, 2);
    appendSome(b, 3, 4);
    for (int i = 5; i <= 2 * HeadFile.SLOTS + 10; i += 2) { // in turn, round the ring
      AuditEntry fromA = a.append(JsonlAuditLogTest.record(i));
      AuditEntry fromB = b.append(JsonlAuditLogTest.record(i + 1));
      assertThat(fromB.previousHash()).as("b continues a's entry %d", i).isEqualTo(fromA.hash());
    }
    assertThat(a.entries()).isEqualTo(b.entries());
    assertThat(a.verify().valid()).isTrue();
    a.close();
    b.close();
    assertThat(open(new FakeDisk("boot-2")).entries()).hasSize(2 * HeadFile.SLOTS + 10);
  }

  @Test
  void append_whileTheDirectoryIsUnchanged_refusesALogCutInPlace() throws Exception {
    JsonlAuditLog log = open(vouching());
    appendSome(log, 1, 4);
    long oneLineLess = Files.size(file()) - Files.readAllLines(file()).get(3).getBytes().length - 1;
    try (FileChannel c = FileChannel.open(file(), StandardOpenOption.WRITE)) {
      c.truncate(oneLineLess);
    }

    assertThatThrownBy(() -> log.append(JsonlAuditLogTest.record(5))).isInstanceOfSatisfying(
        AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
  }

  @Test
  void append_whileTheDirectoryIsUnchanged_refusesAHeadFilePutBackInPlace() throws Exception {
    JsonlAuditLog log = open(vouching());
    appendSome(log, 1, 3);
    byte[] older = Files.readAllBytes(headFile());
    appendSome(log, 4, 6);
    try (FileChannel c = FileChannel.open(headFile(), StandardOpenOption.WRITE)) { // same file, older bytes
      c.write(ByteBuffer.wrap(older), 0);
    }

    assertThatThrownBy(() -> log.append(JsonlAuditLogTest.record(7))).isInstanceOfSatisfying(
        AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED));
  }

  /**
   * The head's own slot put back in place to what it held before the last commit, with the head at
   * each kind of place in the ring: its last slot (the next slot's header is at the file's start),
   * the one before it and the first. Only that header differs from what the log last wrote, so a
   * commit that compared another part of the file would go on from a head the file no longer holds.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {HeadFile.SLOTS - 1, HeadFile.SLOTS - 2, 0})
  void append_whileTheDirectoryIsUnchanged_refusesTheHeadsSlotPutBackInPlace(int slot) throws Exception {
    JsonlAuditLog log = open(vouching());
    int i = 0;
    byte[] before;
    do { // commit until the head lands in the slot, keeping what the slot held before that commit
      byte[] file = Files.readAllBytes(headFile());
      before = java.util.Arrays.copyOfRange(file, slot * HeadFile.SLOT, slot * HeadFile.SLOT + HeadFile.HEADER);
      log.append(JsonlAuditLogTest.record(++i));
    } while (HeadFile.slot(HeadFile.decode(Files.readAllBytes(headFile()), null).head().gen()) != slot);
    try (FileChannel c = FileChannel.open(headFile(), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(before), (long) slot * HeadFile.SLOT);
    }

    int next = i + 1;
    assertThatThrownBy(() -> log.append(JsonlAuditLogTest.record(next))).isInstanceOfSatisfying(
        AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED));
    assertThat(Files.readAllLines(file())).hasSize(i);
  }

  @Test
  void append_whileTheDirectoryIsUnchanged_refusesAHeadFileCutInPlace() throws Exception {
    JsonlAuditLog log = open(vouching());
    appendSome(log, 1, 3);
    try (FileChannel c = FileChannel.open(headFile(), StandardOpenOption.WRITE)) {
      c.truncate(HeadFile.HEADER);
    }

    assertThatThrownBy(() -> log.append(JsonlAuditLogTest.record(4))).isInstanceOfSatisfying(
        AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.HEAD_UNREADABLE));
  }

  @Test
  void append_whenTheDirectoryChanged_looksAtThePaths_andRefusesAReplacedLog() throws Exception {
    FakeDisk disk = vouching();
    JsonlAuditLog log = open(disk);
    appendSome(log, 1, 3);
    Path copy = dir.resolve("copy.jsonl");
    Files.copy(file(), copy);
    Files.move(copy, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    disk.dirState = "an entry renamed";

    assertThatThrownBy(() -> log.append(JsonlAuditLogTest.record(4))).isInstanceOfSatisfying(
        AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.REPLACED));
  }

  /** An interrupt closing a channel while the directory vouches for the paths: the log reopens it and goes on. */
  @Test
  void append_fromInterruptedThreads_whileTheDirectoryIsUnchanged_keepsTheLogUsable() throws Exception {
    JsonlAuditLog log = open(vouching());
    log.append(JsonlAuditLogTest.record(1));
    java.util.List<AuditEntry> returned = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    for (int i = 2; i <= 100; i++) {
      Thread.currentThread().interrupt(); // pending when the append starts: it must not close the channels
      try {
        returned.add(log.append(JsonlAuditLogTest.record(i)));
      } catch (RuntimeException e) {
        failures.add(e);
      }
      assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
    }
    Thread appender = new Thread(() -> {
      for (int i = 101; i <= 200; i++) {
        try {
          returned.add(log.append(JsonlAuditLogTest.record(i)));
        } catch (RuntimeException e) {
          failures.add(e);
        }
        Thread.interrupted();
      }
    });
    appender.start();
    int seen = returned.size();
    while (appender.isAlive()) { // an interrupt per append, landing wherever the appender is
      if (returned.size() != seen) {
        seen = returned.size();
        appender.interrupt();
      }
      Thread.onSpinWait();
    }
    appender.join();

    assertThat(failures).isEmpty();
    assertThat(log.append(JsonlAuditLogTest.record(201)).sequence()).isEqualTo(201);
    assertThat(log.entries().subList(1, 200)).isEqualTo(returned);
    assertThat(log.verify().valid()).isTrue();
  }

  /** The log's channel closed by an interrupt while the directory vouches for its path: it is opened again by its path. */
  @Test
  void append_whenAnInterruptClosedTheLogsChannel_whileTheDirectoryIsUnchanged_goesOn() {
    FakeDisk disk = vouching();
    JsonlAuditLog log = open(disk);
    appendSome(log, 1, 3);
    disk.interruptForceOf = file(); // the log's next force: when the ring comes round
    java.util.List<AuditEntry> returned = new java.util.ArrayList<>();
    for (int i = 4; i <= HeadFile.SLOTS + 8; i++) {
      returned.add(log.append(JsonlAuditLogTest.record(i)));
      Thread.interrupted();
    }

    assertThat(disk.interruptForceOf).as("the interrupt landed").isNull();
    assertThat(log.entries().subList(3, HeadFile.SLOTS + 8)).isEqualTo(returned);
    assertThat(log.verify().valid()).isTrue();
  }

  /** The real disk vouches for a directory only once its last change is old enough to be told from the next. */
  @Test
  void systemDisk_vouchesForAnOldDirectory_notForOneJustChanged() throws Exception {
    Files.writeString(dir.resolve("new"), "x");
    assertThat(Disk.SYSTEM.directoryState(dir)).as("changed just now").isNull();

    Path old = Path.of(System.getProperty("java.home"));
    Object state = Disk.SYSTEM.directoryState(old);
    org.junit.jupiter.api.Assumptions.assumeTrue(state != null, "the JDK's directory has unix attributes");
    assertThat(Disk.SYSTEM.directoryState(old)).as("unchanged").isEqualTo(state);
    assertThat(state).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST).hasSize(3);
  }
}
