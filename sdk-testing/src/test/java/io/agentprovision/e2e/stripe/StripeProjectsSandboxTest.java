package io.agentprovision.e2e.stripe;

import io.agentprovision.stripe.StripeProjects;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.stripe.Fault;
import io.agentprovision.testing.stripe.InProcessProvider;
import io.agentprovision.testing.stripe.RecordedCall;
import io.agentprovision.testing.stripe.StripeSandbox;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Whole sequences of {@link StripeProjects} against the stateful {@link StripeSandbox}. */
class StripeProjectsSandboxTest {
  private final VirtualTime time = VirtualTime.create();
  private final AtomicReference<InProcessProvider> cloudflare = new AtomicReference<>();
  private StripeSandbox sandbox;
  private StripeProjects stripe;

  private void start(StripeSandbox.Builder builder, InProcessProvider.Builder provider) {
    sandbox = builder.time(time).provider(charger -> {
      InProcessProvider p = provider.build(charger);
      cloudflare.set(p);
      return p;
    }).start();
    stripe = StripeProjects.builder().api(sandbox.api()).build();
  }

  private void start() {
    start(StripeSandbox.builder(), InProcessProvider.builder());
  }

  @AfterEach
  void stop() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private FakeStepContext ctx(String key, ScriptedApprovalGate gate) {
    return FakeStepContext.builder().time(time).idempotencyKey(key).approvals(gate).build();
  }

  private FakeStepContext ctx(String key) {
    return ctx(key, ScriptedApprovalGate.approveAll(time));
  }

  private static Principal ada() {
    return Principal.builder("user-1", "https://issuer.test").email("ada@example.com", true).name("Ada").build();
  }

  private ProviderAccount link() {
    return stripe.linkAccount(new AccountLinkRequest("cloudflare", ada(), List.of(), Map.of()), ctx("run-link"));
  }

  private PaymentAuthorization authorize(FakeStepContext ctx, CheckpointKind kind, Money amount) {
    return ctx.authorizeSpend(new SpendRequest(kind, "cloudflare", amount, "test spend", Map.of())).payment();
  }

  private ResourceRequest request(String service, String name, ProviderAccount account, PaymentAuthorization payment,
      Map<String, Object> configuration) {
    return new ResourceRequest("cloudflare", service, name, configuration, account, "my-app", "production", payment);
  }

  @Test
  void catalog_whenProviderIsListed_mapsServicesKindsPricingAndAllowedUpdates() {
    start();

    Catalog catalog = stripe.catalog("cloudflare");

    assertThat(catalog.provider().name()).isEqualTo("cloudflare");
    assertThat(catalog.provider().id()).isEqualTo("prvdr_cloudflare");
    assertThat(catalog.provider().termsOfService()).isEqualTo(URI.create("https://www.cloudflare.com/terms/"));
    assertThat(catalog.services()).extracting(ServiceOffering::id)
        .containsExactly("workers:free", "workers:paid", "workers", "d1", "kv", "registrar:domain");
    ServiceOffering paid = catalog.service("workers:paid").orElseThrow();
    assertThat(paid.isPlan()).isTrue();
    assertThat(paid.pricing().type()).isEqualTo(Pricing.Type.PAID);
    assertThat(paid.pricing().kind()).isEqualTo(Pricing.Kind.MINIMUM);
    assertThat(paid.pricing().minimum()).isEqualTo(Money.usd("5.00"));
    assertThat(paid.pricing().interval()).isEqualTo(Pricing.Interval.MONTHLY);
    assertThat(paid.allowedUpdates()).containsExactly("workers:free");
    assertThat(catalog.service("workers:free").orElseThrow().allowedUpdates()).containsExactly("workers:paid");
    assertThat(catalog.service("workers:free").orElseThrow().pricing().isPaid()).isFalse();
    assertThat(catalog.service("registrar:domain").orElseThrow().pricing().type()).isEqualTo(Pricing.Type.COMPONENT);
    assertThat(catalog.service("d1").orElseThrow().configurationSchema()).containsKey("required");
  }

