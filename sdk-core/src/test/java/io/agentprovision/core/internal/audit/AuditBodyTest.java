package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditChain;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.Secret;
import io.agentprovision.core.wire.Json;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * An entry's body, written member by member for speed, is byte for byte the canonical JSON of the
 * entry's fields (the definition the chain was specified with), whatever the record holds; and the
 * time is exactly {@link Instant#toString()}.
 */
class AuditBodyTest {
  /** Characters that each take a different path through JSON escaping and UTF-8. */
  private static final String[] PIECES = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\u0000",
      "\u0001", "\u001f", "\u007f", "é", "中", "\u2028", "\u2029", "\ufeff", "\uffff", "😀", "\ud83d", "ü\n", "~"};

  private static String text(Random r, int max) {
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(max + 1);
    for (int i = 0; i < n; i++) {
      sb.append(PIECES[r.nextInt(PIECES.length)]);
    }
    return sb.toString();
  }

  private static Instant instant(Random r) {
    long[] seconds = {0, -1, 1, 1_796_000_000L, -62_167_219_200L, -62_167_219_201L, 253_402_300_799L,
        253_402_300_800L, -100_000_000_000L, 400_000_000_000L, 951_782_400L /* 2000-02-29 */};
    long sec = r.nextInt(3) == 0 ? seconds[r.nextInt(seconds.length)]
        : r.nextLong() % 400_000_000_000L;
    int[] nanos = {0, 1, 999_999_999, 1_000_000, 123_000_000, 120_000, 123_456_000, 100, 5_000};
    int nano = r.nextBoolean() ? nanos[r.nextInt(nanos.length)] : r.nextInt(1_000_000_000);
    return Instant.ofEpochSecond(sec, nano);
  }

  private static AuditRecord record(Random r) {
    Map<String, String> details = new TreeMap<>();
    for (int i = r.nextInt(5); i > 0; i--) {
      details.put(text(r, 6), text(r, 12));
    }
    AuditRecord.Builder b = AuditRecord.builder(instant(r), "a" + text(r, 8), "o" + text(r, 8)).details(details);
    if (r.nextBoolean()) {
      b.run(RunId.of("run_" + r.nextInt(1000)));
    }
    if (r.nextBoolean()) {
      b.step(StepId.of("step-" + r.nextInt(9)));
    }
    if (r.nextBoolean()) {
      b.agent(AgentId.of("agent-" + r.nextInt(9)));
    }
    if (r.nextBoolean()) {
      b.principal(text(r, 10));
    }
    if (r.nextBoolean()) {
      b.approver(text(r, 10));
    }
    if (r.nextBoolean()) {
      b.amount(Money.ofMinor(r.nextInt(1_000_000) - 1000, r.nextBoolean() ? "USD" : "JPY"));
    }
    if (r.nextBoolean()) {
      b.idempotencyKey(text(r, 10));
    }
    return b.build();
  }

  @Test
  void theBody_isTheCanonicalJsonOfTheEntry_forAnyRecord() {
    Random r = new Random(20261206);
    for (int i = 0; i < 20_000; i++) {
      AuditRecord rec = record(r);
      long seq = r.nextInt(3) == 0 ? Long.MAX_VALUE - r.nextInt(9) : r.nextInt(100_000);
      String prev = r.nextBoolean() ? AuditChain.GENESIS : text(r, 64);
      String kid = r.nextBoolean() ? null : "k" + text(r, 4);
      assertThat(AuditCodec.body(seq, prev, kid, rec)).as("record %s", rec)
          .isEqualTo(AuditCodec.genericBody(seq, prev, kid, rec));
    }
  }

  @Test
  void aBodyEncodedBeforeItsPlaceInTheChain_hashesAsTheWholeBody() {
    Random r = new Random(20261208);
    ChainHasher hasher = new ChainHasher(null);
    for (int i = 0; i < 20_000; i++) {
      AuditRecord rec = record(r);
      long seq = r.nextInt(3) == 0 ? Long.MAX_VALUE - r.nextInt(9) : 1 + r.nextInt(100_000);
      String prev = r.nextBoolean() ? AuditChain.GENESIS : hasher.hash(null, "{" + text(r, 20) + "}");
      AuditCodec.Unplaced parts = AuditCodec.unplaced(rec);

      assertThat(parts).isNotNull();
      assertThat(hasher.hash(parts, prev, seq)).as("record %s", rec).isEqualTo(AuditChain.hash(seq, prev, rec));
    }
  }

  @Test
  void aBodysHashMatches_exactlyTheHexTextOfItsDigest() {
    Random r = new Random(20261209);
    ChainHasher hasher = new ChainHasher(null);
    for (int i = 0; i < 2_000; i++) {
      String body = AuditCodec.body(1 + r.nextInt(1000), AuditChain.GENESIS, null, record(r));
      String hash = hasher.hash(null, body);
      char[] edited = hash.toCharArray();
      int at = r.nextInt(64);
      edited[at] = edited[at] == '0' ? '1' : '0';

      assertThat(hasher.matches(null, body, hash)).isTrue();
      assertThat(hasher.matches(null, body, new String(edited))).isFalse();
      assertThat(hasher.matches(null, body, hash.toUpperCase(java.util.Locale.ROOT)))
          .isEqualTo(hash.equals(hash.toUpperCase(java.util.Locale.ROOT)));
      assertThat(hasher.matches(null, body, hash.substring(1))).isFalse();
      assertThat(hasher.matches(null, body, hash + "0")).isFalse();
    }
  }

  @Test
  void aPreviousHashThatJsonWouldEscape_isRefused() {
    AuditCodec.Unplaced parts = AuditCodec.unplaced(record(new Random(1)));

    assertThat(org.assertj.core.api.Assertions.catchThrowable(
        () -> new ChainHasher(null).hash(parts, "0\"", 2))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aLineWrittenAsBytes_isTheStoredLineAndItsNewline() {
    Random r = new Random(20261207);
    ChainHasher hasher = new ChainHasher(null);
    for (int i = 0; i < 5_000; i++) {
      String body = AuditCodec.body(i + 1, AuditChain.GENESIS, r.nextBoolean() ? null : "k1", record(r));
      byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      String hash = hasher.hash(null, bytes);
      assertThat(hash).isEqualTo(hasher.hash(null, body));
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      out.write('x'); // after what a commit wrote before it
      AuditCodec.writeLine(out, bytes, hash);
      // compared as bytes: text with a lone surrogate is written with '?' in its place, as before
      assertThat(out.toByteArray())
          .isEqualTo(("x" + AuditCodec.line(body, hash) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  @Test
  void theTime_isInstantToString() {
    Random r = new Random(7);
    for (int i = 0; i < 100_000; i++) {
      Instant t = instant(r);
      StringBuilder sb = new StringBuilder();
      Instants.appendIso(sb, t);
      assertThat(sb.toString()).isEqualTo(t.toString());
    }
    for (Instant t : new Instant[] {Instant.MIN, Instant.MAX, Instant.EPOCH, Instant.parse("9999-12-31T23:59:59.999999999Z"),
        Instant.parse("0000-01-01T00:00:00Z"), Instant.parse("2026-12-06T17:00:00.000001Z")}) {
      StringBuilder sb = new StringBuilder();
      Instants.appendIso(sb, t);
      assertThat(sb.toString()).isEqualTo(t.toString());
    }
  }

  @Test
  void quotedText_isWhatAJsonParserReadsBack() {
    Random r = new Random(11);
    for (int i = 0; i < 20_000; i++) {
      String s = text(r, 20);
      StringBuilder sb = new StringBuilder();
      Json.quote(sb, s);
      String lone = s.chars().anyMatch(c -> Character.isSurrogate((char) c)) ? null : s;
      if (lone != null) {
        assertThat(Json.parse(sb.toString())).isEqualTo(s);
      }
      assertThat(sb.toString()).doesNotContain("\n", "\r", "\u2028", "\u2029", "\u0000");
    }
  }

  @Test
  void hashesOfTheSameEntry_agreeAcrossThreads() throws Exception {
    // the plain hasher is kept per thread: concurrent hashing gives every thread the right digest
    Random r = new Random(3);
    AuditRecord[] records = new AuditRecord[200];
    String[] expected = new String[records.length];
    for (int i = 0; i < records.length; i++) {
      records[i] = record(r);
      expected[i] = new ChainHasher(null).hash(null, AuditCodec.genericBody(i + 1, AuditChain.GENESIS, null, records[i]));
    }
    Thread[] threads = new Thread[4];
    java.util.concurrent.atomic.AtomicInteger wrong = new java.util.concurrent.atomic.AtomicInteger();
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> {
        for (int round = 0; round < 20; round++) {
          for (int i = 0; i < records.length; i++) {
            if (!AuditChain.hash(i + 1, AuditChain.GENESIS, records[i]).equals(expected[i])) {
              wrong.incrementAndGet();
            }
          }
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(wrong.get()).isZero();
    AuditKey key = AuditKey.of("k1", Secret.of("0123456789abcdef0123456789abcdef"));
    assertThat(AuditChain.hash(1, AuditChain.GENESIS, records[0], key))
        .isEqualTo(new ChainHasher(key).hash("k1", AuditCodec.genericBody(1, AuditChain.GENESIS, "k1", records[0])));
  }
}
