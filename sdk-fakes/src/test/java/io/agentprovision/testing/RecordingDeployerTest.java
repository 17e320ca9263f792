package io.agentprovision.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.deploy.PreparedCredentials;
import io.agentprovision.core.deploy.RotationRequest;
import io.agentprovision.core.deploy.Verification;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.ProviderAccount;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class RecordingDeployerTest {
  private static final ProviderAccount ACCOUNT = new ProviderAccount("cloudflare", "acct_1", "conn_1", "Ada",
      "ada@example.com", ProviderAccount.LinkAction.CREATED, Map.of());
  private static final AccessConfiguration BROAD = new AccessConfiguration(Map.of("CLOUDFLARE_API_TOKEN",
      Secret.of("cf_broad_token"), "CLOUDFLARE_ACCOUNT_ID", Secret.of("acct_1")), null, null, 1);
  private static final WorkerApp APP = WorkerApp.builder("my-app")
      .module("index.js", "export default { fetch() { return new Response('hi'); } };")
      .module("lib/util.js", "export const x = 1;")
      .build();

  private final VirtualTime time = VirtualTime.create();
  private final RecordingDeployer deployer = RecordingDeployer.builder().accountSubdomain("acme").build();

  private FakeStepContext ctx(String key) {
    return FakeStepContext.builder().time(time).idempotencyKey(key).build();
  }

  private PreparedCredentials prepare(TokenSpec spec, @Nullable String domain, FakeStepContext ctx) {
    return deployer.prepareCredentials(new CredentialRequest(ACCOUNT, BROAD, spec, APP, domain), ctx);
  }

  private static void assertAuthError(Throwable t, String fragment) {
    assertThat(t).isInstanceOfSatisfying(ProviderException.class, e -> {
      assertThat(e.status()).isEqualTo(403);
      assertThat(e.code()).isEqualTo("10000");
      assertThat(e.getMessage()).contains(fragment);
    });
  }

  @Test
  void prepareCredentials_withDomain_mintsNarrowIpBoundTokenExpiringAfterTtl() {
    FakeStepContext ctx = ctx("creds");
    TokenSpec spec = TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").denyIps("203.0.113.9")
        .ttl(Duration.ofDays(7));

    PreparedCredentials p = prepare(spec, "my-app.com", ctx);

    DeployCredentials d = p.deploy();
    assertThat(d.permissions()).containsExactly("Workers Scripts Write", "Workers Routes Write", "Zone Read");
    assertThat(d.expiresAt()).isEqualTo(time.instant().plus(Duration.ofDays(7)));
    assertThat(d.accountId()).isEqualTo("acct_1");
    assertThat(d.attributes()).containsEntry("allow_ips", "203.0.113.0/24").containsEntry("deny_ips", "203.0.113.9");
    assertThat(d.token().matches("cf_broad_token")).isFalse();
    assertThat(p.broadOutcome()).isEqualTo(PreparedCredentials.BroadOutcome.KEPT);
    assertThat(p.rolledBroad()).isNull();
    assertThat(deployer.tokens()).singleElement().satisfies(t -> {
      assertThat(t.tokenId()).isEqualTo(d.tokenId());
      assertThat(t.allowIps()).containsExactly("203.0.113.0/24");
      assertThat(t.domain()).isEqualTo("my-app.com");
    });
    assertThat(ctx.audits()).singleElement().satisfies(a -> {
      assertThat(a.action()).isEqualTo("token.create");
      assertThat(a.details()).containsEntry("token_id", d.tokenId())
          .containsEntry("permissions", "Workers Scripts Write, Workers Routes Write, Zone Read");
      assertThat(a.details().values()).noneMatch(v -> v.contains(d.token().reveal()));
    });
  }

  @Test
  void prepareCredentials_withoutDomain_needsOnlyScriptsWritePlusBindingsAndExtras() {
    WorkerApp withKv = APP.toBuilder().binding(WorkerApp.Binding.kvNamespace("CACHE", "ns_1")).build();

    PreparedCredentials p = deployer.prepareCredentials(new CredentialRequest(ACCOUNT, BROAD,
        TokenSpec.leastPrivilege().extraPermission("Account Analytics Read"), withKv, null), ctx("creds"));

    assertThat(p.deploy().permissions())
        .containsExactly("Workers Scripts Write", "Workers KV Storage Write", "Account Analytics Read");
  }

  @Test
  void prepareCredentials_whenSameKey_mintsOneToken() {
    PreparedCredentials first = prepare(TokenSpec.leastPrivilege(), null, ctx("creds"));
    PreparedCredentials again = prepare(TokenSpec.leastPrivilege(), null, ctx("creds"));

    assertThat(again).isSameAs(first);
    assertThat(deployer.tokens()).hasSize(1);
  }

  @Test
  void prepareCredentials_whenSpecRollsOrDeletesBroad_reportsAndAuditsIt() {
    FakeStepContext rollCtx = ctx("roll");
    PreparedCredentials rolled = prepare(TokenSpec.leastPrivilege().retireBroadToken(TokenSpec.BroadToken.ROLL), null,
        rollCtx);
    FakeStepContext deleteCtx = ctx("delete");
    PreparedCredentials deleted = prepare(TokenSpec.leastPrivilege().retireBroadToken(TokenSpec.BroadToken.DELETE), null,
        deleteCtx);

    assertThat(rolled.broadOutcome()).isEqualTo(PreparedCredentials.BroadOutcome.ROLLED);
    assertThat(rolled.rolledBroad()).isNotNull();
    assertThat(rolled.rolledBroad().value("CLOUDFLARE_API_TOKEN").matches("cf_broad_token")).isFalse();
    assertThat(deleted.broadOutcome()).isEqualTo(PreparedCredentials.BroadOutcome.DELETED);
    assertThat(deleted.rolledBroad()).isNull();
    assertThat(rollCtx.audits()).extracting(FakeStepContext.Audit::action).containsExactly("token.create", "token.roll");
    assertThat(deleteCtx.audits()).extracting(FakeStepContext.Audit::action).containsExactly("token.create", "token.delete");
    assertThat(deployer.broadTokenActions()).extracting(RecordingDeployer.BroadTokenAction::outcome)
        .containsExactly(PreparedCredentials.BroadOutcome.ROLLED, PreparedCredentials.BroadOutcome.DELETED);
  }

  @Test
  void prepareCredentials_whenBroadHasNoToken_refusesBeforeMinting() {
    AccessConfiguration empty = new AccessConfiguration(Map.of("OTHER", Secret.of("x")), null, null, 1);

    assertThatThrownBy(() -> deployer.prepareCredentials(
        new CredentialRequest(ACCOUNT, empty, TokenSpec.leastPrivilege(), APP, null), ctx("creds")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("broad"));
    assertThat(deployer.tokens()).isEmpty();
  }

  @Test
  void deploy_recordsUploadAndReturnsWorkersDevAndCustomDomainUrls() {
    DeployCredentials creds = prepare(TokenSpec.leastPrivilege(), "my-app.com", ctx("creds")).deploy();
    FakeStepContext ctx = ctx("deploy");

    DeployedApp app = deployer.deploy(new DeployRequest(APP, creds, "my-app.com"), ctx);

    assertThat(app.url()).isEqualTo(URI.create("https://my-app.acme.workers.dev"));
    assertThat(app.customDomainUrl()).isEqualTo(URI.create("https://my-app.com"));
    assertThat(app.primaryUrl()).isEqualTo(URI.create("https://my-app.com"));
    assertThat(deployer.uploads()).singleElement().satisfies(u -> {
      assertThat(u.scriptName()).isEqualTo("my-app");
      assertThat(u.mainModule()).isEqualTo("index.js");
      assertThat(u.modules()).containsExactly("index.js", "lib/util.js");
      assertThat(u.domain()).isEqualTo("my-app.com");
      assertThat(u.tokenId()).isEqualTo(creds.tokenId());
    });
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action)
        .containsExactly("worker.upload", "worker.domain.bind");
  }

  @Test
  void deploy_whenSameScriptRedeployed_replacesIt() {
    DeployCredentials creds = prepare(TokenSpec.leastPrivilege(), null, ctx("creds")).deploy();

    DeployedApp first = deployer.deploy(new DeployRequest(APP, creds, null), ctx("deploy"));
    DeployedApp second = deployer.deploy(new DeployRequest(APP, creds, null), ctx("deploy"));

    assertThat(deployer.liveScripts()).singleElement()
        .satisfies(u -> assertThat(u.versionId()).isEqualTo(second.attributes().get("version_id")));
    assertThat(second.attributes().get("version_id")).isNotEqualTo(first.attributes().get("version_id"));
    assertThat(deployer.uploads()).hasSize(2);
  }

  @Test
  void deploy_whenTokenLacksRoutesPermissionForDomain_refuses() {
    DeployCredentials noDomain = prepare(TokenSpec.leastPrivilege(), null, ctx("creds")).deploy();

    assertAuthError(catchThrowable(() -> deployer.deploy(new DeployRequest(APP, noDomain, "my-app.com"), ctx("d"))),
        "Workers Routes Write");
    assertThat(deployer.uploads()).isEmpty();
  }

  @Test
  void deploy_whenTokenExpiredRevokedOrRolledAway_refuses() {
    DeployCredentials creds = prepare(TokenSpec.leastPrivilege().ttl(Duration.ofHours(1)), null, ctx("creds")).deploy();
    DeployCredentials rolled = deployer.rotate(new RotationRequest(creds, null, null), ctx("rotate"));

    assertAuthError(catchThrowable(() -> deployer.deploy(new DeployRequest(APP, creds, null), ctx("d1"))), "rolled");

    time.advance(Duration.ofHours(1));
    assertAuthError(catchThrowable(() -> deployer.deploy(new DeployRequest(APP, rolled, null), ctx("d2"))), "expired");

    DeployCredentials fresh = prepare(TokenSpec.leastPrivilege(), null, ctx("creds-2")).deploy();
    deployer.revoke(fresh, null, ctx("revoke"));
    assertAuthError(catchThrowable(() -> deployer.deploy(new DeployRequest(APP, fresh, null), ctx("d3"))), "deleted");
    assertThat(deployer.uploads()).isEmpty();
  }

  @Test
  void verify_whenDeployed_isLiveAtPrimaryUrl() {
    DeployCredentials creds = prepare(TokenSpec.leastPrivilege(), "my-app.com", ctx("creds")).deploy();
    DeployedApp app = deployer.deploy(new DeployRequest(APP, creds, "my-app.com"), ctx("deploy"));

    Verification v = deployer.verify(app, ctx("verify"));

    assertThat(v.live()).isTrue();
    assertThat(v.status()).isEqualTo(200);
    assertThat(v.url()).isEqualTo(URI.create("https://my-app.com"));
  }

  @Test
  void verify_whenConfiguredToFailOrNotYetLive_reportsNotLive() {
    RecordingDeployer slow = RecordingDeployer.builder().notLiveFor(2).build();
    PreparedCredentials p = slow.prepareCredentials(
        new CredentialRequest(ACCOUNT, BROAD, TokenSpec.leastPrivilege(), APP, null), ctx("creds"));
    DeployedApp app = slow.deploy(new DeployRequest(APP, p.deploy(), null), ctx("deploy"));

    assertThat(slow.verify(app, ctx("v")).live()).isFalse();
    assertThat(slow.verify(app, ctx("v")).status()).isEqualTo(522);
    assertThat(slow.verify(app, ctx("v")).live()).isTrue();

    slow.setLive(false, 500);
    assertThat(slow.verify(app, ctx("v"))).satisfies(v -> {
      assertThat(v.live()).isFalse();
      assertThat(v.status()).isEqualTo(500);
    });
  }

  @Test
  void undeploy_removesScriptOnceAndVerifyThenFails() {
    DeployCredentials creds = prepare(TokenSpec.leastPrivilege(), null, ctx("creds")).deploy();
    DeployedApp app = deployer.deploy(new DeployRequest(APP, creds, null), ctx("deploy"));

    deployer.undeploy(app, creds, ctx("undeploy"));
    deployer.undeploy(app, creds, ctx("undeploy"));

    assertThat(deployer.liveScripts()).isEmpty();
    assertThat(deployer.undeployments()).hasSize(1);
    assertThat(deployer.verify(app, ctx("v")).status()).isEqualTo(404);
  }

  @Test
  void rotate_whenSameKey_rollsOnceAndKeepsPermissions() {
    DeployCredentials creds = prepare(TokenSpec.leastPrivilege(), null, ctx("creds")).deploy();
    FakeStepContext ctx = ctx("rotate");

    DeployCredentials next = deployer.rotate(new RotationRequest(creds, null, null), ctx);
    DeployCredentials again = deployer.rotate(new RotationRequest(creds, null, null), ctx("rotate"));

    assertThat(next.tokenId()).isEqualTo(creds.tokenId());
    assertThat(next.permissions()).isEqualTo(creds.permissions());
    assertThat(next.token().matches(creds.token())).isFalse();
    assertThat(again).isSameAs(next);
    assertThat(deployer.tokens().get(0).rolls()).isEqualTo(1);
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action).containsExactly("token.roll");
  }

  @Test
  void revoke_whenRepeated_isNoOp() {
    DeployCredentials creds = prepare(TokenSpec.leastPrivilege(), null, ctx("creds")).deploy();
    FakeStepContext ctx = ctx("revoke");

    deployer.revoke(creds, null, ctx);
    deployer.revoke(creds, null, ctx);

    assertThat(deployer.tokens().get(0).revoked()).isTrue();
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action).containsExactly("token.delete");
  }

  @Test
  void deploy_whenCrashAfter_scriptIsLiveAndRedeployDoesNotDuplicate() {
    DeployCredentials creds = prepare(TokenSpec.leastPrivilege(), null, ctx("creds")).deploy();
    deployer.crashAfter("deploy", 1).failOn("verify", 1, new ProviderException("cloudflare", 0, null, null, "reset", true));

    assertThatThrownBy(() -> deployer.deploy(new DeployRequest(APP, creds, null), ctx("deploy")))
        .isInstanceOf(SimulatedCrash.class);
    DeployedApp app = deployer.deploy(new DeployRequest(APP, creds, null), ctx("deploy"));

    assertThat(deployer.liveScripts()).hasSize(1);
    assertThatThrownBy(() -> deployer.verify(app, ctx("v"))).isInstanceOf(ProviderException.class);
    assertThat(deployer.verify(app, ctx("v")).live()).isTrue();
    assertThat(deployer.calls()).extracting(FaultInjector.Call::method)
        .containsExactly("prepareCredentials", "deploy", "deploy", "verify", "verify");
  }
}
