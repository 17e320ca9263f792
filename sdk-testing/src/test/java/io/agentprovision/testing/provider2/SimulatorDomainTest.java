package io.agentprovision.testing.provider2;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.testing.protocol.Backend;
import io.agentprovision.testing.protocol.InMemoryBackend;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code registrar:domain}: needs_information rounds with or without an id, choices with or without
 * prices, both ways of answering, payment up front, and the price charged being the backend's offer.
 */
class SimulatorDomainTest {
  private static final String DOMAIN = "registrar:domain";

  private static Map<String, Object> paying(Secret spt, Map<String, Object> configuration) {
    return Map.of("configuration", configuration, "payment_credentials", SimWire.payment(spt));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> property(SimWire.Answer a, String name) {
    Map<String, Object> schema = a.map("needs_information", "schema");
    assertThat(schema).containsEntry("type", "object").containsEntry("required", List.of(name));
    return (Map<String, Object>) ((Map<String, Object>) schema.get("properties")).get(name);
  }

  /** The {@code const} of each {@code oneOf} entry of a property, in order. */
  private static List<Object> consts(Map<String, Object> property) {
    return ((List<?>) property.get("oneOf")).stream().map(o -> ((Map<?, ?>) o).get("const")).map(Object.class::cast)
        .toList();
  }

  @Test
  void query_getsNeedsInformationWithAnId_andPricedOneOfChoices() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer a = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null);

