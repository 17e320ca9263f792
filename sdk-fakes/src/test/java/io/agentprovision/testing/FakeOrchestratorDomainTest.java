package io.agentprovision.testing;

import static io.agentprovision.testing.OrchestratorFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FakeOrchestratorDomainTest {
  private final OrchestratorFixtures f = new OrchestratorFixtures();

  private ResourceState search(FakeOrchestrator orch, ProviderAccount acct) {
    return orch.provision(request(acct, "registrar:domain", Map.of("domain_query", "my-app"), null), f.ctx("domain"));
  }

  private static void assertCode(Throwable t, int status, String code) {
    assertThat(t).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e.status()).isEqualTo(status);
      assertThat(e.code()).isEqualTo(code);
    });
  }

  @Test
  void provision_whenDomainQuery_needsInformationWithPricedChoicesAndChargesNothing() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);

    ResourceState s = search(orch, acct);

    assertThat(s.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    InformationRequest info = s.needsInformation();
    assertThat(info).isNotNull();
    assertThat(info.choicesFor("domain"))
        .extracting(InformationRequest.Choice::value, InformationRequest.Choice::price, InformationRequest.Choice::available)
        .containsExactly(tuple("my-app.com", Money.usd("10.44"), true), tuple("my-app.dev", Money.usd("12.00"), true),
            tuple("my-app.io", null, false));
    // the schema itself follows the convention, so a parser other than fromSchema sees the same
    assertThat(InformationRequest.fromSchema(info.schema()).choices()).isEqualTo(info.choices());
    assertThat(orch.charges()).isEmpty();
  }

  @Test
  void provision_whenDomainTableConfigured_offersConfiguredNamesAndPrices() {
    FakeOrchestrator orch = FakeOrchestrator.builder().clearTlds().tld("net", Money.usd("9.00")).tld("com", Money.usd("11.00"))
        .domain("my-app.com", Money.usd("250.00")).unavailableDomain("my-app.net").build();
    ProviderAccount acct = f.link(orch);

    ResourceState s = search(orch, acct);

    assertThat(s.needsInformation().choicesFor("domain"))
        .extracting(InformationRequest.Choice::value, InformationRequest.Choice::price, InformationRequest.Choice::available)
        .containsExactly(tuple("my-app.net", null, false), tuple("my-app.com", Money.usd("250.00"), true));
  }

  @Test
  void submitInformation_whenAvailableNameAndPaid_registersChargesAndSetsDomain() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState s = search(orch, acct);

    ResourceState done = orch.submitInformation(s.ref(), Map.of("domain", "my-app.dev"), f.pay("12.00"), f.ctx("domain"));

    assertThat(done.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(done.attributes()).containsEntry("domain", "my-app.dev");
    assertThat(done.charged()).isEqualTo(Money.usd("12.00"));
    assertThat(orch.charges()).singleElement().satisfies(c -> {
      assertThat(c.serviceId()).isEqualTo("registrar:domain");
      assertThat(c.amount()).isEqualTo(Money.usd("12.00"));
    });
    assertThat(orch.resources().get(0).configuration()).containsEntry("domain", "my-app.dev");
  }

  @Test
  void submitInformation_whenRepeatedWithSameKey_chargesOnce() {
    FakeOrchestrator orch = FakeOrchestrator.create().crashAfter("submitInformation", 1);
    ProviderAccount acct = f.link(orch);
    ResourceState s = search(orch, acct);

    assertThatThrownBy(() -> orch.submitInformation(s.ref(), Map.of("domain", "my-app.com"), f.pay("10.44"),
        f.ctx("domain"))).isInstanceOf(SimulatedCrash.class);
    ResourceState resumed = orch.submitInformation(s.ref(), Map.of("domain", "my-app.com"), f.pay("10.44"),
        f.ctx("domain"));

    assertThat(resumed.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(resumed.charged()).isEqualTo(Money.usd("10.44"));
    assertThat(orch.totalCharged("cloudflare")).isEqualTo(Money.usd("10.44"));
  }

  @Test
  void submitInformation_whenSameKeyOtherName_refusesAsIdempotencyError() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState s = search(orch, acct);
    orch.submitInformation(s.ref(), Map.of("domain", "my-app.com"), f.pay("10.44"), f.ctx("domain"));

    assertCode(catchThrowable(() -> orch.submitInformation(s.ref(), Map.of("domain", "my-app.dev"), f.pay("12.00"),
        f.ctx("domain"))), 400, "idempotency_error");
    assertThat(orch.charges()).hasSize(1);
  }

  @Test
  void submitInformation_whenNameUnavailable_refusesAndStillNeedsInformation() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState s = search(orch, acct);

    assertCode(catchThrowable(() -> orch.submitInformation(s.ref(), Map.of("domain", "my-app.io"), f.pay("50.00"),
        f.ctx("domain"))), 400, "domain_unavailable");

    ResourceState now = orch.resource(s.ref(), f.ctx("read"));
    assertThat(now.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(now.needsInformation()).isNotNull();
    assertThat(orch.charges()).isEmpty();
    // the refusal recorded nothing, so the same step may choose again under its key
    assertThat(orch.submitInformation(s.ref(), Map.of("domain", "my-app.com"), f.pay("50.00"), f.ctx("domain")).status())
        .isEqualTo(ResourceStatus.COMPLETE);
  }

  @Test
  void submitInformation_whenNameNotOffered_refuses() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState s = search(orch, acct);

    assertCode(catchThrowable(() -> orch.submitInformation(s.ref(), Map.of("domain", "other.com"), f.pay("50.00"),
        f.ctx("domain"))), 400, "invalid_domain_choice");
    assertCode(catchThrowable(() -> orch.submitInformation(s.ref(), Map.of("name", "my-app.com"), f.pay("50.00"),
        f.ctx("domain"))), 400, "invalid_information");
  }

  @Test
  void submitInformation_whenAuthorizationBelowChosenPrice_refusesWith402() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState s = search(orch, acct);

    assertCode(catchThrowable(() -> orch.submitInformation(s.ref(), Map.of("domain", "my-app.dev"), f.pay("10.44"),
        f.ctx("domain"))), 402, "requires_payment_credentials");
    assertCode(catchThrowable(() -> orch.submitInformation(s.ref(), Map.of("domain", "my-app.dev"), null,
        f.ctx("domain"))), 402, "requires_payment_credentials");
    assertThat(orch.charges()).isEmpty();
  }

  @Test
  void submitInformation_whenResourceDoesNotNeedInformation_refusesInvalidState() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);
    ResourceState plan = orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan"));

    assertCode(catchThrowable(() -> orch.submitInformation(plan.ref(), Map.of("domain", "x.com"), f.pay("10.44"),
        f.ctx("x"))), 400, "invalid_state");
  }

  @Test
  void submitInformation_whenRegistrationPending_pollsUntilRegistered() {
    FakeOrchestrator orch = FakeOrchestrator.builder().pendingPolls("registrar:domain", 1).build();
    ProviderAccount acct = f.link(orch);
    ResourceState s = search(orch, acct);
    assertThat(s.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);

    ResourceState done = orch.submitInformation(s.ref(), Map.of("domain", "my-app.com"), f.pay("10.44"), f.ctx("domain"));

    assertThat(done.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(f.time.totalSlept()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void provision_whenExactDomainConfigured_registersDirectlyAtItsPrice() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);

    ResourceState s = orch.provision(request(acct, "registrar:domain", Map.of("domain", "my-app.com"), f.pay("10.44")),
        f.ctx("domain"));

    assertThat(s.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(s.attributes()).containsEntry("domain", "my-app.com");
    assertThat(orch.totalCharged("cloudflare")).isEqualTo(Money.usd("10.44"));
  }

  @Test
  void provision_whenDomainConfigurationMissing_refuses() {
    FakeOrchestrator orch = FakeOrchestrator.create();
    ProviderAccount acct = f.link(orch);

    assertCode(catchThrowable(() -> orch.provision(request(acct, "registrar:domain", Map.of(), null), f.ctx("domain"))),
        400, "invalid_configuration");
  }
}
