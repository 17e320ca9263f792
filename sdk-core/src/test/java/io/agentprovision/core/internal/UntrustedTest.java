package io.agentprovision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UntrustedTest {
  @Test
  void quote_escapesWhatCouldForgeALineOrHideText() {
    assertThat(Untrusted.quote("x\nWARN forged log line")).isEqualTo("\"x\\nWARN forged log line\"");
    assertThat(Untrusted.quote("a\r\u0000\t\"\\b")).isEqualTo("\"a\\r\\u0000\\t\\\"\\\\b\"");
    assertThat(Untrusted.quote("abc\u202Egpj.exe")).as("a right-to-left override").isEqualTo("\"abc\\u202Egpj.exe\"");
    assertThat(Untrusted.quote("a\u2028b\u200Bc")).isEqualTo("\"a\\u2028b\\u200Bc\"");
    assertThat(Untrusted.quote(null)).isEqualTo("null");
    assertThat(Untrusted.quote("аpple.org")).as("letters of any script stay readable").isEqualTo("\"аpple.org\"");
  }

  @Test
  void quote_cutsLongTextAndSaysHowMuchIsLeft() {
    String q = Untrusted.quote("a".repeat(1000));

    assertThat(q).startsWith("\"" + "a".repeat(Untrusted.DEFAULT_MAX_CHARS) + "\"").endsWith("…(880 more)");
    assertThat(Untrusted.quote("abcdef", 3)).isEqualTo("\"abc\"…(3 more)");
  }
}
