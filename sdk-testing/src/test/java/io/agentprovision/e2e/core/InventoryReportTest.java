package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.Secret;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.report.Inventory;
import io.agentprovision.core.report.ReportFilter;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.RecordingDeployer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inventory and governance report over real runs of the engine: three runs by two agents for
 * two humans (one of them a month later), a token rotated, and a fourth run the spend policy
 * refuses; asserted in the JSON, the CSV and the page as a browser renders it.
 */
class InventoryReportTest {
  private static final Principal ADA = Principal.builder("user-ada", "https://issuer.test")
      .email("ada@example.com", true).name("Ada").amr(List.of("pwd")).build();
  private static final Principal BOB = Principal.builder("user-bob", "https://issuer.test")
      .email("bob@example.com", true).name("Bob").amr(List.of("pwd")).build();
  /** Canaries: the humans' ID tokens and an app secret, which must never reach the report. */
  private static final String ADA_TOKEN = "id-token-ada-CANARY-3b9f1c0e";
  private static final String BOB_TOKEN = "id-token-bob-CANARY-81d2aa47";
  private static final String APP_SECRET = "app-secret-CANARY-5c6d7e8f";
  private static final AgentId AGENT_A = AgentId.of("agent-a");
  private static final AgentId AGENT_B = AgentId.of("agent-b");

  private final EngineHarness h = new EngineHarness();
  private AgentProvisioner provisioner;
  private final List<Deployment> deployments = new ArrayList<>();
  private Instant monthTwo;

  @TempDir
  Path tmp;

  @BeforeEach
  void threeRunsByTwoAgentsForTwoHumans() {
    h.orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).domain("pricey.com", Money.usd("150.00"))
        .build();
    h.identity = FakeIdentityProvider.builder().token(Secret.of(ADA_TOKEN), ADA).token(Secret.of(BOB_TOKEN), BOB).build();
    // each human's checkpoints are decided by their own approver, so the report can say who approved what
    for (CheckpointKind kind : CheckpointKind.values()) {
      h.gate.on(kind, r -> ApprovalDecision.approved("approver-of-" + (r.principal() == null ? "nobody"
          : r.principal().subject()), "approved in the test", h.time.instant()));
    }
    provisioner = h.provisioner();

