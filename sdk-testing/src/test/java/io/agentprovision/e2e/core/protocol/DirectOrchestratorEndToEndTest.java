package io.agentprovision.e2e.core.protocol;

import io.agentprovision.core.protocol.DirectOrchestrator;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.protocol.ProtocolSignature;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.DeepLink;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.oidc.OidcIssuerSandbox;
import io.agentprovision.testing.protocol.InMemoryBackend;
import io.agentprovision.testing.protocol.InMemoryPaymentCharger;
import io.agentprovision.testing.protocol.PaymentCharger;
import io.agentprovision.testing.protocol.ProviderSandbox;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole direct-orchestration path as an engine would drive it: a person signs in with OIDC, an
 * account is linked (new, or existing with consent), a paid plan and a domain are bought with
 * payment tokens, credentials are revealed and rotated, and everything is removed.
 */
class DirectOrchestratorEndToEndTest {
  private static final Secret SHARED = Secret.of("whsec_e2e");

  private final VirtualTime time = VirtualTime.create();
  private OidcIssuerSandbox issuer;
  private InMemoryBackend backend;
  private InMemoryPaymentCharger charger;
  private ProviderSandbox provider;
  private SandboxTokenIssuer tokens;
  private ScriptedApprovalGate gate;
  private OidcIdentityProvider identity;
  private DirectOrchestrator orchestrator;

  @BeforeEach
  void start() {
    issuer = OidcIssuerSandbox.start(time);
    backend = new InMemoryBackend();
    charger = new InMemoryPaymentCharger(time);
    provider = ProviderSandbox.builder().sharedSecret(SHARED).clock(time).backend(backend).charger(charger).start();
    tokens = new SandboxTokenIssuer(charger);
    gate = ScriptedApprovalGate.approveAll(time)
        .respond(CheckpointKind.ACCOUNT_CONSENT, req -> provider.approveConsent(req.url()));
    identity = OidcIdentityProvider.builder().issuer(issuer.issuer()).audience(OidcIssuerSandbox.DEFAULT_AUDIENCE)
        .clock(time).sleeper(time).build();
    orchestrator = DirectOrchestrator.builder()
        .provider(ProtocolClient.builder().provider("cloudflare").baseUrl(provider.baseUrl()).sharedSecret(SHARED)
            .clock(time).sleeper(time).build())
        .paymentTokens(tokens)
        .clock(time)
        .pollBackoff(new Polling.Backoff(Duration.ofSeconds(2), Duration.ofSeconds(10)))
        .build();
  }

  @AfterEach
  void stop() {
    provider.close();
    issuer.close();
  }

  private Principal signIn(String subject, String email) {
    Secret idToken = issuer.idToken().subject(subject).email(email, true).amr("pwd", "otp").nonce("n-1").signSecret();
    return identity.attest(new IdentityRequest(AgentId.of("coding-agent-7"), RunId.of("run_e2e"), idToken, "n-1", false));
  }

  private FakeStepContext step(Principal who, String name) {
    return FakeStepContext.builder().time(time).approvals(gate).principal(who).run(RunId.of("run_e2e"))
        .step(StepId.of(name)).build();
  }

