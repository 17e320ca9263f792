package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checking only what came after an entry verified before, in memory and in a JSONL file. */
class AuditVerifyAfterTest {
  @TempDir
  Path dir;

  private static AuditRecord record(int n) {
    return new AuditRecord(Instant.parse("2026-11-02T09:00:00Z").plusSeconds(n), null, null, "action." + n,
        AgentId.of("agent-1"), null, null, null, "ok", null, Map.of("n", String.valueOf(n)));
  }

  private static AuditEntry fill(AuditLog log, int count) {
    AuditEntry last = null;
    for (int i = 1; i <= count; i++) {
      last = log.append(record(i));
    }
    return last;
  }

  @Test
  void verifyAfter_onAnUntouchedLog_isValidAndCountsTheWholeLog() {
    for (AuditLog log : List.of(AuditLog.inMemory(), AuditLog.jsonl(dir.resolve("a.jsonl")))) {
      AuditEntry checkpoint = fill(log, 10);
      fill(log, 5);

      AuditVerification v = log.verifyAfter(checkpoint.sequence(), checkpoint.hash());

      assertThat(v.valid()).as(log.toString()).isTrue();
      assertThat(v.entries()).isEqualTo(15);
      assertThat(v.head()).isEqualTo(log.head().orElseThrow().hash());
    }
  }

  @Test
  void verifyAfter_withNothingNew_isValid() {
    AuditLog log = AuditLog.jsonl(dir.resolve("b.jsonl"));
    AuditEntry checkpoint = fill(log, 3);

    assertThat(log.verifyAfter(checkpoint.sequence(), checkpoint.hash()).valid()).isTrue();
  }

  @Test
  void verifyAfter_detectsAnEditAfterTheCheckpoint() throws Exception {
    Path file = dir.resolve("c.jsonl");
    AuditLog log = AuditLog.jsonl(file);
    AuditEntry checkpoint = fill(log, 10);
    fill(log, 5);
    List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    lines.set(12, lines.get(12).replace("\"outcome\":\"ok\"", "\"outcome\":\"no\""));
    Files.write(file, lines, StandardCharsets.UTF_8);

    AuditVerification v = log.verifyAfter(checkpoint.sequence(), checkpoint.hash());

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(13);
  }

  @Test
  void verifyAfter_detectsThatTheCheckpointItselfChanged() throws Exception {
    Path file = dir.resolve("d.jsonl");
    AuditLog log = AuditLog.jsonl(file);
    AuditEntry checkpoint = fill(log, 10);
    List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    lines.set(9, lines.get(9).replace("\"outcome\":\"ok\"", "\"outcome\":\"no\""));
    Files.write(file, lines, StandardCharsets.UTF_8);

    assertThat(log.verifyAfter(checkpoint.sequence(), checkpoint.hash()).valid()).isFalse();
  }

  @Test
  void verifyAfter_inMemory_detectsATruncationBelowTheCheckpoint() {
    AuditLog log = AuditLog.inMemory();
    AuditEntry checkpoint = fill(log, 4);

    AuditVerification v = log.verifyAfter(checkpoint.sequence() + 3, checkpoint.hash());

    assertThat(v.valid()).isFalse();
    assertThat(v.problems()).singleElement().asString().contains("truncated");
  }
}
