package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditIntegrityException;
import io.agentprovision.core.audit.AuditIntegrityException.Reason;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The head file: crash-consistent moves, typed refusals, explicit re-anchoring, and seeking from a checkpoint. */
class JsonlAuditLogHeadTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);

  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("audit.jsonl");
  }

  private Path headFile() {
    return dir.resolve("audit.jsonl.head");
  }

  private AuditLog logWith(int n) {
    AuditLog log = AuditLog.jsonl(file());
    for (int i = 1; i <= n; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }
    return log;
  }

  private List<String> lines() throws IOException {
    return new ArrayList<>(Files.readAllLines(file(), StandardCharsets.UTF_8));
  }

  private void writeLines(List<String> lines) throws IOException {
    Files.writeString(file(), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  /**
   * A crash while the head moved tears the slot being written; the other slot still holds the head
   * before, and the entry written just before the head (whose append never returned) is moved aside.
   */
  @Test
  void open_whenACrashTornTheHeadWrite_usesThePreviousHead() throws Exception {
    List<AuditEntry> acknowledged = logWith(3).entries().subList(0, 2);
    byte[] head = Files.readAllBytes(headFile());
    HeadFile.Head newest = HeadFile.decode(head, null).head();
    int slot = HeadFile.slotOffset(newest.gen());
    for (int i = slot + 20; i < slot + 60; i++) {
      head[i] = 'x'; // half of the new slot written
    }
    Files.write(headFile(), head);

    AuditLog reopened = AuditLog.jsonl(file());

    List<AuditEntry> entries = reopened.entries();
    assertThat(entries.subList(0, 2)).isEqualTo(acknowledged);
    assertThat(entries.get(2).record().action()).isEqualTo("audit.recovered");
    assertThat(reopened.verify().valid()).isTrue();
  }

  @Test
  void open_whenBothHeadSlotsAreUnreadable_refusesWithTheFix() throws Exception {
    logWith(2);
    Files.writeString(headFile(), "x".repeat(HeadFile.SIZE));

    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOfSatisfying(AuditIntegrityException.class, e -> {
      assertThat(e.reason()).isEqualTo(Reason.HEAD_UNREADABLE);
      assertThat(e).hasMessageContaining("reanchor").hasMessageContaining("backup");
    });
  }

  @Test
  void open_whenTheHeadFileIsMissing_saysHowToFixIt() throws Exception {
    logWith(3);
    Files.delete(headFile());

    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOfSatisfying(AuditIntegrityException.class, e -> {
      assertThat(e.reason()).isEqualTo(Reason.MISSING_HEAD);
      assertThat(e).hasMessageContaining("Restore audit.jsonl.head from a backup")
          .hasMessageContaining("reanchor(");
    });
  }

  @Test
  void reanchor_whenTheHeadFileIsMissing_anchorsAtTheLastEntryAndRecordsWhy() throws Exception {
    List<AuditEntry> before = logWith(3).entries();
    Files.delete(headFile());

    AuditLog log = AuditLog.jsonlBuilder(file()).clock(CLOCK).reanchor("head file lost with the old disk").build();

    List<AuditEntry> entries = log.entries();
    assertThat(entries.subList(0, 3)).isEqualTo(before);
    AuditRecord anchor = entries.get(3).record();
    assertThat(anchor.action()).isEqualTo("audit.reanchored");
    assertThat(anchor.time()).isEqualTo(CLOCK.instant());
    assertThat(anchor.details()).containsEntry("reason", "head file lost with the old disk")
        .containsEntry("head_file", "missing").containsEntry("entries_found", "3");
    assertThat(log.verify().valid()).isTrue();
    assertThat(AuditLog.jsonl(file()).verify().valid()).isTrue();
  }

  @Test
  void reanchor_whenTheHeadIsAheadOfTheEntries_recordsWhatTheHeadSaid() throws Exception {
    AuditLog original = logWith(4);
    String recordedHead = original.head().orElseThrow().hash();
    writeLines(lines().subList(0, 2));

    AuditLog log = AuditLog.jsonlBuilder(file()).reanchor("restored the log from yesterday's backup").build();

    AuditRecord anchor = log.entries().get(2).record();
    assertThat(anchor.details()).containsEntry("head_file", "ahead of the entries")
        .containsEntry("entries_found", "2").containsEntry("head_recorded_entries", "4")
        .containsEntry("head_recorded_hash", recordedHead);
    assertThat(log.verify().valid()).isTrue();
  }

  @Test
  void reanchor_doesNotAcceptEditedEntries() throws Exception {
    logWith(3);
    Files.delete(headFile());
    List<String> lines = lines();
    lines.set(1, lines.get(1).replace("\"outcome\":\"ok\"", "\"outcome\":\"no\""));
    writeLines(lines);

    assertThatThrownBy(() -> AuditLog.jsonlBuilder(file()).reanchor("restore").build())
        .isInstanceOfSatisfying(AuditIntegrityException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.TAMPERED);
          assertThat(e.firstBadSequence()).isEqualTo(2);
        });
  }

  @Test
  void reanchor_ofAHealthyLog_changesNothing() throws Exception {
    List<AuditEntry> before = logWith(3).entries();

    AuditLog log = AuditLog.jsonlBuilder(file()).reanchor("just in case").build();

    assertThat(log.entries()).isEqualTo(before);
  }

  @Test
  void append_whenTheHeadFileIsDeletedWhileOpen_refuses() throws Exception {
    AuditLog log = logWith(2);
    Files.delete(headFile());

    assertThatThrownBy(() -> log.append(JsonlAuditLogTest.record(3)))
        .isInstanceOfSatisfying(AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MISSING_HEAD));
    assertThat(lines()).hasSize(2);
  }

  @Test
  void append_whenTheHeadFileIsRolledBackWhileOpen_refuses() throws Exception {
    AuditLog log = logWith(2);
    byte[] older = Files.readAllBytes(headFile());
    log.append(JsonlAuditLogTest.record(3));
    log.append(JsonlAuditLogTest.record(4));
    Files.write(headFile(), older);

    assertThatThrownBy(() -> log.append(JsonlAuditLogTest.record(5)))
        .isInstanceOfSatisfying(AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED));
  }

  @Test
  void append_whenTheLogFileIsReplacedWhileOpen_refuses() throws Exception {
    AuditLog log = logWith(2);
    Path moved = dir.resolve("moved.jsonl");
    Files.move(file(), moved);
    Files.copy(moved, file());

    assertThatThrownBy(() -> log.append(JsonlAuditLogTest.record(3)))
        .isInstanceOfSatisfying(AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.REPLACED));
  }

  /**
   * A cancelled run interrupts its threads while they append: the append still completes (the
   * record of a cancellation matters), the interrupt is kept for the caller, and the log, whose
   * channel an interrupt during I/O closes, keeps working for everyone.
   */
  @Test
  void append_fromInterruptedThreads_completesAndKeepsTheLogUsable() throws Exception {
    AuditLog log = AuditLog.jsonl(file());
    Thread.currentThread().interrupt();
    AuditEntry first = log.append(JsonlAuditLogTest.record(1));
    assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();

    List<AuditEntry> returned = java.util.Collections.synchronizedList(new ArrayList<>(List.of(first)));
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread appender = new Thread(() -> {
      for (int i = 2; i <= 200; i++) {
        if (i % 2 == 0) {
          Thread.currentThread().interrupt(); // pending when the append starts
        }
        try {
          returned.add(log.append(JsonlAuditLogTest.record(i)));
        } catch (RuntimeException e) {
          failures.add(e);
        }
        Thread.interrupted();
      }
    });
    appender.start();
    int seen = 1;
    while (appender.isAlive()) { // and one more interrupt per append, landing wherever the appender is
      if (returned.size() != seen) {
        seen = returned.size();
        appender.interrupt();
      }
      Thread.onSpinWait();
    }
    appender.join();

    assertThat(failures).isEmpty();
    assertThat(log.append(JsonlAuditLogTest.record(201)).sequence()).as(() -> log.entries().stream()
        .filter(e -> !e.record().action().equals("resource.provision")).map(e -> e.sequence() + " "
        + e.record().action() + " " + e.record().details()).toList().toString()).isEqualTo(201);
    assertThat(log.entries().subList(0, 200)).isEqualTo(returned);
    assertThat(AuditLog.jsonl(file()).verify().valid()).isTrue();
  }

  /**
   * verifyAfter seeks to the checkpoint by the offset index: an entry far before it, changed in
   * place, is not read (a full verify finds it). Its cost does not depend on what lies before.
   */
  @Test
  void verifyAfter_readsFromTheCheckpointNotFromTheStart() throws Exception {
    AuditLog log = AuditLog.jsonl(file());
    AuditEntry checkpoint = null;
    for (int i = 1; i <= 300; i++) {
      AuditEntry e = log.append(JsonlAuditLogTest.record(i));
      if (i == 290) {
        checkpoint = e;
      }
    }
    List<String> lines = lines();
    lines.set(2, lines.get(2).replace("\"outcome\":\"ok\"", "\"outcome\":\"no\"")); // same length, entry 3
    writeLines(lines);

    AuditVerification after = log.verifyAfter(checkpoint.sequence(), checkpoint.hash());
    AuditVerification full = log.verify();

    assertThat(after.valid()).isTrue();
    assertThat(after.entries()).isEqualTo(300);
    assertThat(after.head()).isEqualTo(log.head().orElseThrow().hash());
    assertThat(full.valid()).isFalse();
    assertThat(full.firstBadSequence()).isEqualTo(3);
  }

  @Test
  void verifyAfter_whenAnEntryAfterTheCheckpointIsEdited_namesIt() throws Exception {
    AuditLog log = AuditLog.jsonl(file());
    AuditEntry checkpoint = null;
    for (int i = 1; i <= 200; i++) {
      AuditEntry e = log.append(JsonlAuditLogTest.record(i));
      if (i == 150) {
        checkpoint = e;
      }
    }
    List<String> lines = lines();
    lines.set(170, lines.get(170).replace("\"outcome\":\"ok\"", "\"outcome\":\"no\""));
    writeLines(lines);

    AuditVerification v = log.verifyAfter(checkpoint.sequence(), checkpoint.hash());

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(171);
  }
}
