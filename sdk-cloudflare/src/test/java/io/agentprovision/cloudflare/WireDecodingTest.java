package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.wire.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.Test;

/**
 * How Cloudflare's answers are read into typed records: unknown fields tolerated, a missing required
 * field a typed error naming it, both forms of the token IP condition, both pagination styles, the
 * bare-string result of a token roll, deletes without result or body, and messages given as strings.
 */
class WireDecodingTest extends WireSupport {
  private static final String ZONE_ID = "9a7806061c88ada191ed06f989cc3dac";

  @Test
  void unknownFields_everywhere_areIgnored() {
    enqueue(200, "{\"success\":true,\"errors\":[],\"messages\":[],\"new_envelope_field\":{\"x\":[1,2]},"
        + "\"result\":{\"id\":\"" + ZONE_ID + "\",\"name\":\"example.com\",\"status\":\"active\",\"plan\":{\"id\":\"free\"},"
        + "\"account\":{\"id\":\"" + ACCOUNT + "\",\"name\":\"Ada\",\"extra\":true},\"meta\":{\"step\":4},"
        + "\"name_servers\":[\"ada.ns.cloudflare.com\"],\"activated_on\":\"2026-11-01T00:00:00.123456Z\"},"
        + "\"result_info\":{\"page\":1,\"unexpected\":\"yes\"}}");

    Zones.Zone z = client.zones().get(ZONE_ID);

    assertThat(z).isEqualTo(new Zones.Zone(ZONE_ID, "example.com", "active", ACCOUNT,
        List.of("ada.ns.cloudflare.com"), Instant.parse("2026-11-01T00:00:00.123456Z")));
  }

