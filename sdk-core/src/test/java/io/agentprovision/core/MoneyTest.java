package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.policy.SpendLimit;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MoneyTest {
  @ParameterizedTest
  @CsvSource({"100.00, 10000", "0.5, 50", "5, 500", "0.05, 5", "10.44, 1044", "0, 0", "007.10, 710", "12.300, 1230"})
  void usd_parsesDecimalsExactly(String amount, long cents) {
    Money m = Money.usd(amount);

    assertThat(m.minorUnits()).isEqualTo(cents);
    assertThat(m.currencyCode()).isEqualTo("USD");
  }

  @Test
  void of_whenMoreFractionDigitsThanTheCurrencyHas_refusesWithFieldProblemAndFix() {
    assertThatThrownBy(() -> Money.usd("1.005")).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("amount");
      assertThat(e.problem()).contains("'1.005'").contains("more than 2 fraction digits").contains("USD");
      assertThat(e.fix()).contains("round to 2");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"1e3", "1E3", "1,000", "1 000", "+5", "5.", ".5", "0x10", "NaN", "Infinity", "12.3.4", "€5",
      "5 USD", "--5", "١٢"})
  void of_whenNotAPlainDecimal_refuses(String amount) {
    assertThatThrownBy(() -> Money.usd(amount)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("amount");
      assertThat(e.problem()).contains("not a plain decimal");
      assertThat(e.fix()).isNotBlank();
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   "})
  void of_whenEmpty_refuses(String amount) {
    assertThatThrownBy(() -> Money.usd(amount)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("amount");
      assertThat(e.problem()).isEqualTo("is empty");
    });
  }

  @Test
  void of_whenNegative_parsesButPricesAndLimitsRefuseIt() {
    Money m = Money.usd("-5.00");

    assertThat(m.isNegative()).isTrue();
    assertThatThrownBy(() -> m.requireNonNegative("price")).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("price");
      assertThat(e.problem()).contains("must not be negative").contains("USD -5.00");
      assertThat(e.fix()).contains("zero or more");
    });
    assertThatThrownBy(() -> SpendLimit.monthly(m)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("limit amount"));
  }

  @Test
  void of_jpy_hasNoFraction() {
    assertThat(Money.of("500", "JPY").minorUnits()).isEqualTo(500);
    assertThat(Money.of("500.0", "jpy").minorUnits()).as("trailing zeros are exact").isEqualTo(500);
    assertThat(Money.of("500", "JPY").toString()).isEqualTo("JPY 500");
    assertThatThrownBy(() -> Money.of("500.5", "JPY")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.problem()).contains("more than 0 fraction digits"));
  }

  @Test
  void of_threeDigitCurrency_keepsThreeDigits() {
    Money kwd = Money.of("1.005", "KWD");

    assertThat(kwd.minorUnits()).isEqualTo(1005);
    assertThat(kwd.toString()).isEqualTo("KWD 1.005");
  }

  @ParameterizedTest
  @ValueSource(strings = {"XYZ", "US", "dollars"})
  void of_whenTheCurrencyIsUnknown_refuses(String code) {
    assertThatThrownBy(() -> Money.of("1", code)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("currency"));
  }

  @Test
  void of_whenTheCurrencyHasNoMinorUnit_refuses() {
    assertThatThrownBy(() -> Money.of("1", "XAU")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.problem()).contains("no minor unit"));
  }

  @Test
  void of_whenTooLargeForALong_refuses() {
    assertThatThrownBy(() -> Money.usd("92233720368547758.08")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.problem()).contains("too large"));
    assertThat(Money.usd("92233720368547758.07").minorUnits()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void arithmetic_whenCurrenciesDiffer_refuses() {
    Money usd = Money.usd("1.00");
    Money eur = Money.eur("1.00");

    assertThatThrownBy(() -> usd.plus(eur)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("currency");
      assertThat(e.problem()).contains("EUR").contains("USD");
    });
    assertThatThrownBy(() -> usd.minus(eur)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> usd.compareTo(eur)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> usd.greaterThan(eur)).isInstanceOf(InvalidRequestException.class);
    assertThat(usd).isNotEqualTo(eur);
    assertThat(usd.sameCurrency(eur)).isFalse();
  }

  @Test
  void arithmetic_isExact() {
    Money a = Money.usd("0.10");
    Money b = Money.usd("0.20");

    assertThat(a.plus(b)).isEqualTo(Money.usd("0.30"));
    assertThat(a.minus(b)).isEqualTo(Money.usd("-0.10"));
    assertThat(Money.usd("5.00").times(3)).isEqualTo(Money.usd("15.00"));
    assertThat(a.max(b)).isEqualTo(b);
    assertThat(a.min(b)).isEqualTo(a);
    assertThat(a.lessThan(b)).isTrue();
    assertThat(Money.zero("USD").isZero()).isTrue();
    assertThat(Money.usd("12.30").toDecimal()).isEqualByComparingTo(new BigDecimal("12.30"));
    assertThat(Money.usd("12.30").toDecimal().scale()).isEqualTo(2);
  }

  @Test
  void arithmetic_whenItWouldOverflow_refuses() {
    Money max = Money.ofMinor(Long.MAX_VALUE, "USD");

    assertThatThrownBy(() -> max.plus(Money.ofMinor(1, "USD"))).isInstanceOf(InvalidRequestException.class).hasMessageContaining("overflows");
    assertThatThrownBy(() -> Money.ofMinor(Long.MIN_VALUE, "USD").minus(Money.ofMinor(1, "USD")))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("overflows");
    assertThatThrownBy(() -> max.times(2)).isInstanceOf(InvalidRequestException.class).hasMessageContaining("overflows");
  }

  @ParameterizedTest
  @ValueSource(strings = {"USD 12.34", "USD 0.00", "USD -5.00", "EUR 1000000.01", "JPY 500", "KWD 1.005"})
  void toString_parse_roundTrip(String text) {
    Money m = Money.parse(text);

    assertThat(m.toString()).isEqualTo(text);
    assertThat(Money.parse(m.toString())).isEqualTo(m);
  }

  @Test
  void toString_isTheCodeAndThePlainDecimal_forEveryCurrencyAndAmount() {
    // the text is hashed into audit entries and journaled: it must stay BigDecimal's plain form exactly
    java.util.Random r = new java.util.Random(20261207);
    long[] edges = {0, 1, -1, 9, 10, 99, 100, 101, 999, 1000, -999, -1000, 123456789, Long.MAX_VALUE, Long.MIN_VALUE,
        Long.MIN_VALUE + 1, -Long.MAX_VALUE};
    for (java.util.Currency c : java.util.Currency.getAvailableCurrencies()) {
      if (c.getDefaultFractionDigits() < 0) {
        continue; // no minor unit: Money refuses such currencies
      }
      for (int i = 0; i < edges.length + 200; i++) {
        long minor = i < edges.length ? edges[i] : i % 2 == 0 ? r.nextLong() : r.nextInt(2_000_001) - 1_000_000;
        Money m = Money.ofMinor(minor, c);

        assertThat(m.toString()).as("%s %s", minor, c)
            .isEqualTo(c.getCurrencyCode() + " " + BigDecimal.valueOf(minor, c.getDefaultFractionDigits()).toPlainString());
      }
    }
  }

  @Test
  void toString_alwaysShowsTheCurrencysDigits() {
    assertThat(Money.usd("5").toString()).isEqualTo("USD 5.00");
    assertThat(Money.ofMinor(1044, "usd").toString()).isEqualTo("USD 10.44");
  }

  @ParameterizedTest
  @ValueSource(strings = {"12.34", "USD12.34", "12.34 USD", "US 12.34"})
  void parse_whenNotCurrencySpaceAmount_refuses(String text) {
    assertThatThrownBy(() -> Money.parse(text)).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void fromDecimal_namesTheApiField() {
    assertThat(Money.fromDecimal("registration_cost", "10.44", "USD")).isEqualTo(Money.usd("10.44"));
    assertThatThrownBy(() -> Money.fromDecimal("registration_cost", "10.444", "USD"))
        .isInstanceOfSatisfying(InvalidRequestException.class,
            e -> assertThat(e.field()).isEqualTo("registration_cost"));
  }

  @Test
  void equalsAndHashCode_dependOnAmountAndCurrency() {
    assertThat(Money.usd("5")).isEqualTo(Money.usd("5.00")).hasSameHashCodeAs(Money.usd("5.00"));
    assertThat(Money.usd("5")).isNotEqualTo(Money.usd("5.01"));
  }

  @Test
  void of_whenTheTextIsLongerThanAnyAmount_refusesBeforeParsingIt() {
    assertThatThrownBy(() -> Money.usd("1".repeat(1_000_000))).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("amount");
      assertThat(e.problem()).contains("1000000 characters");
    });
    assertThatThrownBy(() -> Money.parse("USD 5\nWARN forged")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }
}
