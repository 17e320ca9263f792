package io.agentprovision.testing.provider2;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The catalog on the wire: paging with {@code next_cursor}, and every pricing form a provider may send. */
class SimulatorCatalogTest {
  private static final List<String> CLOUDFLARE = List.of("workers:free", "workers:paid", "workers", "d1", "kv",
      "queues", "hyperdrive", "containers", "workers-ai", "browser-run", "r2:bucket", "registrar:domain");

  /** Every service, following next_cursor; asserts the shape of each page on the way. */
  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> all(SimWire wire) {
    List<Map<String, Object>> out = new ArrayList<>();
    String cursor = null;
    for (int page = 0; page < 10; page++) {
      SimWire.Answer a = wire.get("/provisioning/services" + (cursor == null ? "" : "?cursor=" + cursor));
      assertThat(a.code()).isEqualTo(200);
      assertThat(a.json()).containsKey("next_cursor"); // present on every page, null on the last
      for (Object o : a.list("data")) {
        out.add((Map<String, Object>) o);
      }
      cursor = a.str("next_cursor");
      if (cursor == null) {
        return out;
      }
    }
    throw new AssertionError("the cursor never ended");
  }

  private static Map<String, Object> service(List<Map<String, Object>> all, String id) {
    return all.stream().filter(s -> id.equals(s.get("id"))).findFirst().orElseThrow();
  }

  @Test
  void services_comeInPagesOfFive_withAnOpaqueCursor_andNullOnTheLastPage() {
    try (SimWire wire = SimWire.start()) {
      SimWire.Answer first = wire.get("/provisioning/services");
      SimWire.Answer second = wire.get("/provisioning/services?cursor=" + first.str("next_cursor"));
      SimWire.Answer third = wire.get("/provisioning/services?cursor=" + second.str("next_cursor"));

      assertThat(first.list("data")).hasSize(5);
      assertThat(first.str("next_cursor")).startsWith("cur_");
      assertThat(second.list("data")).hasSize(5);
      assertThat(third.list("data")).hasSize(2);
      assertThat(third.json()).containsEntry("next_cursor", null);
      assertThat(third.text()).contains("\"next_cursor\":null");
      assertThat(all(wire)).extracting(s -> s.get("id")).containsExactlyElementsOf(CLOUDFLARE);
    }
  }

  @Test
  void pageSize_isConfigurable() {
    try (SimWire wire = SimWire.start(b -> b.pageSize(100))) {
      SimWire.Answer a = wire.get("/provisioning/services");

      assertThat(a.list("data")).hasSize(12);
      assertThat(a.json()).containsEntry("next_cursor", null);
    }
  }

  @Test
  void aCursorNotIssuedHere_isRefusedWithInvalidCursor() {
    try (SimWire wire = SimWire.start()) {
      SimWire.Answer a = wire.get("/provisioning/services?cursor=page2");

      assertThat(a.code()).isEqualTo(400);
      assertThat(a.json()).containsEntry("status", "error");
      assertThat(a.errorCode()).isEqualTo("invalid_cursor");
    }
  }

  @Test
  void everyService_hasTheFieldsTheProtocolLists_andProjectScope() {
    try (SimWire wire = SimWire.start()) {
      for (Map<String, Object> s : all(wire)) {
        assertThat(s).as(String.valueOf(s.get("id"))).containsKeys("id", "description", "categories", "kind",
            "pricing", "scope", "kyc", "configuration_schema", "allowed_updates");
        assertThat(s.get("scope")).isEqualTo("project");
        assertThat(s.get("kind")).isIn("plan", "deployable");
      }
      List<Map<String, Object>> all = all(wire);
      assertThat(service(all, "workers:free")).containsEntry("group", "workers")
          .containsEntry("allowed_updates", List.of(Map.of("service_id", "workers:paid", "direction", "upgrade")));
      assertThat(service(all, "kv")).containsEntry("constraints",
          Map.of("requires_any_of", List.of("workers:free", "workers:paid")));
      assertThat(service(all, "registrar:domain").get("kyc"))
          .isEqualTo(Map.of("required_fields", List.of("email", "name", "country", "phone")));
    }
  }

