package io.agentprovision.stripe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Money;
import io.agentprovision.core.catalog.Pricing;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PricingParserTest {
  @Test
  void parse_whenFree_isFreeAndNotPaid() {
    Pricing p = PricingParser.parse(Map.of("type", "free"));

    assertThat(p.type()).isEqualTo(Pricing.Type.FREE);
    assertThat(p.isPaid()).isFalse();
  }

  @Test
  void parse_whenPaidHasOnlyText_readsThePriceAndRecurrenceFromIt() {
    Pricing p = PricingParser.parse(Map.of("type", "paid", "paid",
        Map.of("type", "recurring", "description", "$5/month minimum + usage")));

    assertThat(p).isEqualTo(new Pricing(Pricing.Type.PAID, Money.usd("5.00"), Pricing.Recurrence.MONTHLY,
        "$5/month minimum + usage"));
  }

  @Test
  void parse_whenPaidPricingListsEntries_takesTheDefaultOne() {
    Pricing p = PricingParser.parse(Map.of("type", "paid", "paid_pricing", List.of(
        Map.of("type", "recurring", "description", "EUR 20 per year", "is_default", false),
        Map.of("type", "recurring", "freeform", "12.50 EUR a month", "is_default", true))));

    assertThat(p.amount()).isEqualTo(Money.eur("12.50"));
    assertThat(p.recurrence()).isEqualTo(Pricing.Recurrence.MONTHLY);
  }

  @Test
  void parse_whenAnAmountIsGivenAsData_prefersItToTheText() {
    Pricing p = PricingParser.parse(Map.of("type", "paid", "paid", Map.of("amount", Map.of("value", "1044",
        "currency", "usd"), "description", "about $10", "interval", "year")));

    assertThat(p.amount()).isEqualTo(Money.usd("10.44"));
    assertThat(p.recurrence()).isEqualTo(Pricing.Recurrence.YEARLY);
  }

  @Test
  void parse_whenComponent_readsTheDefaultOptionAndKeepsItsText() {
    Pricing p = PricingParser.parse(Map.of("type", "component", "component", Map.of("options", List.of(
        Map.of("type", "paid", "is_default", true, "paid", Map.of("type", "one_time",
            "description", "Priced per domain"))))));

    assertThat(p.type()).isEqualTo(Pricing.Type.COMPONENT);
    assertThat(p.amount()).isNull();
    assertThat(p.recurrence()).isEqualTo(Pricing.Recurrence.ONE_TIME);
    assertThat(p.description()).isEqualTo("Priced per domain");
    assertThat(p.isPaid()).isTrue();
  }

  @Test
  void parse_whenTheTypeIsUnknownOrMissing_isUnknownAndCountsAsPaid() {
    assertThat(PricingParser.parse(Map.of("type", "tiered")).type()).isEqualTo(Pricing.Type.UNKNOWN);
    assertThat(PricingParser.parse(null).type()).isEqualTo(Pricing.Type.UNKNOWN);
    assertThat(PricingParser.parse("free").isPaid()).isTrue();
  }

  @Test
  void textAmount_whenTheTextHasMoreFractionDigitsThanTheCurrency_takesNoWrongPrice() {
    assertThat(PricingParser.textAmount("usage: $0.015 per GB")).isEqualTo(Money.usd("0.01"));
    assertThat(PricingParser.textAmount("priced by usage")).isNull();
  }
}
