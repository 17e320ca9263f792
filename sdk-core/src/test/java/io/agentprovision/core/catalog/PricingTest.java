package io.agentprovision.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.catalog.Pricing.Interval;
import io.agentprovision.core.catalog.Pricing.Kind;
import io.agentprovision.core.catalog.Pricing.Type;
import io.agentprovision.core.wire.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every pricing form the provider protocol and Stripe's catalog use, read by the one reader both
 * orchestrators call, and the rule it keeps: never a guess about money.
 */
class PricingTest {
  private static Pricing read(String json) {
    return Pricing.fromWire(Json.parseObject(json));
  }

  // ---------------------------------------------------------------- free and unknown

  @Test
  void fromWire_whenFree_isFreeAndNeedsNoPayment() {
    Pricing p = read("{\"type\":\"free\",\"tax_behavior\":\"exclusive\",\"display\":{\"badge\":\"Free\"}}");

    assertThat(p.type()).isEqualTo(Type.FREE);
    assertThat(p.kind()).isEqualTo(Kind.FREE);
    assertThat(p.isPaid()).isFalse();
    assertThat(p.requiresPayment()).isFalse();
    assertThat(p.amount()).isNull();
  }

  @Test
  void fromWire_whenAbsentMalformedOrOfAnUnknownType_isUnknownAndCountsAsPaid() {
    Pricing absent = Pricing.fromWire(null);
    Pricing notAnObject = Pricing.fromWire("free");
    Pricing wrongType = read("{\"type\":\"paid\",\"paid\":{\"freeform\":42}}");
    Pricing unknown = read("{\"type\":\"usage_based\",\"usage_based\":{\"unit\":\"neuron\","
        + "\"unit_amount_decimal\":\"0.000011\",\"currency\":\"usd\"}}");

    for (Pricing p : new Pricing[] {absent, notAnObject, wrongType, unknown}) {
      assertThat(p.kind()).isEqualTo(Kind.UNKNOWN);
      assertThat(p.isPaid()).isTrue();
      assertThat(p.requiresPayment()).isTrue();
      assertThat(p.amount()).isNull();
      assertThat(p.minimum()).isNull();
    }
    assertThat(unknown.type()).isEqualTo(Type.UNKNOWN);
    assertThat(unknown.typeName()).isEqualTo("usage_based");
    assertThat(unknown.interval()).isEqualTo(Interval.USAGE);
    assertThat(unknown.describe()).contains("unknown pricing type \"usage_based\"");
  }

  // ---------------------------------------------------------------- paid with an amount

  @Test
  void fromWire_whenPaidCarriesAnAmountInMinorUnits_isThatPrice() {
    Pricing p = read("{\"type\":\"paid\",\"paid\":{\"amount\":500,\"currency\":\"usd\",\"interval\":\"month\"}}");

    assertThat(p.kind()).isEqualTo(Kind.KNOWN);
    assertThat(p.amount()).isEqualTo(Money.usd("5.00"));
    assertThat(p.minimum()).isEqualTo(Money.usd("5.00"));
    assertThat(p.interval()).isEqualTo(Interval.MONTHLY);
    assertThat(p.requiresPayment()).isTrue();
  }

  @Test
  void fromWire_whenAmountsComeInStripeEncodings_readsThemExactly() {
    Pricing v2 = read("{\"type\":\"paid\",\"paid\":{\"amount\":{\"value\":\"1044\",\"currency\":\"usd\"},"
        + "\"recurring_interval\":\"year\"}}");
    Pricing digits = read("{\"type\":\"paid\",\"paid\":{\"unit_amount\":\"1200\",\"currency\":\"eur\"}}");
    Pricing decimal = read("{\"type\":\"paid\",\"paid\":{\"amount\":\"12.50\",\"currency\":\"gbp\"}}");

    assertThat(v2.amount()).isEqualTo(Money.usd("10.44"));
    assertThat(v2.interval()).isEqualTo(Interval.YEARLY);
    assertThat(digits.amount()).isEqualTo(Money.eur("12.00"));
    assertThat(decimal.amount()).isEqualTo(Money.of("12.50", "GBP"));
  }

