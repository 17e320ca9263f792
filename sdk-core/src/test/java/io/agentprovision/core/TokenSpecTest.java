package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
  @ValueSource(strings = {"203.0.113.7", "203.0.113.0/24", "255.255.255.255/32", "10.0.0.0/8", "0.0.0.0/1",
      "2001:db8::/32", "::1", "fe80::1/128", "::ffff:192.0.2.1", "2001:db8::1", "::/1"})
  void allowIps_acceptsAddressesAndRanges(String cidr) {
    assertThat(TokenSpec.leastPrivilege().allowIps(cidr).allowIps()).containsExactly(cidr);
  }

  @ParameterizedTest
  @CsvSource({"2001:DB8:0:0:0:0:0:1, 2001:db8::1", "2001:0db8:0000:0000:0001:0000:0000:0001, 2001:db8::1:0:0:1",
      "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1", "0:0:0:0:0:0:0:1/128, ::1/128", "::FFFF:C000:0201, ::ffff:192.0.2.1",
      "2001:db8::0:1, 2001:db8::1", "1:0:0:2:0:0:0:3, 1:0:0:2::3", "::1.2.3.4, ::102:304"})
  void allowIps_storesTheCanonicalForm(String given, String canonical) {
    assertThat(TokenSpec.leastPrivilege().allowIps(given).allowIps()).containsExactly(canonical);
    assertThat(TokenSpec.cidr("allowIps", canonical)).isEqualTo(canonical);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0/0", "::/0", "0000::/0", "0:0:0:0:0:0:0:0/0"})
  void allowIps_whenTheRangeHoldsEveryAddress_refusesAndPointsAtAllowAnyIp(String everything) {
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().allowIps(everything))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("allowIps");
          assertThat(e.problem()).contains("binds it to no address");
          assertThat(e.fix()).contains("allowAnyIp()");
        });
  }

  @Test
  void allowIps_whenSeveralRangesTogetherHoldEveryAddress_refuses() {
    TokenSpec half = TokenSpec.leastPrivilege().allowIps("0.0.0.0/1", "203.0.113.0/24");

    assertThatThrownBy(() -> half.allowIps("128.0.0.0/1")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.problem()).contains("every IPv4 address"));
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().allowIps("::/1", "8000::/1"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("every IPv6 address"));
  }

  @Test
  void allowAnyIp_isTheExplicitOptIn_andTheSpecSaysItIsNotIpBound() {
    TokenSpec any = TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").allowAnyIp();

    assertThat(any.allowIps()).isEmpty();
    assertThat(any.isIpBound()).isFalse();
    assertThat(any.anyIpAllowed()).isTrue();
    assertThat(any.toString()).contains("allow=any");
    assertThat(TokenSpec.leastPrivilege().isIpBound()).isFalse();
    assertThat(TokenSpec.leastPrivilege().anyIpAllowed()).isFalse();
    TokenSpec bound = any.allowIps("203.0.113.0/24");
    assertThat(bound.isIpBound()).isTrue();
    assertThat(bound.anyIpAllowed()).isFalse();
    assertThat(any).isNotEqualTo(TokenSpec.leastPrivilege());
  }

  @ParameterizedTest
  @CsvSource({"203.0.113.7/24, 203.0.113.0/24", "10.1.0.0/8, 10.0.0.0/8", "2001:db8::1/32, 2001:db8::/32",
      "0.0.0.1/0, 0.0.0.0/0"})
  void allowIps_whenHostBitsAreSet_refusesNamingTheRange(String given, String network) {
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().allowIps(given))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("allowIps");
          assertThat(e.problem()).contains("host bits set");
          assertThat(e.fix()).contains(network);
        });
  }

  @Test
  void allowIps_trimsAndKeepsOrder() {
    TokenSpec t = TokenSpec.leastPrivilege().allowIps(" 203.0.113.0/24 ", "2001:db8::/32").denyIps("203.0.113.9");

    assertThat(t.allowIps()).containsExactly("203.0.113.0/24", "2001:db8::/32");
    assertThat(t.denyIps()).containsExactly("203.0.113.9");
  }

  @ParameterizedTest
  @ValueSource(strings = {"256.1.1.1", "1.2.3", "1.2.3.4.5", "example.com", "localhost", "1.2.3.4/", "1.2.3.4/abc",
      "2001:db8:::1", "1::2::3", "gggg::1", "2001:db8::1%eth0", "::1.2.3.256", "1.2.3.4 /24", "/24", "*",
      "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::1", "1.2.3.4::", "::1.2.3", "1.2.3.4/+8", "1.2.3.4/08", ":1::",
      "0x7f.0.0.1", "127.1", "2130706433", "1.2.3\n.4", "[::1]"})
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
