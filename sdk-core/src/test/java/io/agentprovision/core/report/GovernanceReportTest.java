package io.agentprovision.core.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.wire.Json;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The report over an audit log written as the engine writes it, with provider text that tries to
 * break out of each export: markup for the page, formulas for the spreadsheet.
 */
class GovernanceReportTest {
  private static final Instant T0 = Instant.parse("2026-03-31T10:00:00Z");
  private static final String ADA = "user-ada <ada@example.com> @https://issuer.test";
  private static final String XSS = "<script>alert('owned')</script>";

  private final AuditLog audit = AuditLog.inMemory();
  private Instant now = T0;

  private void append(@Nullable String run, @Nullable String step, String action, @Nullable String agent,
      @Nullable String principal, @Nullable String approver, @Nullable Money amount, String outcome,
      Map<String, String> details) {
    audit.append(new AuditRecord(now, run == null ? null : RunId.of(run), step == null ? null : StepId.of(step), action,
        agent == null ? null : AgentId.of(agent), principal, approver, amount, outcome, null, details));
    now = now.plusSeconds(60);
  }

  /** One run as the engine records it, with a provider whose answers carry markup and formulas. */
  private void hostileRun() {
    append("run_1", null, "run.started", "agent-7", null, null, null, "ok",
        Map.of("provider", "cloudflare", "plan", "workers:paid", "app", "shop", "orchestrator", "fake"));
    append("run_1", "identity", "identity.attested", "agent-7", ADA, null, null, "ok",
        Map.of("issuer", "https://issuer.test", "subject", "user-ada", "email", "ada@example.com", "amr", "pwd",
            "mfa", "false"));
    append("run_1", "plan-approval", "approval.requested", "agent-7", ADA, null, Money.usd("5.00"), "asked",
        Map.of("approval_id", "apr_1", "kind", "PLAN_APPROVAL", "title", "Approve " + XSS, "plan", "workers:paid — USD 5.00"));
    append("run_1", "plan-approval", "approval.decided", "agent-7", ADA, "boss \"quoted\" <b>bold</b>",
        Money.usd("5.00"), "approved", Map.of("approval_id", "apr_1", "kind", "PLAN_APPROVAL", "reason", "ok"));
    append("run_1", "account", "account.linked", "agent-7", ADA, null, null, "ok",
        Map.of("provider", "cloudflare", "account", "acct_" + XSS, "link", "CREATED"));
    append("run_1", "plan", "spend.reserved", "agent-7", ADA, null, Money.usd("5.00"), "ok",
        Map.of("reservation", "res_1", "provider", "cloudflare", "description", "plan"));
    append("run_1", "plan", "spend.committed", "agent-7", ADA, null, Money.usd("5.00"), "ok",
        Map.of("reservation", "res_1", "reserved", "USD 5.00"));
    append("run_1", "plan", "resource.provisioned", "agent-7", ADA, null, Money.usd("5.00"), "ok",
        Map.of("service", "workers:paid", "resource", "=HYPERLINK(\"http://evil.example\",\"click\")"));
    append("run_1", "resource", "resource.provisioned", "agent-7", ADA, null, null, "ok",
        Map.of("service", "workers", "resource", "+cmd|' /C calc'!A0"));
    append("run_1", "domain", "spend.reserved", "agent-7", ADA, null, Money.usd("10.44"), "ok",
        Map.of("reservation", "res_2", "provider", "cloudflare", "description", "domain"));
    append("run_1", "domain", "approval.requested", "agent-7", ADA, null, Money.usd("10.44"), "asked",
        Map.of("approval_id", "apr_2", "kind", "DOMAIN_PURCHASE", "title", "Pay USD 10.44 for a domain"));
    append("run_1", "domain", "approval.decided", "agent-7", ADA, "@finance", Money.usd("10.44"), "approved",
        Map.of("approval_id", "apr_2", "kind", "DOMAIN_PURCHASE", "reason", "ok"));
    append("run_1", "domain", "spend.committed", "agent-7", ADA, null, Money.usd("10.44"), "ok",
        Map.of("reservation", "res_2", "reserved", "USD 10.44"));
    append("run_1", "domain", "domain.registered", "agent-7", ADA, null, Money.usd("10.44"), "ok",
        Map.of("domain", "-shop" + XSS + ".com", "resource", "res_dom", "service", "registrar:domain", "years", "2",
            "auto_renew", "false"));
    append("run_1", "credentials", "credentials.stored", "agent-7", ADA, null, null, "ok",
        Map.of("token", "tok_1", "permissions", "Workers Scripts Write,Workers Routes Write", "expires_at",
            "2026-04-06T10:00:00Z", "allowed_ips", "203.0.113.0/24", "vault_key", "runs/run_1/deploy-token"));
    append("run_1", "deploy", "app.deployed", "agent-7", ADA, null, null, "ok",
        Map.of("script", "shop", "url", "javascript:alert(document.cookie)", "provider_url",
            "https://shop.acct.workers.dev/?q=\"><script>alert(2)</script>"));
    append("run_1", "verify", "app.verified", "agent-7", ADA, null, null, "live",
        Map.of("url", "javascript:alert(document.cookie)", "status", "200"));
    append("run_1", null, "run.finished", "agent-7", ADA, null, Money.usd("15.44"), "ok", Map.of());
  }