  @Test
  void catalog_whenProviderUnknown_refusesNamingTheKnownOnes() {
    start();

    assertThatThrownBy(() -> stripe.catalog("vercel"))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("'vercel' is not in Stripe's prod catalog")
        .hasMessageContaining("cloudflare");
  }

  @Test
  void fullSequence_newAccount_paysPlanRegistersDomainRevealsRotatesAndRemoves() {
    start();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time)
        .respond(CheckpointKind.PAYMENT_METHOD, req -> {
          sandbox.completeCheckout(req.url().toString());
          return Map.of();
        });

    ProviderAccount account = link();
    assertThat(account.linkAction()).isEqualTo(ProviderAccount.LinkAction.CREATED);
    assertThat(account.email()).isEqualTo("ada@example.com");
    assertThat(account.accountId()).startsWith("acct_");

    FakeStepContext payCtx = ctx("run-pay", gate);
    PaymentMethodStatus card = stripe.ensurePaymentMethod("cloudflare", Money.usd("100.00"), payCtx);
    assertThat(card).isEqualTo(new PaymentMethodStatus(true, "card •••• 4242"));
    ApprovalRequest checkout = gate.requests(CheckpointKind.PAYMENT_METHOD).get(0);
    assertThat(checkout.url().toString()).startsWith(sandbox.baseUrl() + "/sandbox/checkout/pmreq_");

