package io.agentprovision.e2e.core.protocol;

import io.agentprovision.core.protocol.DirectOrchestrator;
import io.agentprovision.core.protocol.ProtocolClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.payment.PaymentTokenRequest;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.protocol.InMemoryBackend;
import io.agentprovision.testing.protocol.InMemoryPaymentCharger;
import io.agentprovision.testing.protocol.ProviderSandbox;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link DirectOrchestrator} against the provider sandbox: linking, payment, polling, tokens, credentials. */
class DirectOrchestratorTest {
  private static final Secret SHARED = Secret.of("whsec_direct_test");
  private static final Principal ADA = Principal.builder("user-1", "https://issuer.test")
      .email("ada@example.com", true).name("Ada").verifiedFields(java.util.Set.of("email")).build();

  private final VirtualTime time = VirtualTime.create();
  private InMemoryBackend backend;
  private InMemoryPaymentCharger charger;
  private ProviderSandbox sandbox;
  private SandboxTokenIssuer tokens;
  private ScriptedApprovalGate gate;
  private DirectOrchestrator orchestrator;

  @BeforeEach
  void start() {
    backend = new InMemoryBackend();
    charger = new InMemoryPaymentCharger(time);
    sandbox = ProviderSandbox.builder().sharedSecret(SHARED).clock(time).backend(backend).charger(charger).start();
    tokens = new SandboxTokenIssuer(charger);
    gate = ScriptedApprovalGate.approveAll(time)
        .respond(CheckpointKind.ACCOUNT_CONSENT, req -> sandbox.approveConsent(req.url()));
    orchestrator = orchestrator(true);
  }

  @AfterEach
  void stop() {
    sandbox.close();
  }

