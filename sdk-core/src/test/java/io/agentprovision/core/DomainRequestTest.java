package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
  @CsvSource(delimiter = '|', value = {
      "-app.com | starts with a hyphen", "app-.com | ends with a hyphen", "a..com | empty label",
      "my_app.com | may not contain", "my app.com | may not contain", ".com | empty label", "a.-b | starts with a hyphen",
      "ab--cd.com | third and fourth", "xn--abc.com | xn-- label", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com | 63"})
  void exact_whenALabelIsInvalid_refusesSayingWhy(String name, String why) {
    assertThatThrownBy(() -> DomainRequest.exact(name)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("domain");
      assertThat(e.problem()).contains(why);
    });
  }

  @Test
  void exact_acceptsInternationalizedNamesAndKeepsTheAsciiForm() {
    DomainRequest d = DomainRequest.exact("Bücher.DE.");

    assertThat(d.text()).isEqualTo("xn--bcher-kva.de");
    assertThat(d.display()).isEqualTo("bücher.de (xn--bcher-kva.de)");
    assertThat(DomainRequest.exact("faß.de").text()).as("non-transitional: ß stays ß").isEqualTo("xn--fa-hia.de");
    assertThat(DomainRequest.exact("ＭＹ-ＡＰＰ.com").text()).as("full-width forms are mapped").isEqualTo("my-app.com");
    assertThat(DomainRequest.exact("my-app.co.uk").text()).isEqualTo("my-app.co.uk");
    assertThat(DomainRequest.exact("пример.рф").text()).isEqualTo("xn--e1afmkfd.xn--p1ai");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "127.0.0.1 | IP address", "app.123 | all-numeric top-level domain", "10.0.0.1. | IP address",
      "my-app.localhost | known public suffix", "my-app.invalidtld | known public suffix", "co.uk | is a public suffix",
      "www.my-app.com | subdomain of \"my-app.com\"", "com | no top-level domain"})
  void exact_whenNotARegistrableName_refusesBeforeAnythingHappens(String name, String why) {
    assertThatThrownBy(() -> DomainRequest.exact(name)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("domain");
      assertThat(e.problem()).contains(why);
    });
  }

  @Test
  void exact_whenLongerThan253_refuses() {
    String label = "a".repeat(63);
    assertThat(DomainRequest.exact(label + ".com").text()).hasSize(67);

    assertThatThrownBy(() -> DomainRequest.exact(String.join(".", label, label, label, label, "com"))) // 259
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("253"));
    assertThatThrownBy(() -> DomainRequest.exact("a".repeat(5000) + ".com"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("5004 characters"));
  }

  @Test
  void query_isALabelOrAName() {
    assertThat(DomainRequest.query("123").text()).as("a numeric label is a fine query").isEqualTo("123");
    assertThat(DomainRequest.query("Bücher").text()).isEqualTo("xn--bcher-kva");
    assertThat(DomainRequest.query("my-app.dev.").text()).isEqualTo("my-app.dev");
    assertThatThrownBy(() -> DomainRequest.query("127.0.0.1")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("domain query"));
    assertThatThrownBy(() -> DomainRequest.query("my_app")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("domain query"));
  }

  @Test
  void errors_quoteAndEscapeTheNameGiven() {
    assertThatThrownBy(() -> DomainRequest.exact("evil\nWARN forged.com"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.getMessage()).doesNotContain("\n").contains("\"evil\\nWARN forged.com\"");
        });
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
    assertThatThrownBy(() -> base.preferTlds("co.uk")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("preferTlds"));
    assertThat(base.preferTlds("РФ").preferredTlds()).containsExactly("xn--p1ai");
  }
}
