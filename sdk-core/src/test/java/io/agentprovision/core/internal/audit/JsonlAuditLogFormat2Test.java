package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditIntegrityException;
import io.agentprovision.core.audit.AuditIntegrityException.Reason;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.internal.audit.JsonlAuditLogRedoTest.FakeDisk;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logs whose head file is of format 2 (16 slots, the headers together, the data blocks apart), as
 * the SDK before format 3 wrote them: the fixtures under {@code format2/} were written by that code
 * ({@link Format2Fixtures}). They open, verify, redo what a stopped machine lost from their ring, go
 * on (the head file replaced by one of format 3 on the first move), and are refused when cut or
 * edited, as before.
 */
class JsonlAuditLogFormat2Test {
  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("audit.jsonl").toAbsolutePath().normalize();
  }

  private Path headFile() {
    return dir.resolve("audit.jsonl.head").toAbsolutePath().normalize();
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = JsonlAuditLogFormat2Test.class.getResourceAsStream("format2/" + name)) {
      assertThat(in).as(name).isNotNull();
      return name.endsWith(".gz") ? new GZIPInputStream(in).readAllBytes() : in.readAllBytes();
    }
  }

  /** The hash of each line of a log as written, read from its bytes. */
  private static List<String> hashes(byte[] log) {
    List<String> out = new ArrayList<>();
    for (String line : new String(log, StandardCharsets.UTF_8).split("\n")) {
      out.add(Json.string(Json.parseObject(line), "hash"));
    }
    return out;
  }

  private JsonlAuditLog open(FakeDisk disk, @Nullable AuditKey key) {
    return JsonlAuditLog.open(new JsonlAuditLog.Options(file(), key,
        key == null ? 1 : JsonlAuditLog.DEFAULT_KEYED_CHECKPOINT_EVERY, null, Clock.systemUTC()), disk);
  }

  /** Writes the plain fixture with its log as {@code log}; returns the whole log as that SDK wrote it. */
  private byte[] plainFixture(java.util.function.UnaryOperator<byte[]> log, java.util.function.UnaryOperator<byte[]> head)
      throws IOException {
    byte[] whole = resource("plain.jsonl");
    byte[] ring = resource("plain.jsonl.head.gz");
    assertThat(ring).as("a head file of format 2").hasSize(HeadFile.V2_SIZE);
    Files.write(file(), log.apply(whole));
    Files.write(headFile(), head.apply(ring));
    return whole;
  }

  /** How much of the fixture's log its newest head says was forced. */
  private static int forced(byte[] ring) {
    HeadFile.Head h = HeadFile.decode(ring, null).head();
    assertThat(h).isNotNull();
    assertThat(h.forced()).as("the fixture's last commits are only in the ring").isLessThan(h.bytes());
    return (int) h.forced();
  }

  @Test
  void open_afterTheMachineStopped_redoesTheLostCommitsFromAFormat2Ring_andUpgradesItOnTheNextAppend()
      throws Exception {
    byte[] ring = resource("plain.jsonl.head.gz");
    byte[] whole = plainFixture(log -> Arrays.copyOf(log, forced(ring)), h -> h);

    JsonlAuditLog log = open(new FakeDisk("boot-2"), null);

    assertThat(Files.readAllBytes(file())).as("the lost lines written again from the ring").isEqualTo(whole);
    assertThat(log.entries()).extracting(AuditEntry::hash).containsExactlyElementsOf(hashes(whole));
    assertThat(log.verify().valid()).isTrue();
    assertThat(Files.size(headFile())).as("read as it is").isEqualTo(HeadFile.V2_SIZE);
    AuditEntry next = log.append(JsonlAuditLogTest.record(Format2Fixtures.ENTRIES + 1));
    assertThat(Files.size(headFile())).as("replaced by format 3 on the first move").isEqualTo(HeadFile.SIZE);
    AuditEntry after = log.append(JsonlAuditLogTest.record(Format2Fixtures.ENTRIES + 2));
    assertThat(HeadFile.decode(Files.readAllBytes(headFile()), null).head().redo())
        .as("the next commit's lines in its slot").isPositive();
    assertThat(next.previousHash()).isEqualTo(hashes(whole).get(Format2Fixtures.ENTRIES - 1));
    log.close();
    JsonlAuditLog reopened = open(new FakeDisk("boot-3"), null);
    assertThat(reopened.entries()).hasSize(Format2Fixtures.ENTRIES + 2).endsWith(next, after);
    assertThat(reopened.verify().valid()).isTrue();
  }

  @Test
  void open_afterTheMachineStopped_withTheLogsLengthOnDiskButNotItsData_redoesTheZeros() throws Exception {
    byte[] ring = resource("plain.jsonl.head.gz");
    byte[] whole = plainFixture(log -> {
      byte[] zeros = log.clone();
      Arrays.fill(zeros, forced(ring), zeros.length, (byte) 0);
      return zeros;
    }, h -> h);

    JsonlAuditLog log = open(new FakeDisk("boot-2"), null);

    assertThat(Files.readAllBytes(file())).isEqualTo(whole);
    assertThat(log.entries()).hasSize(Format2Fixtures.ENTRIES);
    assertThat(log.verify().valid()).isTrue();
  }

  /** The newest slot's data block half written: its commit's force never completed, so it is not kept. */
  @Test
  void open_afterTheMachineStopped_inTheNewestSlotsWrite_keepsTheCommitsBeforeIt() throws Exception {
    byte[] ring = resource("plain.jsonl.head.gz");
    HeadFile.Head newest = HeadFile.decode(ring, null).head();
    byte[] whole = plainFixture(log -> Arrays.copyOf(log, forced(ring)), h -> {
      byte[] torn = h.clone();
      int data = HeadFile.dataOffset(2, (int) (newest.gen() % HeadFile.V2_SLOTS));
      Arrays.fill(torn, data + (int) newest.redo() / 2, data + (int) newest.redo(), (byte) 0);
      return torn;
    });

    JsonlAuditLog log = open(new FakeDisk("boot-2"), null);

    assertThat(log.entries()).extracting(AuditEntry::hash)
        .containsExactlyElementsOf(hashes(whole).subList(0, Format2Fixtures.ENTRIES - 1));
    assertThat(log.verify().valid()).isTrue();
    log.append(JsonlAuditLogTest.record(99));
    assertThat(log.verify().valid()).isTrue();
  }

  @Test
  void open_inTheBootThatWroteIt_takesTheLogAsItIs_andGoesOn() throws Exception {
    byte[] whole = plainFixture(log -> log, h -> h);

    JsonlAuditLog log = open(new FakeDisk(Format2Fixtures.BOOT), null);

    assertThat(log.entries()).extracting(AuditEntry::hash).containsExactlyElementsOf(hashes(whole));
    log.append(JsonlAuditLogTest.record(Format2Fixtures.ENTRIES + 1));
    assertThat(log.verify().valid()).isTrue();
    log.close();
    assertThat(open(new FakeDisk(Format2Fixtures.BOOT), null).entries()).hasSize(Format2Fixtures.ENTRIES + 1);
  }

  @Test
  void open_withAFormat2Ring_stillRefusesACutLog() throws Exception {
    byte[] whole = resource("plain.jsonl");
    String text = new String(whole, StandardCharsets.UTF_8);
    int lastLine = text.lastIndexOf('\n', text.length() - 2) + 1;
    plainFixture(log -> Arrays.copyOf(log, text.substring(0, lastLine).getBytes(StandardCharsets.UTF_8).length),
        h -> h);

    assertThatThrownBy(() -> open(new FakeDisk(Format2Fixtures.BOOT), null))
        .isInstanceOfSatisfying(AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
    assertThat(Files.size(headFile())).as("left as it is").isEqualTo(HeadFile.V2_SIZE);
  }

  @Test
  void open_withAFormat2Ring_stillRefusesAnEditedLine() throws Exception {
    plainFixture(log -> new String(log, StandardCharsets.UTF_8).replaceFirst("\"res_2\"", "\"res_9\"")
        .getBytes(StandardCharsets.UTF_8), h -> h);

    assertThatThrownBy(() -> open(new FakeDisk("boot-2"), null)).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> {
          assertThat(e.reason()).isEqualTo(Reason.TAMPERED);
          assertThat(e.firstBadSequence()).isEqualTo(2);
        });
    assertThat(Files.size(headFile())).as("left as it is").isEqualTo(HeadFile.V2_SIZE);
  }

  @Test
  void open_aKeyedLogWithAFormat2Checkpoint_verifiesAndGoesOn() throws Exception {
    byte[] whole = resource("keyed.jsonl");
    Files.write(file(), whole);
    Files.write(headFile(), resource("keyed.jsonl.head.gz"));
    assertThat(Files.size(headFile())).isEqualTo(HeadFile.V2_SIZE);

    JsonlAuditLog log = open(new FakeDisk("boot-2"), Format2Fixtures.key());

    assertThat(log.entries()).extracting(AuditEntry::hash).containsExactlyElementsOf(hashes(whole));
    assertThat(log.verify().valid()).isTrue();
    AuditEntry next = log.append(JsonlAuditLogTest.record(Format2Fixtures.ENTRIES + 1));
    assertThat(next.keyId()).isEqualTo(Format2Fixtures.KEY);
    log.close();
    JsonlAuditLog reopened = open(new FakeDisk("boot-3"), Format2Fixtures.key());
    assertThat(reopened.entries()).hasSize(Format2Fixtures.ENTRIES + 1).endsWith(next);
    assertThat(reopened.verify().valid()).isTrue();
    assertThat(Files.size(headFile())).isEqualTo(HeadFile.SIZE);
  }
}