      assertThat(a.code()).isEqualTo(200);
      assertThat(a.json()).containsEntry("status", "needs_information").containsKey("id");
      Map<String, Object> domain = property(a, "domain");
      assertThat(domain).containsEntry("type", "string").doesNotContainKey("enum");
      assertThat(consts(domain)).containsExactly("my-app.com", "my-app.net", "my-app.dev", "my-app.app");
      assertThat(((List<?>) domain.get("oneOf")).get(0)).isEqualTo(Map.of("const", "my-app.com",
          "title", "my-app.com", "pricing", Map.of("type", "paid", "paid", Map.of("type", "freeform",
              "freeform", "$10.44/year"))));
      assertThat(wire.sim.resource(a.str("id"))).hasValueSatisfying(r -> assertThat(r.status())
          .isEqualTo("needs_information"));
      assertThat(wire.sim.chargeAttempts()).isEmpty();
    }
  }

  @Test
  void answerAsUpdateService_buysTheChosenDomain_atTheBackendsPrice_once() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null).str("id");
      Map<String, Object> answer = paying(wire.spt("11.84"), Map.of("domain", "my-app.net"));
      String path = "/provisioning/resources/" + id + "/update_service";

      SimWire.Answer done = wire.post(path, answer, token, "idem_answer");
      SimWire.Answer retry = wire.post(path, answer, token, "idem_answer");

      assertThat(done.json()).containsEntry("id", id).containsEntry("status", "complete").containsKey("complete");
      assertThat(retry.json()).isEqualTo(done.json());
      assertThat(wire.sim.charges()).singleElement().satisfies(c -> {
        assertThat(c.amount()).isEqualTo(Money.usd("11.84"));
        assertThat(c.description()).isEqualTo("registrar:domain my-app.net, 1 year");
      });
      assertThat(wire.backend.registeredDomains()).containsExactly("my-app.net");
    }
  }

  @Test
  void answerAsANewCreate_withTheChosenConfigurationAndPayment_buysIt_underANewId() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      String asked = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null).str("id");

      SimWire.Answer done = wire.create(token, DOMAIN, Map.of("domain_query", "my-app", "domain", "my-app.dev"),
          wire.spt("12.00"));

      assertThat(done.str("status")).isEqualTo("complete");
      assertThat(done.str("id")).isNotEqualTo(asked);
      assertThat(wire.sim.resource(asked)).hasValueSatisfying(r -> assertThat(r.status())
          .isEqualTo("needs_information"));
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("12.00"));
      assertThat(wire.backend.registeredDomains()).containsExactly("my-app.dev");
    }
  }

  @Test
  void paymentSentWithTheQuestion_isUsedForTheAnswer() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), wire.spt("20.88")).str("id");

      SimWire.Answer done = wire.action(token, id, "update_service", Map.of("configuration",
          Map.of("domain", "my-app.com", "years", 2)));

      assertThat(done.str("status")).isEqualTo("complete");
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("20.88"));
    }
  }

  @Test
  void answerWithoutAnyPayment_isRequiresPaymentCredentials_andTheQuestionStands() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null).str("id");

      SimWire.Answer a = wire.action(token, id, "update_service", Map.of("configuration",
          Map.of("domain", "my-app.com")));

      assertThat(a.code()).isEqualTo(402);
      assertThat(a.json()).doesNotContainKey("id");
      assertThat(a.errorCode()).isEqualTo("requires_payment_credentials");
      assertThat(wire.get("/provisioning/resources/" + id, token).str("status")).isEqualTo("needs_information");
      assertThat(wire.backend.registeredDomains()).isEmpty();
    }
  }

  @Test
  void answerNotAmongTheChoices_isInvalidConfiguration_withoutAnId() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null).str("id");

      SimWire.Answer a = wire.action(token, id, "update_service", paying(wire.spt("20.00"),
          Map.of("domain", "someone-else.com")));

      assertThat(a.code()).isEqualTo(400);
      assertThat(a.json()).doesNotContainKey("id");
      assertThat(a.errorCode()).isEqualTo("invalid_configuration");
      assertThat(a.str("error", "message")).contains("configuration.domain must match exactly one of the offered "
          + "choices [\"my-app.com\"");
      assertThat(wire.sim.chargeAttempts()).isEmpty();
    }
  }

  @Test
  void aTakenDomain_isNotOffered_andBuyingItDirectly_isDomainUnavailable() {
    try (SimWire wire = SimWire.start()) {
      wire.backend.taken("my-app.com");
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer asked = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null);
      SimWire.Answer direct = wire.create(token, DOMAIN, Map.of("domain", "my-app.com"), wire.spt("20.00"));

      assertThat(property(asked, "domain").get("oneOf").toString()).doesNotContain("my-app.com")
          .contains("my-app.net");
      assertThat(direct.code()).isEqualTo(409);
      assertThat(direct.errorCode()).isEqualTo("domain_unavailable");
      assertThat(wire.sim.chargeAttempts()).isEmpty();
    }
  }

  @Test
  void aDomainAboveTheTokensCap_isDeclined_andCanBeAnsweredAgainWithABiggerToken() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null).str("id");

      SimWire.Answer declined = wire.action(token, id, "update_service", paying(wire.spt("10.00"),
          Map.of("domain", "my-app.com")));
      SimWire.Answer done = wire.action(token, id, "update_service", paying(wire.spt("10.44"),
          Map.of("domain", "my-app.com")));

      assertThat(declined.errorCode()).isEqualTo("payment_declined");
      assertThat(done.str("status")).isEqualTo("complete");
      assertThat(wire.sim.chargeAttempts()).extracting(SimulatorCharge::succeeded).containsExactly(false, true);
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("10.44"));
    }
  }

  @Test
  void noQuery_asksForOne_firstAsItsOwnRound() {
    try (SimWire wire = SimWire.start()) {
      Secret token = wire.accessToken("ada@example.com");
      SimWire.Answer first = wire.create(token, DOMAIN, Map.of(), null);
      String id = first.str("id");

      assertThat(property(first, "domain_query")).containsEntry("type", "string");
      SimWire.Answer second = wire.action(token, id, "update_service", Map.of("configuration",
          Map.of("domain_query", "ada")));
      assertThat(second.json()).containsEntry("id", id).containsEntry("status", "needs_information");
      assertThat(property(second, "domain")).containsKey("oneOf");
      SimWire.Answer third = wire.action(token, id, "update_service", paying(wire.spt("10.44"),
          Map.of("domain", "ada.com")));
      assertThat(third.str("status")).isEqualTo("complete");
      assertThat(wire.backend.registeredDomains()).containsExactly("ada.com");
    }
  }

  @Test
  void withoutId_theQuestionCarriesNoId_keepsNothing_andTheAnswerIsANewCreate() {
    try (SimWire wire = SimWire.start(Variant.NEEDS_INFO_WITHOUT_ID)) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer asked = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null);

      assertThat(asked.json()).containsOnlyKeys("status", "needs_information");
      assertThat(wire.sim.resources()).isEmpty();
      SimWire.Answer done = wire.create(token, DOMAIN, Map.of("domain_query", "my-app", "domain", "my-app.app"),
          wire.spt("14.00"));
      assertThat(done.json()).containsEntry("status", "complete").containsKey("id");
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("14.00"));
    }
  }

  @Test
  void multiRound_asksTheTldFirst_thenTheName_answeredByUpdates() {
    try (SimWire wire = SimWire.start(Variant.NEEDS_INFO_MULTI_ROUND)) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer tld = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null);
      String id = tld.str("id");
      Map<String, Object> tldChoice = property(tld, "tld");
      assertThat(consts(tldChoice)).containsExactly("com", "net", "dev", "app");
      assertThat(tldChoice.get("oneOf").toString()).contains("from $12.00/year");

      SimWire.Answer name = wire.action(token, id, "update_service", Map.of("configuration", Map.of("tld", "dev")));
      assertThat(name.json()).containsEntry("id", id).containsEntry("status", "needs_information");
      assertThat(consts(property(name, "domain"))).containsExactly("my-app.dev");

      SimWire.Answer done = wire.action(token, id, "update_service", paying(wire.spt("12.00"),
          Map.of("domain", "my-app.dev")));
      assertThat(done.str("status")).isEqualTo("complete");
      assertThat(wire.sim.resource(id).orElseThrow().configuration())
          .containsEntry("domain_query", "my-app").containsEntry("tld", "dev").containsEntry("domain", "my-app.dev");
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("12.00"));
    }
  }

  @Test
  void multiRound_answeredByNewCreates_carryingEverythingAnswered() {
    try (SimWire wire = SimWire.start(Variant.NEEDS_INFO_MULTI_ROUND, Variant.NEEDS_INFO_WITHOUT_ID)) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer tld = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null);
      SimWire.Answer name = wire.create(token, DOMAIN, Map.of("domain_query", "my-app", "tld", "net"), null);
      SimWire.Answer done = wire.create(token, DOMAIN, Map.of("domain_query", "my-app", "tld", "net",
          "domain", "my-app.net"), wire.spt("11.84"));

      assertThat(property(tld, "tld")).containsKey("oneOf");
      assertThat(property(name, "domain")).containsKey("oneOf");
      assertThat(done.str("status")).isEqualTo("complete");
      assertThat(wire.backend.registeredDomains()).containsExactly("my-app.net");
    }
  }

  @Test
  void plainEnum_offersTheNamesWithoutPrices() {
    try (SimWire wire = SimWire.start(Variant.NEEDS_INFO_PLAIN_ENUM)) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer a = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null);

      Map<String, Object> domain = property(a, "domain");
      assertThat(domain).containsEntry("enum", List.of("my-app.com", "my-app.net", "my-app.dev", "my-app.app"))
          .doesNotContainKey("oneOf");
      assertThat(a.text()).doesNotContain("$").doesNotContain("pricing");
      SimWire.Answer done = wire.action(token, a.str("id"), "update_service", paying(wire.spt("10.44"),
          Map.of("domain", "my-app.com")));
      assertThat(done.str("status")).isEqualTo("complete");
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("10.44"));
    }
  }

  @Test
  void answerByNewRequestOnly_refusesTheUpdateForm_withInvalidStateAndTheId() {
    try (SimWire wire = SimWire.start(Variant.ANSWER_BY_NEW_REQUEST_ONLY)) {
      Secret token = wire.accessToken("ada@example.com");
      String id = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null).str("id");

      SimWire.Answer refused = wire.action(token, id, "update_service", paying(wire.spt("10.44"),
          Map.of("domain", "my-app.com")));
      SimWire.Answer done = wire.create(token, DOMAIN, Map.of("domain_query", "my-app", "domain", "my-app.com"),
          wire.spt("10.44"));

      assertThat(refused.code()).isEqualTo(409);
      assertThat(refused.json()).containsEntry("id", id);
      assertThat(refused.errorCode()).isEqualTo("invalid_state");
      assertThat(refused.str("error", "message")).contains("new POST /provisioning/resources");
      assertThat(done.str("status")).isEqualTo("complete");
      assertThat(wire.sim.charges()).hasSize(1);
    }
  }

  @Test
  void paymentUpFront_refusesTheFirstRequestWithoutPaymentCredentials() {
    try (SimWire wire = SimWire.start(Variant.DOMAIN_REQUIRES_PAYMENT_UPFRONT)) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer refused = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null);
      SimWire.Answer asked = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), wire.spt("15.00"));

      assertThat(refused.code()).isEqualTo(402);
      assertThat(refused.json()).containsEntry("status", "error").doesNotContainKey("id");
      assertThat(refused.errorCode()).isEqualTo("requires_payment_credentials");
      assertThat(asked.str("status")).isEqualTo("needs_information");
      SimWire.Answer done = wire.action(token, asked.str("id"), "update_service", Map.of("configuration",
          Map.of("domain", "my-app.app")));
      assertThat(done.str("status")).isEqualTo("complete");
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("14.00"));
    }
  }

  @Test
  void purchase_staysPendingForTheConfiguredPolls() {
    try (SimWire wire = SimWire.start(b -> b.pendingPolls(1))) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer bought = wire.create(token, DOMAIN, Map.of("domain", "my-app.com"), wire.spt("10.44"));

      assertThat(bought.str("status")).isEqualTo("pending");
      assertThat(wire.get("/provisioning/resources/" + bought.str("id"), token).str("status")).isEqualTo("pending");
      assertThat(wire.get("/provisioning/resources/" + bought.str("id"), token).str("status")).isEqualTo("complete");
      assertThat(wire.sim.charges()).hasSize(1);
    }
  }

  @Test
  void aRegistryRefusal_afterPayment_leavesAnErroredResourceWithItsId_andTheChargeStands() {
    InMemoryBackend registry = new InMemoryBackend();
    Backend refusing = new Backend() {
      @Override
      public String findAccount(String email) {
        return registry.findAccount(email);
      }

      @Override
      public String createAccount(String email, String name) {
        return registry.createAccount(email, name);
      }

      @Override
      public Map<String, String> issueCredentials(String accountId, String resourceId, String serviceId,
          Map<String, Object> configuration) {
        return registry.issueCredentials(accountId, resourceId, serviceId, configuration);
      }

      @Override
      public void revokeCredentials(String accountId, String resourceId) {
        registry.revokeCredentials(accountId, resourceId);
      }

      @Override
      public List<DomainOffer> searchDomains(String accountId, String query) {
        return registry.searchDomains(accountId, query);
      }

      @Override
      public void registerDomain(String accountId, String domain) {
        throw new IllegalStateException("registry timeout");
      }

      @Override
      public void deprovision(String accountId, String resourceId, String serviceId) {
        registry.deprovision(accountId, resourceId, serviceId);
      }
    };
    try (SimWire wire = SimWire.start(b -> b.backend(refusing))) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer bought = wire.create(token, DOMAIN, Map.of("domain", "my-app.com"), wire.spt("10.44"));
      SimWire.Answer read = wire.get("/provisioning/resources/" + bought.str("id"), token);

      assertThat(bought.code()).isEqualTo(200);
      assertThat(bought.json()).containsEntry("status", "error").containsKey("id");
      assertThat(bought.errorCode()).isEqualTo("registration_failed");
      assertThat(read.json()).containsEntry("id", bought.str("id")).containsEntry("status", "error");
      assertThat(wire.sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("10.44"));
    }
  }

  @Test
  void unknownFields_appearInNeedsInformationAndChoices() {
    try (SimWire wire = SimWire.start(Variant.UNKNOWN_FIELDS)) {
      Secret token = wire.accessToken("ada@example.com");

      SimWire.Answer a = wire.create(token, DOMAIN, Map.of("domain_query", "my-app"), null);

      assertThat(a.map("needs_information")).containsKeys("message", "expires_at");
      assertThat(property(a, "domain").get("oneOf").toString()).contains("premium").contains("renewal");
    }
  }
}