    deployments.add(provisioner.provisionAndDeploy(request(AGENT_A, ADA_TOKEN, "ada-shop").domain(
        DomainRequest.query("ada-shop")).build()));
    h.time.advance(Duration.ofHours(2));
    deployments.add(provisioner.provisionAndDeploy(request(AGENT_B, BOB_TOKEN, "bob-blog").domain(
        DomainRequest.query("bob-blog")).build()));
    h.time.advance(Duration.ofDays(40)); // into the next calendar month
    monthTwo = h.time.instant();
    deployments.add(provisioner.provisionAndDeploy(request(AGENT_A, BOB_TOKEN, "bob-api").domain(null).build()));
    provisioner.rotateCredentials(AGENT_A, deployments.get(0).runId());
  }

  @AfterEach
  void close() {
    h.close();
  }

  private static ProvisionRequest.Builder request(AgentId agent, String idToken, String app) {
    return EngineHarness.request()
        .agent(agent)
        .identityToken(Secret.of(idToken))
        .app(WorkerApp.builder(app).module("index.js", EngineHarness.APP_SOURCE)
            .binding(WorkerApp.Binding.secretText("API_KEY", Secret.of(APP_SECRET))).build());
  }

  /** A fourth run, by agent-b for Ada, asks for a domain above the monthly limit: the policy refuses it. */
  private void refusedRun() {
    try {
      provisioner.provisionAndDeploy(request(AGENT_B, ADA_TOKEN, "ada-luxury").domain(DomainRequest.exact("pricey.com"))
          .build());
      throw new AssertionError("the spend policy should have refused USD 150.00 against a USD 100.00 monthly limit");
    } catch (PolicyViolationException expected) {
      // the refusal is what the report must show
    }
  }

  private Inventory all() {
    return provisioner.report(ReportFilter.all());
  }

  // ---------------------------------------------------------------- what the report lists

  @Test
  void report_listsEveryResourceTokenAppAndApproval_ofThreeRunsByTwoAgentsForTwoHumans() {
    Inventory inv = all();

    assertThat(inv.runs()).hasSize(3).allSatisfy(r -> assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED));
    assertThat(inv.runs()).extracting(r -> r.agent().value() + " for " + r.human().email()).containsExactly(
        "agent-a for ada@example.com", "agent-b for bob@example.com", "agent-a for bob@example.com");
    // every resource the provider holds, in the run, for the human, by the agent that provisioned it
    assertThat(inv.resources()).extracting(Inventory.Resource::resourceId)
        .containsExactlyInAnyOrderElementsOf(providerResourceIds());
    assertThat(inv.resources()).filteredOn(r -> r.serviceId().equals("workers:paid"))
        .allSatisfy(r -> assertThat(r.cost()).isEqualTo(Money.usd("5.00"))).hasSize(3);
    assertThat(inv.domains()).extracting(Inventory.Domain::name).containsExactly("ada-shop.com", "bob-blog.com");
    assertThat(inv.domains()).allSatisfy(d -> {
      assertThat(d.price()).isEqualTo(Money.usd("10.44"));
      assertThat(d.years()).isEqualTo(1);
      assertThat(d.expiresAt()).isEqualTo(d.registeredAt().atZone(java.time.ZoneOffset.UTC).plusYears(1).toInstant());
    });
    // two accounts: one per human, created by the agent of their first run
    assertThat(inv.accounts()).extracting(a -> a.human().subject() + " by " + a.agent().value() + ": " + a.link())
        .containsExactly("user-ada by agent-a: CREATED", "user-bob by agent-b: CREATED");
    assertThat(inv.accounts()).extracting(Inventory.Account::accountId)
        .containsExactlyElementsOf(h.orchestrator.accounts().stream().map(a -> a.accountId()).toList());
    // tokens by id, with their grants; the rotated one keeps its id and gets a new expiry
    assertThat(inv.tokens()).extracting(Inventory.Token::tokenId)
        .containsExactlyElementsOf(h.deployer.tokens().stream().map(RecordingDeployer.MintedToken::tokenId).toList());
    assertThat(inv.tokens()).allSatisfy(t -> {
      assertThat(t.allowedIps()).containsExactly("203.0.113.0/24");
      assertThat(t.permissions()).contains(RecordingDeployer.SCRIPTS_WRITE);
    });
    // Bob's first token lived its seven days during the month that passed; Ada's was renewed by the rotation
    assertThat(inv.tokens()).extracting(Inventory.Token::status).containsExactly(Inventory.TokenStatus.ACTIVE,
        Inventory.TokenStatus.EXPIRED, Inventory.TokenStatus.ACTIVE);
    assertThat(inv.tokens().get(0).rotatedAt()).isEqualTo(h.time.instant());
    assertThat(inv.tokens().get(0).expiresAt()).isEqualTo(h.time.instant().plus(Duration.ofDays(7)));
    // where the code runs, verified
    assertThat(inv.apps()).extracting(Inventory.App::url).containsExactlyElementsOf(
        deployments.stream().map(d -> d.url().toString()).toList());
    assertThat(inv.apps()).allSatisfy(a -> assertThat(a.status()).isEqualTo(Inventory.AppStatus.VERIFIED));
    assertThat(inv.apps().get(0).providerUrl()).isEqualTo(deployments.get(0).providerUrl().toString());
    // who acted for whom
    assertThat(inv.delegations()).extracting(d -> d.agent().value() + "→" + d.human().subject() + " ×" + d.runs())
        .containsExactly("agent-a→user-ada ×1", "agent-b→user-bob ×1", "agent-a→user-bob ×1");
  }

  @Test
  void report_showsATokenRevokedOnDemandAsRevoked_fromTheMomentItWas() {
    provisioner.revokeCredentials(AGENT_A, deployments.get(2).runId(), "not needed any more");

    Inventory inv = provisioner.report(ReportFilter.all());

    assertThat(inv.tokens()).extracting(Inventory.Token::status).containsExactly(Inventory.TokenStatus.ACTIVE,
        Inventory.TokenStatus.EXPIRED, Inventory.TokenStatus.REVOKED);
    assertThat(inv.tokens().get(2).endedAt()).isEqualTo(h.time.instant());
  }

  @Test
  void report_namesWhoApprovedEachPaidStep_atWhichCheckpoint_forHowMuch() {
    Inventory inv = all();

    assertThat(inv.paidSteps()).extracting(p -> p.run().value() + "/" + p.step() + " " + p.amount()).containsExactly(
        run(0) + "/plan USD 5.00", run(0) + "/domain USD 10.44", run(1) + "/plan USD 5.00",
        run(1) + "/domain USD 10.44", run(2) + "/plan USD 5.00");
    for (Inventory.PaidStep p : inv.paidSteps()) {
      String approver = "approver-of-" + p.human().subject();
      assertThat(p.approvals()).as(p.run() + "/" + p.step()).isNotEmpty()
          .allSatisfy(a -> {
            assertThat(a.approver()).isEqualTo(approver);
            assertThat(a.outcome()).isEqualTo("approved");
          });
      if (p.step().value().equals("domain")) {
        // the price became known when the name was chosen: a human confirmed exactly that amount
        assertThat(p.approvals()).anySatisfy(a -> {
          assertThat(a.checkpoint()).isEqualTo("DOMAIN_PURCHASE");
          assertThat(a.amount()).isEqualTo(Money.usd("10.44"));
        });
      } else {
        assertThat(p.approvals()).anySatisfy(a -> assertThat(a.checkpoint()).isEqualTo("PLAN_APPROVAL"));
      }
    }
  }

  @Test
  void report_costsPerCalendarMonth_fromTheLedger() {
    Inventory.Costs costs = all().costs();

    assertThat(costs.source()).isEqualTo("ledger");
    assertThat(costs.toDate()).containsExactly(Money.usd("35.88"));
    assertThat(costs.byMonth()).containsExactly(
        new Inventory.MonthlyCost(YearMonth.of(2026, 11), Money.usd("30.88")),
        new Inventory.MonthlyCost(YearMonth.of(2026, 12), Money.usd("5.00")));
    assertThat(costs.held()).isEmpty();
    assertThat(h.orchestrator.totalCharged("cloudflare")).as("the report agrees with what the provider charged")
        .isEqualTo(Money.usd("35.88"));
  }

  @Test
  void report_listsARunTheSpendPolicyRefused_andWhatItLeftBehind() {
    refusedRun();

    Inventory inv = all();

    assertThat(inv.refusals()).singleElement().satisfies(r -> {
      assertThat(r.agent()).isEqualTo(AGENT_B);
      assertThat(r.provider()).isEqualTo("cloudflare");
      assertThat(r.requested()).isEqualTo(Money.usd("150.00"));
      assertThat(r.limit()).contains("monthly");
    });
    assertThat(provisioner.report(ReportFilter.builder().agent(AGENT_A).build()).refusals()).isEmpty();
    assertThat(inv.costs().toDate()).as("the report's money is what the provider charged")
        .containsExactly(h.orchestrator.totalCharged("cloudflare"));
  }

  // ---------------------------------------------------------------- filters

  @Test
  void filter_byAgent_byHuman_byProvider_byTime() {
    assertThat(provisioner.report(ReportFilter.builder().agent(AGENT_A).build()).runs())
        .extracting(r -> r.id().value()).containsExactly(run(0), run(2));
    Inventory bob = provisioner.report(ReportFilter.builder().human("BOB@example.com").build());
    assertThat(bob.runs()).extracting(r -> r.id().value()).containsExactly(run(1), run(2));
    assertThat(bob.domains()).extracting(Inventory.Domain::name).containsExactly("bob-blog.com");
    assertThat(bob.costs().toDate()).containsExactly(Money.usd("20.44"));
    assertThat(provisioner.report(ReportFilter.builder().human("user-ada").build()).tokens()).hasSize(1);
    assertThat(provisioner.report(ReportFilter.builder().provider("cloudflare").build()).resources())
        .hasSize(providerResourceIds().size()).hasSize(8);
    assertThat(provisioner.report(ReportFilter.builder().provider("other-cloud").build()).resources()).isEmpty();
    Inventory firstMonth = provisioner.report(ReportFilter.builder().to(monthTwo).build());
    assertThat(firstMonth.runs()).hasSize(2);
    assertThat(firstMonth.costs().toDate()).containsExactly(Money.usd("30.88"));
    Inventory secondMonth = provisioner.report(ReportFilter.builder().from(monthTwo).agent(AGENT_A).human("user-bob")
        .build());
    assertThat(secondMonth.runs()).extracting(r -> r.id().value()).containsExactly(run(2));
    assertThat(secondMonth.apps()).extracting(Inventory.App::url).containsExactly(deployments.get(2).url().toString());
    assertThat(secondMonth.delegations()).singleElement().satisfies(d -> assertThat(d.runs()).isEqualTo(1));
  }

  // ---------------------------------------------------------------- the exports

  @Test
  void json_holdsEveryResourceUrlApproverAndTokenId() {
    Map<String, Object> json = Json.parseObject(all().toJson());

    assertThat(strings(json, "resources", "resource_id")).containsExactlyInAnyOrderElementsOf(providerResourceIds());
    assertThat(strings(json, "tokens", "token_id")).containsExactlyElementsOf(tokenIds());
    assertThat(strings(json, "apps", "url")).containsExactlyElementsOf(urls());
    assertThat(strings(json, "approvals", "approver")).containsOnly("approver-of-user-ada", "approver-of-user-bob");
    assertThat(strings(json, "runs", "status")).containsOnly("succeeded");
  }

  @Test
  void csv_hasOneRowPerItem_withItsKind() throws Exception {
    List<List<String>> rows = parseCsv(all().toCsv());

    assertThat(rows.get(0).get(0)).isEqualTo("kind");
    assertThat(column(rows, "resource", 6)).containsExactlyInAnyOrderElementsOf(providerResourceIds());
    assertThat(column(rows, "token", 6)).containsExactlyElementsOf(tokenIds());
    assertThat(column(rows, "app", 6)).containsExactlyElementsOf(urls());
    assertThat(column(rows, "run", 8)).containsOnly("succeeded").hasSize(3);
    assertThat(column(rows, "paid_step", 11)).containsOnly("approver-of-user-ada", "approver-of-user-bob").hasSize(5);
    assertThat(rows).filteredOn(r -> r.get(0).equals("cost") && r.get(6).equals("to_date")).singleElement()
        .satisfies(r -> assertThat(r.subList(9, 11)).containsExactly("35.88", "USD"));
  }

  @Test
  void html_renderedByABrowser_showsEveryResourceUrlApproverAndTokenId() throws Exception {
    Path chromium = Path.of("/usr/bin/chromium");
    assumeTrue(Files.isExecutable(chromium), "chromium is not installed (apt-get install -y chromium): "
        + "the page cannot be rendered here");
    Path page = Files.writeString(tmp.resolve("report.html"), all().toHtml(), StandardCharsets.UTF_8);

    String dom = render(chromium, page);

    assertThat(dom).as("the page rendered").contains("<h1>Inventory and governance report</h1>").contains("</table>");
    assertThat(dom.toLowerCase(java.util.Locale.ROOT)).doesNotContain("<script");
    for (String id : providerResourceIds()) {
      assertThat(dom).as("resource " + id).contains(id);
    }
    for (String url : urls()) {
      assertThat(dom).as("url " + url).contains(url);
    }
    for (Deployment d : deployments) {
      assertThat(dom).as("provider url").contains(d.providerUrl().toString());
    }
    for (String token : tokenIds()) {
      assertThat(dom).as("token " + token).contains(token);
    }
    assertThat(dom).contains("approver-of-user-ada", "approver-of-user-bob", "ada@example.com", "bob@example.com",
        "ada-shop.com", "bob-blog.com", "USD 35.88");
  }

  @Test
  void report_neverHoldsASecret_inAnyExport() {
    refusedRun();
    Inventory inv = all();
    Set<String> secrets = new LinkedHashSet<>(List.of(ADA_TOKEN, BOB_TOKEN, APP_SECRET));
    for (String key : h.vault.keys("")) {
      if (key.endsWith("_ACCOUNT_ID")) {
        continue; // the orchestrator hands the account id over with the credential; it is an id, listed by design
      }
      h.vault.get(key).map(VaultEntry::secret).map(Secret::reveal).ifPresent(secrets::add);
    }
    assertThat(secrets).as("deploy tokens, broad credentials and the app secret are in the vault").hasSizeGreaterThan(5);

    for (String export : List.of(inv.toJson(), inv.toCsv(), inv.toHtml(), inv.toString())) {
      for (String secret : secrets) {
        assertThat(export).doesNotContain(secret);
      }
      assertThat(export).doesNotContain("CANARY");
    }
  }

  // ---------------------------------------------------------------- helpers

  private String run(int i) {
    return deployments.get(i).runId().value();
  }

  private List<String> providerResourceIds() {
    return h.orchestrator.resources().stream().map(r -> r.ref().id()).toList();
  }

  private List<String> tokenIds() {
    return h.deployer.tokens().stream().map(RecordingDeployer.MintedToken::tokenId).toList();
  }

  private List<String> urls() {
    return deployments.stream().map(d -> d.url().toString()).toList();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> strings(Map<String, Object> json, String list, String key) {
    List<Object> out = new ArrayList<>();
    for (Object o : (List<Object>) json.get(list)) {
      out.add(((Map<String, Object>) o).get(key));
    }
    return out;
  }

  private static List<String> column(List<List<String>> rows, String kind, int col) {
    return rows.stream().filter(r -> r.get(0).equals(kind)).map(r -> r.get(col)).toList();
  }

  /** Lets headless Chromium load the page from disk and print the DOM it built. */
  private String render(Path chromium, Path page) throws IOException, InterruptedException {
    Path profile = Files.createDirectories(tmp.resolve("chromium-profile"));
    Path out = tmp.resolve("dom.html");
    Path err = tmp.resolve("chromium.log");
    Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + profile, "--dump-dom", page.toUri().toString())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    // a guard against a hung browser, not a timing assertion
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish rendering in 120 s; its log: " + Files.readString(err));
    }
    assertThat(p.exitValue()).as("chromium's exit; its log: %s", Files.readString(err)).isZero();
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  /** An RFC 4180 reader, independent of the writer under test. */
  private static List<List<String>> parseCsv(String csv) {
    List<List<String>> rows = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < csv.length(); i++) {
      char c = csv.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < csv.length() && csv.charAt(i + 1) == '"') {
          cell.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cell.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.add(cell.toString());
        cell.setLength(0);
      } else if (c == '\r' && i + 1 < csv.length() && csv.charAt(i + 1) == '\n') {
        row.add(cell.toString());
        cell.setLength(0);
        rows.add(row);
        row = new ArrayList<>();
        i++;
      } else {
        cell.append(c);
      }
    }
    return rows;
  }
}
