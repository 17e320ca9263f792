package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenSpecTest {
  @Test
  void leastPrivilege_hasTheDefaults() {
    TokenSpec t = TokenSpec.leastPrivilege();

    assertThat(t.ttl()).isEqualTo(Duration.ofDays(7));
    assertThat(t.allowIps()).isEmpty();
    assertThat(t.denyIps()).isEmpty();
    assertThat(t.extraPermissions()).isEmpty();
    assertThat(t.broadToken()).isEqualTo(TokenSpec.BroadToken.KEEP);
  }

  @ParameterizedTest
  @ValueSource(strings = {"203.0.113.7", "203.0.113.0/24", "0.0.0.0/0", "255.255.255.255/32", "10.0.0.0/8",
      "2001:db8::/32", "::1", "::/0", "fe80::1/128", "::ffff:192.0.2.1", "2001:DB8:0:0:0:0:0:1"})
  void allowIps_acceptsAddressesAndRanges(String cidr) {
    assertThat(TokenSpec.leastPrivilege().allowIps(cidr).allowIps()).containsExactly(cidr);
  }

  @Test
  void allowIps_trimsAndKeepsOrder() {
    TokenSpec t = TokenSpec.leastPrivilege().allowIps(" 203.0.113.0/24 ", "2001:db8::/32").denyIps("203.0.113.9");

    assertThat(t.allowIps()).containsExactly("203.0.113.0/24", "2001:db8::/32");
    assertThat(t.denyIps()).containsExactly("203.0.113.9");
  }

  @ParameterizedTest
  @ValueSource(strings = {"256.1.1.1", "1.2.3", "1.2.3.4.5", "example.com", "localhost", "1.2.3.4/", "1.2.3.4/abc",
      "2001:db8:::1", "1::2::3", "gggg::1", "2001:db8::1%eth0", "::1.2.3.256", "1.2.3.4 /24", "/24", "*"})
  void allowIps_whenNotAnAddressOrRange_refuses(String value) {
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().allowIps(value))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("allowIps");
          assertThat(e.fix()).contains("203.0.113.0/24");
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"01.2.3.4", "010.0.0.1/8", "10.0.0.01"})
  void allowIps_whenAPartHasALeadingZero_refusesAsAmbiguous(String value) {
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().allowIps(value))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("allowIps");
          assertThat(e.problem()).contains("leading zero");
        });
    assertThat(TokenSpec.leastPrivilege().allowIps("10.0.0.0/8").allowIps()).containsExactly("10.0.0.0/8");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.2.3.4/33", "1.2.3.4/-1", "2001:db8::/129"})
  void allowIps_whenThePrefixIsOutOfRange_refuses(String value) {
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().denyIps(value))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("denyIps");
          assertThat(e.problem()).contains("prefix length");
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " "})
  void allowIps_whenEmpty_refuses(String value) {
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().allowIps(value))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("empty"));
  }

  @Test
  void ttl_acceptsTheBoundsAndRefusesBeyond() {
    assertThat(TokenSpec.leastPrivilege().ttl(TokenSpec.MIN_TTL).ttl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(TokenSpec.leastPrivilege().ttl(TokenSpec.MAX_TTL).ttl()).isEqualTo(Duration.ofDays(90));
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().ttl(Duration.ofMinutes(5).minusSeconds(1)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("ttl");
          assertThat(e.fix()).contains("rotate");
        });
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().ttl(Duration.ofDays(90).plusSeconds(1)))
        .isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().ttl(Duration.ofDays(-1))).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void settings_returnNewSpecsAndLeaveTheOriginal() {
    TokenSpec base = TokenSpec.leastPrivilege();
    TokenSpec wider = base.allowIps("203.0.113.0/24").extraPermission("Workers KV Storage Write")
        .retireBroadToken(TokenSpec.BroadToken.DELETE).ttl(Duration.ofDays(1));

    assertThat(base).isEqualTo(TokenSpec.leastPrivilege());
    assertThat(wider).isNotEqualTo(base);
    assertThat(wider.extraPermissions()).containsExactly("Workers KV Storage Write");
    assertThat(wider.broadToken()).isEqualTo(TokenSpec.BroadToken.DELETE);
    assertThat(wider).isEqualTo(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24")
        .extraPermission("Workers KV Storage Write").retireBroadToken(TokenSpec.BroadToken.DELETE)
        .ttl(Duration.ofDays(1))).hasSameHashCodeAs(wider);
    assertThatThrownBy(() -> base.extraPermission(" ")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("extraPermission"));
  }
}
