package io.agentprovision.e2e.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.agentprovision.cloudflare.CloudflareClient;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import io.agentprovision.testing.provider2.IndependentProviderSimulator;
import io.agentprovision.testing.provider2.SimulatorCharge;
import io.agentprovision.testing.provider2.Variant;
import io.agentprovision.testing.sandbox.LocalSandbox;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole {@code provisionAndDeploy} (plan {@code workers:paid}, a domain, the app deployed to the
 * Cloudflare sandbox and checked live in workerd) through {@code DirectOrchestrator} against both
 * providers of the protocol: the SDK's own {@code ProviderSandbox}, and the independently written
 * {@link IndependentProviderSimulator} in its baseline, with every {@link Variant} alone, and in
 * hostile combinations. For every cell: the run succeeds; the money the provider charged, the Stripe
 * PaymentIntents, the ledger's commitments and the deployment's spend agree; the domain is registered
 * once, in the run's account, at the Registrar's price; the deploy token works. One sandbox serves the
 * class (each cell has its own person, domain query, ledger and stores), in virtual time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InteroperabilityMatrixTest {
  private static final Money PLAN_PRICE = Money.usd("5.00");

  private final VirtualTime time = VirtualTime.create();
  private final LocalSandbox sb = LocalSandbox.builder().clock(time).sleeper(time).cardOnFile(true).start();
  private final AtomicInteger cells = new AtomicInteger();
  private final List<String> timings = new ArrayList<>();

  @AfterAll
  void stop() {
    sb.close();
    System.out.println("interoperability matrix, milliseconds per cell: " + timings);
  }

  /** One provider configuration: the SDK's sandbox (no variants given) or the simulator with its variants. */
  record Cell(String name, @Nullable Set<Variant> variants, int pendingPolls) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> cells() {
    List<Cell> all = new ArrayList<>();
    all.add(new Cell("ProviderSandbox", null, 0));
    all.add(new Cell("simulator, baseline", EnumSet.noneOf(Variant.class), 0));
    for (Variant v : Variant.values()) {
      all.add(new Cell("simulator, " + v, EnumSet.of(v), 0));
    }
    all.add(new Cell("simulator, no id + new request only + HTTP 200 errors + short and rotating tokens + unknown"
        + " fields", EnumSet.of(Variant.NEEDS_INFO_WITHOUT_ID, Variant.ANSWER_BY_NEW_REQUEST_ONLY,
        Variant.ERRORS_WITH_HTTP_200, Variant.SHORT_LIVED_ACCESS_TOKENS, Variant.ROTATING_REFRESH_TOKENS,
        Variant.UNKNOWN_FIELDS), 0));
    all.add(new Cell("simulator, two rounds of plain enums without id, payment up front", EnumSet.of(
        Variant.NEEDS_INFO_MULTI_ROUND, Variant.NEEDS_INFO_PLAIN_ENUM, Variant.NEEDS_INFO_WITHOUT_ID,
        Variant.DOMAIN_REQUIRES_PAYMENT_UPFRONT), 0));
    all.add(new Cell("simulator, Stripe price + two rounds + new request only, pending twice", EnumSet.of(
        Variant.PRICING_STRIPE_PRICE, Variant.NEEDS_INFO_MULTI_ROUND, Variant.ANSWER_BY_NEW_REQUEST_ONLY,
        Variant.DOMAIN_REQUIRES_PAYMENT_UPFRONT), 2));
    all.add(new Cell("simulator, price list + components + unknown type + OAuth code + forgetful removal", EnumSet.of(
        Variant.PRICING_PRICE_LIST, Variant.PRICING_COMPONENT, Variant.PRICING_UNKNOWN_TYPE,
        Variant.NEW_ACCOUNT_AS_OAUTH_CODE, Variant.REMOVE_AGAIN_NOT_FOUND), 1));
    EnumSet<Variant> everything = EnumSet.allOf(Variant.class);
    everything.removeAll(EnumSet.of(Variant.PRICING_PRICE_LIST, Variant.REMOVE_AGAIN_INVALID_STATE));
    all.add(new Cell("simulator, every variant that fits together", everything, 1));
    return all.stream().map(Arguments::of);
  }

  /** What one cell ran with, for the assertions. */
  private record Ran(Deployment deployment, AgentProvisioner provisioner, ScriptedApprovalGate human,
      SpendLedger ledger, CredentialVault vault, List<Money> providerCharges, List<Map<String, Object>> intents,
      @Nullable IndependentProviderSimulator simulator, ProvisionPlan plan) {}

  private ProvisionRequest request(String email, String query) {
    return ProvisionRequest.builder()
        .agent(AgentId.of("coding-agent-7"))
        .provider(LocalSandbox.PROVIDER)
        .plan("workers:paid")
        .domain(DomainRequest.query(query))
        .token(TokenSpec.leastPrivilege().allowIps(sb.defaultAllowedIps()).ttl(Duration.ofDays(7)))
        .identityToken(sb.signIn(email))
        .app(WorkerApp.builder("my-app").module("index.js", "export default { async fetch(request) {"
            + " return new Response('hello from ' + new URL(request.url).hostname); } };\n").build())
        .build();
  }

  private Ran run(Cell cell, ScriptedApprovalGate human) {
    int n = cells.incrementAndGet();
    IndependentProviderSimulator sim = cell.variants() == null ? null
        : sb.startIndependentProvider(b -> b.variants(cell.variants()).pendingPolls(cell.pendingPolls()));
    Orchestrator orchestrator = sim == null ? sb.directOrchestrator() : sb.directOrchestrator(sim);
    int intentsBefore = sb.stripe().paymentIntents().size();
    int chargesBefore = sb.provider().charges().size();
    SpendLedger ledger = SpendLedger.inMemory(time);
    CredentialVault vault = CredentialVault.inMemory();
    AgentProvisioner p = AgentProvisioner.builder().orchestrator(orchestrator).deployer(sb.cloudflareDeployer())
        .identity(sb.identityProvider()).approvals(sb.browser(human)).ledger(ledger).vault(vault)
        .audit(AuditLog.inMemory()).clock(time).sleeper(time).build();
    ProvisionRequest req = request("cell-" + n + "@example.com", "interop" + n);
    long started = System.nanoTime();
    Deployment d = null;
    ProvisionPlan plan = p.plan(req);
    try {
      d = p.execute(plan);
    } finally {
      timings.add(cell.name().replaceAll(",.*", "") + "#" + n + "=" + (System.nanoTime() - started) / 1_000_000);
      List<Money> charges = sim != null
          ? sim.charges().stream().map(SimulatorCharge::amount).toList()
          : sb.provider().charges().subList(chargesBefore, sb.provider().charges().size()).stream()
              .map(c -> c.amount()).toList();
      List<Map<String, Object>> intents = sb.stripe().paymentIntents().subList(intentsBefore,
          sb.stripe().paymentIntents().size());
      lastRan = new Ran(d, p, human, ledger, vault, charges, List.copyOf(intents), sim, plan);
    }
    return lastRan;
  }

  private Ran lastRan;

  @ParameterizedTest(name = "{0}")
  @MethodSource("cells")
  void provisionAndDeploy_againstEveryProviderShape_buysOnceAtTheRealPricesAndDeploysWithAWorkingToken(Cell cell) {
    Ran r = run(cell, ScriptedApprovalGate.approveAll(time));
    Deployment d = r.deployment();
    String account = d.account().accountId();

    // the app, on its domain, registered once in the run's account
    String domain = d.domain();
    assertThat(d.url()).hasToString("https://" + domain + "/");
    assertThat(sb.cloudflare().registrations(account)).extracting(CloudflareSandbox.RegistrationView::domain)
        .containsExactly(domain);
    assertThat(sb.cloudflare().workerDomains(account)).extracting(CloudflareSandbox.DomainView::hostname)
        .containsExactly(domain);
    if (sb.workerdAvailable()) {
      assertThat(d.verification().live()).isTrue();
      assertThat(d.verification().bodyExcerpt()).isEqualTo("hello from " + domain);
    } else {
      assertThat(d.warnings()).singleElement().asString().contains("not run");
    }

    // the money: the plan at its price, the domain at the Registrar's, each charged once; everything agrees
    Money registrar = registrarPrice(domain);
    assertThat(d.resources()).extracting(Deployment.ResourceSummary::serviceId, Deployment.ResourceSummary::charged)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("workers:paid", PLAN_PRICE),
            org.assertj.core.groups.Tuple.tuple("workers", null),
            org.assertj.core.groups.Tuple.tuple("registrar:domain", registrar));
    assertThat(r.providerCharges()).containsExactly(PLAN_PRICE, registrar);
    assertThat(r.intents()).extracting(i -> i.get("amount")).containsExactly(PLAN_PRICE.minorUnits(),
        registrar.minorUnits());
    assertThat(d.spent()).containsExactly(PLAN_PRICE.plus(registrar));
    Money committed = Money.usd("0.00");
    for (Reservation res : r.ledger().reservations(null, null, Instant.EPOCH, Instant.MAX)) {
      assertThat(res.status()).isEqualTo(Reservation.Status.COMMITTED);
      committed = committed.plus(res.counted(time.instant()));
    }
    assertThat(committed).isEqualTo(PLAN_PRICE.plus(registrar));
    if (r.simulator() != null) {
      assertThat(r.simulator().charges()).filteredOn(c -> c.serviceId().equals("registrar:domain")).singleElement()
          .satisfies(c -> assertThat(c.amount()).isEqualTo(registrar));
    }
    // a person confirmed the domain at its price (or, offered without one, at the most it could cost)
    assertThat(r.human().requests(CheckpointKind.DOMAIN_PURCHASE)).singleElement().satisfies(q -> {
      if (cell.variants() != null && cell.variants().contains(Variant.NEEDS_INFO_PLAIN_ENUM)) {
        assertThat(q.title()).startsWith("Pay at most");
        assertThat(q.cost()).isGreaterThanOrEqualTo(registrar);
      } else {
        assertThat(q.cost()).isEqualTo(registrar);
      }
    });

    // the deploy token works, and is the least-privilege one the run minted
    Deployment.TokenSummary token = d.tokens().get(0);
    assertThat(client(r.vault().get(token.vaultKey()).orElseThrow().secret()).accountTokens(account).verify().active())
        .isTrue();
    assertThat(token.allowedIps()).containsExactly(LocalSandbox.LOOPBACK_CIDR);
    assertThat(r.provisioner().audit().verify().valid()).isTrue();
  }

  @Test
  void stripePriceId_isLookedUpAtStripe_soThePlanIsPricedBeforeBuying() {
    IndependentProviderSimulator sim = sb.startIndependentProvider(EnumSet.of(Variant.PRICING_STRIPE_PRICE));
    AgentProvisioner p = AgentProvisioner.builder().orchestrator(sb.directOrchestrator(sim))
        .deployer(sb.cloudflareDeployer()).identity(sb.identityProvider()).clock(time).sleeper(time).build();

    PlannedStep plan = p.plan(request("prices@example.com", "prices")).step(StepId.of("plan")).orElseThrow();

    assertThat(plan.quote()).isEqualTo(PLAN_PRICE);
    assertThat(plan.priceFinal()).isTrue();
    assertThat(sb.stripe().calls("GET", "/v1/prices/" + IndependentProviderSimulator.WORKERS_PAID_STRIPE_PRICE))
        .isNotEmpty();
  }

  @Test
  void threeDSecure_whenThePersonPassesIt_everyPaymentGoesThroughAndTheRunSucceeds() {
    sb.stripe().requireTokenAuthentication(true);
    try {
      Ran r = run(new Cell("ProviderSandbox, 3-D Secure", null, 0), ScriptedApprovalGate.approveAll(time));

      assertThat(r.human().requests(CheckpointKind.PAYMENT_AUTHENTICATION)).hasSizeGreaterThanOrEqualTo(2)
          .allSatisfy(q -> assertThat(q.url().getPath()).startsWith("/sandbox/authenticate/"));
      assertThat(r.providerCharges()).hasSize(2);
      assertThat(r.deployment().spent()).containsExactly(PLAN_PRICE.plus(registrarPrice(r.deployment().domain())));
    } finally {
      sb.stripe().requireTokenAuthentication(false);
    }
  }

  @Test
  void threeDSecure_whenThePersonDeclines_theRunIsRefusedBeforeAnyCharge() {
    sb.stripe().requireTokenAuthentication(true);
    int tokensBefore = sb.stripe().tokens().size();
    try {
      ScriptedApprovalGate human = ScriptedApprovalGate.approveAll(time).deny(CheckpointKind.PAYMENT_AUTHENTICATION,
          "I did not ask for this");
      Throwable refused = catchThrowable(() -> run(new Cell("simulator, 3-D Secure declined",
          EnumSet.of(Variant.DOMAIN_REQUIRES_PAYMENT_UPFRONT), 0), human));

      assertThat(refused).isInstanceOf(ApprovalDeniedException.class).hasMessageContaining("I did not ask for this");
      Ran r = lastRan;
      assertThat(r.providerCharges()).isEmpty();
      assertThat(r.intents()).isEmpty();
      assertThat(r.ledger().reservations(null, null, Instant.EPOCH, Instant.MAX))
          .allSatisfy(res -> assertThat(res.status()).isEqualTo(Reservation.Status.RELEASED));
      assertThat(sb.stripe().tokens().subList(tokensBefore, sb.stripe().tokens().size()))
          .extracting(t -> t.get("deactivated_reason")).containsOnly("revoked");
      assertThat(human.requests()).extracting(ApprovalRequest::kind).contains(CheckpointKind.PAYMENT_AUTHENTICATION);
    } finally {
      sb.stripe().requireTokenAuthentication(false);
    }
  }

  /** What the Registrar charges for a year of {@code domain} (its TLD's price; the name is taken now). */
  private static Money registrarPrice(String domain) {
    return Money.fromDecimal("price", CloudflareSandbox.DEFAULT_PRICES.get(domain.substring(domain.lastIndexOf('.') + 1))[0],
        "USD");
  }

  private CloudflareClient client(io.agentprovision.core.Secret token) {
    return CloudflareClient.builder().baseUrl(sb.cloudflare().baseUrl()).token(token).clock(time).sleeper(time).build();
  }
}
