package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.ScriptedApprovalGate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

class ZonesAndRegistrarWireTest extends WireSupport {
  private static final String ZONE_JSON = "{\"id\":\"9a7806061c88ada191ed06f989cc3dac\",\"name\":\"example.com\","
      + "\"status\":\"pending\",\"account\":{\"id\":\"" + ACCOUNT + "\"},\"name_servers\":[\"ada.ns.cloudflare.com\","
      + "\"bob.ns.cloudflare.com\"]}";

  private static String workflow(String state, String extra) {
    return "{\"completed\":" + (state.equals("succeeded") || state.equals("failed")) + ",\"created_at\":"
        + "\"2026-11-02T09:00:00Z\",\"updated_at\":\"2026-11-02T09:00:00Z\",\"links\":{\"self\":\"/accounts/" + ACCOUNT
        + "/registrar/registrations/ada-shop.com/registration-status\"},\"state\":\"" + state + "\",\"context\":"
        + "{\"domain_name\":\"ada-shop.com\"" + extra + "},\"error\":null}";
  }

  @Test
  void create_postsNameAccountAndFullType() throws Exception {
    ok(ZONE_JSON);

    Zones.Zone z = client.zones().create("Example.com", ACCOUNT);

    assertThat(z.status()).isEqualTo("pending");
    assertThat(z.nameServers()).containsExactly("ada.ns.cloudflare.com", "bob.ns.cloudflare.com");
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(target(r)).isEqualTo("/zones");
    assertThat(Json.parse(body(r))).isEqualTo(Map.of("name", "example.com", "account", Map.of("id", ACCOUNT), "type", "full"));
  }

  @Test
  void ensure_whenCreateSays1061_findsTheExistingZone() throws Exception {
    okPage("[]", "{\"page\":1,\"per_page\":50,\"total_pages\":0}");
    fail(400, 1061, "example.com already exists");
    okPage("[" + ZONE_JSON + "]", "{\"page\":1,\"per_page\":50,\"total_pages\":1}");

    assertThat(client.zones().ensure("example.com", ACCOUNT).id()).isEqualTo("9a7806061c88ada191ed06f989cc3dac");
    assertThat(target(take())).isEqualTo("/zones?name=example.com&account.id=" + ACCOUNT + "&page=1&per_page=50");
  }

