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
import io.agentprovision.core.wire.Json;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlAuditLogTest {
  @TempDir
  Path dir;

  static AuditRecord record(int i) {
    return new AuditRecord(Instant.parse("2026-11-02T09:00:00Z").plusSeconds(i), RunId.of("run_1"),
        StepId.of("step-" + i), "resource.provision", AgentId.of("coding-agent-7"), "ada@example.com", null,
        Money.usd("5.00"), "ok", "run_1:step-" + i, Map.of("resource", "res_" + i, "note", "line\nbreak ü"));
  }

  private Path file() {
    return dir.resolve("audit.jsonl");
  }

  private Path headFile() {
    return dir.resolve("audit.jsonl.head");
  }

  private AuditLog logWith(int n) {
    AuditLog log = AuditLog.jsonl(file());
    for (int i = 1; i <= n; i++) {
      log.append(record(i));
    }
    return log;
  }

  private List<String> lines() throws IOException {
    return new ArrayList<>(Files.readAllLines(file(), StandardCharsets.UTF_8));
  }

  private void writeLines(List<String> lines) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    Files.writeString(file(), sb.toString(), StandardCharsets.UTF_8);
  }

  @Test
  void append_writesOneCodecLinePerEntryAndTheHead() throws Exception {
    AuditLog log = logWith(3);

    List<AuditEntry> entries = log.entries();
    assertThat(entries).extracting(AuditEntry::sequence).containsExactly(1L, 2L, 3L);
    assertThat(lines()).containsExactly(AuditCodec.toLine(entries.get(0)), AuditCodec.toLine(entries.get(1)),
        AuditCodec.toLine(entries.get(2)));
    HeadFile.Head head = HeadFile.decode(Files.readAllBytes(headFile()), null).head();
    assertThat(head).isNotNull();
    assertThat(head.entries()).isEqualTo(3);
    assertThat(head.hash()).isEqualTo(entries.get(2).hash());
    assertThat(head.bytes()).isEqualTo(Files.size(file()));
    byte[] headBytes = Files.readAllBytes(headFile());
    assertThat(headBytes).hasSize(HeadFile.SIZE);
    List<String> headers = new String(HeadFile.headersOf(headBytes, 3), StandardCharsets.UTF_8).lines().toList();
    assertThat(headers).as("a ring of slots, one JSON line each").hasSize(HeadFile.SLOTS);
    assertThat(headers.stream().filter(l -> !l.isBlank()).map(l -> Json.parseObject(l.strip())).toList())
        .as("the file's creation and three commits").hasSize(4).anySatisfy(m -> assertThat(m)
            .containsEntry("entries", 3L).containsEntry("redo", (long) lines().get(2).getBytes(StandardCharsets.UTF_8).length + 1));
    int slot = HeadFile.slot(head.gen());
    assertThat(new String(headBytes, (int) HeadFile.dataOffset(slot), (int) head.redo(), StandardCharsets.UTF_8))
        .as("the slot's data block: the commit's line, to redo it").isEqualTo(lines().get(2) + "\n");
    assertThat(HeadFile.dataOffset(slot)).as("right after the slot's header, in the same page").isEqualTo(
        HeadFile.slotOffset(head.gen()) + HeadFile.HEADER);
    assertThat(HeadFile.slotOffset(head.gen()) % 4096).as("the slot starts a page").isZero();
    assertThat(log.head()).contains(entries.get(2));
    assertThat(entries.get(0).record()).isEqualTo(record(1));
  }

  @Test
  void verify_whenUntouched_isValid() {
    AuditLog log = logWith(4);

    AuditVerification v = log.verify();

    assertThat(v.valid()).isTrue();
    assertThat(v.entries()).isEqualTo(4);
    assertThat(v.head()).isEqualTo(log.head().orElseThrow().hash());
    assertThat(v.problems()).isEmpty();
  }

  @Test
  void verify_whenEmpty_isValid() {
    AuditLog log = AuditLog.jsonl(dir.resolve("nested/dir/audit.jsonl"));

    assertThat(log.verify().valid()).isTrue();
    assertThat(log.entries()).isEmpty();
    assertThat(log.head()).isEmpty();
  }

  @Test
  void export_equalsTheStoredLines() throws Exception {
    AuditLog log = logWith(3);
    StringWriter out = new StringWriter();

    log.export(out);

    assertThat(out.toString()).isEqualTo(Files.readString(file(), StandardCharsets.UTF_8));
    StringWriter inMemory = new StringWriter();
    AuditLog mem = AuditLog.inMemory();
    for (int i = 1; i <= 3; i++) {
      mem.append(record(i));
    }
    mem.export(inMemory);
    assertThat(out.toString()).as("both stores export one form").isEqualTo(inMemory.toString());
  }

  @Test
  void open_whenTheFileExists_continuesTheChain() {
    AuditLog first = logWith(3);
    String lastHash = first.head().orElseThrow().hash();

    AuditLog reopened = AuditLog.jsonl(file());
    AuditEntry next = reopened.append(record(4));

    assertThat(next.sequence()).isEqualTo(4);
    assertThat(next.previousHash()).isEqualTo(lastHash);
    assertThat(reopened.verify().valid()).isTrue();
    assertThat(first.entries()).as("the first instance sees the append").hasSize(4);
  }

  @Test
  void head_fromAnotherInstance_readsTheLastEntryFromDisk() {
    AuditLog a = logWith(3);
    AuditLog b = AuditLog.jsonl(file());
    AuditEntry fourth = a.append(record(4));

    assertThat(b.head()).contains(fourth);
  }

  @Test
  void head_whenTheTailWasCutOff_refusesToNameAnotherEntry() throws Exception {
    AuditLog log = logWith(3);
    List<String> lines = lines();
    writeLines(lines.subList(0, 2));

    assertThatThrownBy(log::head).isInstanceOf(AgentProvisionException.class).hasMessageContaining("cut off");
  }

  @Test
  void verify_whenALineIsEditedOnDisk_namesTheEntry() throws Exception {
    logWith(4);
    openVerifier();
    List<String> lines = lines();
    assertThat(lines.get(1)).contains("\"amount\":\"USD 5.00\"");
    lines.set(1, lines.get(1).replace("\"amount\":\"USD 5.00\"", "\"amount\":\"USD 0.50\""));
    writeLines(lines);

    AuditVerification tampered = verifier.verify();

    assertThat(tampered.valid()).isFalse();
    assertThat(tampered.firstBadSequence()).isEqualTo(2);
    assertThat(tampered.problems()).anySatisfy(p -> assertThat(p).contains("entry 2 was edited"));
    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("does not verify").hasMessageContaining("first bad entry 2");
  }

  /** A handle opened before the file is tampered with: opening afterwards refuses. */
  private JsonlAuditLog verifier;

  private void openVerifier() {
    verifier = JsonlAuditLog.open(file());
  }

  @Test
  void verify_whenALineIsDeleted_isInvalid() throws Exception {
    logWith(4);
    openVerifier();
    List<String> lines = lines();
    lines.remove(1);
    writeLines(lines);

    AuditVerification v = verifier.verify();

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(3);
    assertThatThrownBy(() -> AuditLog.jsonl(file())).hasMessageContaining("first bad entry 3");
  }

  @Test
  void verify_whenLinesAreReordered_isInvalid() throws Exception {
    logWith(4);
    openVerifier();
    List<String> lines = lines();
    Collections.swap(lines, 1, 2);
    writeLines(lines);

    AuditVerification v = verifier.verify();

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(3);
    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOf(AgentProvisionException.class);
  }

  @Test
  void verify_whenAForgedLineIsInserted_isInvalid() throws Exception {
    AuditLog log = logWith(4);
    openVerifier();
    AuditEntry forged = AuditChain.link(log.entries().get(0), record(99));
    List<String> lines = lines();
    lines.add(1, AuditCodec.toLine(forged));
    writeLines(lines);

    AuditVerification v = verifier.verify();

    assertThat(v.valid()).isFalse();
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("entry 2 found where 3 was expected"));
    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOf(AgentProvisionException.class);
  }

  @Test
  void verify_whenTheTailIsCutOff_detectsItByTheHead() throws Exception {
    logWith(4);
    openVerifier();
    List<String> lines = lines();
    lines.remove(3);
    writeLines(lines);

    AuditVerification v = verifier.verify();

    assertThat(v.valid()).isFalse();
    assertThat(v.entries()).isEqualTo(3);
    assertThat(v.firstBadSequence()).isEqualTo(4);
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("head records 4 entries but 3"));
    assertThatThrownBy(() -> AuditLog.jsonl(file())).hasMessageContaining("first bad entry 4");
  }

  @Test
  void verify_whenTwoEntriesAreCutOff_isInvalid() throws Exception {
    logWith(4);
    openVerifier();
    List<String> lines = lines();
    writeLines(lines.subList(0, 2));

    assertThat(verifier.verify().valid()).isFalse();
    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOf(AgentProvisionException.class);
  }

  @Test
  void verify_whenALineIsNotJson_reportsTheLine() throws Exception {
    logWith(3);
    openVerifier();
    List<String> lines = lines();
    lines.set(1, "{not json");
    writeLines(lines);

    AuditVerification v = verifier.verify();

    assertThat(v.valid()).isFalse();
    assertThat(v.firstBadSequence()).isEqualTo(2);
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).startsWith("line 2 is not an audit entry"));
    assertThatThrownBy(() -> AuditLog.jsonl(file())).hasMessageContaining("first bad entry 2");
  }

  @Test
  void append_whenTheFileWasTamperedAfterOpening_refuses() throws Exception {
    AuditLog log = logWith(3);
    List<String> lines = lines();
    lines.remove(2);
    writeLines(lines);

    assertThatThrownBy(() -> log.append(record(4))).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("does not verify");
    assertThat(lines()).hasSize(2);
  }

  @Test
  void open_whenTheLastLineWasTornByACrash_movesItAsideRecordsThatAndContinues() throws Exception {
    List<AuditEntry> acknowledged = logWith(3).entries();
    byte[] torn = "{\"action\":\"resource.pro".getBytes(StandardCharsets.UTF_8);
    Files.write(file(), torn, StandardOpenOption.APPEND);

    AuditLog reopened = AuditLog.jsonl(file());

    List<AuditEntry> entries = reopened.entries();
    assertThat(entries.subList(0, 3)).isEqualTo(acknowledged);
    AuditRecord recovered = entries.get(3).record();
    assertThat(recovered.action()).isEqualTo("audit.recovered");
    assertThat(recovered.details()).containsEntry("torn_line", "true").containsEntry("after_entry", "3")
        .containsEntry("bytes", Integer.toString(torn.length)).containsEntry("moved_to", "audit.jsonl.unacknowledged");
    assertThat(Files.readString(dir.resolve("audit.jsonl.unacknowledged"))).isEqualTo(new String(torn,
        StandardCharsets.UTF_8) + "\n");
    assertThat(reopened.verify().valid()).isTrue();
    assertThat(reopened.append(record(4)).sequence()).isEqualTo(5);
    assertThat(reopened.verify().valid()).isTrue();
  }

  @Test
  void verify_whenTheLastLineIsTorn_reportsIt() throws Exception {
    logWith(2);
    openVerifier();
    Files.write(file(), "{\"act".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);

    AuditVerification v = verifier.verify();

    assertThat(v.valid()).isFalse();
    assertThat(v.problems()).anySatisfy(p -> assertThat(p).contains("incomplete line"));
  }

  /**
   * A crash between an entry's write and its head's: the entry is complete on disk but its append
   * never returned. Without a key it cannot be told from one someone else appended, so it is moved
   * aside (kept as evidence, recorded in the log), never adopted; nothing acknowledged is lost.
   */
  @Test
  void open_whenACrashLeftAnEntryPastItsHead_movesItAsideAndKeepsEveryAcknowledgedEntry() throws Exception {
    AuditLog log = logWith(3);
    List<AuditEntry> acknowledged = log.entries();
    AuditEntry unacknowledged = AuditChain.link(log.head().orElseThrow(), record(4));
    String line = AuditCodec.toLine(unacknowledged) + "\n";
    Files.write(file(), line.getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);

    AuditLog reopened = AuditLog.jsonl(file());

    List<AuditEntry> entries = reopened.entries();
    assertThat(entries.subList(0, 3)).isEqualTo(acknowledged);
    assertThat(entries).doesNotContain(unacknowledged);
    assertThat(entries.get(3).record().action()).isEqualTo("audit.recovered");
    assertThat(entries.get(3).record().details()).containsEntry("complete_lines", "1").containsEntry("torn_line",
        "false");
    assertThat(Files.readString(dir.resolve("audit.jsonl.unacknowledged"))).isEqualTo(line);
    assertThat(reopened.verify().valid()).isTrue();
    assertThat(reopened.append(record(5)).previousHash()).isEqualTo(entries.get(3).hash());
  }

  @Test
  void open_whenTheHeadFileIsMissing_refusesALongLog() throws Exception {
    logWith(3);
    Files.delete(headFile());

    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("head file").hasMessageContaining("missing");
  }

  @Test
  void open_whenTheHeadFileIsGarbage_refuses() throws Exception {
    logWith(2);
    Files.writeString(headFile(), "nonsense");

    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("head file");
  }

  @Test
  void append_fromManyThreads_keepsOneChain() throws Exception {
    AuditLog a = AuditLog.jsonl(file());
    AuditLog b = AuditLog.jsonl(file()); // a second instance on the same file, as a second host would have
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      AuditLog target = t % 2 == 0 ? a : b;
      int thread = t;
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < 15; i++) {
          target.append(record(thread * 100 + i));
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();

    AuditVerification v = a.verify();
    assertThat(v.valid()).as(v.problems().toString()).isTrue();
    assertThat(v.entries()).isEqualTo(120);
    assertThat(b.entries()).extracting(AuditEntry::sequence).doesNotHaveDuplicates().hasSize(120);
  }

  @Test
  void append_fromTwoProcesses_keepsOneChain() throws Exception {
    AuditLog log = AuditLog.jsonl(file());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        AuditAppenderMain.class.getName(), file().toString(), "150")
        .redirectErrorStream(true).start();
    BufferedReader childOut = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    assertThat(childOut.readLine()).isEqualTo("ready"); // the child is appending now
    for (int i = 0; i < 40; i++) {
      log.append(record(i));
    }
    assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String rest = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as(rest).isZero();

    AuditVerification v = log.verify();
    assertThat(v.valid()).as(v.problems().toString()).isTrue();
    assertThat(v.entries()).isEqualTo(190);
    assertThat(log.entries()).filteredOn(e -> "child".equals(e.record().details().get("writer"))).hasSize(150);
    assertThat(new File(dir.toFile(), "audit.jsonl.head")).exists();
  }
}