  @Test
  void missingRequiredField_isATypedErrorNamingTheField() {
    ok("{\"name\":\"example.com\",\"status\":\"active\"}");

    assertThatThrownBy(() -> client.zones().get(ZONE_ID))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.code()).isEqualTo(CloudflareException.MALFORMED_RESPONSE);
          assertThat(e.status()).isEqualTo(200);
          assertThat(e.retryable()).isFalse();
          assertThat(e.requestId()).isEqualTo("8f1e2d3c4b5a6978-SJC");
          assertThat(e.getMessage()).contains("'result.id'").contains("GET /zones/" + ZONE_ID);
        });
  }

  @Test
  void missingRequiredFieldInAListItem_namesTheItem() {
    ok("[{\"id\":\"d1\",\"hostname\":\"a.example.com\",\"service\":\"hello\"},{\"id\":\"d2\",\"service\":\"hello\"}]");

    assertThatThrownBy(() -> client.workers(ACCOUNT).domains(null, "hello"))
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.getMessage())
            .contains("'result[1].hostname'"));
  }

  @Test
  void missingResult_whereOneIsNeeded_isATypedError() {
    ok("null");

    assertThatThrownBy(() -> client.accountTokens(ACCOUNT).verify())
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.code()).isEqualTo(CloudflareException.MALFORMED_RESPONSE);
          assertThat(e.getMessage()).contains("'result'");
        });
  }

  @Test
  void aResultOfTheWrongShape_isATypedErrorWithItsPath() {
    ok("{\"domains\":{\"name\":\"ada.com\"}}");

    assertThatThrownBy(() -> client.registrar(ACCOUNT).check(List.of("ada.com")))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.code()).isEqualTo(CloudflareException.MALFORMED_RESPONSE);
          assertThat(e.getMessage()).contains("$.result.domains");
        });
  }

  @Test
  void tokenCondition_isReadInBothForms_andWrittenAsRequestIp() throws Exception {
    ok("{\"id\":\"t1\",\"name\":\"new\",\"status\":\"active\",\"condition\":{\"request_ip\":{\"in\":[\"203.0.113.0/24\"],"
        + "\"not_in\":[\"203.0.113.9/32\"]}}}");
    ok("{\"id\":\"t2\",\"name\":\"old\",\"status\":\"active\",\"condition\":{\"request.ip\":{\"in\":[\"10.0.0.0/8\"]}}}");

    ApiToken current = client.accountTokens(ACCOUNT).get("t1");
    ApiToken legacy = client.accountTokens(ACCOUNT).get("t2");

    assertThat(current.allowIps()).containsExactly("203.0.113.0/24");
    assertThat(current.denyIps()).containsExactly("203.0.113.9/32");
    assertThat(legacy.allowIps()).containsExactly("10.0.0.0/8");
    assertThat(legacy.denyIps()).isEmpty();
    take();
    take();

    ok("{\"id\":\"t3\",\"name\":\"d\",\"status\":\"active\",\"value\":\"cfat_0123456789abcdefghijklmnopqrstuvwxyzABCD\"}");
    client.accountTokens(ACCOUNT).create(TokenDraft.builder("d").policy(TokenPolicy.allow(
        LeastPrivilege.accountResource(ACCOUNT), List.of(new PermissionGroup("g", "Workers Scripts Write", List.of()))))
        .allowIps("198.51.100.0/24").build());
    Map<String, Object> sent = Json.parseObject(body(take()));
    assertThat(sent.get("condition")).isEqualTo(Map.of("request_ip", Map.of("in", List.of("198.51.100.0/24"))));
  }

  @Test
  void tokenPolicies_areTypedWithGroupsAndResources() {
    ok("{\"id\":\"t1\",\"name\":\"deploy\",\"status\":\"active\",\"issued_on\":\"2026-11-02T09:00:00Z\","
        + "\"expires_on\":\"not a date\",\"policies\":[{\"id\":\"p1\",\"effect\":\"allow\",\"permission_groups\":"
        + "[{\"id\":\"g1\",\"name\":\"Workers Scripts Write\",\"meta\":{}}],\"resources\":{\"com.cloudflare.api.account."
        + ACCOUNT + "\":\"*\"}},{\"id\":\"p2\",\"effect\":\"allow\",\"permission_groups\":[],\"resources\":{}}]}");

    ApiToken t = client.accountTokens(ACCOUNT).get("t1");

    assertThat(t.policies()).singleElement().satisfies(p -> {
      assertThat(p.id()).isEqualTo("p1");
      assertThat(p.permissionNames()).containsExactly("Workers Scripts Write");
      assertThat(p.resources()).containsEntry("com.cloudflare.api.account." + ACCOUNT, "*");
    });
    assertThat(t.issuedOn()).isEqualTo(Instant.parse("2026-11-02T09:00:00Z"));
    assertThat(t.expiresOn()).as("an unreadable timestamp is read as absent").isNull();
  }

  @Test
  void pagination_byPageNumbers_andByCursor() throws Exception {
    okPage("[{\"id\":\"" + ZONE_ID + "\",\"name\":\"a.com\",\"status\":\"active\"}]",
        "{\"page\":1,\"per_page\":50,\"count\":1,\"total_count\":2,\"total_pages\":2}");
    okPage("[{\"id\":\"0da2b59ef118439d8097bdfb215203c9\",\"name\":\"b.com\",\"status\":\"pending\"}]",
        "{\"page\":2,\"per_page\":50,\"count\":1,\"total_count\":2,\"total_pages\":2}");
    okPage("[{\"domain_name\":\"a.com\",\"status\":\"active\",\"auto_renew\":true}]", "{\"count\":1,\"cursor\":\"next-1\"}");
    okPage("[{\"domain_name\":\"b.com\",\"status\":\"active\"}]", "{\"count\":1}");

    assertThat(client.zones().list(ACCOUNT)).extracting(Zones.Zone::name).containsExactly("a.com", "b.com");
    assertThat(client.registrar(ACCOUNT).registrations()).extracting(Registrar.Registration::domainName,
        Registrar.Registration::autoRenew).containsExactly(org.assertj.core.groups.Tuple.tuple("a.com", true),
        org.assertj.core.groups.Tuple.tuple("b.com", false));

    assertThat(target(take())).endsWith("page=1&per_page=50");
    assertThat(target(take())).endsWith("page=2&per_page=50");
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/registrar/registrations");
    assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/registrar/registrations?cursor=next-1");
  }

  @Test
  void pageInfo_isTypedOnTheGenericResponse() {
    okPage("[]", "{\"page\":3,\"per_page\":20,\"count\":0,\"total_count\":40,\"total_pages\":2,\"cursor\":\"c\"}");

    CloudflareResponse<Object> r = client.get("/zones", Map.of(), Object.class);

    assertThat(r.page()).isEqualTo(new CloudflareResponse.PageInfo(3, 20, 0, 40, 2, "c"));
    assertThat(r.result()).isEqualTo(List.of());
  }

  @Test
  void tokenRoll_readsTheBareStringResult_andAnObjectHoldingValue() {
    ok("\"cfat_RolledAsString0123456789abcdefghijklmno\"");
    ok("{\"value\":\"cfat_RolledAsObject0123456789abcdefghijklmno\"}");
    ok("{\"id\":\"t1\"}");

    assertThat(client.accountTokens(ACCOUNT).roll("t1").reveal()).isEqualTo("cfat_RolledAsString0123456789abcdefghijklmno");
    assertThat(client.accountTokens(ACCOUNT).roll("t1").reveal()).isEqualTo("cfat_RolledAsObject0123456789abcdefghijklmno");
    assertThatThrownBy(() -> client.accountTokens(ACCOUNT).roll("t1"))
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.getMessage())
            .contains("no token value").contains("'result.value'").doesNotContain("cfat_"));
  }

  @Test
  void deletes_withoutResultOrWithoutBody_succeed() {
    enqueue(200, "{\"success\":true,\"errors\":[],\"messages\":[]}");
    queue.enqueue(new MockResponse.Builder().code(204).build());
    ok("{\"id\":\"r1\",\"anything\":[1]}");

    assertThat(client.workers(ACCOUNT).detachDomain("d1")).isTrue();
    assertThat(client.workers(ACCOUNT).deleteScript("hello")).isTrue();
    assertThat(client.workers(ACCOUNT).deleteRoute(ZONE_ID, "r1")).isTrue();
  }

  @Test
  void messagesAndErrors_givenAsStrings_areRead() {
    enqueue(400, "{\"success\":false,\"errors\":[\"plain text error\",{\"code\":1003,\"message\":\"Invalid\","
        + "\"source\":{\"pointer\":\"/name\"},\"error_chain\":[{\"code\":1004,\"message\":\"deeper\"}]}],"
        + "\"messages\":[\"note\"],\"result\":null}");

    assertThatThrownBy(() -> client.zones().get(ZONE_ID))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.errors()).hasSize(2);
          assertThat(e.errors().get(0)).isEqualTo(CloudflareError.of(0, "plain text error"));
          assertThat(e.errors().get(1).pointer()).isEqualTo("/name");
          assertThat(e.hasCode(1004)).isTrue();
          assertThat(e.messages()).containsExactly(CloudflareError.of(0, "note"));
        });
  }

  @Test
  void aResultWithNumbersAsStrings_andStringsAsNumbers_isRead() {
    ok("{\"id\":\"hello\",\"etag\":42,\"startup_time_ms\":\"7\"}");
    ok("[{\"id\":\"g1\",\"name\":\"Workers Scripts Write\"}]");

    Workers.WorkerScript s = client.workers(ACCOUNT).upload(io.agentprovision.core.WorkerApp.builder("hello")
        .module("index.js", "export default {}").build());
    List<PermissionGroup> groups = client.accountTokens(ACCOUNT).permissionGroups();

    assertThat(s.etag()).isEqualTo("42");
    assertThat(s.startupTimeMs()).isEqualTo(7);
    assertThat(groups).singleElement().satisfies(g -> assertThat(g.appliesToAccounts()).isTrue());
  }
}
