package io.agentprovision.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Secret;
import io.agentprovision.core.audit.AuditKey;
import io.agentprovision.core.internal.audit.HeadFile.Head;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A head slot's header, written member by member by the encoder a log keeps (on the path of every
 * plain commit), is byte for byte the one {@link HeadFile#encode} makes from the canonical JSON of
 * its fields, checked plainly or under the key, whatever the head holds; so a log written with it is
 * read by every reader of the format, and one digest reused across headers gives each its own hash.
 */
class HeadFileEncoderTest {
  private static final String[] PIECES = {"a", "Z", "0", "-", " ", "\"", "\\", "/", "\n", "\t", "\u0001", "\u007f",
      "é", "中", "\u2028", "😀"};
  private static final AuditKey KEYS = AuditKey.of("k2", Secret.of("0123456789abcdef0123456789abcdef"))
      .withRetired(AuditKey.of("k1", Secret.of("fedcba9876543210fedcba9876543210")));

  private static String text(Random r, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = r.nextInt(max + 1); i > 0; i--) {
      sb.append(PIECES[r.nextInt(PIECES.length)]);
    }
    return sb.toString();
  }

  private static String hex(Random r) {
    byte[] b = new byte[32];
    r.nextBytes(b);
    return java.util.HexFormat.of().formatHex(b);
  }

  private static long number(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> 0;
      case 1 -> r.nextInt(100);
      case 2 -> Long.MAX_VALUE - r.nextInt(9);
      default -> r.nextLong() & Long.MAX_VALUE;
    };
  }

  private static Head head(Random r, boolean keyed) {
    String hash = r.nextInt(4) == 0 ? null : r.nextBoolean() ? hex(r) : text(r, 12);
    String kid = keyed ? (r.nextBoolean() ? "k1" : "k2") : null;
    String sha = r.nextBoolean() ? null : hex(r);
    String boot = r.nextInt(3) == 0 ? null : r.nextBoolean() ? "4809a886-721d-4cb1-9910-0f2b5d3c6e7a" : text(r, 12);
    return new Head(number(r), number(r), hash, number(r), kid, number(r), number(r), sha, boot,
        keyed && r.nextBoolean());
  }

  @Test
  void theHeader_isWhatTheCanonicalJsonOfItsFieldsGives_plainOrKeyed() {
    Random r = new Random(20261207);
    HeadFile.Encoder plain = new HeadFile.Encoder(null);
    HeadFile.Encoder keyed = new HeadFile.Encoder(KEYS);
    for (int i = 0; i < 20_000; i++) {
      Head h = head(r, false);
      assertThat(plain.encode(h)).as("head %s", h).isEqualTo(HeadFile.encode(h, null));
      assertThat(keyed.encode(h)).as("head %s", h).isEqualTo(HeadFile.encode(h, KEYS));
      Head k = head(r, true);
      assertThat(keyed.encode(k)).as("head %s", k).isEqualTo(HeadFile.encode(k, KEYS));
    }
  }

  @Test
  void aHeadTooLongForItsSlot_isRefusedAsByTheFormat_andLongTextTakesTheCanonicalPath() {
    HeadFile.Encoder encoder = new HeadFile.Encoder(null);
    Head tooLong = new Head(1, 1, "h".repeat(200), 10, null, 10, 0, null, "b".repeat(200));
    assertThatThrownBy(() -> encoder.encode(tooLong)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not fit");
    Head longButFits = new Head(1, 1, "h".repeat(160), 10, null, 10, 0, null, "b".repeat(150));
    assertThat(encoder.encode(longButFits)).isEqualTo(HeadFile.encode(longButFits, null));
    Head widest = new Head(Long.MAX_VALUE, Long.MAX_VALUE, "h".repeat(64), Long.MAX_VALUE, null, Long.MAX_VALUE,
        Long.MAX_VALUE, "s".repeat(64), "b".repeat(36));
    assertThat(encoder.encode(widest)).isEqualTo(HeadFile.encode(widest, null));
  }

  @Test
  void aHeaderOfACommit_readsBackAsItsHead() {
    HeadFile.Encoder encoder = new HeadFile.Encoder(KEYS);
    byte[] lines = "{\"action\":\"spend.commit\"}\n".getBytes(StandardCharsets.UTF_8);
    for (Head h : new Head[] {
        new Head(17, 5, "a".repeat(64), 1270, null, 640, lines.length, encoder.sha(lines), "boot-1"),
        new Head(18, 6, "b".repeat(64), 1300, "k2", 1300, 0, null, null),
        new Head(19, 7, "c".repeat(64), 1330, "k1", 1300, 30, encoder.sha(new byte[30]), "boot-1", true)}) {
      byte[] file = HeadFile.newFile(new Head(1, 0, null, 0, null), null);
      System.arraycopy(encoder.encode(h), 0, file, HeadFile.slotOffset(h.gen()), HeadFile.HEADER);
      assertThat(HeadFile.decode(file, KEYS).head()).isEqualTo(h);
    }
  }

  /**
   * An exact head's check covers a prefix before its members, so an SDK before exact heads, which
   * checks the members alone, finds the slot unreadable instead of taking it for a checkpoint.
   */
  @Test
  void anExactHeadsCheck_isNotTheCheckOfItsMembersAlone() throws Exception {
    Head exact = new Head(5, 4, "d".repeat(64), 2000, "k1", 1600, 400, "e".repeat(64), "boot-1", true);
    byte[] header = new HeadFile.Encoder(KEYS).encode(exact);
    java.util.Map<String, Object> members = new java.util.LinkedHashMap<>(
        io.agentprovision.core.wire.Json.parseObject(new String(header, StandardCharsets.UTF_8).strip()));
    Object check = members.remove("check");
    javax.crypto.Mac mac = KEYS.newMac("k1");
    String membersAlone = java.util.HexFormat.of().formatHex(
        mac.doFinal(io.agentprovision.core.wire.Json.canonical(members).getBytes(StandardCharsets.UTF_8)));

    assertThat(members).containsEntry("exact", true);
    assertThat(check).isNotEqualTo(membersAlone);
    byte[] file = HeadFile.newFile(new Head(1, 0, null, 0, null), null);
    System.arraycopy(header, 0, file, HeadFile.slotOffset(exact.gen()), HeadFile.HEADER);
    assertThat(HeadFile.decode(file, KEYS).head()).isEqualTo(exact);
    Head checkpoint = new Head(5, 4, "d".repeat(64), 2000, "k1", 2000, 0, null, "boot-1");
    members = new java.util.LinkedHashMap<>(io.agentprovision.core.wire.Json.parseObject(
        new String(new HeadFile.Encoder(KEYS).encode(checkpoint), StandardCharsets.UTF_8).strip()));
    check = members.remove("check");
    assertThat(check).as("a checkpoint's check is still that of its members").isEqualTo(java.util.HexFormat.of()
        .formatHex(KEYS.newMac("k1").doFinal(io.agentprovision.core.wire.Json.canonical(members)
            .getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void theShaOfADataBlock_isItsSha256_eachTime() {
    Random r = new Random(5);
    HeadFile.Encoder encoder = new HeadFile.Encoder(null);
    for (int i = 0; i < 2_000; i++) {
      byte[] data = new byte[r.nextInt(HeadFile.DATA + 1)];
      r.nextBytes(data);
      assertThat(encoder.sha(data)).isEqualTo(HeadFile.sha(data));
    }
  }
}
