package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.wire.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

class ApiTokensWireTest extends WireSupport {
  private static final String GROUPS = "[{\"id\":\"c8fed203ed3043cba015a93ad1616f1f\",\"name\":\"Workers Scripts Write\","
      + "\"category\":\"developer_platform\",\"scopes\":[\"com.cloudflare.api.account\"]},"
      + "{\"id\":\"e086da7e2179491d91ee5f35b3ca210a\",\"name\":\"Workers Routes Write\",\"category\":\"developer_platform\","
      + "\"scopes\":[\"com.cloudflare.api.account.zone\"]}]";
  private static final String ZONE = "9a7806061c88ada191ed06f989cc3dac";
  private static final String VALUE = "cfat_NewTokenValue0123456789abcdefghijklmnop";

  @Test
  void permissionGroups_byName_looksThemUpInOneCall() throws Exception {
    ok(GROUPS);

    Map<String, PermissionGroup> groups = client.accountTokens(ACCOUNT)
        .permissionGroups(List.of("workers routes write", "Workers Scripts Write"));

    assertThat(groups.get("workers routes write").id()).isEqualTo("e086da7e2179491d91ee5f35b3ca210a");
    assertThat(groups.get("Workers Scripts Write").appliesToAccounts()).isTrue();
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("GET");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/tokens/permission_groups");
  }

