package io.agentprovision.testing.sandbox;

import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.SimulatedCrash;
import io.agentprovision.testing.VirtualTime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.agentprovision.cloudflare.LeastPrivilege;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * From nothing to a live app through {@link AgentProvisioner} with the SDK's real adapters, against
 * {@link LocalSandbox}: Stripe Projects (or the host orchestrating directly with Stripe Shared
 * Payment Tokens), the provider protocol, Cloudflare v4 with workerd, and OIDC — all on loopback.
 * The app's live answer is checked when workerd is installed and skipped (with the reason) when not.
 */
class LocalSandboxEndToEndTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");
  private static final String ADA = "ada@example.com";
  private static final String GRACE = "grace@example.com";
  /** The Registrar's cheapest name for "my-app": {@code .org} at USD 10.11 undercuts {@code .com} at 10.44. */
  private static final String DOMAIN = "my-app.org";
  private static final Money PLAN_PRICE = Money.usd("5.00");
  private static final Money DOMAIN_PRICE = Money.usd("10.11");

  private final VirtualTime time = VirtualTime.create();
  private final ScriptedApprovalGate human = ScriptedApprovalGate.approveAll(time);
  private final RunJournal journal = RunJournal.inMemory();
  private final SpendLedger ledger = SpendLedger.inMemory(time);
  private final CredentialVault vault = CredentialVault.inMemory();
  private final AuditLog audit = AuditLog.inMemory();
  private LocalSandbox sb;

  @BeforeEach
  void start() {
    sb = LocalSandbox.builder().clock(time).sleeper(time).start();
  }

  @AfterEach
  void stop() {
    sb.close();
  }

  private AgentProvisioner provisioner(Orchestrator orchestrator) {
    return provisioner(orchestrator, sb.cloudflareDeployer());
  }

  private AgentProvisioner provisioner(Orchestrator orchestrator, Deployer deployer) {
    return AgentProvisioner.builder()
        .orchestrator(orchestrator)
        .deployer(deployer)
        .identity(sb.identityProvider())
        .approvals(sb.browser(human))
        .journal(journal).ledger(ledger).vault(vault).audit(audit)
        .clock(time).sleeper(time)
        .build();
  }

  private ProvisionRequest request(String email) {
    return ProvisionRequest.builder()
        .agent(AGENT)
        .provider(LocalSandbox.PROVIDER)
        .plan("workers:paid")
        .domain(DomainRequest.query("my-app"))
        .token(TokenSpec.leastPrivilege().allowIps(sb.defaultAllowedIps()).ttl(Duration.ofDays(7)))
        .identityToken(sb.signIn(email))
        .app(app())
        .build();
  }

  static WorkerApp app() {
    return app("my-app");
  }

  static WorkerApp app(String name) {
    return WorkerApp.builder(name)
        .module("index.js", "export default { async fetch(request) {"
            + " return new Response('hello from ' + new URL(request.url).hostname); } };\n")
        .build();
  }

  @Test
  void provisionAndDeploy_withStripeProjects_goesFromNothingToALiveAppOnItsDomain() {
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      Deployment d = provisioner.provisionAndDeploy(request(ADA));

      assertDeployed(d, provisioner);
      assertLive(d);
      assertThat(d.account().linkAction()).isEqualTo(Deployment.AccountSummary.LinkAction.CREATED);
      assertThat(sb.cloudflare().tokenByValue(broadToken(d)).orElseThrow().name())
          .isEqualTo("broad token for " + d.account().accountId());
      // Stripe asked the human for a card at its checkout, and paid the provider with its own tokens
      assertThat(sb.stripe().calls("POST", "/v2/provisioning/payment_method_requests")).hasSize(1);
      assertThat(sb.stripe().calls("GET", "/sandbox/checkout/")).hasSize(1);
      assertThat(sb.stripe().resources()).extracting(r -> r.get("status")).containsOnly("complete");
    }
  }

  @Test
  void provisionAndDeploy_withDirectOrchestrator_paysWithSharedPaymentTokensCappedAtEachPrice() {
    try (AgentProvisioner provisioner = provisioner(sb.directOrchestrator())) {
      Deployment d = provisioner.provisionAndDeploy(request(GRACE));

      assertDeployed(d, provisioner);
      assertLive(d);
      assertThat(d.account().email()).isEqualTo(GRACE);
      assertThat(sb.cloudflare().tokenByValue(broadToken(d))).isPresent();
      // one token per paid call, for the provider only: the plan's capped at its price; the domain search's at
      // what the policy leaves for it (revoked once the name was bought); the purchase's at the name's price
      assertThat(sb.stripe().tokens()).extracting(t -> (Object) ((Map<?, ?>) t.get("usage_limits")).get("max_amount"))
          .containsExactly(500L, 9500L, 1011L);
      assertThat(sb.stripe().tokens()).extracting(t -> (Object) ((Map<?, ?>) t.get("seller_details")).get("network_business_profile"))
          .containsOnly(LocalSandbox.SELLER);
      assertThat(sb.stripe().tokens()).extracting(t -> t.get("deactivated_reason"))
          .containsExactly("consumed", "revoked", "consumed");
      assertThat(sb.stripe().calls("GET", "/sandbox/checkout/")).hasSize(1);
      assertThat(sb.stripe().calls("POST", "/v2/provisioning/")).isEmpty();
    }
  }

  @Test
  void resume_afterACrashJustAfterThePlanWasBought_finishesWithoutChargingAgain() {
    ProvisionPlan plan;
    try (AgentProvisioner dying = provisioner(crashAfterPaidPlan(sb.stripeProjects()))) {
      plan = dying.plan(request(ADA));
      assertThatThrownBy(() -> dying.execute(plan)).isInstanceOf(SimulatedCrash.class);
    }
    assertThat(sb.stripe().paymentIntents()).extracting(p -> p.get("amount")).containsExactly(500L);
    assertThat(journal.run(plan.runId()).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);

    try (AgentProvisioner restarted = provisioner(sb.stripeProjects())) {
      Deployment d = restarted.resume(AGENT, plan.runId());

      assertDeployed(d, restarted);
      assertLive(d);
      assertThat(sb.stripe().resources()).extracting(r -> r.get("service_ref")).filteredOn(
          ref -> String.valueOf(ref).endsWith("workers_paid")).hasSize(1);
      assertThat(audit.entries()).extracting(e -> e.record().action()).contains("run.resumed");
    }
  }

  @Test
  void resume_afterACrashBetweenMintingTheDeployTokenAndKeepingIt_deletesTheLeftoverInsteadOfKeepingTwo() {
    List<Integer> attempts = new java.util.concurrent.CopyOnWriteArrayList<>();
    ProvisionPlan plan;
    String account;
    int requestsBeforeResume;
    try (AgentProvisioner dying = provisioner(sb.stripeProjects(), crashAfterMinting(sb.cloudflareDeployer(), attempts))) {
      plan = dying.plan(request(ADA));
      assertThatThrownBy(() -> dying.execute(plan)).isInstanceOf(SimulatedCrash.class);
      // the account the run made: the one its deploy token was created in
      account = sb.cloudflare().requests().stream()
          .filter(r -> r.method().equals("POST") && r.pathOnly().matches(".*/accounts/[^/]+/tokens"))
          .map(r -> r.pathOnly().replaceAll(".*/accounts/([^/]+)/tokens", "$1")).findFirst().orElseThrow();
      requestsBeforeResume = sb.cloudflare().requests().size();
    }
    // the step's first attempt had nothing to find, so it did not list the account's tokens
    assertThat(tokenListRequests(sb.cloudflare().requests(), account)).isZero();
    String tokenName = sb.cloudflare().tokens(account).stream().filter(t -> t.name().contains(plan.runId().toString()))
        .findFirst().orElseThrow().name();

    try (AgentProvisioner restarted = provisioner(sb.stripeProjects(), countingAttempts(sb.cloudflareDeployer(), attempts))) {
      Deployment d = restarted.resume(AGENT, plan.runId());

      assertDeployed(d, restarted);
      assertThat(attempts).containsExactly(1, 2);
      // the resumed attempt looked for what the first left, found it, and kept one token of the run's name
      List<CloudflareSandbox.RecordedRequest> resumed = sb.cloudflare().requests().subList(requestsBeforeResume,
          sb.cloudflare().requests().size());
      assertThat(tokenListRequests(resumed, account)).isPositive();
      assertThat(sb.cloudflare().tokens(account)).filteredOn(t -> t.name().equals(tokenName))
          .extracting(CloudflareSandbox.TokenView::id).containsExactly(d.tokens().get(0).tokenId());
      assertThat(audit.entries()).filteredOn(e -> e.record().action().equals("cloudflare.token.delete"))
          .hasSize(1);
    }
  }

  private static long tokenListRequests(List<CloudflareSandbox.RecordedRequest> requests, String account) {
    return requests.stream().filter(r -> r.method().equals("GET")
        && r.pathOnly().endsWith("/accounts/" + account + "/tokens")).count();
  }

  /** A deployer that notes each credentials attempt it is asked for, then does what {@code real} does. */
  private static Deployer countingAttempts(Deployer real, List<Integer> attempts) {
    return deployerProxy(real, attempts, false);
  }

  /** The same, but the host dies just after the deploy token was minted: the step never keeps it. */
  private static Deployer crashAfterMinting(Deployer real, List<Integer> attempts) {
    return deployerProxy(real, attempts, true);
  }

  private static Deployer deployerProxy(Deployer real, List<Integer> attempts, boolean crashAfterMinting) {
    return (Deployer) Proxy.newProxyInstance(Deployer.class.getClassLoader(), new Class<?>[] {Deployer.class},
        (proxy, method, args) -> {
          if (method.getName().equals("prepareCredentials")) {
            attempts.add(((CredentialRequest) args[0]).attempt());
          }
          Object result;
          try {
            result = method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (crashAfterMinting && method.getName().equals("prepareCredentials")) {
            throw new SimulatedCrash("prepareCredentials", 1, true);
          }
          return result;
        });
  }

  @Test
  void resume_withDirectOrchestratorOnARestartedHost_usesTheKeptLinkAndChargesNothingTwice() {
    ProvisionPlan plan;
    try (AgentProvisioner dying = provisioner(crashAfterPaidPlan(sb.directOrchestrator()))) {
      plan = dying.plan(request(GRACE));
      assertThatThrownBy(() -> dying.execute(plan)).isInstanceOf(SimulatedCrash.class);
    }
    assertThat(sb.stripe().tokens()).extracting(t -> t.get("deactivated_reason")).containsExactly("consumed");

    // a new orchestrator instance, as after a restart: the account link comes back from the host's vault
    try (AgentProvisioner restarted = provisioner(sb.directOrchestrator())) {
      Deployment d = restarted.resume(AGENT, plan.runId());

      assertDeployed(d, restarted);
      assertThat(d.account().email()).isEqualTo(GRACE);
      // the plan's token was charged once, before the crash; the resume paid only for the domain (its search
      // carried a token capped at what the policy left, its purchase one capped at the name's price)
      assertThat(sb.stripe().tokens()).extracting(t -> (Object) ((Map<?, ?>) t.get("usage_limits")).get("max_amount"))
          .containsExactly(500L, 9500L, 1011L);
      assertThat(ledger.reservations(null, null, java.time.Instant.EPOCH, java.time.Instant.MAX))
          .extracting(r -> r.status()).containsOnly(io.agentprovision.core.policy.Reservation.Status.COMMITTED);
    }
  }

  @Test
  void provisionAndDeploy_forAnExistingAccount_linksItAfterTheHumanConsentsAtTheProvider() {
    String existing = sb.existingAccount(ADA);
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      Deployment d = provisioner.provisionAndDeploy(request(ADA));

      assertDeployed(d, provisioner);
      assertThat(d.account().accountId()).isEqualTo(existing);
      assertThat(d.account().linkAction()).isEqualTo(Deployment.AccountSummary.LinkAction.LINKED_EXISTING);
      assertThat(human.requests(CheckpointKind.ACCOUNT_CONSENT)).singleElement()
          .satisfies(r -> assertThat(r.url().getPath()).startsWith("/sandbox/consent/"));
      assertThat(sb.provider().requests("GET", "/consent/")).hasSize(1);
    }
  }

  @Test
  void provisionAndDeploy_directForAnExistingAccount_sendsTheHumanToTheProvidersConsentPage() {
    String existing = sb.existingAccount(GRACE);
    try (AgentProvisioner provisioner = provisioner(sb.directOrchestrator())) {
      Deployment d = provisioner.provisionAndDeploy(request(GRACE));

      assertDeployed(d, provisioner);
      assertThat(d.account().accountId()).isEqualTo(existing);
      assertThat(d.account().linkAction()).isEqualTo(Deployment.AccountSummary.LinkAction.LINKED_EXISTING);
      assertThat(human.requests(CheckpointKind.ACCOUNT_CONSENT)).singleElement()
          .satisfies(r -> assertThat(r.url().getPath()).startsWith("/consent/"));
    }
  }

  @Test
  void provisionAndDeploy_withoutWorkerd_deploysTheAppAndWarnsThatItWasNotRun() {
    sb.close();
    sb = LocalSandbox.builder().clock(time).sleeper(time).workerd(false).start();
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      Deployment d = provisioner.provisionAndDeploy(request(ADA));

      assertDeployed(d, provisioner);
      assertNotRun(d);
      assertThat(sb.workerdAvailable()).isFalse();
    }
  }

  @Test
  void provisionAndDeploy_whenPolicyWantsASecondFactorForTheDomain_theBrowserStepsUpWithAFreshSignIn() {
    try (AgentProvisioner provisioner = AgentProvisioner.builder()
        .orchestrator(sb.stripeProjects()).deployer(sb.cloudflareDeployer()).identity(sb.identityProvider())
        .approvals(sb.browser(human)).audit(audit).clock(time).sleeper(time)
        .spendPolicy(SpendPolicy.builder().requireMfaFor(CheckpointKind.DOMAIN_PURCHASE).build())
        .build()) {
      Deployment d = provisioner.provisionAndDeploy(request(ADA));

      assertThat(d.domain()).isEqualTo(DOMAIN);
      assertThat(human.requests(CheckpointKind.STEP_UP)).singleElement()
          .satisfies(r -> assertThat(r.principal().multiFactor()).isFalse());
      assertThat(audit.entries()).filteredOn(e -> e.record().action().equals("identity.stepped_up")).singleElement()
          .satisfies(e -> assertThat(e.record().details()).containsEntry("amr", "pwd,otp"));
    }
  }

  @Test
  void provisionAndDeploy_whenTheHumanWillNotAddACard_stopsBeforeAnyChargeAndVisitsNoCheckout() {
    human.deny(CheckpointKind.PAYMENT_METHOD, "not today");
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      assertThatThrownBy(() -> provisioner.provisionAndDeploy(request(ADA)))
          .isInstanceOf(ApprovalDeniedException.class).hasMessageContaining("not today");
    }
    assertThat(sb.stripe().calls("GET", "/sandbox/checkout/")).isEmpty();
    assertThat(sb.stripe().paymentIntents()).isEmpty();
    assertThat(sb.stripe().tokens()).isEmpty();
    assertThat(sb.provider().charges()).isEmpty();
  }

  @Test
  void provisionAndDeploy_hoursLater_reusesTheStripeConnectionWithARefreshedProviderToken() {
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      Deployment first = provisioner.provisionAndDeploy(request(ADA));
      time.advance(Duration.ofHours(3)); // the provider's access token lives one hour

      Deployment second = provisioner.provisionAndDeploy(request(ADA).toBuilder().plan(null).domain(null)
          .app(app("my-api")).build());

      assertThat(second.account().accountId()).isEqualTo(first.account().accountId());
      assertThat(second.url()).hasToString(second.providerUrl().toString());
      assertThat(sb.cloudflare().scripts(first.account().accountId())).extracting(CloudflareSandbox.ScriptView::name)
          .containsExactly("my-app", "my-api");
      assertThat(sb.provider().requests("POST", "/oauth/token")).isNotEmpty();
      assertThat(sb.stripe().calls("POST", "/v2/provisioning/provider_connection_requests")).hasSize(1);
      assertThat(sb.stripe().paymentIntents()).hasSize(2);
    }
  }

  @Test
  void rotateCredentials_sixDaysLater_rollsAndRenewsTheDeployTokenWithTheBroadOne() {
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      Deployment d = provisioner.provisionAndDeploy(request(ADA));
      Deployment.TokenSummary before = d.tokens().get(0);
      Secret oldValue = vault.get(before.vaultKey()).orElseThrow().secret();
      time.advance(Duration.ofDays(6));

      assertThat(provisioner.credentialsDueForRotation(Duration.ofDays(2))).containsExactly(d.runId());
      Deployment.TokenSummary after = provisioner.rotateCredentials(AGENT, d.runId());

      Secret newValue = vault.get(after.vaultKey()).orElseThrow().secret();
      assertThat(after.tokenId()).isEqualTo(before.tokenId());
      assertThat(after.expiresAt()).isEqualTo(time.instant().plus(Duration.ofDays(7)));
      assertThat(sb.cloudflare().tokenByValue(oldValue)).isEmpty();
      CloudflareSandbox.TokenView rolled = sb.cloudflare().tokenByValue(newValue).orElseThrow();
      assertThat(rolled.id()).isEqualTo(before.tokenId());
      assertThat(rolled.expiresOn()).isEqualTo(after.expiresAt());
      assertThat(rolled.allowIps()).containsExactly(LocalSandbox.LOOPBACK_CIDR);
      assertThat(provisioner.credentialsDueForRotation(Duration.ofDays(2))).isEmpty();
    }
  }

  /** Asks the Cloudflare sandbox whether {@code token} still works, as any holder of it could. */
  private int verify(String accountId, Secret token) throws java.io.IOException {
    okhttp3.OkHttpClient http = new okhttp3.OkHttpClient();
    try (okhttp3.Response r = http.newCall(new okhttp3.Request.Builder()
        .url(sb.cloudflare().baseUrl() + "/accounts/" + accountId + "/tokens/verify")
        .header("Authorization", "Bearer " + token.reveal()).get().build()).execute()) {
      return r.code();
    } finally {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }

  @Test
  void revokeCredentials_theRevokedDeployTokenStopsWorkingAtTheCloudflareSandbox() throws Exception {
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      Deployment d = provisioner.provisionAndDeploy(request(ADA));
      Deployment.TokenSummary token = d.tokens().get(0);
      Secret value = vault.get(token.vaultKey()).orElseThrow().secret();
      String account = d.account().accountId();
      assertThat(verify(account, value)).isEqualTo(200);

      provisioner.revokeCredentials(AGENT, d.runId(), "the agent's session leaked");

      assertThat(verify(account, value)).isEqualTo(401);
      assertThat(sb.cloudflare().tokenByValue(value)).isEmpty();
      assertThat(vault.get(token.vaultKey())).isEmpty();
      assertThat(provisioner.credentialsDueForRotation(Duration.ofDays(30))).isEmpty();
      assertThat(audit.entries()).filteredOn(e -> e.record().action().equals("credentials.revoked")).singleElement()
          .satisfies(e -> assertThat(e.record().details()).containsEntry("token", token.tokenId())
              .containsEntry("reason", "the agent's session leaked"));
    }
  }

  @Test
  void provisionAndDeploy_whenTheDomainIsTaken_cancelsThePlanAndReportsTheChargeThatStays() {
    sb.cloudflare().takeDomain("taken-app.com");
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      ProvisionRequest wantsTaken = request(ADA).toBuilder().domain(DomainRequest.exact("taken-app.com")).build();

      RunFailedException failed = catchThrowableOfType(() -> provisioner.provisionAndDeploy(wantsTaken),
          RunFailedException.class);

      assertThat(failed.failedStep()).hasToString("domain");
      assertThat(failed.undone()).anySatisfy(u -> assertThat(u).startsWith("removed workers:paid"));
      assertThat(failed.notUndone()).anySatisfy(u -> assertThat(u).contains("USD 5.00 already charged"));
    }
    assertThat(sb.stripe().paymentIntents()).extracting(p -> p.get("amount")).containsExactly(500L);
    Map<String, Object> plan = sb.stripe().resources().stream()
        .filter(r -> String.valueOf(r.get("service_ref")).endsWith("workers_paid")).findFirst().orElseThrow();
    assertThat(plan.get("status")).isEqualTo("removed");
    assertThat(((CloudflareProviderBackend) sb.provider().backend()).deprovisioned()).contains((String) plan.get("remote_id"));
    String account = sb.provider().backend().findAccount(ADA);
    assertThat(sb.cloudflare().registrations(account)).isEmpty();
    // a removed resource's broad token is deleted at Cloudflare; only those of live resources remain
    long live = sb.stripe().resources().stream().filter(r -> "complete".equals(r.get("status"))
        && !String.valueOf(r.get("service_ref")).contains("registrar")).count();
    assertThat(sb.cloudflare().tokens(account)).hasSize((int) live)
        .allSatisfy(t -> assertThat(t.name()).startsWith("broad token for"));
  }

  @Test
  void provisionAndDeploy_withADeployTokenThisHostCannotUse_failsAtTheDeployUploadingNothing_andRevokesTheToken() {
    try (AgentProvisioner provisioner = provisioner(sb.stripeProjects())) {
      // an allow list that leaves this host out: the token is minted, and refused at its first use
      ProvisionRequest elsewhere = request(ADA).toBuilder()
          .token(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").ttl(Duration.ofDays(7))).build();

      RunFailedException failed = catchThrowableOfType(() -> provisioner.provisionAndDeploy(elsewhere),
          RunFailedException.class);

      assertThat(failed.failedStep()).hasToString("deploy");
      assertThat(failed.undone()).anySatisfy(u -> assertThat(u).startsWith("revoked deploy token"));
    }
    String account = sb.provider().backend().findAccount(ADA);
    assertThat(sb.cloudflare().scripts(account)).isEmpty();
    assertThat(sb.cloudflare().workerDomains(account)).isEmpty();
    // the token was verified beside the upload, from this host, and refused like the upload
    assertThat(sb.cloudflare().requests()).filteredOn(r -> r.pathOnly().endsWith("/tokens/verify"))
        .singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(403));
    assertThat(sb.cloudflare().tokens(account)).allSatisfy(t -> assertThat(t.name()).startsWith("broad token for"));
  }

  /** The broad credential the orchestrator revealed, as the run keeps it in the vault. */
  private Secret broadToken(Deployment d) {
    return vault.get("runs/" + d.runId() + "/broad/CLOUDFLARE_API_TOKEN").orElseThrow().secret();
  }

  /** The orchestrator of a process that dies right after the paid plan was bought, before it records so. */
  private static Orchestrator crashAfterPaidPlan(Orchestrator real) {
    return (Orchestrator) Proxy.newProxyInstance(Orchestrator.class.getClassLoader(), new Class<?>[] {Orchestrator.class},
        (proxy, method, args) -> {
          Object result;
          try {
            result = method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (method.getName().equals("provision") && ((ResourceRequest) args[0]).serviceId().equals("workers:paid")) {
            throw new SimulatedCrash("provision", 1, ((ResourceState) result).charged() != null);
          }
          return result;
        });
  }

  /** What every successful run here shows: the app, its account, what it cost, the token, the audit. */
  private void assertDeployed(Deployment d, AgentProvisioner provisioner) {
    String account = d.account().accountId();
    assertThat(d.url()).hasToString("https://" + DOMAIN + "/");
    assertThat(d.domain()).isEqualTo(DOMAIN);
    assertThat(sb.cloudflare().zones(account)).extracting(CloudflareSandbox.ZoneView::name).containsExactly(DOMAIN);
    assertThat(sb.cloudflare().workerDomains(account)).extracting(CloudflareSandbox.DomainView::hostname)
        .containsExactly(DOMAIN);
    assertThat(sb.cloudflare().scripts(account)).extracting(CloudflareSandbox.ScriptView::name).containsExactly("my-app");
    assertThat(d.resources()).extracting(Deployment.ResourceSummary::serviceId)
        .containsExactly("workers:paid", "workers", "registrar:domain");
    assertThat(d.resources()).extracting(Deployment.ResourceSummary::charged)
        .containsExactly(PLAN_PRICE, null, DOMAIN_PRICE);

    // the money: what the sandboxes priced, charged once each as PaymentIntents by the provider
    assertThat(d.spent()).containsExactly(PLAN_PRICE.plus(DOMAIN_PRICE));
    List<Map<String, Object>> intents = sb.stripe().paymentIntents();
    assertThat(intents).extracting(p -> p.get("amount")).containsExactly(500L, 1011L);
    assertThat(intents).extracting(p -> p.get("seller")).containsOnly(LocalSandbox.SELLER);
    assertThat(sb.provider().charges()).hasSize(2);

    // the deploy token: least privilege, bound to this host's address, a week long
    Deployment.TokenSummary summary = d.tokens().get(0);
    CloudflareSandbox.TokenView token = sb.cloudflare().token(summary.tokenId()).orElseThrow();
    String zoneId = sb.cloudflare().zones(account).get(0).id();
    assertThat(token.policies()).containsExactlyInAnyOrder(
        new CloudflareSandbox.PolicyView("allow", List.of(LeastPrivilege.WORKERS_SCRIPTS_WRITE),
            Map.of(LeastPrivilege.accountResource(account), "*")),
        new CloudflareSandbox.PolicyView("allow", List.of(LeastPrivilege.WORKERS_ROUTES_WRITE),
            Map.of("com.cloudflare.api.account.zone." + zoneId, "*")));
    assertThat(token.allowIps()).containsExactly(LocalSandbox.LOOPBACK_CIDR);
    assertThat(token.expiresOn()).isEqualTo(time.instant().plus(Duration.ofDays(7)));
    assertThat(summary.allowedIps()).containsExactly(LocalSandbox.LOOPBACK_CIDR);

    // the human saw the terms, the plan and its price, the card and the domain at its price
    assertThat(human.requests()).extracting(ApprovalRequest::kind).contains(CheckpointKind.TERMS_OF_SERVICE,
        CheckpointKind.PLAN_APPROVAL, CheckpointKind.PAYMENT_METHOD, CheckpointKind.DOMAIN_PURCHASE);
    assertThat(human.requests(CheckpointKind.DOMAIN_PURCHASE)).singleElement()
        .satisfies(r -> assertThat(r.cost()).isEqualTo(DOMAIN_PRICE));

    assertThat(provisioner.audit().verify().valid()).isTrue();
    assertThat(d.auditVerified()).isTrue();
    // no credential in the trail: neither Cloudflare's tokens (provider access tokens look alike) nor ID tokens
    String trail = provisioner.audit().entries().toString();
    assertThat(trail).doesNotContain(broadToken(d).reveal())
        .doesNotContain(vault.get(summary.vaultKey()).orElseThrow().secret().reveal())
        .doesNotContain("cfat_").doesNotContain("eyJ");
    assertThat(provisioner.runs(AGENT, RunStatus.SUCCEEDED)).hasSize(1);
  }

  /** The app answers on its domain; without workerd the run says so and the check is skipped. */
  private void assertLive(Deployment d) {
    if (!sb.workerdAvailable()) {
      assertNotRun(d);
      assumeTrue(false, "workerd is not installed (set WORKERD_BIN or run `npm install --no-save --prefix .workerd "
          + "workerd` at the repository root): the app was deployed but its live answer is not checked");
    }
    assertThat(d.verification().live()).isTrue();
    assertThat(d.outcome()).isEqualTo(Deployment.Outcome.LIVE);
    assertThat(d.verification().status()).isEqualTo(200);
    assertThat(d.verification().bodyExcerpt()).isEqualTo("hello from " + DOMAIN);
    assertThat(d.warnings()).isEmpty();
  }

  private static void assertNotRun(Deployment d) {
    assertThat(d.verification().live()).isFalse();
    // deployed where nothing runs it: distinguishable from an app that does not answer
    assertThat(d.outcome()).isEqualTo(Deployment.Outcome.DEPLOYED_NOT_RUN);
    assertThat(d.warnings()).singleElement().asString().contains("not run").contains("no local runtime");
  }
}