  @Test
  void baseline_pricesThePaidPlanAsFreeform_andWorkersFree() {
    try (SimWire wire = SimWire.start()) {
      List<Map<String, Object>> all = all(wire);

      assertThat(service(all, "workers:paid").get("pricing"))
          .isEqualTo(Map.of("type", "paid", "paid", Map.of("type", "freeform", "freeform", "$5.00/month")));
      assertThat(service(all, "workers").get("pricing")).isEqualTo(Map.of("type", "free"));
      assertThat(service(all, "workers-ai").get("pricing")).isEqualTo(Map.of("type", "free"));
    }
  }

  @Test
  void priceList_sendsPaidAsAnArray_withOneDefault_andAConfigurationPerPrice() {
    try (SimWire wire = SimWire.start(Variant.PRICING_PRICE_LIST)) {
      Map<String, Object> paid = service(all(wire), "workers:paid");

      assertThat(paid.get("pricing")).isEqualTo(Map.of("type", "paid", "paid", List.of(
          Map.of("type", "freeform", "freeform", "$5.00/month", "is_default", true,
              "configuration", Map.of("billing_period", "monthly")),
          Map.of("type", "freeform", "freeform", "$50.00/year", "is_default", false,
              "configuration", Map.of("billing_period", "yearly")))));
      assertThat(SimWire.parse(SimWire.json(paid.get("configuration_schema"))).get("properties").toString())
          .contains("billing_period");
    }
  }

  @Test
  void stripePrice_sendsAnIdOnly() {
    try (SimWire wire = SimWire.start(Variant.PRICING_STRIPE_PRICE)) {
      assertThat(service(all(wire), "workers:paid").get("pricing")).isEqualTo(Map.of("type", "paid", "paid",
          Map.of("type", "stripe_price", "stripe_price", "price_1QsimWorkersPaidMonthly")));
    }
  }

  @Test
  void component_pricesWorkersByItsParentPlans() {
    try (SimWire wire = SimWire.start(Variant.PRICING_COMPONENT)) {
      List<Map<String, Object>> all = all(wire);

      assertThat(service(all, "workers").get("pricing")).isEqualTo(Map.of("type", "component", "component",
          Map.of("options", List.of(Map.of("type", "free", "parent_service_ids", List.of("workers:paid",
              "workers:free"))))));
      assertThat(service(all, "d1").get("pricing")).isEqualTo(Map.of("type", "component", "component",
          Map.of("options", List.of(
              Map.of("type", "free", "parent_service_ids", List.of("workers:free")),
              Map.of("type", "paid", "paid", Map.of("type", "freeform",
                  "freeform", "$0.001 per 1,000 rows read beyond 25 billion a month"), "default", true,
                  "parent_service_ids", List.of("workers:paid"))))));
    }
  }

  @Test
  void unknownPricingType_isSentForWorkersAi() {
    try (SimWire wire = SimWire.start(Variant.PRICING_UNKNOWN_TYPE)) {
      Map<String, Object> pricing = SimWire.parse(SimWire.json(service(all(wire), "workers-ai").get("pricing")));

      assertThat(pricing).containsEntry("type", "usage_based").containsKey("usage_based");
    }
  }

  @Test
  void unknownFields_appearInHealthPagesServicesAndPricing() {
    try (SimWire wire = SimWire.start(Variant.UNKNOWN_FIELDS)) {
      SimWire.Answer health = wire.get("/provisioning/health");
      SimWire.Answer page = wire.get("/provisioning/services");
      Map<String, Object> workers = service(all(wire), "workers:paid");

      assertThat(health.json()).containsKeys("build", "time");
      assertThat(page.json()).containsEntry("object", "list").containsEntry("has_more", true);
      assertThat(workers).containsKeys("object", "created", "docs_url", "status_page");
      assertThat(SimWire.parse(SimWire.json(workers.get("pricing"))))
          .containsKeys("tax_behavior", "display");
    }
  }
}
