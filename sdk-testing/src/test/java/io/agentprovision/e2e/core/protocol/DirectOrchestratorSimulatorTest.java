package io.agentprovision.e2e.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.protocol.DirectOrchestrator;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.protocol.InMemoryBackend;
import io.agentprovision.testing.protocol.InMemoryPaymentCharger;
import io.agentprovision.testing.provider2.IndependentProviderSimulator;
import io.agentprovision.testing.provider2.SimulatorCharge;
import io.agentprovision.testing.provider2.Variant;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link DirectOrchestrator} against the independent provider simulator, which was written from the
 * protocol description alone: the shapes a provider other than the SDK's own sandbox sends, switched
 * on per test (see {@link Variant}).
 */
class DirectOrchestratorSimulatorTest {
  private static final Principal ADA = Principal.builder("user-1", "https://issuer.test")
      .email("ada@example.com", true).name("Ada").verifiedFields(Set.of("email")).build();

  private final VirtualTime time = VirtualTime.create();
  private final InMemoryBackend backend = new InMemoryBackend();
  private final InMemoryPaymentCharger charger = new InMemoryPaymentCharger(time);
  private final SandboxTokenIssuer tokens = new SandboxTokenIssuer(charger);
  private final ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time);

  private IndependentProviderSimulator simulator(Set<Variant> variants) {
    return IndependentProviderSimulator.wiredTo(backend, charger, "cloudflare").clock(time).variants(variants).start();
  }

  private DirectOrchestrator orchestrator(IndependentProviderSimulator sim) {
    return DirectOrchestrator.builder()
        .provider(ProtocolClient.builder().provider("cloudflare").baseUrl(sim.baseUrl()).sharedSecret(sim.sharedSecret())
            .clock(time).sleeper(time).build())
        .paymentTokens(tokens)
        .clock(time)
        .pollBackoff(new Polling.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(4)))
        .build();
  }

  private FakeStepContext ctx(String step) {
    return FakeStepContext.builder().time(time).approvals(gate).principal(ADA).step(StepId.of(step)).build();
  }

  private static PaymentAuthorization authorize(FakeStepContext ctx, Money amount) {
    return ctx.authorizeSpend(new SpendRequest(CheckpointKind.DOMAIN_PURCHASE, "cloudflare", amount, "domain",
        Map.of())).payment();
  }

  private static ProviderAccount link(DirectOrchestrator o, FakeStepContext ctx) {
    return o.linkAccount(new AccountLinkRequest("cloudflare", ADA, List.of(), Map.of()), ctx);
  }

  private static ResourceRequest request(ProviderAccount a, String service, String name, Map<String, Object> config,
      PaymentAuthorization payment) {
    return new ResourceRequest("cloudflare", service, name, config, a, "proj_1", "production", payment);
  }

  static Stream<Arguments> domainVariants() {
    return Stream.of(
        Arguments.of(EnumSet.noneOf(Variant.class)),
        Arguments.of(EnumSet.of(Variant.NEEDS_INFO_WITHOUT_ID)),
        Arguments.of(EnumSet.of(Variant.ANSWER_BY_NEW_REQUEST_ONLY)),
        Arguments.of(EnumSet.of(Variant.ANSWER_BY_NEW_REQUEST_ONLY, Variant.ERRORS_WITH_HTTP_200)),
        Arguments.of(EnumSet.of(Variant.NEEDS_INFO_MULTI_ROUND)),
        Arguments.of(EnumSet.of(Variant.NEEDS_INFO_MULTI_ROUND, Variant.NEEDS_INFO_PLAIN_ENUM,
            Variant.NEEDS_INFO_WITHOUT_ID)),
        Arguments.of(EnumSet.of(Variant.NEEDS_INFO_WITHOUT_ID, Variant.ERRORS_WITH_HTTP_200,
            Variant.SHORT_LIVED_ACCESS_TOKENS, Variant.ROTATING_REFRESH_TOKENS, Variant.UNKNOWN_FIELDS)),
        Arguments.of(EnumSet.of(Variant.DOMAIN_REQUIRES_PAYMENT_UPFRONT, Variant.NEEDS_INFO_WITHOUT_ID)));
  }

  /**
   * The domain flow in every needs-information shape: the query carries a payment token capped above
   * any offer; each round is answered with the first choice; the name is bought exactly once, at the
   * backend's price, whichever form the provider takes the answers in.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("domainVariants")
  void domain_isBoughtOnceInEveryNeedsInformationShape(Set<Variant> variants) {
    try (IndependentProviderSimulator sim = simulator(variants)) {
      DirectOrchestrator o = orchestrator(sim);
      FakeStepContext ctx = ctx("domain");
      ProviderAccount account = link(o, ctx);

      ResourceState state = o.provision(request(account, "registrar:domain", "dom", Map.of("domain_query", "my-app"),
          authorize(ctx, Money.usd("20.00"))), ctx);
      String chosen = null;
      int rounds = 0;
      while (state.status() == ResourceStatus.NEEDS_INFORMATION && rounds++ < 4) {
        InformationRequest asked = state.needsInformation();
        assertThat(asked.resourceIdGiven()).isEqualTo(!variants.contains(Variant.NEEDS_INFO_WITHOUT_ID));
        String field = asked.choiceField().orElseThrow();
        InformationRequest.Choice pick = asked.choicesFor(field).get(0);
        if (variants.contains(Variant.NEEDS_INFO_PLAIN_ENUM)) {
          assertThat(pick.price()).isNull();
        }
        if (field.equals("domain")) {
          chosen = pick.value();
        }
        time.advance(Duration.ofSeconds(7)); // the person takes a moment: short-lived tokens are refreshed
        state = o.submitInformation(state.ref(), Map.of(field, pick.value()), null, ctx);
      }

      assertThat(state.status()).isEqualTo(ResourceStatus.COMPLETE);
      assertThat(state.ref().id()).startsWith("res_");
      Money price = backend.searchDomains(account.accountId(), chosen).stream()
          .filter(d -> d.name().equals(backend.registeredDomains().get(0))).findFirst().orElseThrow().price();
      assertThat(backend.registeredDomains()).containsExactly(chosen);
      assertThat(sim.charges()).extracting(SimulatorCharge::amount).containsExactly(price);
      assertThat(state.charged()).isEqualTo(price);
      assertThat(tokens.issued).hasSize(1); // one token, sent with the question and every answer
      assertThat(tokens.revoked).isEmpty();
    }
  }

  @Test
  void domain_whenAnsweredWithItsOwnAuthorization_paysWithTheNewTokenAndRevokesTheOneSentWithTheQuestion() {
    try (IndependentProviderSimulator sim = simulator(EnumSet.of(Variant.NEEDS_INFO_WITHOUT_ID))) {
      DirectOrchestrator o = orchestrator(sim);
      FakeStepContext ctx = ctx("domain");
      ProviderAccount account = link(o, ctx);
      ResourceState asked = o.provision(request(account, "registrar:domain", "dom", Map.of("domain_query", "my-app"),
          authorize(ctx, Money.usd("50.00"))), ctx);
      InformationRequest.Choice pick = asked.needsInformation().choicesFor("domain").get(0);

      ResourceState done = o.submitInformation(asked.ref(), Map.of("domain", pick.value()),
          authorize(ctx, pick.price()), ctx);

      assertThat(pick.price()).isEqualTo(Money.usd("10.44"));
      assertThat(done.status()).isEqualTo(ResourceStatus.COMPLETE);
      assertThat(done.charged()).isEqualTo(Money.usd("10.44"));
      assertThat(tokens.issued).extracting(r -> r.maxAmount()).containsExactly(Money.usd("50.00"), Money.usd("10.44"));
      assertThat(tokens.revoked).extracting(t -> t.maxAmount()).containsExactly(Money.usd("50.00"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("removeVariants")
  void remove_whenRepeated_isDoneInEveryShape(Set<Variant> variants) {
    try (IndependentProviderSimulator sim = simulator(variants)) {
      DirectOrchestrator o = orchestrator(sim);
      FakeStepContext ctx = ctx("plan");
      ProviderAccount account = link(o, ctx);
      ResourceState plan = o.provision(request(account, "workers:free", "plan", Map.of(), null), ctx);

      o.remove(plan.ref(), ctx("remove-1"));
      o.remove(plan.ref(), ctx("remove-2"));

      assertThat(sim.requests(c -> c.equals("POST /provisioning/resources/" + plan.ref().id() + "/remove"))).hasSize(2);
      assertThat(backend.deprovisioned()).containsExactly(plan.ref().id());
    }
  }

  static Stream<Arguments> removeVariants() {
    return Stream.of(Arguments.of(EnumSet.noneOf(Variant.class)), Arguments.of(EnumSet.of(Variant.REMOVE_AGAIN_NOT_FOUND)),
        Arguments.of(EnumSet.of(Variant.REMOVE_AGAIN_INVALID_STATE)),
        Arguments.of(EnumSet.of(Variant.REMOVE_AGAIN_INVALID_STATE, Variant.ERRORS_WITH_HTTP_200)));
  }

  @Test
  void accessTokens_ofTwentySeconds_areRefreshedAtHalfTheirLifetimeNotBeforeEveryCall() {
    try (IndependentProviderSimulator sim = simulator(EnumSet.of(Variant.SHORT_LIVED_ACCESS_TOKENS,
        Variant.ROTATING_REFRESH_TOKENS))) {
      DirectOrchestrator o = orchestrator(sim);
      FakeStepContext ctx = ctx("plan");
      ProviderAccount account = link(o, ctx);
      ResourceState plan = o.provision(request(account, "workers:free", "plan", Map.of(), null), ctx);

      for (int i = 0; i < 10; i++) {
        time.advance(Duration.ofSeconds(4));
        assertThat(o.resource(plan.ref(), ctx).status()).isEqualTo(ResourceStatus.COMPLETE);
      }

      // reads at 4 … 40 s; each token is refreshed once 10 of its 20 seconds are gone: at 12, 24 and 36 s
      assertThat(sim.requests(c -> c.equals("POST /oauth/token"))).hasSize(3);
    }
  }

  @Test
  void catalog_inEveryPricingForm_isReadWithoutGuessing() {
    try (IndependentProviderSimulator sim = simulator(EnumSet.of(Variant.PRICING_PRICE_LIST, Variant.PRICING_COMPONENT,
        Variant.PRICING_UNKNOWN_TYPE, Variant.UNKNOWN_FIELDS))) {
      Catalog c = orchestrator(sim).catalog("cloudflare");

      Pricing plan = c.service("workers:paid").orElseThrow().pricing();
      assertThat(plan.kind()).isEqualTo(Pricing.Kind.KNOWN);
      assertThat(plan.amount()).isEqualTo(Money.usd("5.00"));
      assertThat(plan.forConfiguration(Map.of("billing_period", "yearly")).amount()).isEqualTo(Money.usd("50.00"));
      assertThat(c.service("workers").orElseThrow().pricing().isPaid()).isFalse();
      Pricing d1 = c.service("d1").orElseThrow().pricing();
      assertThat(d1.underParent("workers:free").kind()).isEqualTo(Pricing.Kind.FREE);
      assertThat(d1.underParent("workers:paid").kind()).isEqualTo(Pricing.Kind.UNKNOWN);
      assertThat(c.service("workers-ai").orElseThrow().pricing().typeName()).isEqualTo("usage_based");
      assertThat(c.service("r2:bucket").orElseThrow().pricing().kind()).isEqualTo(Pricing.Kind.UNKNOWN);
      assertThat(c.service("registrar:domain").orElseThrow().pricing().describe()).contains("at cost");
    }
    try (IndependentProviderSimulator sim = simulator(EnumSet.of(Variant.PRICING_STRIPE_PRICE))) {
      Pricing plan = orchestrator(sim).catalog("cloudflare").service("workers:paid").orElseThrow().pricing();
      assertThat(plan.kind()).isEqualTo(Pricing.Kind.UNKNOWN);
      assertThat(plan.stripePrice()).isEqualTo("price_1QsimWorkersPaidMonthly");
    }
  }

  @Test
  void paidPlan_inAPriceList_isChargedThePriceOfItsConfiguration() {
    try (IndependentProviderSimulator sim = simulator(EnumSet.of(Variant.PRICING_PRICE_LIST))) {
      DirectOrchestrator o = orchestrator(sim);
      FakeStepContext ctx = ctx("plan");
      ProviderAccount account = link(o, ctx);
      Pricing yearly = o.catalog("cloudflare").service("workers:paid").orElseThrow().pricing()
          .forConfiguration(Map.of("billing_period", "yearly"));

      ResourceState plan = o.provision(request(account, "workers:paid", "plan", Map.of("billing_period", "yearly"),
          authorize(ctx, yearly.amount())), ctx);

      assertThat(plan.status()).isEqualTo(ResourceStatus.COMPLETE);
      assertThat(plan.charged()).isEqualTo(Money.usd("50.00"));
      assertThat(sim.charges()).extracting(SimulatorCharge::amount).containsExactly(Money.usd("50.00"));
    }
  }

  @Test
  void refusals_withoutAResource_keepTheProvidersCode() {
    try (IndependentProviderSimulator sim = simulator(EnumSet.of(Variant.ERRORS_WITH_HTTP_200))) {
      DirectOrchestrator o = orchestrator(sim);
      FakeStepContext ctx = ctx("kv");
      ProviderAccount account = link(o, ctx);

      Throwable planRequired = catchThrowable(() ->
          o.provision(request(account, "kv", "kv-1", Map.of("title", "cache"), null), ctx));
      o.provision(request(account, "workers:free", "plan", Map.of(), null), ctx("plan"));
      Throwable invalid = catchThrowable(() -> o.provision(request(account, "d1", "db", Map.of(), null), ctx("d1")));

      assertThat(planRequired).isInstanceOfSatisfying(ProviderException.class, e -> {
        assertThat(e.code()).isEqualTo("plan_required");
        assertThat(e.status()).isEqualTo(200);
      });
      assertThat(invalid).isInstanceOfSatisfying(ProviderException.class, e -> {
        assertThat(e.code()).isEqualTo("invalid_configuration");
        assertThat(e.getMessage()).contains("configuration.name");
      });
    }
  }
}
