package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainNames;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalGates;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.FaultInjector;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Domain names and deploy-token bindings through the whole engine: a name that is not a domain,
 * or looks like another, is refused before anything is bought, or put to a person showing both of
 * its forms; the provider's offers are held to the same rules; a token that is not IP-bound is
 * said so in the plan.
 */
class DomainAndTokenInputTest {
  /** "аpple.org" with a Cyrillic а. */
  private static final String CYRILLIC_APPLE = "xn--pple-43d.org";
  private static final String CYRILLIC_APPLE_UNICODE = "\u0430pple.org";

  private final EngineHarness h = new EngineHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private void assertNothingHappened() {
    assertThat(h.orchestrator.calls()).noneMatch(FaultInjector.Call::sideEffect);
    assertThat(h.orchestrator.charges()).isEmpty();
    assertThat(h.deployer.calls()).isEmpty();
    assertThat(h.ledger.reservations(null, null, Instant.EPOCH, Instant.MAX)).isEmpty();
    assertThat(h.journal.runs()).isEmpty();
    assertThat(h.gate.requests()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "app.123", "10.0.0.1.", "my-app.localhost", "www.my-app.com"})
  void exactName_thatIsNoRegistrableDomain_isRefusedBeforeAnythingIsCharged(String name) {
    AgentProvisioner p = h.provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(EngineHarness.request().domain(DomainRequest.exact(name)).build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("domain"));

    assertNothingHappened();
  }

  @Test
  void lookalikeName_isRefusedAtPlan_andNothingIsBought() {
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).domain(CYRILLIC_APPLE, Money.usd("9.99")).build();
    AgentProvisioner p = h.provisioner();
    ProvisionRequest req = EngineHarness.request().domain(DomainRequest.exact(CYRILLIC_APPLE)).build();