  private Inventory report(ReportFilter filter) {
    return GovernanceReport.builder().audit(audit).clock(Clock.fixed(now, ZoneOffset.UTC)).build().generate(filter);
  }

  @Test
  void html_ofProviderTextCarryingMarkup_escapesEveryValue_andCarriesNoScript() {
    hostileRun();

    String html = report(ReportFilter.all()).toHtml();

    assertThat(html.toLowerCase(java.util.Locale.ROOT)).doesNotContain("<script").doesNotContain("<b>bold")
        .doesNotContain("href=\"javascript:");
    assertThat(html).contains("acct_&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;")
        .contains("boss &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt;")
        .contains("Approve &lt;script&gt;")
        // a web address becomes a link with its quotes escaped; a javascript: one stays text
        .contains("<a href=\"https://shop.acct.workers.dev/?q=&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;\"")
        .contains("<code>javascript:alert(document.cookie)</code>")
        // self-contained: no fetches, and a policy that forbids scripts even if one slipped through
        .contains("Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'")
        .doesNotContain("<link").doesNotContain("<img").doesNotContain("src=");
  }

  @Test
  void csv_ofValuesThatLookLikeFormulas_prefixesThem_andQuotesPerRfc4180() {
    hostileRun();

    String csv = report(ReportFilter.all()).toCsv();
    List<List<String>> rows = parseCsv(csv);

    assertThat(csv).contains("\r\n").doesNotContainPattern("[^\r]\n");
    assertThat(rows.get(0)).containsExactly("kind", "time", "run", "agent", "human", "provider", "id", "name", "status",
        "amount", "currency", "approver", "expires", "detail");
    assertThat(rows).allSatisfy(r -> assertThat(r).hasSize(14));
    assertThat(rows).allSatisfy(r -> assertThat(r).allSatisfy(cell ->
        assertThat(cell).as("no cell may start a formula").doesNotStartWith("=").doesNotStartWith("+")
            .doesNotStartWith("-").doesNotStartWith("@")));
    List<String> ids = rows.stream().filter(r -> r.get(0).equals("resource")).map(r -> r.get(6)).toList();
    assertThat(ids).containsExactly("'=HYPERLINK(\"http://evil.example\",\"click\")", "'+cmd|' /C calc'!A0",
        "res_dom");
    assertThat(rows).filteredOn(r -> r.get(0).equals("domain")).singleElement()
        .satisfies(r -> assertThat(r.get(7)).isEqualTo("'-shop" + XSS + ".com"));
    assertThat(rows).filteredOn(r -> r.get(0).equals("approval") && r.get(6).equals("apr_2")).singleElement()
        .satisfies(r -> assertThat(r.get(11)).isEqualTo("'@finance"));
    // the quoted approver survives the round trip through RFC 4180 quoting
    assertThat(rows).filteredOn(r -> r.get(0).equals("approval") && r.get(6).equals("apr_1")).singleElement()
        .satisfies(r -> assertThat(r.get(11)).isEqualTo("boss \"quoted\" <b>bold</b>"));
  }

