package io.agentprovision.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.internal.audit.AuditCodec;
import io.agentprovision.core.spi.AuditLog;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared hash chain, checked on the in-memory log's entries. */
class AuditChainTest {
  private AuditLog log;
  private List<AuditEntry> entries;

  static AuditRecord record(int i) {
    return new AuditRecord(Instant.parse("2026-11-02T09:00:00Z").plusSeconds(i), RunId.of("run_1"),
        StepId.of("step-" + i), "spend.commit", AgentId.of("coding-agent-7"), "ada@example.com",
        i % 2 == 0 ? "ada@example.com" : null, Money.usd(i + ".00"), "ok", "run_1:step-" + i,
        Map.of("provider", "cloudflare", "n", Integer.toString(i)));
  }

  @BeforeEach
  void fill() {
    log = AuditLog.inMemory();
    for (int i = 1; i <= 5; i++) {
      log.append(record(i));
    }
    entries = new ArrayList<>(log.entries());
  }

  @Test
  void verify_whenUntouched_isValid() {
    AuditVerification v = AuditChain.verify(entries, entries.get(4).hash(), 5L);

    assertThat(v.valid()).isTrue();
    assertThat(v.entries()).isEqualTo(5);
    assertThat(v.head()).isEqualTo(entries.get(4).hash());
    assertThat(v.firstBadSequence()).isZero();
    assertThat(log.verify().valid()).isTrue();
    assertThat(entries.get(0).previousHash()).isEqualTo(AuditChain.GENESIS);
    assertThat(entries.get(1).previousHash()).isEqualTo(entries.get(0).hash());
  }

  @Test
  void verify_whenARecordIsEdited_namesTheEditedEntry() {
    AuditEntry e = entries.get(1);
    AuditRecord r = e.record();
    AuditRecord forged = new AuditRecord(r.time(), r.run(), r.step(), r.action(), r.agent(), r.principal(),
        r.approver(), Money.usd("0.01"), r.outcome(), r.idempotencyKey(), r.details());
    entries.set(1, new AuditEntry(e.sequence(), forged, e.previousHash(), e.hash()));

    AuditVerification v = AuditChain.verify(entries, null, null);

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(2);
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("entry 2 was edited"));
  }

  @Test
  void verify_whenAnEntryIsEditedAndRehashed_breaksTheNextLink() {
    AuditEntry e = entries.get(1);
    AuditRecord r = e.record();
    AuditRecord forged = new AuditRecord(r.time(), r.run(), r.step(), r.action(), r.agent(), r.principal(),
        r.approver(), Money.usd("0.01"), r.outcome(), r.idempotencyKey(), r.details());
    entries.set(1, new AuditEntry(2, forged, e.previousHash(), AuditChain.hash(2, e.previousHash(), forged)));

    AuditVerification v = AuditChain.verify(entries, null, null);

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(3);
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("entry 3 does not follow"));
  }

  @Test
  void verify_whenAnEntryIsDeleted_reportsTheGap() {
    entries.remove(1);

    AuditVerification v = AuditChain.verify(entries, null, null);

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(3);
    assertThat(v.problems().get(0)).contains("entry 3 found where 2 was expected");
  }

  @Test
  void verify_whenEntriesAreReordered_isInvalid() {
    Collections.swap(entries, 1, 2);

    AuditVerification v = AuditChain.verify(entries, null, null);

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(3);
  }

  @Test
  void verify_whenAForgedEntryIsInserted_isInvalid() {
    AuditEntry forged = AuditChain.link(entries.get(0), record(99));
    entries.add(1, forged);

    AuditVerification v = AuditChain.verify(entries, null, null);

    assertThat(v.valid()).isFalse();
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("entry 2 found where 3 was expected"));
  }

  @Test
  void verify_whenTheTailIsCutAgainstTheRecordedHead_isInvalid() {
    String head = entries.get(4).hash();
    entries.remove(4);

    AuditVerification v = AuditChain.verify(entries, head, 5L);
    AuditVerification withoutHead = AuditChain.verify(entries, null, null);

    assertThat(withoutHead.valid()).as("a shorter chain is consistent in itself").isTrue();
    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(5);
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("records 5 entries but 4"));
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("not the recorded head"));
  }

  @Test
  void codec_lineRoundTrip_keepsTheEntryAndItsHash() {
    for (AuditEntry e : entries) {
      AuditEntry back = AuditCodec.fromLine(AuditCodec.toLine(e));

      assertThat(back).isEqualTo(e);
      assertThat(AuditChain.hash(back.sequence(), back.previousHash(), back.record())).isEqualTo(e.hash());
    }
  }

  @Test
  void export_inMemory_writesOneCodecLinePerEntry() throws Exception {
    StringWriter out = new StringWriter();

    log.export(out);

    StringBuilder expected = new StringBuilder();
    for (AuditEntry e : entries) {
      expected.append(AuditCodec.toLine(e)).append('\n');
    }
    assertThat(out.toString()).isEqualTo(expected.toString());
  }

  @Test
  void head_inMemory_isTheLastEntry() {
    assertThat(log.head()).contains(entries.get(4));
    assertThat(AuditLog.inMemory().head()).isEmpty();
  }
}