    assertThatThrownBy(() -> p.plan(req)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("domain");
      assertThat(e.problem()).contains(CYRILLIC_APPLE_UNICODE + " (" + CYRILLIC_APPLE + ")").contains("apple.org");
    });
    assertThatThrownBy(() -> p.provisionAndDeploy(req)).isInstanceOf(InvalidRequestException.class);
    assertNothingHappened();
  }

  @Test
  void lookalikeName_whenTheHostAsksAPerson_showsBothFormsAndBuysNothingWhenDenied() {
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).domain(CYRILLIC_APPLE, Money.usd("9.99")).build();
    h.gate.deny(CheckpointKind.LOOKALIKE_DOMAIN, "that is not our name");
    AgentProvisioner p = h.provisioner(b -> b.domainNames(DomainNames.builder()
        .lookalikePolicy(DomainNames.LookalikePolicy.ASK_A_PERSON).build()));
    ProvisionRequest req = EngineHarness.request().domain(DomainRequest.exact(CYRILLIC_APPLE)).build();

    ProvisionPlan plan = p.plan(req);
    assertThat(plan.step(StepId.of("domain")).orElseThrow().approvals()).contains(CheckpointKind.LOOKALIKE_DOMAIN);
    assertThat(plan.step(StepId.of("domain")).orElseThrow().description())
        .contains(CYRILLIC_APPLE_UNICODE + " (" + CYRILLIC_APPLE + ")");
    assertThat(plan.notes()).anySatisfy(n -> assertThat(n).contains("looks like apple.org"));

    assertThatThrownBy(() -> p.execute(plan)).isInstanceOf(AgentProvisionException.class);

    assertThat(h.gate.requests(CheckpointKind.LOOKALIKE_DOMAIN)).singleElement().satisfies(r -> {
      assertThat(r.title()).contains(CYRILLIC_APPLE_UNICODE + " (" + CYRILLIC_APPLE + ")");
      assertThat(r.details()).containsEntry("domain", CYRILLIC_APPLE).containsEntry("domain_unicode", CYRILLIC_APPLE_UNICODE)
          .containsEntry("resembles", "apple.org").containsEntry("finding", "MIXED_SCRIPTS");
    });
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .doesNotContain(FakeOrchestrator.DOMAIN_SERVICE);
  }

  @Test
  void lookalikeName_whenThePersonApproves_isBoughtAndEveryCheckpointShowsBothForms() {
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).domain(CYRILLIC_APPLE, Money.usd("9.99")).build();
    AgentProvisioner p = h.provisioner(b -> b.domainNames(DomainNames.builder()
        .lookalikePolicy(DomainNames.LookalikePolicy.ASK_A_PERSON).build()));

    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(DomainRequest.exact(CYRILLIC_APPLE)).build());

    assertThat(d.domain()).isEqualTo(CYRILLIC_APPLE);
    assertThat(h.gate.requests(CheckpointKind.LOOKALIKE_DOMAIN)).hasSize(1);
    assertThat(h.gate.requests(CheckpointKind.DOMAIN_PURCHASE)).allSatisfy(r -> {
      assertThat(r.title()).contains(CYRILLIC_APPLE_UNICODE + " (" + CYRILLIC_APPLE + ")");
      assertThat(r.details()).containsEntry("domain_unicode", CYRILLIC_APPLE_UNICODE);
    });
    assertThat(h.gate.requests(CheckpointKind.PLAN_APPROVAL)).allSatisfy(r -> assertThat(r.details().get("domain"))
        .contains(CYRILLIC_APPLE_UNICODE + " (" + CYRILLIC_APPLE + ")"));
  }

  @Test
  void lookalikeOfferedByTheProvider_isPassedOverForAnHonestName() {
    // cheaper than the honest names, so that without the check it would be the one chosen
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true)
        .alsoOffer("my-\u0430pp.com", Money.usd("1.00")).alsoOffer("paypa1.com", Money.usd("1.00"))
        .alsoOffer("not a name!.com", Money.usd("0.50")).build();
    AgentProvisioner p = h.provisioner();

    Deployment d = p.provisionAndDeploy(EngineHarness.request().domain(DomainRequest.query("my-app")).build());

    assertThat(d.domain()).isEqualTo("my-app.com");
    assertThat(h.orchestrator.charges()).filteredOn(c -> c.serviceId().equals(FakeOrchestrator.DOMAIN_SERVICE))
        .extracting(FakeOrchestrator.Charge::amount).containsExactly(Money.usd("10.44"));
    assertThat(h.gate.requests(CheckpointKind.LOOKALIKE_DOMAIN)).isEmpty();
  }

  @Test
  void lookalikeOfferedByTheProvider_whenItIsTheOnlyOne_isNeverBoughtSilently() {
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).clearTlds()
        .alsoOffer("paypa1.com", Money.usd("1.00")).build();
    AgentProvisioner refusing = h.provisioner();

    assertThatThrownBy(() -> refusing.provisionAndDeploy(EngineHarness.request()
        .domain(DomainRequest.query("paypal")).build())).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("paypa1.com looks like paypal.com");
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .doesNotContain(FakeOrchestrator.DOMAIN_SERVICE);

    AgentProvisioner asking = h.provisioner(b -> b.domainNames(DomainNames.builder()
        .lookalikePolicy(DomainNames.LookalikePolicy.ASK_A_PERSON).build()));
    h.gate.deny(CheckpointKind.LOOKALIKE_DOMAIN, "no");
    assertThatThrownBy(() -> asking.provisionAndDeploy(EngineHarness.request()
        .domain(DomainRequest.query("paypal")).build())).isInstanceOf(ApprovalDeniedException.class);
    assertThat(h.gate.requests(CheckpointKind.LOOKALIKE_DOMAIN)).singleElement()
        .satisfies(r -> assertThat(r.details()).containsEntry("resembles", "paypal.com"));
    assertThat(h.orchestrator.charges()).extracting(FakeOrchestrator.Charge::serviceId)
        .doesNotContain(FakeOrchestrator.DOMAIN_SERVICE);
  }

  @Test
  void policyDrivenGate_neverApprovesALookalikeByItself() throws Exception {
    var gate = ApprovalGates.policyDriven(java.util.EnumSet.allOf(CheckpointKind.class),
        ApprovalGates.denyAll(h.time));
    var request = new io.agentprovision.core.approval.ApprovalRequest("apr_1", CheckpointKind.LOOKALIKE_DOMAIN, "t", "r", null,
        AgentId.of("a"), null, null, null, h.time.instant(), h.time.instant().plusSeconds(60), null,
        java.util.Map.of(), SpendPolicy.builder().requireApprovalAbove(io.agentprovision.core.Money.usd("1000.00"))
            .build());

    assertThat(gate.decide(request).approved()).isFalse();
  }

  @Test
  void tokenThatIsNotIpBound_isSaidSoInThePlan() {
    AgentProvisioner p = h.provisioner();

    ProvisionPlan unbound = p.plan(EngineHarness.request().token(TokenSpec.leastPrivilege()).build());
    ProvisionPlan any = p.plan(EngineHarness.request().token(TokenSpec.leastPrivilege().allowAnyIp()).build());
    ProvisionPlan bound = p.plan(EngineHarness.request().build());

    assertThat(unbound.step(StepId.of("credentials")).orElseThrow().description()).contains("NOT bound to any IP address");
    assertThat(unbound.notes()).anySatisfy(n -> assertThat(n).contains("not IP-bound").contains("no TokenSpec.allowIps"));
    assertThat(any.notes()).anySatisfy(n -> assertThat(n).contains("not IP-bound").contains("allowAnyIp()"));
    assertThat(bound.step(StepId.of("credentials")).orElseThrow().description()).contains("bound to [203.0.113.0/24]");
    assertThat(bound.notes()).noneMatch(n -> n.contains("IP-bound"));
  }

  @Test
  void allowEverythingRange_isRefusedByTheBuilder() {
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().allowIps("0.0.0.0/0"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("allowIps"));
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().allowIps("::/0"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("allowIps"));
    assertThatThrownBy(() -> TokenSpec.leastPrivilege().allowIps("203.0.113.7/24"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("host bits"));
  }
}