  @Test
  void json_hasTheDocumentedShape_withMoneyAsAmountCurrencyAndMinorUnits() {
    hostileRun();

    Map<String, Object> json = Json.parseObject(report(ReportFilter.all()).toJson());

    assertThat(json.keySet()).containsExactly("schema", "generated_at", "zone", "filter", "runs", "accounts", "resources",
        "domains", "tokens", "apps", "delegations", "approvals", "paid_steps", "refusals", "costs");
    assertThat(json.get("schema")).isEqualTo(Inventory.SCHEMA);
    Map<String, Object> domain = first(json, "domains");
    assertThat(domain.get("price")).isEqualTo(Map.of("amount", "10.44", "currency", "USD", "minor_units", 1044L));
    assertThat(domain.get("expires_at")).as("two years after registration").isEqualTo("2028-03-31T10:13:00Z");
    Map<String, Object> token = first(json, "tokens");
    assertThat(token.get("allowed_ips")).isEqualTo(List.of("203.0.113.0/24"));
    assertThat(token.get("permissions")).isEqualTo(List.of("Workers Scripts Write", "Workers Routes Write"));
    assertThat(token.get("status")).isEqualTo("active");
    assertThat(token).containsKeys("rotated_at", "replaced_by").containsEntry("rotated_at", null);
    @SuppressWarnings("unchecked")
    Map<String, Object> costs = (Map<String, Object>) json.get("costs");
    assertThat(costs.get("source")).isEqualTo("audit");
    assertThat(costs.get("to_date")).isEqualTo(List.of(Map.of("amount", "15.44", "currency", "USD", "minor_units", 1544L)));
    // a paid step names who approved it, at which checkpoint, for how much
    List<Map<String, Object>> paid = list(json, "paid_steps");
    assertThat(paid).extracting(p -> p.get("step")).containsExactly("plan", "domain");
    assertThat(approvers(paid.get(0))).containsExactly("boss \"quoted\" <b>bold</b>");
    assertThat(approvers(paid.get(1))).containsExactly("@finance");
  }

  @Test
  void report_withoutJournalOrLedger_takesStatusAndMoneyFromTheAuditLog() {
    hostileRun();

    Inventory inv = report(ReportFilter.all());

    assertThat(inv.runs()).singleElement().satisfies(r -> {
      assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
      assertThat(r.human()).isEqualTo(new Inventory.Human("user-ada", "ada@example.com", "https://issuer.test"));
    });
    assertThat(inv.costs().toDate()).containsExactly(Money.usd("15.44"));
    assertThat(inv.costs().byMonth()).containsExactly(new Inventory.MonthlyCost(YearMonth.of(2026, 3), Money.usd("15.44")));
    assertThat(inv.costs().held()).isEmpty();
    assertThat(inv.apps()).singleElement().satisfies(a -> {
      assertThat(a.status()).isEqualTo(Inventory.AppStatus.VERIFIED);
      assertThat(a.httpStatus()).isEqualTo(200);
    });
  }

  @Test
  void months_areCalendarMonthsOfTheReportsZone() {
    hostileRun(); // committed at 10:06 and 10:12 UTC on 31 March

    Inventory kiritimati = GovernanceReport.builder().audit(audit).zone(ZoneId.of("Pacific/Kiritimati")).build()
        .generate(ReportFilter.all());

    // UTC+14: it is already 1 April there, so the money falls in April; in UTC it is March's
    assertThat(kiritimati.costs().byMonth()).containsExactly(
        new Inventory.MonthlyCost(YearMonth.of(2026, 4), Money.usd("15.44")));
    assertThat(report(ReportFilter.all()).costs().byMonth()).extracting(Inventory.MonthlyCost::month)
        .containsExactly(YearMonth.of(2026, 3));
  }