  @Test
  void newPerson_linksBuysPlanAndDomain_revealsRotatesAndRemoves() {
    Principal ada = signIn("user-ada", "ada@example.com");

    ProviderAccount account = orchestrator.linkAccount(
        new AccountLinkRequest("cloudflare", ada, List.of(), Map.of()), step(ada, "link"));
    assertThat(account.linkAction()).isEqualTo(ProviderAccount.LinkAction.CREATED);

    FakeStepContext planStep = step(ada, "plan");
    SpendAuthorization planSpend = planStep.authorizeSpend(new SpendRequest(CheckpointKind.PAID_PLAN, "cloudflare",
        Money.usd("5.00"), "Workers Paid", Map.of()));
    ResourceState plan = orchestrator.provision(new ResourceRequest("cloudflare", "workers:paid", "my-app-plan",
        Map.of(), account, "proj_1", "production", planSpend.payment()), planStep);
    planSpend.commit(plan.charged());
    assertThat(plan.status()).isEqualTo(ResourceStatus.COMPLETE);

    FakeStepContext domainStep = step(ada, "domain");
    ResourceState asked = orchestrator.provision(new ResourceRequest("cloudflare", "registrar:domain", "my-app-domain",
        Map.of("domain_query", "my-app"), account, "proj_1", "production", null), domainStep);
    InformationRequest.Choice choice = asked.needsInformation().choicesFor("domain").get(0);
    SpendAuthorization domainSpend = domainStep.authorizeSpend(new SpendRequest(CheckpointKind.DOMAIN_PURCHASE,
        "cloudflare", choice.price(), "register " + choice.value(), Map.of()));
    ResourceState domain = orchestrator.submitInformation(asked.ref(), Map.of("domain", choice.value()),
        domainSpend.payment(), domainStep);
    domainSpend.commit(domain.charged());

    FakeStepContext credsStep = step(ada, "credentials");
    AccessConfiguration creds = orchestrator.revealCredentials(plan.ref(), credsStep);
    AccessConfiguration rotated = orchestrator.rotateCredentials(plan.ref(), credsStep);
    DeepLink dashboard = orchestrator.deepLink(account, "dashboard");
    orchestrator.remove(plan.ref(), step(ada, "cleanup"));

    assertThat(domain.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(domain.attributes()).containsEntry("domain", "my-app.com");
    assertThat(creds.value("CLOUDFLARE_ACCOUNT_ID").reveal()).isEqualTo(account.accountId());
    assertThat(backend.isActive(creds.value("CLOUDFLARE_API_TOKEN").reveal())).isFalse();
    assertThat(backend.isActive(rotated.value("CLOUDFLARE_API_TOKEN").reveal())).isFalse(); // removed with the plan
    assertThat(dashboard.purpose()).isEqualTo("dashboard");
    assertThat(provider.charges()).extracting(PaymentCharger.Charge::amount)
        .containsExactly(Money.usd("5.00"), Money.usd("10.44"));
    assertThat(charger.charges()).hasSize(2);
    assertThat(backend.registeredDomains()).containsExactly("my-app.com");
    assertThat(provider.resourceStatus(plan.ref().id())).isEqualTo("removed");

    // on the wire: every request signed and versioned; paid calls, and only those, carry a token
    ProtocolSignature sig = ProtocolSignature.of(SHARED);
    for (RecordedRequest r : provider.requests()) {
      if (!r.getUrl().encodedPath().startsWith("/consent/")) {
        assertThat(r.getHeaders().get("API-Version")).isEqualTo("0.1d");
        assertThat(sig.verify(r.getHeaders().get("Stripe-Signature"), r.getBody() == null ? new byte[0]
            : r.getBody().toByteArray(), time.instant())).isEqualTo(ProtocolSignature.Check.VALID);
      }
    }
    List<String> paid = provider.requests().stream()
        .filter(r -> r.getMethod().equals("POST") && r.getUrl().encodedPath().startsWith("/provisioning/resources"))
        .filter(r -> Json.parseObject(r.getBody().utf8()).containsKey("payment_credentials"))
        .map(r -> r.getUrl().encodedPath()).toList();
    assertThat(paid).containsExactly("/provisioning/resources",
        "/provisioning/resources/" + asked.ref().id() + "/update_service");
  }

  @Test
  void existingAccount_isLinkedAfterConsentAndThenProvisions() {
    String existing = backend.existingAccount("grace@example.com");
    Principal grace = signIn("user-grace", "grace@example.com");

    ProviderAccount account = orchestrator.linkAccount(
        new AccountLinkRequest("cloudflare", grace, List.of(), Map.of()), step(grace, "link"));
    ResourceState plan = orchestrator.provision(new ResourceRequest("cloudflare", "workers:free", "grace-plan",
        Map.of(), account, "proj_2", "production", null), step(grace, "plan"));
    ResourceState kv = orchestrator.provision(new ResourceRequest("cloudflare", "kv", "grace-kv",
        Map.of("title", "cache"), account, "proj_2", "production", null), step(grace, "kv"));

    assertThat(account.linkAction()).isEqualTo(ProviderAccount.LinkAction.LINKED_EXISTING);
    assertThat(account.accountId()).isEqualTo(existing);
    assertThat(gate.requests(CheckpointKind.ACCOUNT_CONSENT)).singleElement()
        .satisfies(r -> assertThat(r.principal()).isEqualTo(grace));
    assertThat(plan.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(kv.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(provider.charges()).isEmpty();
    assertThat(tokens.issued).isEmpty();
  }
}
