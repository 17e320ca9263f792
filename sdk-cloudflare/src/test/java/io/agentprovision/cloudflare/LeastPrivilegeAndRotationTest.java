package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.testing.VirtualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeastPrivilegeAndRotationTest {
  private static final String ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";
  private static final PermissionGroup SCRIPTS = new PermissionGroup("g1", "Workers Scripts Write",
      List.of(PermissionGroup.ACCOUNT_SCOPE));
  private static final PermissionGroup ROUTES = new PermissionGroup("g2", "Workers Routes Write",
      List.of(PermissionGroup.ZONE_SCOPE));
  private static final PermissionGroup KV = new PermissionGroup("g3", "Workers KV Storage Write",
      List.of(PermissionGroup.ACCOUNT_SCOPE));
  private static final PermissionGroup DNS = new PermissionGroup("g4", "DNS Read", List.of(PermissionGroup.ZONE_SCOPE));
  private static final Map<String, PermissionGroup> GROUPS = Map.of(SCRIPTS.name(), SCRIPTS, ROUTES.name(), ROUTES,
      KV.name(), KV, DNS.name(), DNS);

  @Test
  void forDeploy_withoutAZone_needsOnlyScriptsWriteOnTheAccount() {
    assertThat(LeastPrivilege.forDeploy(ACCOUNT, null)).singleElement().satisfies(g -> {
      assertThat(g.permission()).isEqualTo("Workers Scripts Write");
      assertThat(g.resourceKey()).isEqualTo("com.cloudflare.api.account." + ACCOUNT);
      assertThat(g.reason()).contains("upload");
    });
    assertThat(LeastPrivilege.permissionNames(null, TokenSpec.leastPrivilege())).containsExactly("Workers Scripts Write");
  }

  @Test
  void deployPolicies_withAZoneAndExtras_groupsPermissionsByResource() {
    TokenSpec spec = TokenSpec.leastPrivilege().extraPermission("Workers KV Storage Write").extraPermission("DNS Read");

    List<TokenPolicy> policies = LeastPrivilege.deployPolicies(ACCOUNT, "z1", spec, GROUPS);

    assertThat(policies).containsExactly(
        TokenPolicy.allow("com.cloudflare.api.account." + ACCOUNT, List.of(SCRIPTS, KV)),
        TokenPolicy.allow("com.cloudflare.api.account.zone.z1", List.of(ROUTES, DNS)));
  }

  @Test
  void deployPolicies_withAZoneOnlyExtraButNoZone_refuses() {
    assertThatThrownBy(() -> LeastPrivilege.deployPolicies(ACCOUNT, null, TokenSpec.leastPrivilege()
        .extraPermission("DNS Read"), GROUPS)).isInstanceOfSatisfying(InvalidRequestException.class,
            e -> assertThat(e.field()).isEqualTo("extraPermission"));
  }

  @Test
  void deployToken_expiresAfterTheTtlAndCarriesTheIpLists() {
    Instant now = Instant.parse("2026-11-02T09:00:00.750Z");

    TokenDraft draft = LeastPrivilege.deployToken("deploy", ACCOUNT, null, TokenSpec.leastPrivilege()
        .allowIps("203.0.113.0/24").denyIps("203.0.113.1").ttl(Duration.ofHours(12)), GROUPS, now);

    assertThat(draft.expiresOn()).isEqualTo(now.plus(Duration.ofHours(12)));
    assertThat(draft.notBefore()).isNull();
    assertThat(draft.toJson()).containsEntry("expires_on", "2026-11-02T21:00:00Z")
        .containsEntry("condition", Map.of("request_ip", Map.of("in", List.of("203.0.113.0/24"),
            "not_in", List.of("203.0.113.1"))));
  }

  @Test
  void tokenDraft_refusesBadInputBeforeAnyCall() {
    assertThatThrownBy(() -> TokenDraft.builder("x").build()).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> TokenDraft.builder("x").allowIps("example.com")).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> new TokenPolicy(null, "permit", List.of(SCRIPTS), Map.of("k", "*")))
        .isInstanceOf(InvalidRequestException.class);
  }

  private static DeployCredentials creds(String id, Instant expires) {
    return new DeployCredentials("cloudflare", ACCOUNT, id, Secret.of("v-" + id), expires, List.of(), Map.of());
  }

  @Test
  void due_listsCredentialsExpiringWithinTheLeadSoonestFirst() {
    VirtualTime time = VirtualTime.create();
    Instant now = time.instant();
    DeployCredentials soon = creds("soon", now.plus(Duration.ofHours(2)));
    DeployCredentials later = creds("later", now.plus(Duration.ofDays(3)));
    DeployCredentials expired = creds("expired", now.minus(Duration.ofMinutes(1)));
    DeployCredentials forever = new DeployCredentials("cloudflare", ACCOUNT, "forever", Secret.of("v"), null, List.of(),
        Map.of());
    TokenRotation rotation = TokenRotation.withLead(Duration.ofHours(24));

    assertThat(rotation.due(List.of(later, soon, forever, expired), time)).containsExactly(expired, soon);
    assertThat(rotation.nextCheck(List.of(later, forever))).isEqualTo(now.plus(Duration.ofDays(2)));
    time.advance(Duration.ofDays(2));
    assertThat(rotation.due(List.of(later, forever), time)).containsExactly(later);
    assertThat(rotation.nextCheck(List.of(forever))).isNull();
  }

  @Test
  void catalog_mapsServicesOntoTheModule() {
    assertThat(CloudflareCatalog.role("workers:paid")).isEqualTo(CloudflareCatalog.Role.PLAN);
    assertThat(CloudflareCatalog.role("workers")).isEqualTo(CloudflareCatalog.Role.DEPLOY_TARGET);
    assertThat(CloudflareCatalog.role("registrar:domain")).isEqualTo(CloudflareCatalog.Role.DOMAIN);
    assertThat(CloudflareCatalog.role("kv")).isEqualTo(CloudflareCatalog.Role.BINDING);
    assertThat(CloudflareCatalog.bindingType("d1")).contains("d1");
    assertThat(CloudflareCatalog.bindingType("r2:bucket")).contains("r2_bucket");
    assertThat(CloudflareCatalog.role("workers-ai")).isEqualTo(CloudflareCatalog.Role.OTHER);
    assertThat(CloudflareDeployer.create().provider()).isEqualTo("cloudflare");
    assertThat(CloudflareDeployer.create().deployableService()).isEqualTo("workers");
  }
}