  @Test
  void refusedRunAndRefusedStep_areListedAsRefusalsByPolicy() {
    append("run_9", null, "run.refused", "agent-8", null, null, Money.usd("150.00"), "denied",
        Map.of("limit", "monthly/per-provider", "reason", "spend of USD 150.00 refused", "provider", "cloudflare"));
    hostileRun();
    append("run_1", "resource", "spend.refused", "agent-7", ADA, null, Money.usd("90.00"), "denied",
        Map.of("limit", "per-transaction/global", "used", "USD 0.00", "remaining", "USD 25.00", "description", "d1"));

    Inventory inv = report(ReportFilter.all());

    assertThat(inv.refusals()).hasSize(2);
    assertThat(inv.refusals().get(0)).satisfies(r -> {
      assertThat(r.step()).isNull();
      assertThat(r.provider()).isEqualTo("cloudflare");
      assertThat(r.limit()).isEqualTo("monthly/per-provider");
      assertThat(r.requested()).isEqualTo(Money.usd("150.00"));
    });
    assertThat(inv.refusals().get(1)).satisfies(r -> {
      assertThat(r.human().email()).isEqualTo("ada@example.com");
      assertThat(r.reason()).contains("remaining USD 25.00").contains("d1");
    });
    assertThat(inv.runs()).extracting(r -> r.id().value()).as("a refused run never started").containsExactly("run_1");
    assertThat(report(ReportFilter.builder().agent(AgentId.of("agent-8")).build()).refusals()).hasSize(1);
  }

  @Test
  void filter_byHumanMatchesSubjectOrEmailIgnoringCase_andByTimeIsHalfOpen() {
    hostileRun();

    assertThat(report(ReportFilter.builder().human("ADA@example.com").build()).resources()).hasSize(3);
    assertThat(report(ReportFilter.builder().human("user-ada").build()).tokens()).hasSize(1);
    assertThat(report(ReportFilter.builder().human("bob@example.com").build()).resources()).isEmpty();
    assertThat(report(ReportFilter.builder().provider("other").build()).accounts()).isEmpty();
    Instant domainAt = report(ReportFilter.all()).domains().get(0).registeredAt();
    assertThat(report(ReportFilter.builder().from(domainAt).build()).resources()).extracting(Inventory.Resource::resourceId)
        .containsExactly("res_dom");
    assertThat(report(ReportFilter.builder().to(domainAt).build()).domains()).isEmpty();
  }

  @Test
  void filter_refusesBadInput_withTheFieldAndTheFix() {
    assertThatThrownBy(() -> ReportFilter.builder().human(" ").build()).isInstanceOf(InvalidRequestException.class)
        .satisfies(e -> assertThat(((InvalidRequestException) e).field()).isEqualTo("human"));
    assertThatThrownBy(() -> ReportFilter.builder().from(T0).to(T0).build()).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("after");
    assertThatThrownBy(() -> GovernanceReport.builder().build()).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("audit");
  }

  @Test
  void compensatedSteps_markTheirResourceRemoved_tokenRevoked_andAppUndeployed_butTheDomainStays() {
    hostileRun();
    for (String step : List.of("deploy", "credentials", "plan")) {
      append("run_1", step, "compensated", "agent-7", ADA, null, null, "ok", Map.of("what", "undone " + step));
    }
    append("run_1", null, "run.failed", "agent-7", ADA, null, null, "failed", Map.of("error", "boom"));

    Inventory inv = report(ReportFilter.all());

    assertThat(inv.runs().get(0).status()).isEqualTo(RunStatus.FAILED);
    assertThat(inv.apps().get(0).status()).isEqualTo(Inventory.AppStatus.UNDEPLOYED);
    assertThat(inv.tokens().get(0).status()).isEqualTo(Inventory.TokenStatus.REVOKED);
    assertThat(inv.resources()).filteredOn(r -> r.serviceId().equals("workers:paid")).singleElement()
        .satisfies(r -> assertThat(r.removedAt()).isNotNull());
    assertThat(inv.domains()).singleElement().satisfies(d -> assertThat(d.expiresAt()).isAfter(now));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Map<String, Object> json, String key) {
    return (List<Map<String, Object>>) json.get(key);
  }

  private static Map<String, Object> first(Map<String, Object> json, String key) {
    return list(json, key).get(0);
  }

  @SuppressWarnings("unchecked")
  private static List<Object> approvers(Map<String, Object> paidStep) {
    return ((List<Map<String, Object>>) paidStep.get("approvals")).stream().map(a -> a.get("approver")).toList();
  }

  /** An RFC 4180 reader, independent of the writer under test. */
  static List<List<String>> parseCsv(String csv) {
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

  @SuppressWarnings("unused")
  private static Map<String, String> details(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }
}
