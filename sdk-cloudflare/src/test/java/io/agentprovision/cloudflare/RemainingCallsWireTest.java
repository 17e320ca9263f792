package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.wire.Json;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/** The calls not covered elsewhere: method, path, headers and body of each. */
class RemainingCallsWireTest extends WireSupport {
  private static final String ZONE = "9a7806061c88ada191ed06f989cc3dac";

  private RecordedRequest expect(String method, String target) throws InterruptedException {
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo(method);
    assertThat(target(r)).isEqualTo(target);
    assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer " + TOKEN.reveal());
    return r;
  }

  @Test
  void accountsGet() throws Exception {
    ok("{\"id\":\"" + ACCOUNT + "\",\"name\":\"Ada\",\"type\":\"standard\"}");

    assertThat(client.accounts().get(ACCOUNT).name()).isEqualTo("Ada");
    expect("GET", "/accounts/" + ACCOUNT);
  }

  @Test
  void zonesGetListAndDelete() throws Exception {
    ok("{\"id\":\"" + ZONE + "\",\"name\":\"example.com\",\"status\":\"active\",\"activated_on\":\"2026-11-01T00:00:00Z\"}");
    okPage("[]", "{\"page\":1,\"per_page\":50,\"total_pages\":0}");
    ok("{\"id\":\"" + ZONE + "\"}");

    assertThat(client.zones().get(ZONE).active()).isTrue();
    client.zones().list(ACCOUNT);
    assertThat(client.zones().delete(ZONE)).isTrue();

    expect("GET", "/zones/" + ZONE);
    expect("GET", "/zones?account.id=" + ACCOUNT + "&page=1&per_page=50");
    expect("DELETE", "/zones/" + ZONE);
  }

  @Test
  void scriptSubdomainRoutesListAndRouteUpdate() throws Exception {
    ok("{\"enabled\":true,\"previews_enabled\":true}");
    ok("[{\"id\":\"r1\",\"pattern\":\"app.example.com/*\",\"script\":\"hello\"}]");
    ok("{\"id\":\"r1\",\"pattern\":\"app.example.com/*\",\"script\":\"hello-v2\"}");

    assertThat(client.workers(ACCOUNT).scriptSubdomain("hello").previewsEnabled()).isTrue();
    assertThat(client.workers(ACCOUNT).routes(ZONE)).extracting(Workers.WorkerRoute::script).containsExactly("hello");
    assertThat(client.workers(ACCOUNT).updateRoute(ZONE, "r1", "app.example.com/*", "hello-v2").script())
        .isEqualTo("hello-v2");

    expect("GET", "/accounts/" + ACCOUNT + "/workers/scripts/hello/subdomain");
    expect("GET", "/zones/" + ZONE + "/workers/routes");
    RecordedRequest put = expect("PUT", "/zones/" + ZONE + "/workers/routes/r1");
    assertThat(Json.parse(body(put))).isEqualTo(Map.of("pattern", "app.example.com/*", "script", "hello-v2"));
  }

  @Test
  void registrarStatusAndFollowOfAnAbsoluteLinkOnTheApiHost() throws Exception {
    String wf = "{\"completed\":false,\"created_at\":\"2026-11-02T09:00:00Z\",\"updated_at\":\"2026-11-02T09:00:00Z\","
        + "\"links\":{\"self\":\"" + server.url("/client/v4/accounts/" + ACCOUNT
        + "/registrar/registrations/ada.com/registration-status") + "\"},\"state\":\"in_progress\",\"context\":"
        + "{\"domain_name\":\"ada.com\"}}";
    ok(wf);
    ok(wf.replace("in_progress", "succeeded").replace("\"completed\":false", "\"completed\":true"));

    Registrar.RegistrationWorkflow first = client.registrar(ACCOUNT).status("ADA.com");
    Registrar.RegistrationWorkflow next = client.registrar(ACCOUNT).follow(first);

    assertThat(next.state()).isEqualTo(Registrar.RegistrationWorkflow.State.SUCCEEDED);
    assertThat(next.terminal()).isTrue();
    expect("GET", "/accounts/" + ACCOUNT + "/registrar/registrations/ada.com/registration-status");
    expect("GET", "/accounts/" + ACCOUNT + "/registrar/registrations/ada.com/registration-status");
  }

  @Test
  void registrationWorkflow_withAnUnknownState_isKeptAsUnknown() {
    ok("{\"completed\":false,\"created_at\":\"2026-11-02T09:00:00Z\",\"updated_at\":\"2026-11-02T09:00:00Z\","
        + "\"links\":{\"self\":\"/accounts/x/registrar/registrations/a.com/registration-status\"},\"state\":\"queued\"}");

    assertThat(client.registrar(ACCOUNT).status("a.com").state()).isEqualTo(Registrar.RegistrationWorkflow.State.UNKNOWN);
  }

  @Test
  void notificationPoliciesList() throws Exception {
    ok("[{\"id\":\"p1\",\"name\":\"usage\"}]");

    assertThat(client.notificationPolicies(ACCOUNT).list()).hasSize(1);
    expect("GET", "/accounts/" + ACCOUNT + "/alerting/v3/policies");
  }

  @Test
  void userTokensCreateAndPermissionGroupsUseTheUserPath() throws Exception {
    ok("[]");
    queue.enqueue(new MockResponse.Builder().code(200).body("{\"success\":true,\"errors\":[],\"messages\":[],"
        + "\"result\":{\"id\":\"t1\",\"name\":\"u\",\"status\":\"active\",\"value\":\"cfut_0123456789abcdefghijklmnopqrstuvwxyzABCD\"}}")
        .build());

    client.userTokens().permissionGroups();
    CreatedToken t = client.userTokens().create(TokenDraft.builder("u").policy(TokenPolicy.allow(
        "com.cloudflare.api.user.7c5dae5552338874e5053f2534d2767a",
        java.util.List.of(new PermissionGroup("g", "API Tokens Write", java.util.List.of())))).build());

    assertThat(t.token().id()).isEqualTo("t1");
    expect("GET", "/user/tokens/permission_groups");
    expect("POST", "/user/tokens");
  }
}