  @Test
  void permissionGroups_withAnUnknownName_namesIt() {
    ok(GROUPS);

    assertThatThrownBy(() -> client.accountTokens(ACCOUNT).permissionGroups(List.of("Workers Scripts Writ")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("Workers Scripts Writ"));
  }

  @Test
  void create_sendsTheLeastPrivilegeDraftExactly() throws Exception {
    ok(GROUPS);
    ok("{\"id\":\"ed17574386854bf78a67040be0a770b0\",\"name\":\"deploy hello\",\"status\":\"active\",\"policies\":[],"
        + "\"value\":\"" + VALUE + "\"}");
    ApiTokens tokens = client.accountTokens(ACCOUNT);
    TokenSpec spec = TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").denyIps("203.0.113.9").ttl(Duration.ofDays(7));
    Map<String, PermissionGroup> groups = tokens.permissionGroups(LeastPrivilege.permissionNames(ZONE, spec));

    CreatedToken created = tokens.create(LeastPrivilege.deployToken("deploy hello", ACCOUNT, ZONE, spec, groups,
        time.instant()));

    assertThat(created.value().reveal()).isEqualTo(VALUE);
    assertThat(created.token().id()).isEqualTo("ed17574386854bf78a67040be0a770b0");
    assertThat(created.toString()).doesNotContain(VALUE);
    take();
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/tokens");
    assertThat(r.getHeaders().get("Content-Type")).startsWith("application/json");
    assertThat(Json.parse(body(r))).isEqualTo(Json.parse("{\"name\":\"deploy hello\",\"policies\":["
        + "{\"effect\":\"allow\",\"permission_groups\":[{\"id\":\"c8fed203ed3043cba015a93ad1616f1f\"}],"
        + "\"resources\":{\"com.cloudflare.api.account." + ACCOUNT + "\":\"*\"}},"
        + "{\"effect\":\"allow\",\"permission_groups\":[{\"id\":\"e086da7e2179491d91ee5f35b3ca210a\"}],"
        + "\"resources\":{\"com.cloudflare.api.account.zone." + ZONE + "\":\"*\"}}],"
        + "\"condition\":{\"request_ip\":{\"in\":[\"203.0.113.0/24\"],\"not_in\":[\"203.0.113.9\"]}},"
        + "\"expires_on\":\"2026-11-09T09:00:00Z\"}"));
  }

  @Test
  void create_whenTheAnswerHasNoValue_fails() {
    ok("{\"id\":\"ed17574386854bf78a67040be0a770b0\",\"name\":\"x\",\"status\":\"active\"}");
    TokenDraft draft = TokenDraft.builder("x").policy(TokenPolicy.allow(LeastPrivilege.accountResource(ACCOUNT),
        List.of(new PermissionGroup("g", "Workers Scripts Write", List.of())))).build();

    assertThatThrownBy(() -> client.accountTokens(ACCOUNT).create(draft)).isInstanceOf(CloudflareException.class)
        .hasMessageContaining("no token value");
  }

  @Test
  void verify_callsTheAccountVerifyEndpoint() throws Exception {
    ok("{\"id\":\"ed17574386854bf78a67040be0a770b0\",\"status\":\"active\",\"expires_on\":\"2026-11-09T09:00:00Z\"}");

    TokenVerification v = client.accountTokens(ACCOUNT).verify();

    assertThat(v.active()).isTrue();
    assertThat(v.expiresOn()).isEqualTo(Instant.parse("2026-11-09T09:00:00Z"));
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/tokens/verify");
  }

  @Test
  void roll_putsAnEmptyObjectAndReadsTheBareStringResult() throws Exception {
    ok("\"" + VALUE + "\"");

    Secret rolled = client.accountTokens(ACCOUNT).roll("ed17574386854bf78a67040be0a770b0");

    assertThat(rolled.reveal()).isEqualTo(VALUE);
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("PUT");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/tokens/ed17574386854bf78a67040be0a770b0/value");
    assertThat(body(r)).isEqualTo("{}");
  }

  @Test
  void roll_ofAUserToken_usesTheUserPath() throws Exception {
    ok("\"" + VALUE + "\"");

    client.userTokens().roll("t1");

    assertThat(target(take())).isEqualTo("/user/tokens/t1/value");
  }

  @Test
  void delete_returnsWhetherThereWasOne() throws Exception {
    ok("{\"id\":\"t1\"}");
    fail(404, 1003, "Invalid token id");

    assertThat(client.accountTokens(ACCOUNT).delete("t1")).isTrue();
    assertThat(client.accountTokens(ACCOUNT).delete("t1")).isFalse();
    RecordedRequest r = take();
    assertThat(r.getMethod()).isEqualTo("DELETE");
    assertThat(target(r)).isEqualTo("/accounts/" + ACCOUNT + "/tokens/t1");
    assertThat(r.getBodySize()).isZero();
  }

  @Test
  void get_readsTheOlderRequestDotIpConditionKey() {
    ok("{\"id\":\"t1\",\"name\":\"old\",\"status\":\"active\",\"condition\":{\"request.ip\":{\"in\":[\"10.0.0.0/8\"],"
        + "\"not_in\":[\"10.0.0.1\"]}},\"policies\":[{\"id\":\"p1\",\"effect\":\"allow\",\"permission_groups\":"
        + "[{\"id\":\"g1\",\"name\":\"Workers Scripts Write\"}],\"resources\":{\"com.cloudflare.api.account.a\":\"*\"}}]}");

    ApiToken t = client.accountTokens(ACCOUNT).get("t1");

    assertThat(t.allowIps()).containsExactly("10.0.0.0/8");
    assertThat(t.denyIps()).containsExactly("10.0.0.1");
    assertThat(t.permissionNames()).containsExactly("Workers Scripts Write");
  }

  @Test
  void extend_keepsPoliciesAndConditionAndMovesTheExpiry() throws Exception {
    String token = "{\"id\":\"t1\",\"name\":\"deploy\",\"status\":\"active\",\"expires_on\":\"2026-11-03T09:00:00Z\","
        + "\"condition\":{\"request_ip\":{\"in\":[\"203.0.113.0/24\"]}},\"policies\":[{\"id\":\"p1\",\"effect\":\"allow\","
        + "\"permission_groups\":[{\"id\":\"g1\",\"name\":\"Workers Scripts Write\"}],"
        + "\"resources\":{\"com.cloudflare.api.account." + ACCOUNT + "\":\"*\"}}]}";
    ok(token);
    ok(token.replace("2026-11-03", "2026-11-10"));

    ApiToken extended = client.accountTokens(ACCOUNT).extend("t1", Instant.parse("2026-11-10T09:00:00Z"));

    assertThat(extended.expiresOn()).isEqualTo(Instant.parse("2026-11-10T09:00:00Z"));
    take();
    RecordedRequest put = take();
    assertThat(put.getMethod()).isEqualTo("PUT");
    assertThat(target(put)).isEqualTo("/accounts/" + ACCOUNT + "/tokens/t1");
    assertThat(Json.parse(body(put))).isEqualTo(Json.parse("{\"name\":\"deploy\",\"policies\":[{\"effect\":\"allow\","
        + "\"permission_groups\":[{\"id\":\"g1\"}],\"resources\":{\"com.cloudflare.api.account." + ACCOUNT + "\":\"*\"}}],"
        + "\"condition\":{\"request_ip\":{\"in\":[\"203.0.113.0/24\"]}},\"expires_on\":\"2026-11-10T09:00:00Z\","
        + "\"status\":\"active\"}"));
  }

  @Test
  void list_walksPages() throws Exception {
    okPage("[{\"id\":\"t1\",\"name\":\"a\",\"status\":\"active\"}]", "{\"page\":1,\"per_page\":50,\"total_pages\":1}");

    assertThat(client.accountTokens(ACCOUNT).list()).extracting(ApiToken::id).containsExactly("t1");
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/tokens?page=1&per_page=50");
  }

  @Test
  void named_walksEveryPage_andKeepsOnlyTheTokensOfThatName() throws Exception {
    okPage("[{\"id\":\"t1\",\"name\":\"deploy app run-1\",\"status\":\"active\"},"
        + "{\"id\":\"t2\",\"name\":\"deploy app run-2\",\"status\":\"active\"}]",
        "{\"page\":1,\"per_page\":50,\"total_pages\":2}");
    okPage("[{\"id\":\"t3\",\"name\":\"deploy app run-11\",\"status\":\"active\"},"
        + "{\"id\":\"t4\",\"name\":\"deploy app run-1\",\"status\":\"disabled\"}]",
        "{\"page\":2,\"per_page\":50,\"total_pages\":2}");

    List<ApiToken> found = client.accountTokens(ACCOUNT).named("deploy app run-1");

    assertThat(found).extracting(ApiToken::id).containsExactly("t1", "t4");
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/tokens?page=1&per_page=50");
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/tokens?page=2&per_page=50");
  }

  @Test
  void roll_whenRefused_isAnAuthenticationError() {
    queue.enqueue(new MockResponse.Builder().code(403).body("{\"success\":false,\"errors\":[{\"code\":10000,"
        + "\"message\":\"Authentication error\"}],\"messages\":[],\"result\":null}").build());
    client = client.toBuilder().resilience(io.agentprovision.core.http.ResiliencePolicy.custom().maxAttempts(1).build()).build();

    assertThatThrownBy(() -> client.accountTokens(ACCOUNT).roll("t1"))
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.hasCode(CloudflareException.AUTHENTICATION_ERROR))
            .isTrue());
  }
}
