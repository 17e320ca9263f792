package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditKey;
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
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stored line: every byte of it is covered by its hash, the fast checker accepts exactly what
 * the writer writes (however odd the text in a record), and a line that reads back differently
 * from its bytes is not an entry.
 */
class AuditLineFormTest {
  /** Characters that each take a different path through JSON escaping, UTF-8 and canonical key order. */
  private static final String[] PIECES = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\u0001",
      "\u001f", "\u007f", "é", "中", "\u2028", "\u2029", "\ufeff", "\ue000", "\uffff", "😀", "\ud83d\ude00x", "ü\n"};

  @TempDir
  Path dir;

  private static String text(Random random, int max) {
    StringBuilder sb = new StringBuilder();
    int n = random.nextInt(max + 1);
    for (int i = 0; i < n; i++) {
      sb.append(PIECES[random.nextInt(PIECES.length)]);
    }
    return sb.toString();
  }

  private static AuditRecord odd(Random random, int i) {
    Map<String, String> details = new TreeMap<>();
    for (int d = random.nextInt(5); d > 0; d--) {
      details.put(text(random, 4), text(random, 8));
    }
    return new AuditRecord(Instant.ofEpochSecond(1_790_000_000L + random.nextInt(1_000_000),
        random.nextBoolean() ? 0 : random.nextInt(1_000_000_000)),
        random.nextBoolean() ? RunId.of("run_" + i) : null, random.nextBoolean() ? StepId.of("step-" + i) : null,
        "action." + text(random, 6), random.nextBoolean() ? AgentId.of("agent-" + i) : null,
        random.nextBoolean() ? text(random, 6) : null, random.nextBoolean() ? text(random, 6) : null,
        random.nextBoolean() ? Money.ofMinor(random.nextInt(1_000_000), random.nextBoolean() ? "USD" : "JPY") : null,
        text(random, 5), random.nextBoolean() ? text(random, 10) : null, details);
  }

  @Test
  void oddRecords_areWrittenInTheOneFormTheCheckerAcceptsAndReadBackExactly() throws Exception {
    Random random = new Random(20261122);
    AuditLog log = AuditLog.jsonl(dir.resolve("odd.jsonl"));
    List<AuditEntry> appended = new ArrayList<>();
    LineCheck check = new LineCheck();
    for (int i = 0; i < 150; i++) {
      AuditEntry e = log.append(odd(random, i));
      appended.add(e);
      byte[] line = AuditCodec.toLine(e).getBytes(StandardCharsets.UTF_8);
      assertThat(check.check(line, 0, line.length)).as(AuditCodec.toLine(e)).isNull();
      assertThat(check.checkValues(line)).as(AuditCodec.toLine(e)).isNull();
      assertThat(AuditCodec.fromLine(AuditCodec.toLine(e))).isEqualTo(e);
    }

    AuditVerification v = log.verify();

    assertThat(v.valid()).as(v.problems().toString()).isTrue();
    assertThat(log.entries()).isEqualTo(appended);
    assertThat(AuditLog.jsonl(dir.resolve("odd.jsonl")).entries()).isEqualTo(appended);
  }

  @Test
  void everyByteOfALine_isCoveredByItsHash() throws Exception {
    for (AuditKey key : new AuditKey[] {null, AuditKey.of("k1", Secret.of("0123456789abcdef0123456789abcdef!"))}) {
      Path file = dir.resolve(key == null ? "plain.jsonl" : "keyed.jsonl");
      AuditLog log = key == null ? AuditLog.jsonl(file) : AuditLog.jsonl(file, key);
      log.append(JsonlAuditLogTest.record(1));
      log.append(JsonlAuditLogTest.record(2));
      byte[] original = Files.readAllBytes(file);
      int firstLineLength = indexOf(original, (byte) '\n');

      for (int i = 0; i < firstLineLength; i++) {
        byte[] changed = original.clone();
        changed[i] = (byte) (changed[i] == 'a' ? 'b' : changed[i] == '\n' - 1 ? '\n' + 1 : changed[i] ^ 0x01);
        Files.write(file, changed);

        AuditVerification v = log.verify();

        assertThat(v.valid()).as("%s: byte %d changed: %s", key, i, new String(changed, 0, firstLineLength,
            StandardCharsets.UTF_8)).isFalse();
        assertThat(v.firstBadSequence()).as("byte %d", i).isEqualTo(1);
      }
      Files.write(file, original);
      assertThat(log.verify().valid()).isTrue();
    }
  }

  private static int indexOf(byte[] b, byte x) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void linesThatReadBackDifferentlyFromTheirBytes_areNotEntries() {
    AuditEntry e = AuditChain.link(null, JsonlAuditLogTest.record(1));
    String line = AuditCodec.toLine(e);
    LineCheck check = new LineCheck();
    for (String bad : List.of(
        line.replace("\"outcome\":\"ok\"", "\"outcome\":\"o\\u006b\""), // an escape the writer never uses
        line.replace("\"outcome\":\"ok\"", "\"outcome\" : \"ok\""), // whitespace
        line.replace("\"seq\":1", "\"seq\":01"), // a leading zero
        line.replace("\"seq\":1", "\"seq\":1.0"), // a fraction
        line.replace("{\"action\"", "{\"zzz\":\"1\",\"action\""), // an unknown field
        line.replace("\"outcome\":\"ok\",", "") + "", // a required field missing
        line.replace(e.hash(), e.hash().toUpperCase(java.util.Locale.ROOT)), // upper-case hex
        line.replace("\"details\":{\"note\"", "\"details\":{\"resource\":\"x\",\"note\""))) { // details out of order
      byte[] b = bad.getBytes(StandardCharsets.UTF_8);

      assertThat(check.check(b, 0, b.length)).as(bad).isNotNull();
      assertThatThrownBy(() -> AuditCodec.fromLine(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  /** The fast check of times agrees with Instant's own writing of them, for every shape of fraction. */
  @Test
  void fastInstantCheck_acceptsExactlyWhatInstantWrites() {
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      long nanos = switch (i % 4) {
        case 0 -> 0;
        case 1 -> random.nextInt(1000) * 1_000_000L;
        case 2 -> random.nextInt(1_000_000) * 1000L;
        default -> random.nextInt(1_000_000_000);
      };
      Instant t = Instant.ofEpochSecond(random.nextLong() % 253_402_300_799L, nanos);
      byte[] written = t.toString().getBytes(StandardCharsets.US_ASCII);
      if (t.toString().startsWith("-") || t.toString().startsWith("+")) {
        continue;
      }
      assertThat(LineCheck.isCanonicalInstant(written, 0, written.length)).as(t.toString()).isTrue();
    }
    for (String notAsWritten : List.of("2026-11-22T12:00:00.000Z", "2026-11-22T12:00:00.120000Z",
        "2026-11-22T12:00:00.123000000Z", "2026-02-29T12:00:00Z", "2026-11-31T12:00:00Z", "2026-11-22T24:00:00Z",
        "2026-11-22T12:00:60Z", "2026-11-22 12:00:00Z", "2026-11-22T12:00:00.1Z", "2026-11-22T12:00Z")) {
      byte[] b = notAsWritten.getBytes(StandardCharsets.US_ASCII);
      assertThat(LineCheck.isCanonicalInstant(b, 0, b.length)).as(notAsWritten).isFalse();
    }
    byte[] leapDay = "2028-02-29T00:00:00Z".getBytes(StandardCharsets.US_ASCII);
    assertThat(LineCheck.isCanonicalInstant(leapDay, 0, leapDay.length)).isTrue();
  }

  @Test
  void aLineOfTheEarlierFormat_isNamedAsSuch() {
    String earlier = "{\"action\":\"resource.provision\",\"details\":{},\"hash\":\"" + "a".repeat(64) + "\","
        + "\"outcome\":\"ok\",\"prev\":\"" + "0".repeat(64) + "\",\"seq\":1,\"time\":\"2026-11-02T09:00:00Z\"}";
    LineCheck check = new LineCheck();
    byte[] b = earlier.getBytes(StandardCharsets.UTF_8);

    assertThat(check.check(b, 0, b.length)).contains("earlier version");
    assertThat(check.earlierFormat).isTrue();
  }
}
