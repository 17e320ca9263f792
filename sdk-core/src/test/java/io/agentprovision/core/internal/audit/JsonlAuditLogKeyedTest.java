package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditIntegrityException;
import io.agentprovision.core.audit.AuditIntegrityException.Reason;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.spi.AuditLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keyed chain: whoever can write the log's files but lacks the key can neither add, edit nor
 * rewrite entries; keys rotate by id.
 */
class JsonlAuditLogKeyedTest {
  private static final String SECRET_2026 = "k6Qm0yJw3vV4l8r2Zp9sT1uX5cA7eB0dG2hK4nM6pR8=";
  private static final String SECRET_2027 = "Yt3Fh8Lq1Ws6Dv0Nb4Kx9Pz2Gm5Jc7Ra1Se3Ui5Oo7=";
  private static final AuditKey KEY = AuditKey.of("audit-2026", Secret.of(SECRET_2026));
  private static final AuditKey NEXT = AuditKey.of("audit-2027", Secret.of(SECRET_2027));

  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("audit.jsonl");
  }

  private AuditLog keyedWith(int n) {
    AuditLog log = AuditLog.jsonl(file(), KEY);
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

  @Test
  void append_signsEachEntryWithTheKeyAndNamesIt() throws Exception {
    AuditLog log = keyedWith(3);

    List<AuditEntry> entries = log.entries();

    assertThat(entries).allSatisfy(e -> assertThat(e.keyId()).isEqualTo("audit-2026"));
    AuditEntry second = entries.get(1);
    assertThat(second.hash()).isEqualTo(AuditChain.hash(2, second.previousHash(), second.record(), KEY))
        .isNotEqualTo(AuditChain.hash(2, second.previousHash(), second.record()));
    assertThat(lines().get(1)).contains("\"kid\":\"audit-2026\"");
    assertThat(log.verify().valid()).isTrue();
    assertThat(AuditChain.verify(entries, entries.get(2).hash(), 3L, KEY).valid()).isTrue();
    assertThat(AuditChain.verify(entries, null, null).valid()).as("without the key").isFalse();
  }

  @Test
  void theKey_neverReachesTheFilesMessagesOrToString() throws Exception {
    AuditLog log = keyedWith(2);
    Files.delete(dir.resolve("audit.jsonl.head"));
    Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> AuditLog.jsonl(file(), KEY));

    String everything = Files.readString(file()) + log + KEY + KEY.withRetired(NEXT) + refused.getMessage()
        + log.verify().problems();

    assertThat(everything).doesNotContain(SECRET_2026).doesNotContain(SECRET_2027).contains("audit-2026");
  }

  /** Someone with the files but not the key edits an entry and recomputes what they can. */
  @Test
  void reopen_whenAnEntryIsRewrittenWithoutTheKey_refuses() throws Exception {
    keyedWith(4);
    AuditLog running = AuditLog.jsonl(file(), KEY);
    List<String> original = lines();
    AuditEntry second = AuditCodec.fromLine(original.get(1));
    AuditRecord r = second.record();
    AuditRecord forged = new AuditRecord(r.time(), r.run(), r.step(), r.action(), r.agent(), r.principal(),
        "cfo@corp", r.amount(), r.outcome(), r.idempotencyKey(), r.details());
    // the same key id with a plain SHA-256 where the HMAC was, and with the key id dropped (a plain entry)
    String keepsKeyId = AuditCodec.toLine(new AuditEntry(2, forged, second.previousHash(),
        AuditChain.hash(2, second.previousHash(), forged), "audit-2026"));
    String dropsKeyId = AuditCodec.toLine(AuditChain.link(AuditCodec.fromLine(original.get(0)), forged));

    for (String line : List.of(keepsKeyId, dropsKeyId)) {
      List<String> lines = new ArrayList<>(original);
      lines.set(1, line);
      writeLines(lines);

      AuditVerification v = running.verify();

      assertThat(v.valid()).isFalse();
      assertThat(v.firstBadSequence()).isEqualTo(2);
      assertThatThrownBy(() -> AuditLog.jsonl(file(), KEY)).isInstanceOfSatisfying(AuditIntegrityException.class,
          e -> {
            assertThat(e.reason()).isEqualTo(Reason.TAMPERED);
            assertThat(e.firstBadSequence()).isEqualTo(2);
          });
    }
  }

  /** The whole log rewritten as a plain chain, with a plain head to match: a key-holder refuses it. */
  @Test
  void reopen_whenTheWholeLogIsRewrittenAsAPlainChain_refuses() throws Exception {
    keyedWith(3);
    List<AuditEntry> rewritten = new ArrayList<>();
    AuditEntry prev = null;
    for (String line : lines()) {
      AuditRecord r = AuditCodec.fromLine(line).record();
      prev = AuditChain.link(prev, new AuditRecord(r.time(), r.run(), r.step(), r.action(), r.agent(), r.principal(),
          "cfo@corp", r.amount(), r.outcome(), r.idempotencyKey(), r.details()));
      rewritten.add(prev);
    }
    writeLines(rewritten.stream().map(AuditCodec::toLine).toList());
    Files.write(dir.resolve("audit.jsonl.head"), HeadFile.newFile(new HeadFile.Head(1, 3, prev.hash(),
        Files.size(file()), null), null));

    assertThatThrownBy(() -> AuditLog.jsonl(file(), KEY)).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.NOT_KEYED));
    assertThat(AuditLog.jsonl(file()).verify().valid()).as("as a plain log it is consistent, which is the point")
        .isTrue();
  }

  @Test
  void reopen_whenAnEntryIsAppendedWithoutTheKey_neverAdoptsIt() throws Exception {
    AuditLog log = keyedWith(3);
    AuditEntry head = log.head().orElseThrow();
    AuditRecord cfo = JsonlAuditLogTest.record(4);
    // a keyed-looking entry whose "signature" is a plain hash
    String fakeSigned = AuditCodec.toLine(new AuditEntry(4, cfo, head.hash(), AuditChain.hash(4, head.hash(), cfo),
        "audit-2026"));
    Files.writeString(file(), fakeSigned + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    assertThatThrownBy(() -> AuditLog.jsonl(file(), KEY)).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED));
    assertThat(log.verify().valid()).isFalse();
  }

  @Test
  void reopen_whenAPlainEntryWithAValidLinkIsAppended_movesItAside() throws Exception {
    AuditLog log = keyedWith(3);
    AuditEntry plain = AuditChain.link(log.head().orElseThrow(), JsonlAuditLogTest.record(4));
    Files.writeString(file(), AuditCodec.toLine(plain) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    AuditLog reopened = AuditLog.jsonl(file(), KEY);

    assertThat(reopened.entries()).doesNotContain(plain).hasSize(4);
    assertThat(reopened.entries().get(3).record().action()).isEqualTo("audit.recovered");
    assertThat(reopened.verify().valid()).isTrue();
  }

  private static JsonlAuditLog.Options keyedOptions(Path file) {
    return new JsonlAuditLog.Options(file, KEY, JsonlAuditLog.DEFAULT_KEYED_CHECKPOINT_EVERY, null,
        java.time.Clock.systemUTC());
  }

  private static long headEntries(Path headFile) throws IOException {
    return HeadFile.decode(Files.readAllBytes(headFile), KEY).head().entries();
  }

  /**
   * Where the boot is known, a keyed commit goes through the head file's ring as a plain one does:
   * its lines in its signed slot, the head file alone forced, so the head names every acknowledged
   * entry and cutting off the last one is refused.
   */
  @Test
  void append_movesTheSignedHeadOnEveryCommit_forcingOnlyTheHeadFile() throws Exception {
    JsonlAuditLogRedoTest.FakeDisk disk = new JsonlAuditLogRedoTest.FakeDisk("boot-1");
    JsonlAuditLog log = JsonlAuditLog.open(keyedOptions(file()), disk);
    int headForces = disk.forcesOf(dir.resolve("audit.jsonl.head"));
    for (int i = 1; i <= 5; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }

    assertThat(headEntries(dir.resolve("audit.jsonl.head"))).as("the head is exact").isEqualTo(5);
    assertThat(disk.forcesOf(dir.resolve("audit.jsonl.head")) - headForces).as("one sync per commit").isEqualTo(5);
    assertThat(disk.forcesOf(file())).as("the log is not forced").isZero();
    log.close();
    writeLines(lines().subList(0, 4));

    assertThatThrownBy(() -> JsonlAuditLog.open(keyedOptions(file()), new JsonlAuditLogRedoTest.FakeDisk("boot-1")))
        .isInstanceOfSatisfying(AuditIntegrityException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
          assertThat(e.firstBadSequence()).isEqualTo(5);
        });
  }

  /**
   * Where the boot cannot be known, a keyed commit forces the log and the head file is a checkpoint:
   * entries after it verify by the key. A process that stops without moving it (a crash) loses
   * nothing it acknowledged.
   */
  @Test
  void reopen_afterAppendsPastTheHeadCheckpoint_adoptsThemBecauseTheyVerifyUnderTheKey() throws Exception {
    JsonlAuditLogRedoTest.FakeDisk disk = new JsonlAuditLogRedoTest.FakeDisk(null);
    JsonlAuditLog log = JsonlAuditLog.open(keyedOptions(file()), disk);
    for (int i = 1; i <= 5; i++) { // fewer commits than a checkpoint's worth: the head file still says 0
      log.append(JsonlAuditLogTest.record(i));
    }
    List<AuditEntry> acknowledged = log.entries();
    assertThat(headEntries(dir.resolve("audit.jsonl.head"))).isZero();
    assertThat(disk.forcesOf(file())).as("each commit forces the log").isEqualTo(5);

    JsonlAuditLog reopened = JsonlAuditLog.open(keyedOptions(file()), new JsonlAuditLogRedoTest.FakeDisk(null));

    assertThat(reopened.entries()).isEqualTo(acknowledged);
    assertThat(reopened.verify().valid()).isTrue();
    assertThat(headEntries(dir.resolve("audit.jsonl.head"))).as("opening moves the head").isEqualTo(5);
  }

  /**
   * A keyed log as the SDK before exact keyed heads left it ({@link KeyedCheckpointFixture}): its head
   * file a checkpoint, 20 entries after it. They are adopted because they verify under the key; the
   * log goes on with exact heads, so a cut of its last entry is then refused.
   */
  @Test
  void open_aKeyedLogWhoseHeadIsACheckpointOfTheSdkBefore_adoptsTheEntriesAfterIt_andGoesOnExact() throws Exception {
    byte[] whole;
    try (java.io.InputStream in = getClass().getResourceAsStream("format3/keyed-checkpoint.jsonl");
        java.io.InputStream head = new java.util.zip.GZIPInputStream(
            getClass().getResourceAsStream("format3/keyed-checkpoint.jsonl.head.gz"))) {
      whole = in.readAllBytes();
      Files.write(file(), whole);
      Files.write(dir.resolve("audit.jsonl.head"), head.readAllBytes());
    }
    HeadFile.Head checkpoint = HeadFile.decode(Files.readAllBytes(dir.resolve("audit.jsonl.head")),
        KeyedCheckpointFixture.key()).head();
    assertThat(checkpoint.entries()).isZero();
    assertThat(checkpoint.exact()).isFalse();
    JsonlAuditLog.Options options = new JsonlAuditLog.Options(file(), KeyedCheckpointFixture.key(),
        JsonlAuditLog.DEFAULT_KEYED_CHECKPOINT_EVERY, null, java.time.Clock.systemUTC());

    JsonlAuditLog log = JsonlAuditLog.open(options, new JsonlAuditLogRedoTest.FakeDisk("boot-2"));

    assertThat(log.entries()).hasSize(KeyedCheckpointFixture.ENTRIES);
    assertThat(log.verify().valid()).isTrue();
    AuditEntry next = log.append(JsonlAuditLogTest.record(KeyedCheckpointFixture.ENTRIES + 1));
    HeadFile.Head exact = HeadFile.decode(Files.readAllBytes(dir.resolve("audit.jsonl.head")),
        KeyedCheckpointFixture.key()).head();
    assertThat(exact.exact()).isTrue();
    assertThat(exact.entries()).isEqualTo(KeyedCheckpointFixture.ENTRIES + 1);
    assertThat(exact.hash()).isEqualTo(next.hash());
    log.close();
    writeLines(lines().subList(0, KeyedCheckpointFixture.ENTRIES));
    assertThatThrownBy(() -> JsonlAuditLog.open(options, new JsonlAuditLogRedoTest.FakeDisk("boot-2")))
        .isInstanceOfSatisfying(AuditIntegrityException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
  }

  @Test
  void reopen_whenEntriesBeforeTheCheckpointAreCutOff_refuses() throws Exception {
    AuditLog log = AuditLog.jsonlBuilder(file()).key(KEY).checkpointEvery(2).build();
    for (int i = 1; i <= 6; i++) {
      log.append(JsonlAuditLogTest.record(i));
    }
    writeLines(lines().subList(0, 3));

    assertThatThrownBy(() -> AuditLog.jsonl(file(), KEY)).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> {
          assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
          assertThat(e.firstBadSequence()).isEqualTo(4);
        });
  }

  @Test
  void reopen_whenCutToOneEntryAndTheHeadFileDeleted_refuses() throws Exception {
    keyedWith(3);
    writeLines(lines().subList(0, 1));
    Files.delete(dir.resolve("audit.jsonl.head"));

    assertThatThrownBy(() -> AuditLog.jsonl(file(), KEY)).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.MISSING_HEAD));
  }

  /** Cut the log and write a head for the cut: without the key the head cannot be signed. */
  @Test
  void reopen_whenTheHeadIsReplacedByAnUnsignedOne_refuses() throws Exception {
    keyedWith(4);
    List<String> kept = lines().subList(0, 2);
    writeLines(kept);
    AuditEntry second = AuditCodec.fromLine(kept.get(1));
    Files.write(dir.resolve("audit.jsonl.head"), HeadFile.newFile(new HeadFile.Head(9, 2, second.hash(),
        Files.size(file()), null), null));

    assertThatThrownBy(() -> AuditLog.jsonl(file(), KEY)).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED));
  }

  @Test
  void rotation_withBothKeysSupplied_verifiesOldAndNewEntries() throws Exception {
    keyedWith(3);

    AuditLog rotated = AuditLog.jsonl(file(), NEXT.withRetired(KEY));
    rotated.append(JsonlAuditLogTest.record(4));
    rotated.append(JsonlAuditLogTest.record(5));

    assertThat(rotated.entries()).extracting(AuditEntry::keyId)
        .containsExactly("audit-2026", "audit-2026", "audit-2026", "audit-2027", "audit-2027");
    assertThat(rotated.verify().valid()).isTrue();
    assertThat(AuditLog.jsonl(file(), NEXT.withRetired(KEY)).verify().valid()).isTrue();
  }

  @Test
  void rotation_withoutTheRetiredKey_refusesAndNamesTheMissingKeyId() throws Exception {
    keyedWith(3);
    AuditLog.jsonl(file(), NEXT.withRetired(KEY)).append(JsonlAuditLogTest.record(4));

    assertThatThrownBy(() -> AuditLog.jsonl(file(), NEXT)).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> {
          assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KEY);
          assertThat(e.firstBadSequence()).isEqualTo(1);
          assertThat(e).hasMessageContaining("'audit-2026'").hasMessageContaining("withRetired");
        });
  }

  @Test
  void open_aKeyedLogWithoutItsKey_refuses() throws Exception {
    keyedWith(2);

    assertThatThrownBy(() -> AuditLog.jsonl(file())).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.KEY_REQUIRED));
  }

  @Test
  void open_aPlainLogWithAKey_refusesUnlessAskedToKeyIt() throws Exception {
    AuditLog plain = AuditLog.jsonl(file());
    plain.append(JsonlAuditLogTest.record(1));
    plain.append(JsonlAuditLogTest.record(2));

    assertThatThrownBy(() -> AuditLog.jsonl(file(), KEY)).isInstanceOfSatisfying(AuditIntegrityException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.NOT_KEYED));

    AuditLog keyed = AuditLog.jsonlBuilder(file()).key(KEY).reanchor("audit keys introduced").build();
    List<AuditEntry> entries = keyed.entries();
    assertThat(entries).hasSize(3);
    assertThat(entries.get(2).record().action()).isEqualTo("audit.keyed");
    assertThat(entries.get(2).record().details()).containsEntry("reason", "audit keys introduced")
        .containsEntry("plain_entries", "2");
    assertThat(entries.get(2).keyId()).isEqualTo("audit-2026");
    assertThat(keyed.verify().valid()).isTrue();
    assertThat(AuditLog.jsonl(file(), KEY).verify().valid()).as("from now on it opens with the key").isTrue();
  }

  @Test
  void append_fromManyThreads_givesOneKeyedChainWithEveryReturnedEntry() throws Exception {
    AuditLog log = AuditLog.jsonl(file(), KEY);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<AuditEntry>>> done = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      int thread = t;
      done.add(pool.submit(() -> {
        start.await();
        List<AuditEntry> mine = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          mine.add(log.append(JsonlAuditLogTest.record(thread * 100 + i)));
        }
        return mine;
      }));
    }
    start.countDown();
    List<AuditEntry> returned = new ArrayList<>();
    for (Future<List<AuditEntry>> f : done) {
      returned.addAll(f.get(60, TimeUnit.SECONDS));
    }
    pool.shutdown();

    AuditVerification v = AuditLog.jsonl(file(), KEY).verify();
    assertThat(v.valid()).as(v.problems().toString()).isTrue();
    assertThat(v.entries()).isEqualTo(320);
    assertThat(log.entries()).containsExactlyInAnyOrderElementsOf(returned);
  }

  @Test
  void invalidKeysAndOptions_failBeforeAnythingIsWritten() {
    assertThatThrownBy(() -> AuditKey.of("k1", Secret.of("too-short"))).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("at least 32").hasMessageNotContaining("too-short");
    assertThatThrownBy(() -> AuditKey.of("has space", Secret.of(SECRET_2026)))
        .isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> KEY.withRetired(AuditKey.of("audit-2026", Secret.of(SECRET_2027))))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("audit-2026");
    assertThatThrownBy(() -> AuditLog.jsonlBuilder(file()).checkpointEvery(8).build())
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("needs a key");
    assertThatThrownBy(() -> AuditLog.jsonlBuilder(file()).reanchor(" ")).isInstanceOf(InvalidRequestException.class);
    assertThat(Files.exists(file())).isFalse();
  }
}