  private DirectOrchestrator orchestrator(boolean pkce) {
    return DirectOrchestrator.builder()
        .provider(ProtocolClient.builder().provider("cloudflare").baseUrl(sandbox.baseUrl()).sharedSecret(SHARED)
            .clock(time).sleeper(time).build())
        .paymentTokens(tokens)
        .clock(time)
        .pkce(pkce)
        .pollBackoff(new Polling.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)))
        .build();
  }

  private FakeStepContext ctx(String step) {
    return FakeStepContext.builder().time(time).approvals(gate).principal(ADA).step(StepId.of(step)).build();
  }

  private ProviderAccount link(Principal who) {
    return orchestrator.linkAccount(new AccountLinkRequest("cloudflare", who, List.of(), Map.of()), ctx("link"));
  }

  private static ResourceRequest request(ProviderAccount account, String service, String name,
      Map<String, Object> config, PaymentAuthorization payment) {
    return new ResourceRequest("cloudflare", service, name, config, account, "proj_1", "production", payment);
  }

  private static PaymentAuthorization authorize(FakeStepContext ctx, CheckpointKind kind, Money amount) {
    return ctx.authorizeSpend(new SpendRequest(kind, "cloudflare", amount, kind + " " + amount, Map.of())).payment();
  }

  private ResourceState freePlan(ProviderAccount account) {
    return orchestrator.provision(request(account, "workers:free", "plan-free", Map.of(), null), ctx("plan"));
  }

  private static String s256(String verifier) throws Exception {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(
        MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
  }

  private static Map<String, String> form(RecordedRequest r) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (String pair : r.getBody().utf8().split("&")) {
      String[] kv = pair.split("=", 2);
      m.put(java.net.URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
          java.net.URLDecoder.decode(kv.length > 1 ? kv[1] : "", StandardCharsets.UTF_8));
    }
    return m;
  }

  // ---------------------------------------------------------------- catalog and version

  @Test
  void catalog_whenFirstUsed_checksVersionAndReadsEveryPageOnce() {
    Catalog c = orchestrator.catalog("cloudflare");
    orchestrator.catalog("cloudflare");

    assertThat(c.services()).hasSize(12);
    assertThat(c.service("registrar:domain")).isPresent();
    assertThat(sandbox.requests("GET", "/provisioning/health")).hasSize(1);
    assertThat(sandbox.requests("GET", "/provisioning/services")).hasSize(3);
  }

  @Test
  void catalog_whenProviderUnknown_isRefused() {
    assertThatThrownBy(() -> orchestrator.catalog("aws")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("provider"));
  }

  // ---------------------------------------------------------------- linking

  @Test
  void linkAccount_whenEmailIsNew_createsAccountWithoutAskingTheHuman() {
    ProviderAccount account = link(ADA);

    assertThat(account.linkAction()).isEqualTo(ProviderAccount.LinkAction.CREATED);
    assertThat(account.accountId()).isEqualTo(backend.accounts().get("ada@example.com"));
    assertThat(account.email()).isEqualTo("ada@example.com");
    assertThat(gate.requests()).isEmpty();
    Map<String, Object> body = Json.parseObject(sandbox.requests("POST", "/provisioning/account_requests").get(0)
        .getBody().utf8());
    assertThat(body).containsEntry("email", "ada@example.com").containsEntry("name", "Ada")
        .containsEntry("kyc", Map.of("verified_fields", List.of("email")))
        .containsEntry("orchestrator", DirectOrchestrator.DEFAULT_ORCHESTRATOR_IDENTITY)
        .containsEntry("code_challenge_method", "S256").containsKey("confirmation_secret");
  }

  @Test
  void linkAccount_whenProviderAnswersWithCode_redeemsItWithThePkceVerifier() throws Exception {
    sandbox.newAccountAnswer(ProviderSandbox.NewAccountAnswer.OAUTH_CODE);

    ProviderAccount account = link(ADA);

    assertThat(account.linkAction()).isEqualTo(ProviderAccount.LinkAction.CREATED);
    String challenge = Json.string(Json.parseObject(sandbox.requests("POST", "/provisioning/account_requests").get(0)
        .getBody().utf8()), "code_challenge");
    Map<String, String> exchange = form(sandbox.requests("POST", "/oauth/token").get(0));
    assertThat(exchange).containsEntry("grant_type", "authorization_code").containsKey("code_verifier");
    assertThat(s256(exchange.get("code_verifier"))).isEqualTo(challenge);
  }

  @Test
  void linkAccount_whenPkceDisabled_sendsNoChallengeOrVerifier() {
    sandbox.newAccountAnswer(ProviderSandbox.NewAccountAnswer.OAUTH_CODE);
    orchestrator = orchestrator(false);

    link(ADA);

    assertThat(Json.parseObject(sandbox.requests("POST", "/provisioning/account_requests").get(0).getBody().utf8()))
        .doesNotContainKey("code_challenge");
    assertThat(form(sandbox.requests("POST", "/oauth/token").get(0))).doesNotContainKey("code_verifier");
  }

  @Test
  void linkAccount_whenEmailHasAnAccount_sendsTheHumanToConsentAndLinksIt() {
    String existing = backend.existingAccount("ada@example.com");
    FakeStepContext ctx = ctx("link");

    ProviderAccount account = orchestrator.linkAccount(new AccountLinkRequest("cloudflare", ADA, List.of(), Map.of()), ctx);

    assertThat(account.linkAction()).isEqualTo(ProviderAccount.LinkAction.LINKED_EXISTING);
    assertThat(account.accountId()).isEqualTo(existing);
    ApprovalRequest consent = gate.requests(CheckpointKind.ACCOUNT_CONSENT).get(0);
    assertThat(consent.url().toString()).startsWith(sandbox.baseUrl().resolve("/consent/").toString());
    assertThat(ctx.audits()).anySatisfy(a -> {
      assertThat(a.action()).isEqualTo("provider.account.link");
      assertThat(a.outcome()).isEqualTo("linked_existing");
    });
  }

  @Test
  void linkAccount_whenCallbackStateDoesNotMatch_refusesAndRedeemsNothing() {
    backend.existingAccount("ada@example.com");
    gate.respond(CheckpointKind.ACCOUNT_CONSENT, req -> {
      Map<String, String> real = sandbox.approveConsent(req.url());
      return Map.of("code", real.get("code"), "state", "attacker-chosen-state");
    });

    assertThatThrownBy(() -> link(ADA)).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("state"));
    assertThat(sandbox.requests("POST", "/oauth/token")).isEmpty();
  }

  @Test
  void linkAccount_whenHumanRefusesAtTheProvider_isDenied() {
    backend.existingAccount("ada@example.com");
    gate.respond(CheckpointKind.ACCOUNT_CONSENT, req -> sandbox.denyConsent(req.url()));

    assertThatThrownBy(() -> link(ADA)).isInstanceOf(ApprovalDeniedException.class)
        .hasMessageContaining("access_denied");
    assertThat(sandbox.requests("POST", "/oauth/token")).isEmpty();
  }

  @Test
  void linkAccount_whenGateDenies_isDeniedBeforeAnyCodeExchange() {
    backend.existingAccount("ada@example.com");
    gate.deny(CheckpointKind.ACCOUNT_CONSENT, "not now");

    assertThatThrownBy(() -> link(ADA)).isInstanceOf(ApprovalDeniedException.class);
    assertThat(sandbox.requests("POST", "/oauth/token")).isEmpty();
  }

  @Test
  void linkAccount_whenEmailNotVerified_isRefusedBeforeAnyRequest() {
    Principal unverified = Principal.builder("user-2", "https://issuer.test").email("eve@example.com", false).build();

    assertThatThrownBy(() -> link(unverified)).isInstanceOfSatisfying(IdentityRejectedException.class,
        e -> assertThat(e.check()).isEqualTo("email_verified"));
    assertThat(sandbox.requests()).isEmpty();
  }

  @Test
  void linkAccount_whenAlreadyLinked_returnsTheSameAccountWithoutAnotherRequest() {
    ProviderAccount first = link(ADA);
    ProviderAccount second = link(ADA);

    assertThat(second).isEqualTo(first);
    assertThat(sandbox.requests("POST", "/provisioning/account_requests")).hasSize(1);
  }

  @Test
  void linkAccount_whenSeveralRequests_usesAFreshConfirmationSecretEachTime() {
    link(ADA);
    link(Principal.builder("user-3", "https://issuer.test").email("bob@example.com", true).build());

    List<String> secrets = new ArrayList<>();
    for (RecordedRequest r : sandbox.requests("POST", "/provisioning/account_requests")) {
      secrets.add(Json.string(Json.parseObject(r.getBody().utf8()), "confirmation_secret"));
    }
    assertThat(secrets).hasSize(2).doesNotHaveDuplicates().allMatch(s -> s.length() >= 43);
  }

  // ---------------------------------------------------------------- payment

  @Test
  void provision_whenPaidServiceHasNoAuthorization_isRefusedAndNothingIsSent() {
    ProviderAccount account = link(ADA);

    assertThatThrownBy(() -> orchestrator.provision(request(account, "workers:paid", "plan", Map.of(), null), ctx("plan")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("payment"));
    assertThat(sandbox.requests("POST", "/provisioning/resources")).isEmpty();
    assertThat(tokens.issued).isEmpty();
  }

  @Test
  void provision_whenPaid_sendsATokenCappedAtTheAuthorizationAndReportsTheCharge() {
    ProviderAccount account = link(ADA);
    FakeStepContext ctx = ctx("plan");
    PaymentAuthorization pay = authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("5.00"));

    ResourceState state = orchestrator.provision(request(account, "workers:paid", "plan-paid", Map.of(), pay), ctx);

    assertThat(state.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(state.charged()).isEqualTo(Money.usd("5.00"));
    PaymentTokenRequest asked = tokens.issued.get(0);
    assertThat(asked.seller()).isEqualTo("cloudflare");
    assertThat(asked.maxAmount()).isEqualTo(pay.maxAmount());
    assertThat(asked.expiresAt()).isEqualTo(pay.expiresAt());
    assertThat(asked.idempotencyKey()).startsWith(ctx.idempotencyKey());
    assertThat(asked.sellerExternalId()).isEqualTo("plan-paid");
    RecordedRequest create = sandbox.requests("POST", "/provisioning/resources").get(0);
    assertThat(create.getHeaders().get("Idempotency-Key")).isEqualTo(ctx.idempotencyKey("create:" + pay.reservationId()));
    assertThat(Json.parseObject(create.getBody().utf8())).containsEntry("payment_credentials", Map.of(
        "type", "stripe_payment_token", "stripe_payment_token", tokens.issue(asked).token().reveal()));
    assertThat(sandbox.charges()).singleElement().satisfies(c -> assertThat(c.amount()).isEqualTo(Money.usd("5.00")));
    assertThat(tokens.revoked).isEmpty();
  }

  @Test
  void provision_whenPending_pollsWithBackoffInVirtualTime() {
    ProviderAccount account = link(ADA);
    sandbox.pendingPolls(3);
    FakeStepContext ctx = ctx("plan");

    ResourceState state = orchestrator.provision(request(account, "workers:free", "plan", Map.of(), null), ctx);

    assertThat(state.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    assertThat(ctx.progress()).hasSize(2).allMatch(p -> p.contains("waiting"));
    assertThat(sandbox.requests("GET", "/provisioning/resources/")).hasSize(3);
  }

  @Test
  void provision_whenStillPendingAtDeadline_failsRetryableAndKeepsTheToken() {
    ProviderAccount account = link(ADA);
    sandbox.pendingPolls(1000);
    FakeStepContext ctx = FakeStepContext.builder().time(time).approvals(gate).deadlineAfter(Duration.ofSeconds(20))
        .build();
    PaymentAuthorization pay = authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("5.00"));

    assertThatThrownBy(() -> orchestrator.provision(request(account, "workers:paid", "plan", Map.of(), pay), ctx))
        .isInstanceOfSatisfying(AgentProvisionException.class, e -> assertThat(e.retryable()).isTrue());
    assertThat(tokens.revoked).isEmpty();
  }

  @Test
  void provision_whenProviderDeclinesTheToken_revokesItAndReportsTheDecline() {
    ProviderAccount account = link(ADA);
    FakeStepContext ctx = ctx("plan");
    PaymentAuthorization pay = authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("1.00"));

    assertThatThrownBy(() -> orchestrator.provision(request(account, "workers:paid", "plan", Map.of(), pay), ctx))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(402);
          assertThat(e.code()).isEqualTo("payment_declined");
        });
    assertThat(tokens.revoked).hasSize(1);
    assertThat(sandbox.charges()).isEmpty();
    assertThat(ctx.audits()).anySatisfy(a -> {
      assertThat(a.action()).isEqualTo("provider.resource.create");
      assertThat(a.outcome()).isEqualTo("failed");
    });
  }

  @Test
  void provision_whenFree_sendsNoPaymentCredentials() {
    ProviderAccount account = link(ADA);

    freePlan(account);

    assertThat(Json.parseObject(sandbox.requests("POST", "/provisioning/resources").get(0).getBody().utf8()))
        .doesNotContainKey("payment_credentials");
    assertThat(tokens.issued).isEmpty();
  }

  @Test
  void ensurePaymentMethod_whenNoneOnFile_asksTheHumanThenChecksAgain() {
    tokens.ready = false;
    gate.on(CheckpointKind.PAYMENT_METHOD, req -> {
      tokens.ready = true;
      return io.agentprovision.core.approval.ApprovalDecision.approved("test-human", "added a card", time.instant());
    });

    assertThat(orchestrator.ensurePaymentMethod("cloudflare", Money.usd("100.00"), ctx("pm")).ready()).isTrue();
    assertThat(gate.requests(CheckpointKind.PAYMENT_METHOD)).hasSize(1);
  }

  // ---------------------------------------------------------------- domain loop

  @Test
  void domain_whenQueried_offersPricedChoicesAndRegistersTheChosenNameWithAToken() {
    ProviderAccount account = link(ADA);
    freePlan(account);
    backend.taken("my-app.com");
    FakeStepContext ctx = ctx("domain");

    ResourceState asked = orchestrator.provision(request(account, "registrar:domain", "domain",
        Map.of("domain_query", "my-app"), null), ctx);
    List<InformationRequest.Choice> choices = asked.needsInformation().choicesFor("domain");
    ResourceState again = orchestrator.submitInformation(asked.ref(), Map.of("domain", "my-app.com"),
        authorize(ctx, CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44")), ctx);
    InformationRequest.Choice pick = choices.stream().filter(InformationRequest.Choice::available).findFirst().get();
    ResourceState done = orchestrator.submitInformation(asked.ref(), Map.of("domain", pick.value()),
        authorize(ctx, CheckpointKind.DOMAIN_PURCHASE, pick.price()), ctx);

    assertThat(asked.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(choices).extracting(InformationRequest.Choice::value).contains("my-app.com", "my-app.net");
    assertThat(pick.value()).isEqualTo("my-app.net");
    assertThat(pick.price()).isEqualTo(Money.usd("11.84"));
    assertThat(again.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    assertThat(done.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(done.attributes()).containsEntry("domain", "my-app.net");
    assertThat(done.charged()).isEqualTo(Money.usd("11.84"));
    assertThat(backend.registeredDomains()).containsExactly("my-app.net");
    assertThat(tokens.revoked).hasSize(1); // the token sent with the taken name was not used
    List<RecordedRequest> answers = sandbox.requests("POST", "/provisioning/resources/" + asked.ref().id()
        + "/update_service");
    assertThat(answers).hasSize(2);
    assertThat(answers.get(0).getHeaders().get("Idempotency-Key"))
        .isNotEqualTo(answers.get(1).getHeaders().get("Idempotency-Key"));
  }

  // ---------------------------------------------------------------- provider tokens

  @Test
  void accessToken_whenAboutToExpire_isRefreshedOnceEvenUnderConcurrency() throws Exception {
    ProviderAccount account = link(ADA);
    ResourceState plan = freePlan(account);
    time.advance(ProviderSandbox.DEFAULT_ACCESS_TOKEN_TTL.minus(Duration.ofSeconds(30)));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<ResourceState>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(() -> orchestrator.resource(plan.ref(), ctx("read")));
      }
      for (Future<ResourceState> f : pool.invokeAll(calls)) {
        assertThat(f.get(30, TimeUnit.SECONDS).status()).isEqualTo(ResourceStatus.COMPLETE);
      }
    } finally {
      pool.shutdownNow();
    }

    List<RecordedRequest> refreshes = sandbox.requests("POST", "/oauth/token");
    assertThat(refreshes).hasSize(1);
    assertThat(form(refreshes.get(0))).containsEntry("grant_type", "refresh_token");
  }

  @Test
  void resourceCall_whenProviderSaysTokenExpired_refreshesAndRetriesOnce() {
    ProviderAccount account = link(ADA);
    ResourceState plan = freePlan(account);
    sandbox.expireAccessTokens();

    ResourceState read = orchestrator.resource(plan.ref(), ctx("read"));

    assertThat(read.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(sandbox.requests("POST", "/oauth/token")).hasSize(1);
  }

  // ---------------------------------------------------------------- credentials

  @Test
  void credentials_whenRevealedAndRotated_returnNewerGenerationAndOldStopsWorking() {
    ProviderAccount account = link(ADA);
    ResourceState plan = freePlan(account);
    FakeStepContext ctx = ctx("creds");

    AccessConfiguration first = orchestrator.revealCredentials(plan.ref(), ctx);
    AccessConfiguration again = orchestrator.revealCredentials(plan.ref(), ctx);
    AccessConfiguration rotated = orchestrator.rotateCredentials(plan.ref(), ctx);

    assertThat(first.generation()).isEqualTo(1);
    assertThat(again.value("CLOUDFLARE_API_TOKEN").matches(first.value("CLOUDFLARE_API_TOKEN"))).isTrue();
    assertThat(rotated.generation()).isEqualTo(2);
    assertThat(rotated.value("CLOUDFLARE_API_TOKEN").matches(first.value("CLOUDFLARE_API_TOKEN"))).isFalse();
    assertThat(backend.isActive(first.value("CLOUDFLARE_API_TOKEN").reveal())).isFalse();
    assertThat(backend.isActive(rotated.value("CLOUDFLARE_API_TOKEN").reveal())).isTrue();
    assertThat(orchestrator.revealCredentials(plan.ref(), ctx).generation()).isEqualTo(2);
    assertThat(rotated.toString()).doesNotContain(rotated.value("CLOUDFLARE_API_TOKEN").reveal());
  }

  @Test
  void remove_whenRepeated_isNotAnErrorAndCredentialsAreGone() {
    ProviderAccount account = link(ADA);
    ResourceState plan = freePlan(account);
    FakeStepContext ctx = ctx("rm");
    String token = orchestrator.revealCredentials(plan.ref(), ctx).value("CLOUDFLARE_API_TOKEN").reveal();

    orchestrator.remove(plan.ref(), ctx);
    orchestrator.remove(plan.ref(), ctx);

    assertThat(sandbox.resourceStatus(plan.ref().id())).isEqualTo("removed");
    assertThat(backend.isActive(token)).isFalse();
    assertThat(backend.deprovisioned()).containsExactly(plan.ref().id());
  }

  @Test
  void update_whenUpgradingPlan_paysWithATokenAndRefusesWithoutOne() {
    ProviderAccount account = link(ADA);
    ResourceState plan = freePlan(account);
    FakeStepContext ctx = ctx("upgrade");

    assertThatThrownBy(() -> orchestrator.update(plan.ref(), "workers:paid", Map.of(), null, ctx))
        .isInstanceOf(InvalidRequestException.class);
    ResourceState upgraded = orchestrator.update(plan.ref(), "workers:paid", Map.of(),
        authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("5.00")), ctx);

    assertThat(upgraded.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(upgraded.ref().serviceId()).isEqualTo("workers:paid");
    assertThat(upgraded.charged()).isEqualTo(Money.usd("5.00"));
    assertThat(Json.parseObject(sandbox.requests("POST", "/provisioning/resources/" + plan.ref().id()
        + "/update_service").get(0).getBody().utf8())).containsEntry("service_id", "workers:paid")
        .containsKey("payment_credentials");
  }

  @Test
  void eventsAndAudit_neverCarryProviderTokensOrCredentials() {
    ProviderAccount account = link(ADA);
    FakeStepContext ctx = ctx("plan");
    ResourceState plan = orchestrator.provision(request(account, "workers:paid", "plan", Map.of(),
        authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("5.00"))), ctx);
    String credential = orchestrator.revealCredentials(plan.ref(), ctx).value("CLOUDFLARE_API_TOKEN").reveal();
    orchestrator.rotateCredentials(plan.ref(), ctx);

    String everything = ctx.audits().toString() + ctx.progress() + ctx.retries() + ctx.checkpoints() + plan
        + orchestrator;
    assertThat(everything).doesNotContain("cfat_").doesNotContain("cfrt_").doesNotContain("spt_test_")
        .doesNotContain(credential);
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action)
        .contains("payment.token.issue", "provider.resource.create", "provider.credentials.rotate");
  }

  @Test
  void calls_onResourcesNotProvisionedHere_areRefused() {
    assertThatThrownBy(() -> orchestrator.revealCredentials(new io.agentprovision.core.orchestration.ResourceRef("cloudflare",
        "res_x", "kv", "kv"), ctx("x"))).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("resource"));
  }

  @Test
  void builder_whenMisconfigured_refusesNamingTheField() {
    assertThatThrownBy(() -> DirectOrchestrator.builder().build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("provider"));
    assertThatThrownBy(() -> DirectOrchestrator.builder().orchestratorIdentity(Map.of("name", "x")))
        .isInstanceOfSatisfying(InvalidRequestException.class,
            e -> assertThat(e.field()).isEqualTo("orchestratorIdentity"));
    assertThatThrownBy(() -> DirectOrchestrator.builder().refreshSkew(Duration.ofSeconds(-1)))
        .isInstanceOf(InvalidRequestException.class);
  }
}
