package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three forgeries an adversarial review made against the JSONL audit log, each by someone who
 * can write the log file (and, for the third, delete the head file) but does not rewrite the head.
 * Each test passed a forged log before the fix.
 */
class AuditForgeryRegressionTest {
  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("audit.jsonl");
  }

  private static AuditRecord record(int i, String approver) {
    return new AuditRecord(Instant.parse("2026-11-02T09:00:00Z").plusSeconds(i), RunId.of("run_1"),
        StepId.of("step-" + i), "spend.commit", AgentId.of("coding-agent-7"), "ada@example.com", approver,
        Money.usd("5.00"), "ok", "run_1:step-" + i, Map.of("resource", "res_" + i));
  }

  private AuditLog logWith(int n) {
    AuditLog log = AuditLog.jsonl(file());
    for (int i = 1; i <= n; i++) {
      log.append(record(i, "ada@example.com"));
    }
    return log;
  }

  private List<String> lines() throws IOException {
    return new ArrayList<>(Files.readAllLines(file(), StandardCharsets.UTF_8));
  }

  private void writeLines(List<String> lines) throws IOException {
    Files.writeString(file(), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  /** Claim 1: a line appended with a correct SHA-256 link to the last entry. */
  @Test
  void reopen_whenAnEntryWithAValidLinkIsAppended_doesNotAdoptIt() throws Exception {
    AuditLog log = logWith(3);
    AuditEntry head = log.head().orElseThrow();
    AuditEntry forged = AuditChain.link(head, record(4, "cfo@corp"));
    Files.writeString(file(), AuditCodec.toLine(forged) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    AuditVerification seenByTheRunningLog = log.verify();
    AuditLog reopened;
    try {
      reopened = AuditLog.jsonl(file());
    } catch (AgentProvisionException refused) {
      reopened = null; // refusing the log outright also keeps the forgery out
    }

    assertThat(seenByTheRunningLog.valid()).as("the running log reports the unacknowledged entry").isFalse();
    if (reopened != null) {
      assertThat(reopened.entries()).extracting(e -> e.record().approver()).doesNotContain("cfo@corp");
      assertThat(reopened.entries()).extracting(AuditEntry::hash).doesNotContain(forged.hash());
      assertThat(reopened.verify().valid()).isTrue();
      assertThat(reopened.head().orElseThrow().hash()).isNotEqualTo(forged.hash());
    }
    assertThat(log.entries()).extracting(AuditEntry::hash).doesNotContain(forged.hash());
  }

  /** Claim 2: a field added to a line (the entry's hash recomputed from its known fields still matches). */
  @Test
  void verify_whenAFieldIsAddedToALine_isInvalidAndReopenRefuses() throws Exception {
    logWith(3);
    AuditLog open = AuditLog.jsonl(file());
    List<String> lines = lines();
    lines.set(1, lines.get(1).replaceFirst("^\\{", "{\"approved_by\":\"cfo@corp\","));
    writeLines(lines);

    AuditVerification v = open.verify();

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(2);
    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("first bad entry 2");
  }

  /** Claim 2, other spellings of the same entry: the hash must cover the bytes, not a re-parse of them. */
  @Test
  void verify_whenALineIsReencodedWithTheSameMeaning_isInvalid() throws Exception {
    logWith(3);
    AuditLog open = AuditLog.jsonl(file());
    List<String> original = lines();
    for (String variant : List.of(
        original.get(1).replace("\"outcome\":\"ok\"", "\"outcome\":\"\\u006fk\""), // an escape for a plain letter
        original.get(1).replace("\"outcome\":\"ok\"", "\"outcome\": \"ok\""), // whitespace
        original.get(1).replace("\"outcome\":\"ok\"", "\"outcome\":\"ok\",\"outcome\":\"ok\""))) { // repeated
      List<String> lines = new ArrayList<>(original);
      lines.set(1, variant);
      writeLines(lines);

      AuditVerification v = open.verify();

      assertThat(v.valid()).as(variant).isFalse();
      assertThat(v.firstBadSequence()).as(variant).isEqualTo(2);
    }
  }

  /** Claim 3: cut the log to its first entry and delete the head file. */
  @Test
  void open_whenTruncatedToOneEntryAndTheHeadFileDeleted_refuses() throws Exception {
    logWith(3);
    writeLines(lines().subList(0, 1));
    Files.delete(dir.resolve("audit.jsonl.head"));

    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("head file").hasMessageContaining("missing");
  }

  /** Claim 3, the other half: a head file that records more than the log holds. */
  @Test
  void open_whenTheHeadFileIsAheadOfTheEntries_refuses() throws Exception {
    logWith(3);
    writeLines(lines().subList(0, 2));

    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("first bad entry 3");
  }
}