  @Test
  void fromWire_whenAnAmountHasNoCurrencyOrAFraction_isNoAmount() {
    assertThat(read("{\"type\":\"paid\",\"paid\":{\"amount\":500}}").kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(read("{\"type\":\"paid\",\"paid\":{\"amount\":5.5,\"currency\":\"usd\"}}").kind())
        .isEqualTo(Kind.UNKNOWN);
    assertThat(read("{\"type\":\"paid\",\"paid\":{\"amount\":500,\"currency\":\"XXXX\"}}").kind())
        .isEqualTo(Kind.UNKNOWN);
  }

  @Test
  void fromWire_whenTheWordsQualifyTheAmount_isAMinimumWithUsage() {
    // the SDK's sandbox provider: an amount with the words beside it
    Pricing p = read("{\"type\":\"paid\",\"paid\":{\"amount\":500,\"currency\":\"usd\",\"interval\":\"month\"},"
        + "\"description\":\"$5/month minimum + usage\"}");

    assertThat(p.kind()).isEqualTo(Kind.MINIMUM);
    assertThat(p.minimum()).isEqualTo(Money.usd("5.00"));
    assertThat(p.amount()).isNull();
    assertThat(p.usage()).isTrue();
    assertThat(p.description()).isEqualTo("$5/month minimum + usage");
  }

  @Test
  void fromWire_whenAMinimumAmountIsGiven_isAMinimum() {
    Pricing p = read("{\"type\":\"paid\",\"paid\":{\"minimum_amount\":900,\"currency\":\"usd\"}}");

    assertThat(p.kind()).isEqualTo(Kind.MINIMUM);
    assertThat(p.minimum()).isEqualTo(Money.usd("9.00"));
  }

  @Test
  void fromWire_whenAMeteredPriceGivesAUnitAmount_isNoPriceOfBuying() {
    Pricing p = read("{\"type\":\"paid\",\"paid\":{\"type\":\"metered\",\"unit_amount\":1,\"currency\":\"usd\"}}");

    assertThat(p.kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(p.interval()).isEqualTo(Interval.USAGE);
  }

  // ---------------------------------------------------------------- stripe_price

  @Test
  void fromWire_whenAStripePriceIsOnlyAnId_isUnknownAndKeepsTheIdToLookUp() {
    Pricing p = read("{\"type\":\"paid\",\"paid\":{\"type\":\"stripe_price\",\"stripe_price\":\"price_1QsimMonthly\"}}");

    assertThat(p.kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(p.stripePrice()).isEqualTo("price_1QsimMonthly");
    assertThat(p.amount()).isNull();
    assertThat(p.describe()).contains("Stripe price price_1QsimMonthly").contains("not looked up");
  }

  @Test
  void fromWire_whenAStripePriceComesWithItsAmount_isThatPrice() {
    Pricing p = read("{\"type\":\"paid\",\"paid\":{\"type\":\"stripe_price\",\"stripe_price\":{\"id\":\"price_1\","
        + "\"unit_amount\":500,\"currency\":\"usd\",\"recurring\":{\"interval\":\"month\"}}}}");

    assertThat(p.kind()).isEqualTo(Kind.KNOWN);
    assertThat(p.amount()).isEqualTo(Money.usd("5.00"));
    assertThat(p.interval()).isEqualTo(Interval.MONTHLY);
    assertThat(p.stripePrice()).isEqualTo("price_1");
  }

  // ---------------------------------------------------------------- freeform words

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "$5.00/month                                          | KNOWN    | USD 5.00  | MONTHLY",
      "$10.44/year                                          | KNOWN    | USD 10.44 | YEARLY",
      "USD 12 one-time                                      | KNOWN    | USD 12.00 | ONE_TIME",
      "12.50 EUR a month                                    | KNOWN    | EUR 12.50 | MONTHLY",
      "€20 per year                                         | KNOWN    | EUR 20.00 | YEARLY",
      "$1,200.00 per year                                   | KNOWN    | USD 1200.00 | YEARLY",
      "$5/month minimum + usage                             | MINIMUM  | USD 5.00  | MONTHLY",
      "from $9                                              | MINIMUM  | USD 9.00  | NONE",
      "Starting at $9/month                                 | MINIMUM  | USD 9.00  | MONTHLY",
      "$9+ per month                                        | MINIMUM  | USD 9.00  | MONTHLY",
      "$5/month plus usage                                  | MINIMUM  | USD 5.00  | MONTHLY",
      "about $10/year                                       | ESTIMATE | USD 10.00 | YEARLY",
      "~$3 a month                                          | ESTIMATE | USD 3.00  | MONTHLY",
      "at cost                                              | UNKNOWN  |           | NONE",
      "at cost, one-time per registration year              | UNKNOWN  |           | ONE_TIME",
      "usage-based                                          | UNKNOWN  |           | USAGE",
      "$0.015 per GB-month stored, first 10 GB free         | UNKNOWN  |           | USAGE",
      "$0.001 per 1,000 rows read beyond 25 billion a month | UNKNOWN  |           | USAGE",
      "$0.30/million requests                               | UNKNOWN  |           | USAGE",
      "$10.44 first year, $12.00 to renew                   | UNKNOWN  |           | NONE",
      "up to $20                                            | UNKNOWN  |           | NONE",
      "contact sales                                        | UNKNOWN  |           | NONE",
      "Priced per domain, charged at registration           | UNKNOWN  |           | NONE",
      "¥500                                                 | UNKNOWN  |           | NONE",
  })
  void ofFreeform_readsWhatTheWordsSayAndNoMore(String text, Kind kind, String money, Interval interval) {
    Pricing p = Pricing.ofFreeform(text.trim());

    assertThat(p.type()).isEqualTo(Type.PAID);
    assertThat(p.kind()).isEqualTo(kind);
    assertThat(p.interval()).isEqualTo(interval);
    assertThat(p.description()).isEqualTo(text.trim());
    Money expected = money == null ? null : Money.parse(money.trim());
    switch (kind) {
      case KNOWN -> {
        assertThat(p.amount()).isEqualTo(expected);
        assertThat(p.minimum()).isEqualTo(expected);
      }
      case MINIMUM -> {
        assertThat(p.minimum()).isEqualTo(expected);
        assertThat(p.amount()).isNull();
      }
      case ESTIMATE -> {
        assertThat(p.amount()).isEqualTo(expected);
        assertThat(p.minimum()).isNull();
      }
      default -> {
        assertThat(p.amount()).isNull();
        assertThat(p.minimum()).isNull();
        assertThat(p.isPaid()).isTrue(); // unknown is never free
      }
    }
  }

  @Test
  void fromWire_whenPaidIsFreeformOnTheWire_readsTheWords() {
    Pricing p = read("{\"type\":\"paid\",\"paid\":{\"type\":\"freeform\",\"freeform\":\"$5.00/month\"}}");

    assertThat(p.kind()).isEqualTo(Kind.KNOWN);
    assertThat(p.amount()).isEqualTo(Money.usd("5.00"));
    assertThat(p.describe()).isEqualTo("paid: USD 5.00 a month");
  }

  @Test
  void fromWire_whenStripeGivesOnlyADescription_readsTheWords() {
    Pricing p = read("{\"type\":\"paid\",\"paid\":{\"type\":\"recurring\",\"description\":\"$5/month minimum + usage\"}}");

    assertThat(p.kind()).isEqualTo(Kind.MINIMUM);
    assertThat(p.minimum()).isEqualTo(Money.usd("5.00"));
    assertThat(p.describe()).isEqualTo("paid, freeform \"$5/month minimum + usage\": at least USD 5.00 a month, plus usage");
  }

  // ---------------------------------------------------------------- price lists

  @Test
  void fromWire_whenPaidIsAListWithADefault_isTheDefaultAndEachConfigurationHasItsPrice() {
    Pricing p = read("""
        {"type":"paid","paid":[
          {"type":"freeform","freeform":"$5.00/month","is_default":true,"configuration":{"billing_period":"monthly"}},
          {"type":"freeform","freeform":"$50.00/year","is_default":false,"configuration":{"billing_period":"yearly"}}]}
        """);

    assertThat(p.kind()).isEqualTo(Kind.KNOWN);
    assertThat(p.amount()).isEqualTo(Money.usd("5.00"));
    assertThat(p.options()).hasSize(2);
    assertThat(p.options().get(0).isDefault()).isTrue();
    assertThat(p.forConfiguration(Map.of("billing_period", "yearly")).amount()).isEqualTo(Money.usd("50.00"));
    assertThat(p.forConfiguration(Map.of("billing_period", "yearly")).interval()).isEqualTo(Interval.YEARLY);
    assertThat(p.forConfiguration(Map.of()).amount()).isEqualTo(Money.usd("5.00"));
    assertThat(p.describe()).startsWith("paid, a list of 2 prices");
  }

  @Test
  void fromWire_whenAListHasNoDefaultAndItsPricesDiffer_isUnknownUntilAConfigurationChooses() {
    Pricing p = read("""
        {"type":"paid","paid":[
          {"freeform":"$5.00/month","configuration":{"billing_period":"monthly"}},
          {"freeform":"$50.00/year","configuration":{"billing_period":"yearly"}}]}
        """);

    assertThat(p.kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(p.forConfiguration(Map.of("billing_period", "monthly")).amount()).isEqualTo(Money.usd("5.00"));
  }

  @Test
  void fromWire_whenStripeListsPaidPricing_takesItsDefault() {
    Pricing p = read("""
        {"type":"paid","paid_pricing":[
          {"type":"recurring","description":"EUR 20 per year","is_default":false},
          {"type":"recurring","freeform":"12.50 EUR a month","is_default":true}]}
        """);

    assertThat(p.amount()).isEqualTo(Money.eur("12.50"));
    assertThat(p.interval()).isEqualTo(Interval.MONTHLY);
  }

  // ---------------------------------------------------------------- components

  @Test
  void fromWire_whenEveryComponentOptionIsFree_isFreeUnderEveryParent() {
    Pricing p = read("{\"type\":\"component\",\"component\":{\"options\":[{\"type\":\"free\","
        + "\"parent_service_ids\":[\"workers:paid\",\"workers:free\"]}]}}");

    assertThat(p.type()).isEqualTo(Type.COMPONENT);
    assertThat(p.kind()).isEqualTo(Kind.FREE);
    assertThat(p.isPaid()).isFalse();
    assertThat(p.options().get(0).parentServiceIds()).containsExactly("workers:paid", "workers:free");
  }

  @Test
  void fromWire_whenAComponentIsPricedByItsParent_answersPerParent() {
    Pricing p = read("""
        {"type":"component","component":{"options":[
          {"type":"free","parent_service_ids":["workers:free"]},
          {"type":"paid","default":true,"parent_service_ids":["workers:paid"],
           "paid":{"type":"freeform","freeform":"$0.001 per 1,000 rows read beyond 25 billion a month"}},
          {"type":"paid","parent_service_ids":["workers:business"],"paid":{"type":"freeform","freeform":"$5.00/month"}}]}}
        """);

    assertThat(p.kind()).isEqualTo(Kind.UNKNOWN); // the default is a rate
    assertThat(p.isPaid()).isTrue();
    assertThat(p.requiresPayment()).isFalse(); // billed through the parent plan
    assertThat(p.underParent("workers:free").kind()).isEqualTo(Kind.FREE);
    assertThat(p.underParent("workers:paid").interval()).isEqualTo(Interval.USAGE);
    assertThat(p.underParent("workers:business").amount()).isEqualTo(Money.usd("5.00"));
    assertThat(p.underParent("workers:other").kind()).isEqualTo(Kind.UNKNOWN);
  }

  @Test
  void fromWire_whenStripeNamesParentServicesAsObjects_readsTheirIds() {
    Pricing p = read("""
        {"type":"component","component":{"options":[
          {"type":"paid","is_default":true,"parent_services":[{"service_id":"workers:paid"},"prvsvc_2"],
           "paid":{"type":"one_time","description":"Priced per domain, charged at registration"}}]}}
        """);

    assertThat(p.options().get(0).parentServiceIds()).containsExactly("workers:paid", "prvsvc_2");
    assertThat(p.kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(p.interval()).isEqualTo(Interval.ONE_TIME);
    assertThat(p.description()).isEqualTo("Priced per domain, charged at registration");
  }

  @Test
  void fromWire_whenAComponentHasNoOptions_readsItsOwnInterval() {
    Pricing p = read("{\"type\":\"component\",\"component\":{\"interval\":\"usage\"}}");

    assertThat(p.type()).isEqualTo(Type.COMPONENT);
    assertThat(p.kind()).isEqualTo(Kind.UNKNOWN);
    assertThat(p.interval()).isEqualTo(Interval.USAGE);
  }

  // ---------------------------------------------------------------- the value itself

  @Test
  void builder_whenAmountsDoNotFitTheKind_isRefusedNamingTheField() {
    assertThatThrownBy(() -> Pricing.builder(Type.PAID, Kind.KNOWN).build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("pricing.amount"));
    assertThatThrownBy(() -> Pricing.builder(Type.PAID, Kind.UNKNOWN).minimum(Money.usd("1.00")).build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("pricing.minimum"));
    assertThatThrownBy(() -> Pricing.builder(Type.PAID, Kind.FREE).build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("pricing.kind"));
  }

  @Test
  void equality_comparesEveryField() {
    assertThat(Pricing.ofFreeform("$5.00/month")).isEqualTo(Pricing.exactly(Money.usd("5.00"), Interval.MONTHLY,
        "$5.00/month"));
    assertThat(Pricing.atLeast(Money.usd("5.00"), Interval.MONTHLY, "x"))
        .isNotEqualTo(Pricing.exactly(Money.usd("5.00"), Interval.MONTHLY, "x"));
  }
}
