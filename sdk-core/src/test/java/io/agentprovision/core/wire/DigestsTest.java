package io.agentprovision.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DigestsTest {
  @Test
  void sha256_matchesTheStandardVectorAndHashesPartsAsOne() {
    // FIPS 180-2, "abc"
    assertThat(Digests.sha256Hex("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(HexFormat.of().formatHex(Digests.sha256("a".getBytes(StandardCharsets.UTF_8),
        "bc".getBytes(StandardCharsets.UTF_8)))).isEqualTo(Digests.sha256Hex("abc"));
  }
}
