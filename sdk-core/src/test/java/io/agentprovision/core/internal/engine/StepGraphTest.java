package io.agentprovision.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ProviderInfo;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.policy.SpendPolicy;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The first-day flow's graph for the requests it must handle, and the rules every graph keeps. */
class StepGraphTest {
  private static final ServiceOffering PAID_PLAN = service("workers:paid", ServiceOffering.KIND_PLAN,
      Pricing.exactly(Money.usd("5.00"), Pricing.Interval.MONTHLY, "USD 5.00 a month"));
  private static final ServiceOffering WORKERS = service("workers", ServiceOffering.KIND_DEPLOYABLE, Pricing.free());
  private static final ServiceOffering DOMAINS = service("registrar:domain", "registrar",
      Pricing.exactly(Money.usd("10.44"), Pricing.Interval.YEARLY, null));

  private static ServiceOffering service(String id, String kind, Pricing pricing) {
    return ServiceOffering.builder(id, "cloudflare", kind).pricing(pricing).build();
  }

  private static ProvisionRequest.Builder request() {
    return ProvisionRequest.builder().agent(AgentId.of("coding-agent-7")).provider("cloudflare")
        .app(WorkerApp.builder("my-app").module("index.js", "export default {};").build());
  }

  private static StepGraph graph(ProvisionRequest req) {
    Catalog catalog = new Catalog(ProviderInfo.builder("cloudflare").termsOfService(URI.create("https://example.com/tos"))
        .build(), List.of(PAID_PLAN, WORKERS, DOMAINS));
    return ProvisioningFlow.INSTANCE.graph(new Flow.Inputs(req, catalog, new StubCloud(), "registrar:domain",
        SpendPolicy.defaults(), io.agentprovision.core.DomainNames.defaults()));
  }

  private static Map<String, List<String>> dependencies(StepGraph g) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Step<?> s : g.steps()) {
      out.put(s.id().value(), s.dependsOn().stream().map(StepId::value).toList());
    }
    return out;
  }

  @Test
  void planAndDomain_everyStep_theDomainAfterThePlan_andTheResourceBesideIt() {
    StepGraph g = graph(request().plan("workers:paid").domain(DomainRequest.query("my-app")).build());

    assertThat(dependencies(g)).containsExactly(
        Map.entry("identity", List.of()),
        Map.entry("plan-approval", List.of("identity")),
        Map.entry("account", List.of("plan-approval")),
        Map.entry("payment-method", List.of("plan-approval")),
        Map.entry("plan", List.of("account", "payment-method")),
        Map.entry("resource", List.of("plan")),
        Map.entry("domain", List.of("plan")),
        Map.entry("credentials", List.of("resource", "domain")),
        Map.entry("deploy", List.of("credentials")),
        Map.entry("verify", List.of("deploy")));
    assertThat(g.upstream(VerifyStep.ID)).hasSize(9);
    assertThat(g.upstream(ResourceStep.ID)).doesNotContain(DomainStep.ID);
    assertThat(g.upstream(DomainStep.ID)).doesNotContain(ResourceStep.ID);
    // the card on file and the account do not wait for each other
    assertThat(g.upstream(PaymentMethodStep.ID)).doesNotContain(AccountStep.ID);
    assertThat(g.upstream(AccountStep.ID)).doesNotContain(PaymentMethodStep.ID);
    assertThat(g.notes()).anySatisfy(n -> assertThat(n).contains("Registrations are not refundable"))
        .anySatisfy(n -> assertThat(n).startsWith("the deploy token is not IP-bound")).hasSize(2);
    assertThat(g.step(AccountStep.ID).orElseThrow().approvals(List.of())).containsExactly(
        io.agentprovision.core.approval.CheckpointKind.TERMS_OF_SERVICE,
        io.agentprovision.core.approval.CheckpointKind.ACCOUNT_CONSENT);
  }

  @Test
  void nothingPaid_noPaymentMethodStep_andTheResourceFollowsTheAccount() {
    StepGraph g = graph(request().build());

    assertThat(dependencies(g)).containsExactly(
        Map.entry("identity", List.of()),
        Map.entry("plan-approval", List.of("identity")),
        Map.entry("account", List.of("plan-approval")),
        Map.entry("resource", List.of("account")),
        Map.entry("credentials", List.of("resource")),
        Map.entry("deploy", List.of("credentials")),
        Map.entry("verify", List.of("deploy")));
    assertThat(g.notes()).singleElement().asString().startsWith("the deploy token is not IP-bound");
  }

  @Test
  void domainWithoutPlan_theDomainAndTheResourceFollowTheAccountAndThePaymentMethod() {
    StepGraph g = graph(request().domain(DomainRequest.exact("my-app.com")).build());

    assertThat(dependencies(g)).containsEntry("payment-method", List.of("plan-approval"))
        .containsEntry("resource", List.of("account", "payment-method"))
        .containsEntry("domain", List.of("account", "payment-method"))
        .doesNotContainKey("plan");
    assertThat(g.step(DomainStep.ID).orElseThrow().description()).isEqualTo("register my-app.com for 1 year(s)");
  }

  @Test
  void aPlanTheCatalogDoesNotSell_isRefusedBeforeAnyStepIsMade() {
    assertThatThrownBy(() -> graph(request().plan("workers:platinum").build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("plan");
          assertThat(e.fix()).contains("workers:paid");
        });
    assertThatThrownBy(() -> graph(request().plan("workers").build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("not a plan"));
  }

  @Test
  void aStep_mayOnlyFollowStepsAlreadyInTheGraph_andAppearsOnce() {
    StepGraph.Builder b = StepGraph.builder().add(new IdentityStep());

    assertThatThrownBy(() -> b.add(new VerifyStep(List.of(DeployStep.ID))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("depends on deploy");
    assertThatThrownBy(() -> b.add(new IdentityStep())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("twice");
    assertThat(b.first(PlanStep.ID, IdentityStep.ID)).containsExactly(IdentityStep.ID);
    assertThat(b.first(PlanStep.ID)).isEmpty();
    assertThat(b.present(PlanStep.ID, IdentityStep.ID)).containsExactly(IdentityStep.ID);
  }

  @Test
  void readingAStepByClass_whenTheRunHasSeveral_asksForItsId() {
    StepGraph g = graph(request().plan("workers:paid").build());

    assertThat(g.only(ResourceStep.class)).isPresent();
    assertThat(g.only(DomainStep.class)).isEmpty();
    assertThatThrownBy(() -> g.only(ServiceStep.class)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("plan").hasMessageContaining("resource");
  }
}
