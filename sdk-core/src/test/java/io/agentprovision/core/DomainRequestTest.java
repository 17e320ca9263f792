package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DomainRequestTest {
  @Test
  void query_lowerCasesAndIsNotExact() {
    DomainRequest d = DomainRequest.query("My-App");

    assertThat(d.text()).isEqualTo("my-app");
    assertThat(d.isExact()).isFalse();
    assertThat(d.years()).isEqualTo(DomainRequest.DEFAULT_YEARS);
    assertThat(d.autoRenew()).isFalse();
    assertThat(d.maxPrice()).isNull();
    assertThat(DomainRequest.query("my-app.dev").text()).isEqualTo("my-app.dev");
  }

  @Test
  void exact_needsATopLevelDomain() {
    assertThat(DomainRequest.exact("My-App.COM.").text()).isEqualTo("my-app.com");
    assertThat(DomainRequest.exact("xn--bcher-kva.de").isExact()).isTrue();
    assertThatThrownBy(() -> DomainRequest.exact("my-app")).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("domain");
      assertThat(e.problem()).contains("no top-level domain");
      assertThat(e.fix()).contains("my-app.com").contains("DomainRequest.query(\"my-app\")");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"-app.com", "app-.com", "a..com", "my_app.com", "my app.com", "bücher.de", ".com", "a.-b",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"})
  void exact_whenALabelIsInvalid_refusesNamingIt(String name) {
    assertThatThrownBy(() -> DomainRequest.exact(name)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("domain");
      assertThat(e.problem()).contains("invalid label");
    });
  }

  @Test
  void exact_whenLongerThan253_refuses() {
    String label = "a".repeat(60);
    String name = String.join(".", label, label, label, label, "com"); // 4 * 61 + 3 = 247 ok
    assertThat(DomainRequest.exact(name).text()).hasSize(247);

    assertThatThrownBy(() -> DomainRequest.exact(String.join(".", label, label, label, label, "abcdefghijk"))) // 255
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("253"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  "})
  void query_whenEmpty_refuses(String q) {
    assertThatThrownBy(() -> DomainRequest.query(q)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("domain query");
      assertThat(e.problem()).isEqualTo("is empty");
    });
  }

  @Test
  void settings_validateAndReturnNewRequests() {
    DomainRequest base = DomainRequest.query("my-app");
    DomainRequest d = base.maxPrice(Money.usd("15.00")).years(10).autoRenew(true).preferTlds("COM", "dev");

    assertThat(d.maxPrice()).isEqualTo(Money.usd("15.00"));
    assertThat(d.years()).isEqualTo(10);
    assertThat(d.autoRenew()).isTrue();
    assertThat(d.preferredTlds()).containsExactly("com", "dev");
    assertThat(base.years()).isEqualTo(1);
    assertThat(d).isEqualTo(DomainRequest.query("MY-APP").maxPrice(Money.usd("15")).years(10).autoRenew(true)
        .preferTlds("com", "dev")).hasSameHashCodeAs(d);
    assertThat(d.toString()).isEqualTo("query my-app max USD 15.00 10y");

    assertThatThrownBy(() -> base.years(0)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("years"));
    assertThatThrownBy(() -> base.years(11)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> base.maxPrice(Money.usd("-1.00"))).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("maxPrice"));
    assertThatThrownBy(() -> base.preferTlds(".com")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("preferTlds"));
  }
}