  @Test
  void create_onADuplicate_throwsCode1061() {
    fail(400, 1061, "example.com already exists");

    assertThatThrownBy(() -> client.zones().create("example.com", ACCOUNT))
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.hasCode(Zones.ZONE_EXISTS)).isTrue());
  }

  @Test
  void findForHostname_walksUpToTheZone() throws Exception {
    okPage("[]", "{\"page\":1,\"per_page\":50,\"total_pages\":0}");
    okPage("[" + ZONE_JSON + "]", "{\"page\":1,\"per_page\":50,\"total_pages\":1}");

    assertThat(client.zones().findForHostname("app.example.com", ACCOUNT)).map(Zones.Zone::name).contains("example.com");
    assertThat(target(take())).startsWith("/zones?name=app.example.com");
    assertThat(target(take())).startsWith("/zones?name=example.com");
  }

  @Test
  void activationCheck_putsToTheZone() throws Exception {
    ok("{\"id\":\"9a7806061c88ada191ed06f989cc3dac\"}");

    client.zones().activationCheck("9a7806061c88ada191ed06f989cc3dac");

    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("PUT");
    assertThat(target(r)).isEqualTo("/zones/9a7806061c88ada191ed06f989cc3dac/activation_check");
  }

  @Test
  void check_convertsDecimalPricesExactly() throws Exception {
    ok("{\"domains\":[{\"name\":\"ada-shop.com\",\"registrable\":true,\"tier\":\"standard\",\"pricing\":{\"currency\":"
        + "\"USD\",\"registration_cost\":\"10.44\",\"renewal_cost\":\"10.4\"}},{\"name\":\"ada.com\",\"registrable\":false,"
        + "\"reason\":\"domain_unavailable\"}]}");

    List<Registrar.DomainQuote> quotes = client.registrar(ACCOUNT).check(List.of("ada-shop.com", "ADA.com"));

    assertThat(quotes.get(0).registrationCost()).isEqualTo(Money.ofMinor(1044, "USD"));
    assertThat(quotes.get(0).renewalCost()).isEqualTo(Money.ofMinor(1040, "USD"));
    assertThat(quotes.get(0).price(3)).isEqualTo(Money.usd("31.24"));
    assertThat(quotes.get(1).registrable()).isFalse();
    assertThat(quotes.get(1).reason()).isEqualTo("domain_unavailable");
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/registrar/domain-check");
    assertThat(body(r)).isEqualTo("{\"domains\":[\"ada-shop.com\",\"ada.com\"]}");
  }

  @Test
  void check_withAPriceOfMoreFractionDigitsThanTheCurrency_refusesIt() {
    ok("{\"domains\":[{\"name\":\"ada-shop.com\",\"registrable\":true,\"pricing\":{\"currency\":\"USD\","
        + "\"registration_cost\":\"10.445\",\"renewal_cost\":\"10.44\"}}]}");

    assertThatThrownBy(() -> client.registrar(ACCOUNT).check("ada-shop.com"))
        .isInstanceOfSatisfying(io.agentprovision.core.InvalidRequestException.class,
            e -> assertThat(e.field()).isEqualTo("pricing.registration_cost"));
  }

  @Test
  void search_sendsQueryLimitAndExtensions() throws Exception {
    ok("{\"domains\":[]}");

    client.registrar(ACCOUNT).search("ada shop", 10, List.of("com", "dev"));

    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT
        + "/registrar/domain-search?q=ada%20shop&limit=10&extensions=com&extensions=dev");
  }

  @Test
  void register_asksForAnAsyncAnswerAndReadsThe202Workflow() throws Exception {
    enqueue(202, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":" + workflow("pending", "") + "}");

    Registrar.RegistrationWorkflow wf = client.registrar(ACCOUNT).register("ada-shop.com", 2, false);

    assertThat(wf.state()).isEqualTo(Registrar.RegistrationWorkflow.State.PENDING);
    assertThat(wf.selfLink()).endsWith("/registration-status");
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/registrar/registrations");
    assertThat(r.getHeaders().get("Prefer")).isEqualTo("respond-async");
    assertThat(Json.parse(body(r))).isEqualTo(Json.parse("{\"domain_name\":\"ada-shop.com\",\"years\":2,"
        + "\"auto_renew\":false,\"privacy_mode\":\"redaction\"}"));
  }

  @Test
  void sandbox_usesTheRegistrarSandboxPath() throws Exception {
    ok("{\"domains\":[]}");

    client.registrar(ACCOUNT).sandbox().check(List.of("ada-test.com"));

    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/registrar-sandbox/domain-check");
  }

  @Test
  void purchase_pollsThroughActionRequiredAndCommitsOnSuccess() throws Exception {
    ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time);
    FakeStepContext ctx = FakeStepContext.builder().time(time).approvals(gate).build();
    fail(404, 1006, "No registration for ada-shop.com");
    ok("{\"domains\":[{\"name\":\"ada-shop.com\",\"registrable\":true,\"pricing\":{\"currency\":\"USD\","
        + "\"registration_cost\":\"10.44\",\"renewal_cost\":\"10.44\"}}]}");
    enqueue(202, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":" + workflow("pending", "") + "}");
    ok(workflow("in_progress", ""));
    ok(workflow("action_required", ",\"action\":\"confirm_registrant_email\",\"confirmation_sent_to\":\"ada@example.com\""));
    ok(workflow("action_required", ",\"action\":\"confirm_registrant_email\",\"confirmation_sent_to\":\"ada@example.com\""));
    ok(workflow("succeeded", ""));

    PurchasedDomain d = new DomainPurchase(client.registrar(ACCOUNT)).purchase(DomainRequest.exact("ada-shop.com"), ctx);

    assertThat(d.charged()).isEqualTo(Money.usd("10.44"));
    assertThat(ctx.spends()).singleElement().satisfies(s -> {
      assertThat(s.state()).isEqualTo(FakeStepContext.Spend.State.COMMITTED);
      assertThat(s.request().details()).containsEntry("refundable", "false").containsEntry("years", "1");
    });
    assertThat(gate.requests(CheckpointKind.ACTION_REQUIRED)).hasSize(1);
    // Polls in the step's virtual time: at once, after 2 s (action required: the human acts); then the backoff
    // starts over, since the human's action changed things: at once, after 2 s (succeeded).
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(2));
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/registrar/registrations/ada-shop.com");
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/registrar/domain-check");
    assertThat(take().getMethod()).isEqualTo("POST");
    for (int i = 0; i < 4; i++) {
      assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/registrar/registrations/ada-shop.com/registration-status");
    }
  }

  @Test
  void purchase_whenTheWorkflowOutlivesTheStep_stopsRetryableWithoutSettling() {
    FakeStepContext ctx = FakeStepContext.builder().time(time).deadlineAfter(Duration.ofSeconds(10)).build();
    fail(404, 1006, "No registration for ada-shop.com");
    ok("{\"domains\":[{\"name\":\"ada-shop.com\",\"registrable\":true,\"pricing\":{\"currency\":\"USD\","
        + "\"registration_cost\":\"10.44\",\"renewal_cost\":\"10.44\"}}]}");
    enqueue(202, "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":" + workflow("pending", "") + "}");
    for (int i = 0; i < 3; i++) {
      ok(workflow("in_progress", ""));
    }

    assertThatThrownBy(() -> new DomainPurchase(client.registrar(ACCOUNT)).purchase(DomainRequest.exact("ada-shop.com"), ctx))
        .isInstanceOfSatisfying(io.agentprovision.core.AgentProvisionException.class, e -> assertThat(e.retryable()).isTrue());
    assertThat(ctx.spends().get(0).state()).isEqualTo(FakeStepContext.Spend.State.RESERVED);
  }

  @Test
  void registration_whenAbsent_isNotFound() {
    fail(404, 1006, "No registration");

    assertThatThrownBy(() -> client.registrar(ACCOUNT).registration("ada-shop.com"))
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.isNotFound()).isTrue());
  }

  @Test
  void follow_refusesALinkToAnotherHost() {
    Registrar.RegistrationWorkflow wf = new Registrar.RegistrationWorkflow(Registrar.RegistrationWorkflow.State.PENDING,
        false, "https://evil.example/accounts/x/registrar/registrations/a.com/registration-status", Map.of(), null, null, null);

    assertThatThrownBy(() -> client.registrar(ACCOUNT).follow(wf))
        .isInstanceOf(io.agentprovision.core.InvalidRequestException.class);
  }

  @Test
  void alerting_createsABillingUsagePolicy() throws Exception {
    ok("{\"id\":\"0da2b59e-f118-439d-8097-bdfb215203c9\"}");

    String id = client.notificationPolicies(ACCOUNT).createBillingUsageAlert("workers usage", List.of("ada@example.com"),
        Map.of("product", List.of("worker_requests")));

    assertThat(id).isEqualTo("0da2b59e-f118-439d-8097-bdfb215203c9");
    RecordedRequest r = take();
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/alerting/v3/policies");
    assertThat(Json.parse(body(r))).isEqualTo(Json.parse("{\"name\":\"workers usage\",\"alert_type\":"
        + "\"billing_usage_alert\",\"enabled\":true,\"mechanisms\":{\"email\":[{\"id\":\"ada@example.com\"}]},"
        + "\"filters\":{\"product\":[\"worker_requests\"]}}"));
  }
}
