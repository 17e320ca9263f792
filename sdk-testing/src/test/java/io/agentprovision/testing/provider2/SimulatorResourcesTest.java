package io.agentprovision.testing.provider2;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import java.time.Duration;
import java.util.Map;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/** Resources: create with idempotency keys, payment, validation, get, update, rotate, remove, pending, deep links. */
class SimulatorResourcesTest {

  @Test
  void freePlan_isCompleteAtOnce_withCredentialsFromTheBackend_andChargesNothing() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer a = wire.create(token, "workers:free", Map.of(), null);

      assertThat(a.code()).isEqualTo(200);
      assertThat(a.json()).containsEntry("status", "complete").containsEntry("service_id", "workers:free")
          .containsEntry("orchestrator_resource_id", "ores_workers:free").containsKey("id");
      Map<String, Object> access = a.map("complete", "access_configuration");
      assertThat(access).containsEntry("CLOUDFLARE_ACCOUNT_ID", wire.backend.findAccount("ada@example.com"));
      assertThat(wire.backend.isActive((String) access.get("CLOUDFLARE_API_TOKEN"))).isTrue();
      assertThat(wire.sim.chargeAttempts()).isEmpty();
    }
  }

  @Test
  void paidPlan_withoutPaymentCredentials_isRequiresPaymentCredentials_withoutAnId() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer a = wire.create(token, "workers:paid", Map.of(), null);

      assertThat(a.code()).isEqualTo(402);
      assertThat(a.json()).containsEntry("status", "error").doesNotContainKey("id");
      assertThat(a.errorCode()).isEqualTo("requires_payment_credentials");
      assertThat(wire.sim.resources()).isEmpty();
    }
  }

  @Test
  void paidPlan_isChargedItsPrice_onceForOneIdempotencyKey_andTheRetryGetsTheSameResource() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      Secret spt = wire.spt("5.00");

      SimWire.Answer first = wire.create(token, "workers:paid", Map.of(), spt, "idem_plan");
      SimWire.Answer retry = wire.create(token, "workers:paid", Map.of(), spt, "idem_plan");

      assertThat(first.str("status")).isEqualTo("complete");
      assertThat(retry.json()).isEqualTo(first.json());
      assertThat(retry.headers().get("Idempotent-Replayed")).isEqualTo("true");
      assertThat(wire.sim.charges()).singleElement().satisfies(c -> {
        assertThat(c.amount()).isEqualTo(Money.usd("5.00"));
        assertThat(c.serviceId()).isEqualTo("workers:paid");
        assertThat(c.resourceId()).isEqualTo(first.str("id"));
      });
      assertThat(wire.charger.charges()).hasSize(1);
      assertThat(wire.charger.captured(spt)).isEqualTo(Money.usd("5.00"));
      assertThat(wire.sim.resources()).hasSize(1);
    }
  }

  @Test
  void theSameKeyForAnotherBody_isRefused422_andNothingHappens() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      wire.create(token, "workers:free", Map.of(), null, "idem_1");

      SimWire.Answer a = wire.create(token, "workers:paid", Map.of(), wire.spt("5.00"), "idem_1");

      assertThat(a.code()).isEqualTo(422);
      assertThat(a.errorCode()).isEqualTo("idempotency_key_reused");
      assertThat(wire.sim.resources()).hasSize(1);
      assertThat(wire.sim.chargeAttempts()).isEmpty();
    }
  }

  @Test
  void create_withoutIdempotencyKey_isRefused() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer a = wire.post("/provisioning/resources", SimWire.createBody("workers:free", Map.of(), null),
          token, null);

      assertThat(a.code()).isEqualTo(400);
      assertThat(a.errorCode()).isEqualTo("idempotency_key_required");
      assertThat(wire.sim.resources()).isEmpty();
    }
  }

  @Test
  void aChargeAboveTheTokensCap_isDeclined_asPaymentDeclinedWithoutAnId_andMovesNoMoney() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      Secret small = wire.spt("4.99");

      SimWire.Answer a = wire.create(token, "workers:paid", Map.of(), small, "idem_plan");

      assertThat(a.code()).isEqualTo(402);
      assertThat(a.json()).doesNotContainKey("id");
      assertThat(a.errorCode()).isEqualTo("payment_declined");
      assertThat(a.str("error", "decline_code")).isEqualTo("amount_exceeds_limit");
      assertThat(wire.sim.charges()).isEmpty();
      assertThat(wire.sim.chargeAttempts()).singleElement()
          .satisfies(c -> assertThat(c.declineCode()).isEqualTo("amount_exceeds_limit"));
      assertThat(wire.sim.resources()).isEmpty();

      // the refusal was not kept under the key: the same key with a token that covers it goes through
      SimWire.Answer retry = wire.create(token, "workers:paid", Map.of(), wire.spt("5.00"), "idem_plan");
      assertThat(retry.str("status")).isEqualTo("complete");
      assertThat(wire.sim.charges()).hasSize(1);
    }
  }

  @Test
  void priceList_chargesThePriceOfTheChosenConfiguration() {
    try (SimWire wire = SimWire.start(Variant.PRICING_PRICE_LIST)) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer a = wire.create(token, "workers:paid", Map.of("billing_period", "yearly"), wire.spt("50.00"));

      assertThat(a.str("status")).isEqualTo("complete");
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("50.00"));
    }
  }

  @Test
  void deployable_withoutAPlan_isPlanRequired() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer a = wire.create(token, "kv", Map.of("title", "cache"), null);

      assertThat(a.code()).isEqualTo(409);
      assertThat(a.errorCode()).isEqualTo("plan_required");
    }
  }

  @Test
  void configuration_failingTheSchema_isInvalidConfiguration_namingTheField() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      wire.freePlan(token);

      SimWire.Answer missing = wire.create(token, "kv", Map.of(), null);
      SimWire.Answer wrongType = wire.create(token, "d1", Map.of("name", 42), null);
      SimWire.Answer notInEnum = wire.create(token, "d1", Map.of("name", "db", "location_hint", "mars"), null);
      SimWire.Answer nested = wire.create(token, "hyperdrive", Map.of("name", "h", "origin", Map.of("host", "db")),
          null);
      SimWire.Answer badInteger = wire.create(token, "hyperdrive", Map.of("name", "h", "origin",
          Map.of("host", "db", "database", "app", "port", 5432.5)), null);

      assertThat(missing.code()).isEqualTo(400);
      assertThat(missing.errorCode()).isEqualTo("invalid_configuration");
      assertThat(missing.str("error", "message")).isEqualTo("configuration.title is required");
      assertThat(wrongType.str("error", "message")).isEqualTo("configuration.name must be a string (was the number 42)");
      assertThat(notInEnum.str("error", "message")).contains("configuration.location_hint must be one of");
      assertThat(nested.str("error", "message")).isEqualTo("configuration.origin.database is required");
      assertThat(badInteger.str("error", "message")).contains("configuration.origin.port must be an integer");
      assertThat(wire.sim.resources()).hasSize(1); // only the plan
    }
  }

  @Test
  void unknownService_andAMalformedBody_areRefused() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer unknown = wire.create(token, "spaceships", Map.of(), null);
      SimWire.Answer malformed = wire.post("/provisioning/resources", Map.of("service_id", 7), token, "idem_x");
      SimWire.Answer badPayment = wire.post("/provisioning/resources", Map.of("service_id", "workers:paid",
          "payment_credentials", Map.of("type", "card", "card", "4242")), token, "idem_y");

      assertThat(unknown.errorCode()).isEqualTo("unknown_service");
      assertThat(malformed.errorCode()).isEqualTo("invalid_request");
      assertThat(malformed.str("error", "message")).contains("service_id");
      assertThat(badPayment.errorCode()).isEqualTo("invalid_request");
      assertThat(badPayment.str("error", "message")).contains("payment_credentials.type");
    }
  }

  @Test
  void errorsWithHttp200_keepTheSameBody() {
    try (SimWire wire = SimWire.start(Variant.ERRORS_WITH_HTTP_200)) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer a = wire.create(token, "workers:paid", Map.of(), null);
      SimWire.Answer missing = wire.get("/provisioning/resources/res_nope", token);

      assertThat(a.code()).isEqualTo(200);
      assertThat(a.json()).containsEntry("status", "error").doesNotContainKey("id");
      assertThat(a.errorCode()).isEqualTo("requires_payment_credentials");
      assertThat(missing.code()).isEqualTo(200);
      assertThat(missing.errorCode()).isEqualTo("resource_not_found");
      // authentication is not the provider's answer about a resource: still 401
      assertThat(wire.get("/provisioning/resources/res_nope", Secret.of("at_forged")).code()).isEqualTo(401);
    }
  }

  @Test
  void get_ofAnotherAccountsResource_isNotFound() {
    try (SimWire wire = SimWire.start()) {
      Secret ada = wire.accessToken("ada@example.com");
      Secret bob = wire.accessToken("bob@example.com");
      String plan = wire.freePlan(ada);

      SimWire.Answer a = wire.get("/provisioning/resources/" + plan, bob);

      assertThat(a.code()).isEqualTo(404);
      assertThat(a.errorCode()).isEqualTo("resource_not_found");
      assertThat(wire.get("/provisioning/resources/" + plan, ada).str("status")).isEqualTo("complete");
    }
  }

  @Test
  void pending_answersForNPolls_thenComplete() {
    try (SimWire wire = SimWire.start(b -> b.pendingPolls(2))) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer created = wire.create(token, "workers:free", Map.of(), null);
      String id = created.str("id");

      assertThat(created.json()).containsEntry("status", "pending").doesNotContainKey("complete");
      assertThat(wire.get("/provisioning/resources/" + id, token).str("status")).isEqualTo("pending");
      assertThat(wire.get("/provisioning/resources/" + id, token).str("status")).isEqualTo("pending");
      SimWire.Answer done = wire.get("/provisioning/resources/" + id, token);
      assertThat(done.str("status")).isEqualTo("complete");
      assertThat(done.map("complete", "access_configuration")).containsKey("CLOUDFLARE_API_TOKEN");
    }
  }

  @Test
  void pendingZero_answersTheOutcomeAtOnce() {
    try (SimWire wire = SimWire.start(b -> b.pendingPolls(0))) {
      Secret token = wire.accessToken("ada@example.com");

      assertThat(wire.create(token, "workers:free", Map.of(), null).str("status")).isEqualTo("complete");
    }
  }

  @Test
  void updateService_upgradesThePlan_chargingThePaidPrice_andKeepsTheCredentials() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      SimWire.Answer free = wire.create(token, "workers:free", Map.of(), null);
      String id = free.str("id");

      SimWire.Answer noPay = wire.action(token, id, "update_service", Map.of("service_id", "workers:paid"));
      SimWire.Answer paid = wire.action(token, id, "update_service", Map.of("service_id", "workers:paid",
          "payment_credentials", SimWire.payment(wire.spt("5.00"))));

      assertThat(noPay.errorCode()).isEqualTo("requires_payment_credentials");
      assertThat(paid.json()).containsEntry("id", id).containsEntry("status", "complete")
          .containsEntry("service_id", "workers:paid");
      assertThat(paid.map("complete", "access_configuration"))
          .isEqualTo(free.map("complete", "access_configuration"));
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("5.00"));
    }
  }

  @Test
  void updateService_toAServiceNotAllowed_isDestructiveUpdate_withTheResourcesId() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      String plan = wire.freePlan(token);

      SimWire.Answer a = wire.action(token, plan, "update_service", Map.of("service_id", "kv"));

      assertThat(a.code()).isEqualTo(409);
      assertThat(a.json()).containsEntry("id", plan).containsEntry("status", "error");
      assertThat(a.errorCode()).isEqualTo("destructive_update");
      assertThat(wire.get("/provisioning/resources/" + plan, token).str("status")).isEqualTo("complete");
    }
  }

  @Test
  void updateService_ofARemovedResource_isInvalidState_withTheId() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      String plan = wire.freePlan(token);
      wire.action(token, plan, "remove", Map.of());

      SimWire.Answer a = wire.action(token, plan, "update_service", Map.of("configuration", Map.of()));

      assertThat(a.json()).containsEntry("id", plan);
      assertThat(a.errorCode()).isEqualTo("invalid_state");
    }
  }

  @Test
  void rotateCredentials_issuesNewOnes_andTheOldStopWorking() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      SimWire.Answer plan = wire.create(token, "workers:free", Map.of(), null);
      String old = plan.str("complete", "access_configuration", "CLOUDFLARE_API_TOKEN");

      SimWire.Answer rotated = wire.action(token, plan.str("id"), "rotate_credentials", Map.of());

      String fresh = rotated.str("complete", "access_configuration", "CLOUDFLARE_API_TOKEN");
      assertThat(rotated.str("status")).isEqualTo("complete");
      assertThat(fresh).isNotEqualTo(old);
      assertThat(wire.backend.isActive(fresh)).isTrue();
      assertThat(wire.backend.isActive(old)).isFalse();
    }
  }

  @Test
  void remove_revokesAndDeprovisions_andGetShowsRemoved() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      SimWire.Answer plan = wire.create(token, "workers:free", Map.of(), null);
      String id = plan.str("id");

      SimWire.Answer removed = wire.action(token, id, "remove", Map.of());

      assertThat(removed.json()).containsEntry("id", id).containsEntry("status", "removed");
      assertThat(wire.get("/provisioning/resources/" + id, token).str("status")).isEqualTo("removed");
      assertThat(wire.backend.deprovisioned()).containsExactly(id);
      assertThat(wire.backend.isActive(plan.str("complete", "access_configuration", "CLOUDFLARE_API_TOKEN")))
          .isFalse();
    }
  }

  @Test
  void removeTwice_baseline_answersRemovedAgain() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.freePlan(token);
      wire.action(token, id, "remove", Map.of());

      SimWire.Answer again = wire.action(token, id, "remove", Map.of());

      assertThat(again.code()).isEqualTo(200);
      assertThat(again.json()).containsEntry("status", "removed");
      assertThat(wire.backend.deprovisioned()).containsExactly(id);
    }
  }

  @Test
  void removeTwice_notFoundVariant_forgetsTheResource() {
    try (SimWire wire = SimWire.start(Variant.REMOVE_AGAIN_NOT_FOUND)) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.freePlan(token);
      assertThat(wire.action(token, id, "remove", Map.of()).str("status")).isEqualTo("removed");

      SimWire.Answer again = wire.action(token, id, "remove", Map.of());

      assertThat(again.code()).isEqualTo(404);
      assertThat(again.json()).doesNotContainKey("id");
      assertThat(again.errorCode()).isEqualTo("resource_not_found");
      assertThat(wire.get("/provisioning/resources/" + id, token).code()).isEqualTo(404);
      assertThat(wire.sim.resource(id)).hasValueSatisfying(r -> assertThat(r.forgotten()).isTrue());
    }
  }

  @Test
  void removeTwice_invalidStateVariant_isAnErrorWithTheId() {
    try (SimWire wire = SimWire.start(Variant.REMOVE_AGAIN_INVALID_STATE)) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.freePlan(token);
      wire.action(token, id, "remove", Map.of());

      SimWire.Answer again = wire.action(token, id, "remove", Map.of());

      assertThat(again.code()).isEqualTo(409);
      assertThat(again.json()).containsEntry("id", id).containsEntry("status", "error");
      assertThat(again.errorCode()).isEqualTo("invalid_state");
      assertThat(wire.get("/provisioning/resources/" + id, token).str("status")).isEqualTo("removed");
    }
  }

  @Test
  void removeRetriedUnderTheSameKey_replaysRemoved_inEveryVariant() {
    try (SimWire wire = SimWire.start(Variant.REMOVE_AGAIN_INVALID_STATE)) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.freePlan(token);
      String path = "/provisioning/resources/" + id + "/remove";

      SimWire.Answer first = wire.post(path, Map.of(), token, "idem_remove");
      SimWire.Answer retry = wire.post(path, Map.of(), token, "idem_remove");

      assertThat(first.str("status")).isEqualTo("removed");
      assertThat(retry.json()).isEqualTo(first.json());
    }
  }

  @Test
  void deepLink_isAUrlForMinutes_andWorksOnce() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer link = wire.post("/provisioning/deep_links", Map.of("purpose", "dashboard"), token, null);

      assertThat(link.json()).containsEntry("purpose", "dashboard").containsKeys("url", "expires_at");
      assertThat(((Number) link.at("expires_at")).longValue())
          .isEqualTo(wire.time.instant().plus(Duration.ofMinutes(5)).getEpochSecond());
      assertThat(wire.send(new Request.Builder().url(link.str("url")).get()).code()).isEqualTo(200);
      assertThat(wire.send(new Request.Builder().url(link.str("url")).get()).code()).isEqualTo(410);

      SimWire.Answer late = wire.post("/provisioning/deep_links", Map.of("purpose", "billing"), token, null);
      wire.time.advance(Duration.ofMinutes(5));
      assertThat(wire.send(new Request.Builder().url(late.str("url")).get()).code()).isEqualTo(410);

      assertThat(wire.post("/provisioning/deep_links", Map.of("purpose", "root"), token, null).errorCode())
          .isEqualTo("unsupported_purpose");
    }
  }

  @Test
  void unknownFields_appearInResourcesAndErrors() {
    try (SimWire wire = SimWire.start(Variant.UNKNOWN_FIELDS)) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer plan = wire.create(token, "workers:free", Map.of(), null);
      SimWire.Answer err = wire.create(token, "workers:paid", Map.of(), null);
      SimWire.Answer link = wire.post("/provisioning/deep_links", Map.of("purpose", "dashboard"), token, null);

      assertThat(plan.json()).containsKeys("object", "created", "livemode", "metadata");
      assertThat(plan.map("complete")).containsKey("rotated_at");
      assertThat(err.map("error")).containsKeys("doc_url", "request_log_id");
      assertThat(link.json()).containsEntry("single_use", true);
    }
  }
}