    FakeStepContext planCtx = ctx("run-plan");
    ResourceState plan = stripe.provision(request("workers:paid", "my-app-plan", account,
        authorize(planCtx, CheckpointKind.PAID_PLAN, Money.usd("5.00")), Map.of()), planCtx);
    assertThat(plan.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(plan.ref().serviceId()).isEqualTo("workers:paid");
    assertThat(planCtx.progress()).anyMatch(p -> p.contains("waiting 1000 ms"));
    assertThat(sandbox.paymentIntents()).singleElement().satisfies(pi -> {
      assertThat(pi.get("amount")).isEqualTo(500L);
      assertThat(pi.get("seller")).isEqualTo("profile_cloudflare_sbx");
    });

    FakeStepContext domainCtx = ctx("run-domain");
    ResourceState domain = stripe.provision(request("registrar:domain", "my-app-domain", account, null,
        Map.of("domain_query", "my-app")), domainCtx);
    assertThat(domain.status()).isEqualTo(ResourceStatus.NEEDS_INFORMATION);
    InformationRequest choices = domain.needsInformation();
    assertThat(choices.choicesFor("domain")).extracting(InformationRequest.Choice::value)
        .containsExactly("my-app.com", "my-app.dev", "my-app.net");
    assertThat(choices.choicesFor("domain").get(0).price()).isEqualTo(Money.usd("10.44"));
    assertThat(choices.choicesFor("domain").get(2).available()).isFalse();
    ResourceState registered = stripe.submitInformation(domain.ref(), Map.of("domain", "my-app.com"),
        authorize(domainCtx, CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44")), domainCtx);
    assertThat(registered.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(sandbox.paymentIntents()).extracting(pi -> pi.get("amount")).containsExactly(500L, 1044L);

    FakeStepContext credCtx = ctx("run-creds");
    AccessConfiguration creds = stripe.revealCredentials(plan.ref(), credCtx);
    String remoteId = remoteId(plan.ref());
    assertThat(creds.values().keySet()).containsExactlyInAnyOrder("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID");
    assertThat(creds.value("CLOUDFLARE_API_TOKEN").matches(cloudflare.get().credentials(remoteId)
        .get("CLOUDFLARE_API_TOKEN"))).isTrue();
    assertThat(creds.toString()).doesNotContain("cf_tok_");

    time.advance(Duration.ofMinutes(5));
    AccessConfiguration rotated = stripe.rotateCredentials(plan.ref(), credCtx);
    assertThat(rotated.value("CLOUDFLARE_API_TOKEN").matches(creds.value("CLOUDFLARE_API_TOKEN"))).isFalse();
    assertThat(rotated.value("CLOUDFLARE_API_TOKEN").matches(cloudflare.get().credentials(remoteId)
        .get("CLOUDFLARE_API_TOKEN"))).isTrue();
    assertThat(rotated.generation()).isGreaterThan(creds.generation());

    FakeStepContext removeCtx = ctx("run-remove");
    stripe.remove(plan.ref(), removeCtx);
    assertThat(stripe.resource(plan.ref(), removeCtx).status()).isEqualTo(ResourceStatus.REMOVED);
    int removes = sandbox.calls("POST", "/v2/provisioning/resources/" + plan.ref().id() + "/remove").size();
    stripe.remove(plan.ref(), ctx("run-remove-again"));
    assertThat(sandbox.calls("POST", "/v2/provisioning/resources/" + plan.ref().id() + "/remove")).hasSize(removes);

    assertThat(planCtx.audits()).extracting(FakeStepContext.Audit::action)
        .contains("stripe.project.create", "stripe.resource.create");
    assertThat(credCtx.audits()).extracting(FakeStepContext.Audit::action)
        .contains("stripe.credentials.reveal", "stripe.credentials.rotate");
    assertThat(credCtx.audits().toString()).doesNotContain("cf_tok_");
  }

  @Test
  void linkAccount_whenAccountExists_sendsHumanToConsentAndReturnsTheCodeWithItsVerifier() {
    start(StripeSandbox.builder(), InProcessProvider.builder().existingAccount("ada@example.com"));
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time)
        .respond(CheckpointKind.ACCOUNT_CONSENT, req -> sandbox.consent(req.url()));

    ProviderAccount account = stripe.linkAccount(new AccountLinkRequest("cloudflare", ada(), List.of(), Map.of()),
        ctx("run-consent", gate));

    assertThat(account.linkAction()).isEqualTo(ProviderAccount.LinkAction.LINKED_EXISTING);
    assertThat(account.connectionId()).startsWith("pconn_");
    ApprovalRequest consent = gate.requests(CheckpointKind.ACCOUNT_CONSENT).get(0);
    String requestId = sandbox.latestConnectionRequest();
    assertThat(consent.url()).isEqualTo(URI.create(sandbox.baseUrl() + "/sandbox/consent/" + requestId));
    assertThat(consent.details()).containsEntry("provider", "cloudflare").containsEntry("connection_request", requestId);
    Map<String, Object> created = io.agentprovision.core.wire.Json.parseObject(
        sandbox.calls("POST", "/v2/provisioning/provider_connection_requests").get(0).body());
    RecordedCall callback = sandbox.calls("POST", "/v2/provisioning/provider_connection_requests/" + requestId
        + "/submit_information").get(0);
    Map<String, Object> information = io.agentprovision.core.wire.Json.object(
        io.agentprovision.core.wire.Json.parseObject(callback.body()), "information");
    assertThat(information).containsKeys("code", "state", "code_verifier");
    assertThat(s256(information.get("code_verifier").toString())).isEqualTo(created.get("code_challenge"));
    assertThat(callback.idempotencyKey()).isEqualTo("run-consent:stripe.connection_request.callback");
  }

  @Test
  void linkAccount_whenConsentDenied_stopsCleanlyWithoutFurtherCalls() {
    start(StripeSandbox.builder(), InProcessProvider.builder().existingAccount("ada@example.com"));
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time)
        .deny(CheckpointKind.ACCOUNT_CONSENT, "not my account");
    FakeStepContext ctx = ctx("run-deny", gate);

    assertThatThrownBy(() -> stripe.linkAccount(new AccountLinkRequest("cloudflare", ada(), List.of(), Map.of()), ctx))
        .isInstanceOf(ApprovalDeniedException.class)
        .hasMessageContaining("not my account");

    List<RecordedCall> calls = sandbox.calls();
    assertThat(calls.get(calls.size() - 1).path()).isEqualTo("/v2/provisioning/provider_connection_requests");
    assertThat(sandbox.calls("POST", "/v2/provisioning/provider_connection_requests/")).isEmpty();
    assertThat(ctx.progress()).isEmpty();
    assertThat(gate.requests(CheckpointKind.ACCOUNT_CONSENT)).hasSize(1);
  }

  @Test
  void linkAccount_whenHumanDeclinesAtTheProvider_failsWithTheProvidersCode() {
    start(StripeSandbox.builder(), InProcessProvider.builder().existingAccount("ada@example.com"));
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).respond(CheckpointKind.ACCOUNT_CONSENT, req -> {
      sandbox.denyConsent(sandbox.latestConnectionRequest());
      return Map.of();
    });

    assertThatThrownBy(() -> stripe.linkAccount(new AccountLinkRequest("cloudflare", ada(), List.of(), Map.of()),
        ctx("run-declined", gate)))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.code()).isEqualTo("access_denied");
          assertThat(e.retryable()).isFalse();
        });
  }

  @Test
  void linkAccount_whenAlreadyLinked_returnsTheConnectionWithoutANewRequest() {
    start();
    ProviderAccount first = link();

    ProviderAccount again = stripe.linkAccount(new AccountLinkRequest("cloudflare", ada(), List.of(), Map.of()),
        ctx("run-link-again"));

    assertThat(again.connectionId()).isEqualTo(first.connectionId());
    assertThat(sandbox.calls("POST", "/v2/provisioning/provider_connection_requests")).hasSize(1);
  }

  @Test
  void linkAccount_whenProviderNeedsInformation_answersFromPrincipalAndAsksTheHumanForTheRest() {
    start(StripeSandbox.builder().linkNeedsInformation(Map.of("type", "object", "required", List.of("email", "country"),
        "properties", Map.of("email", Map.of("type", "string"), "country", Map.of("type", "string")))),
        InProcessProvider.builder());
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time)
        .respond(CheckpointKind.ACTION_REQUIRED, req -> Map.of("country", "GB"));

    ProviderAccount account = stripe.linkAccount(new AccountLinkRequest("cloudflare", ada(), List.of(), Map.of()),
        ctx("run-info", gate));

    assertThat(account.linkAction()).isEqualTo(ProviderAccount.LinkAction.CREATED);
    assertThat(gate.requests(CheckpointKind.ACTION_REQUIRED).get(0).details()).containsEntry("fields", "country");
    RecordedCall answer = sandbox.calls("POST", "/v2/provisioning/provider_connection_requests/").get(0);
    assertThat(answer.body()).isEqualTo("{\"information\":{\"email\":\"ada@example.com\",\"country\":\"GB\"}}");
  }

  @Test
  void linkAccount_whenAccountIsIneligible_failsBeforeRequestingAConnection() {
    start(StripeSandbox.builder().ineligible(List.of("business_profile.url")), InProcessProvider.builder());

    assertThatThrownBy(this::link)
        .isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("business_profile.url");
    assertThat(sandbox.calls("POST", "/v2/provisioning/provider_connection_requests")).isEmpty();
  }

  @Test
  void linkAccount_whenScopesAreAsked_refusesBeforeAnyCall() {
    start();

    assertThatThrownBy(() -> stripe.linkAccount(new AccountLinkRequest("cloudflare", ada(), List.of("workers:write"),
        Map.of()), ctx("run-scopes")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("scopes"));
    assertThat(sandbox.calls()).isEmpty();
  }

  @Test
  void provision_whenStripeLimitIsBelowTheAuthorizedAmount_refusesBeforeCreating() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    ProviderAccount account = link();
    sandbox.setProviderLimit("cloudflare", Money.usd("3.00"), "month");
    FakeStepContext ctx = ctx("run-capped");

    assertThatThrownBy(() -> stripe.provision(request("workers:paid", "plan", account,
        authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("5.00")), Map.of()), ctx))
        .isInstanceOfSatisfying(PolicyViolationException.class, e -> {
          assertThat(e.limit()).isEqualTo("stripe:payment_profile/provider=cloudflare/monthly");
          assertThat(e.requested()).isEqualTo(Money.usd("5.00"));
          assertThat(e.remaining()).isEqualTo(Money.usd("3.00"));
        });
    assertThat(sandbox.calls("POST", "/v2/provisioning/resources")).isEmpty();
    assertThat(sandbox.paymentIntents()).isEmpty();
  }

  @Test
  void provision_whenNoCardIsOnFile_refusesBeforeCreating() {
    start();
    ProviderAccount account = link();
    FakeStepContext ctx = ctx("run-nocard");

    assertThatThrownBy(() -> stripe.provision(request("workers:paid", "plan", account,
        authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("5.00")), Map.of()), ctx))
        .isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining("ensurePaymentMethod");
    assertThat(sandbox.calls("POST", "/v2/provisioning/resources")).isEmpty();
  }

  @Test
  void provision_whenPaidServiceHasNoAuthorization_refusesBeforeAnyCall() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    ProviderAccount account = link();
    int before = sandbox.calls().size();

    assertThatThrownBy(() -> stripe.provision(request("workers:paid", "plan", account, null, Map.of()),
        ctx("run-unpaid")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("payment"));
    assertThat(sandbox.calls("POST", "/v2/provisioning/resources")).isEmpty();
    assertThat(sandbox.calls().size() - before).isEqualTo(1); // the catalog read
  }

  @Test
  void provision_whenStripesRemainingLimitIsUsedUp_theProviderChargeFailsAndNothingMoreIsTaken() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    ProviderAccount account = link();
    sandbox.setProviderLimit("cloudflare", Money.usd("12.00"), "month");
    FakeStepContext planCtx = ctx("run-plan");
    stripe.provision(request("workers:paid", "plan", account, authorize(planCtx, CheckpointKind.PAID_PLAN,
        Money.usd("5.00")), Map.of()), planCtx);
    FakeStepContext domainCtx = ctx("run-domain");
    ResourceState domain = stripe.provision(request("registrar:domain", "domain", account, null,
        Map.of("domain_query", "my-app")), domainCtx);

    ResourceState failed = stripe.submitInformation(domain.ref(), Map.of("domain", "my-app.com"),
        authorize(domainCtx, CheckpointKind.DOMAIN_PURCHASE, Money.usd("10.44")), domainCtx);

    assertThat(failed.status()).isEqualTo(ResourceStatus.ERRORED);
    assertThat(failed.errorCode()).isEqualTo("payment_failed");
    assertThat(failed.errorMessage()).contains("amount_too_large");
    assertThat(sandbox.paymentIntents()).extracting(pi -> pi.get("amount")).containsExactly(500L);
    assertThat(cloudflare.get().log()).contains("declined USD 10.44 (amount_too_large)");
  }

  @Test
  void update_whenPlanChangeIsAllowed_chargesAndReportsTheNewService() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    ProviderAccount account = link();
    ResourceState free = stripe.provision(request("workers:free", "plan", account, null, Map.of()), ctx("run-free"));
    FakeStepContext ctx = ctx("run-upgrade");

    ResourceState paid = stripe.update(free.ref(), "workers:paid", Map.of(),
        authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("5.00")), ctx);

    assertThat(paid.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(paid.ref().serviceId()).isEqualTo("workers:paid");
    assertThat(paid.ref().id()).isEqualTo(free.ref().id());
    assertThat(sandbox.calls("POST", "/v2/provisioning/resources/" + free.ref().id()).get(0).body())
        .isEqualTo("{\"service_ref\":\"prvsvc_cloudflare_workers_paid\"}");
    assertThat(sandbox.paymentIntents()).extracting(pi -> pi.get("amount")).containsExactly(500L);
  }

  @Test
  void update_whenTheCatalogDoesNotAllowTheChange_refusesBeforeCalling() {
    start();
    ProviderAccount account = link();
    ResourceState kv = stripe.provision(request("kv", "cache", account, null, Map.of("title", "cache")), ctx("run-kv"));

    assertThatThrownBy(() -> stripe.update(kv.ref(), "workers:paid", Map.of(), null, ctx("run-bad-update")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("newServiceId"));
    assertThat(sandbox.calls("POST", "/v2/provisioning/resources/" + kv.ref().id())).isEmpty();
  }

  @Test
  void provision_whenRetriedAfterA503_reusesTheIdempotencyKeyAndCreatesOnce() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    ProviderAccount account = link();
    sandbox.inject(Fault.status(503).on("POST", "/v2/provisioning/resources"));
    FakeStepContext ctx = ctx("run-retry");

    ResourceState plan = stripe.provision(request("workers:paid", "plan", account,
        authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("5.00")), Map.of()), ctx);

    List<RecordedCall> posts = sandbox.calls("POST", "/v2/provisioning/resources");
    assertThat(posts).extracting(RecordedCall::status).containsExactly(503, 200);
    assertThat(posts).extracting(RecordedCall::idempotencyKey).containsOnly("run-retry:stripe.resource.create");
    assertThat(sandbox.resources()).hasSize(1);
    assertThat(plan.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(sandbox.paymentIntents()).hasSize(1);
    assertThat(ctx.retries()).singleElement().satisfies(r -> {
      assertThat(r.attempt()).isEqualTo(2);
      assertThat(r.reason()).contains("HTTP 503");
    });
  }

  @Test
  void provision_whenTheStepIsResumed_replaysTheCreationAndReadsTheResourceAfresh() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    ProviderAccount account = link();
    FakeStepContext ctx = ctx("run-resume");
    PaymentAuthorization payment = authorize(ctx, CheckpointKind.PAID_PLAN, Money.usd("5.00"));
    ResourceState first = stripe.provision(request("workers:paid", "plan", account, payment, Map.of()), ctx);
    int reads = sandbox.calls("GET", "/v2/provisioning/resources/").size();

    ResourceState again = stripe.provision(request("workers:paid", "plan", account, payment, Map.of()), ctx);

    assertThat(again.ref()).isEqualTo(first.ref());
    assertThat(again.status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(sandbox.resources()).hasSize(1);
    assertThat(sandbox.paymentIntents()).hasSize(1);
    assertThat(sandbox.calls("GET", "/v2/provisioning/resources/").size()).isGreaterThan(reads);
  }

  @Test
  void provision_whenThePendingResourceOutlivesTheDeadline_failsRetryably() {
    start(StripeSandbox.builder().cardOnFile().pendingReads(100), InProcessProvider.builder());
    ProviderAccount account = link();
    FakeStepContext ctx = FakeStepContext.builder().time(time).idempotencyKey("run-slow")
        .deadlineAfter(Duration.ofSeconds(20)).build();

    assertThatThrownBy(() -> stripe.provision(request("kv", "cache", account, null, Map.of("title", "c")), ctx))
        .isInstanceOfSatisfying(AgentProvisionException.class, e -> {
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage()).contains("step deadline");
        });
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
        Duration.ofSeconds(8));
  }

  @Test
  void updateProviderLimit_whenRaising_asksTheHumanFirst() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    link();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time);

    SpendLimit set = stripe.updateProviderLimit("cloudflare", SpendLimit.monthly(Money.usd("250.00")),
        ctx("run-raise", gate)).orElseThrow();

    assertThat(set).isEqualTo(SpendLimit.monthly(Money.usd("250.00")).forProvider("cloudflare"));
    ApprovalRequest raise = gate.requests(CheckpointKind.RAISE_LIMIT).get(0);
    assertThat(raise.cost()).isEqualTo(Money.usd("250.00"));
    assertThat(raise.title()).contains("cloudflare").contains("USD 250.00");
    assertThat(stripe.providerLimits("cloudflare")).containsExactly(set);
    assertThat(sandbox.calls("POST", "/v2/provisioning/payment_profile/update_limit").get(0).body())
        .isEqualTo("{\"provider\":\"prvdr_cloudflare\",\"usage_limits\":{\"currency\":\"usd\",\"max_amount\":\"25000\","
            + "\"recurring_interval\":\"month\"}}");
  }

  @Test
  void updateProviderLimit_whenTheHumanDeniesTheRaise_changesNothing() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    link();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).deny(CheckpointKind.RAISE_LIMIT, "no");

    assertThatThrownBy(() -> stripe.updateProviderLimit("cloudflare", SpendLimit.monthly(Money.usd("250.00")),
        ctx("run-raise", gate))).isInstanceOf(ApprovalDeniedException.class);
    assertThat(sandbox.calls("POST", "/v2/provisioning/payment_profile/update_limit")).isEmpty();
    assertThat(stripe.providerLimits("cloudflare"))
        .containsExactly(SpendLimit.monthly(Money.usd("100.00")).forProvider("cloudflare"));
  }

  @Test
  void mirrorSpendPolicy_whenTheSdkCapIsTighter_lowersStripesLimitWithoutAsking() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    link();
    ScriptedApprovalGate gate = ScriptedApprovalGate.denyAll(time);
    SpendPolicy policy = SpendPolicy.builder()
        .limit(SpendLimit.monthly(Money.usd("40.00")).perProvider())
        .limit(SpendLimit.monthly(Money.usd("10.00")).perAgent())
        .build();

    SpendLimit mirrored = stripe.mirrorSpendPolicy(policy, "cloudflare", ctx("run-mirror", gate)).orElseThrow();

    assertThat(mirrored).isEqualTo(SpendLimit.monthly(Money.usd("40.00")).forProvider("cloudflare"));
    assertThat(gate.requests()).isEmpty();
    assertThat(stripe.paymentProfile().limitFor("cloudflare")).contains(mirrored);
  }

  @Test
  void mirrorSpendPolicy_whenStripeIsAlreadyTighter_leavesItAlone() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    link();
    sandbox.setProviderLimit("cloudflare", Money.usd("20.00"), "month");

    assertThat(stripe.mirrorSpendPolicy(SpendPolicy.defaults(), "cloudflare", ctx("run-mirror"))).isEmpty();
    assertThat(sandbox.calls("POST", "/v2/provisioning/payment_profile/update_limit")).isEmpty();
  }

  @Test
  void ensurePaymentMethod_whenACardIsOnFile_asksNothing() {
    start(StripeSandbox.builder().cardOnFile(), InProcessProvider.builder());
    ScriptedApprovalGate gate = ScriptedApprovalGate.denyAll(time);

    PaymentMethodStatus status = stripe.ensurePaymentMethod("cloudflare", Money.usd("100.00"), ctx("run-card", gate));

    assertThat(status.ready()).isTrue();
    assertThat(gate.requests()).isEmpty();
    assertThat(sandbox.calls("POST", "/v2/provisioning/payment_method_requests")).isEmpty();
  }

  @Test
  void ensurePaymentMethod_whenTheHumanDeclinesCheckout_stopsWithoutPolling() {
    start();
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time).deny(CheckpointKind.PAYMENT_METHOD, "later");
    FakeStepContext ctx = ctx("run-nocheckout", gate);

    assertThatThrownBy(() -> stripe.ensurePaymentMethod("cloudflare", Money.usd("100.00"), ctx))
        .isInstanceOf(ApprovalDeniedException.class);
    assertThat(sandbox.calls("GET", "/v2/provisioning/payment_profile")).hasSize(1);
    assertThat(ctx.progress()).isEmpty();
  }

  @Test
  void unlink_whenAResourceIsUnlinked_stripeForgetsItButTheProviderKeepsIt() {
    start();
    ProviderAccount account = link();
    ResourceState kv = stripe.provision(request("kv", "cache", account, null, Map.of("title", "c")), ctx("run-kv"));
    FakeStepContext ctx = ctx("run-unlink");

    stripe.unlink(kv.ref(), ctx);

    assertThatThrownBy(() -> stripe.resource(kv.ref(), ctx))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.status()).isEqualTo(404);
          assertThat(e.code()).isEqualTo("resource_missing");
        });
    assertThat(cloudflare.get().log()).noneMatch(l -> l.startsWith("remove"));
  }

  private static String s256(String verifier) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256")
          .digest(verifier.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private String remoteId(ResourceRef ref) {
    return sandbox.resources().stream().filter(r -> r.get("id").equals(ref.id())).findFirst().orElseThrow()
        .get("remote_id").toString();
  }
}
