package io.agentprovision.e2e.cloudflare;

import io.agentprovision.cloudflare.Accounts;
import io.agentprovision.cloudflare.CloudflareClient;
import io.agentprovision.cloudflare.CloudflareDeployer;
import io.agentprovision.cloudflare.CloudflareException;
import io.agentprovision.cloudflare.Workers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisionException;
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
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import io.agentprovision.testing.cloudflare.CloudflareSandbox.PolicyView;
import io.agentprovision.testing.cloudflare.CloudflareSandbox.TokenView;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CloudflareDeployerSandboxTest {
  private final SandboxFixture f = new SandboxFixture();
  private final FakeStepContext ctx = f.ctx();

  @AfterEach
  void close() {
    f.close();
  }

  private PreparedCredentials prepare(TokenSpec spec, String domain) {
    return f.deployer.prepareCredentials(f.credentialRequest(spec, SandboxFixture.helloApp(), domain), ctx);
  }

  @Test
  void prepareCredentials_withCustomDomain_mintsExactlyTheNeededPolicies() {
    PreparedCredentials prepared = prepare(TokenSpec.leastPrivilege().ttl(Duration.ofDays(2))
        .allowIps("127.0.0.1/32", "203.0.113.0/24").denyIps("203.0.113.66"), SandboxFixture.HOST);

    TokenView minted = f.cf.token(prepared.deploy().tokenId()).orElseThrow();
    assertThat(minted.policies()).containsExactly(
        new PolicyView("allow", List.of("Workers Scripts Write"), Map.of("com.cloudflare.api.account." + f.account, "*")),
        new PolicyView("allow", List.of("Workers Routes Write"), Map.of("com.cloudflare.api.account.zone." + f.zoneId, "*")));
    assertThat(minted.allowIps()).containsExactly("127.0.0.1/32", "203.0.113.0/24");
    assertThat(minted.denyIps()).containsExactly("203.0.113.66");
    assertThat(minted.expiresOn()).isEqualTo(f.time.instant().plus(Duration.ofDays(2)));
    assertThat(minted.accountId()).isEqualTo(f.account);

    DeployCredentials deploy = prepared.deploy();
    assertThat(deploy.permissions()).containsExactly("Workers Scripts Write", "Workers Routes Write");
    assertThat(deploy.expiresAt()).isEqualTo(minted.expiresOn());
    assertThat(deploy.attributes()).containsEntry("zone_id", f.zoneId).containsEntry("zone_name", SandboxFixture.DOMAIN);
    assertThat(prepared.broadOutcome()).isEqualTo(PreparedCredentials.BroadOutcome.KEPT);
    assertThat(prepared.rolledBroad()).isNull();

    FakeStepContext.Audit mint = ctx.audits().stream().filter(a -> a.action().equals("cloudflare.token.mint")).findFirst()
        .orElseThrow();
    assertThat(mint.details()).containsEntry("token_id", minted.id())
        .containsEntry("permissions", "Workers Scripts Write, Workers Routes Write");
    assertThat(ctx.audits().toString()).doesNotContain(deploy.token().reveal()).doesNotContain(f.broad.reveal());
  }

  @Test
  void prepareCredentials_withoutDomain_grantsOnlyScriptsWriteOnTheAccount() {
    PreparedCredentials prepared = prepare(TokenSpec.leastPrivilege(), null);

    TokenView minted = f.cf.token(prepared.deploy().tokenId()).orElseThrow();
    assertThat(minted.policies()).containsExactly(
        new PolicyView("allow", List.of("Workers Scripts Write"), Map.of("com.cloudflare.api.account." + f.account, "*")));
    assertThat(minted.allowIps()).isEmpty();
    assertThat(minted.expiresOn()).isEqualTo(f.time.instant().plus(TokenSpec.DEFAULT_TTL));
  }

  @Test
  void prepareCredentials_withExtraZonePermission_grantsItOnTheZoneOnly() {
    PreparedCredentials prepared = prepare(TokenSpec.leastPrivilege().extraPermission("DNS Read"), SandboxFixture.HOST);

    assertThat(f.cf.token(prepared.deploy().tokenId()).orElseThrow().policies()).containsExactly(
        new PolicyView("allow", List.of("Workers Scripts Write"), Map.of("com.cloudflare.api.account." + f.account, "*")),
        new PolicyView("allow", List.of("Workers Routes Write", "DNS Read"),
            Map.of("com.cloudflare.api.account.zone." + f.zoneId, "*")));
  }

  @Test
  void prepareCredentials_withRoll_rollsTheBroadTokenSoItsOldValueIsRefused() {
    PreparedCredentials prepared = prepare(TokenSpec.leastPrivilege().retireBroadToken(TokenSpec.BroadToken.ROLL), null);

    assertThat(prepared.broadOutcome()).isEqualTo(PreparedCredentials.BroadOutcome.ROLLED);
    Secret rolled = prepared.rolledBroad().value("CLOUDFLARE_API_TOKEN");
    assertThat(rolled).isNotNull();
    assertThatThrownBy(() -> f.client(f.broad).accounts().list())
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.status()).isEqualTo(401);
          assertThat(e.hasCode(1000)).isTrue();
        });
    assertThat(f.client(rolled).accounts().list()).extracting(Accounts.Account::id).containsExactly(f.account);
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action).contains("cloudflare.token.roll");
  }

  @Test
  void prepareCredentials_withDelete_deletesTheBroadToken() {
    PreparedCredentials prepared = prepare(TokenSpec.leastPrivilege().retireBroadToken(TokenSpec.BroadToken.DELETE), null);

    assertThat(prepared.broadOutcome()).isEqualTo(PreparedCredentials.BroadOutcome.DELETED);
    assertThat(f.cf.tokens(f.account)).extracting(TokenView::id).containsExactly(prepared.deploy().tokenId());
    assertThat(ctx.audits()).filteredOn(a -> a.action().equals("cloudflare.token.delete")).hasSize(1);
  }

  /** The requests that list the account's tokens (not the permission groups, not a token's own verification). */
  private long tokenListRequests() {
    return f.cf.requests().stream().filter(r -> r.method().equals("GET")
        && r.pathOnly().endsWith("/accounts/" + f.account + "/tokens")).count();
  }

  private CredentialRequest attempt(int attempt) {
    return CredentialRequest.builder(f.providerAccount(), f.broadConfig(true), TokenSpec.leastPrivilege(),
        SandboxFixture.helloApp()).domain(SandboxFixture.HOST).attempt(attempt).build();
  }

  @Test
  void prepareCredentials_onTheStepsFirstAttempt_doesNotListTheAccountsTokens() {
    // an account shared by many apps: a walk of its token list would cost requests for every run
    for (int i = 0; i < 120; i++) {
      f.cf.mintBroadToken(f.account);
    }

    PreparedCredentials prepared = f.deployer.prepareCredentials(attempt(1), ctx);

    assertThat(tokenListRequests()).isZero();
    assertThat(f.cf.token(prepared.deploy().tokenId())).isPresent();
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action).doesNotContain("cloudflare.token.delete");
  }

  @Test
  void prepareCredentials_onARetryAfterTheTokenWasMadeButNotKept_deletesTheLeftoverAndMintsOne() {
    // the first attempt made its token, then the host died before the step kept it: its value is lost
    String lost = f.deployer.prepareCredentials(attempt(1), ctx).deploy().tokenId();
    String name = f.cf.token(lost).orElseThrow().name();

    PreparedCredentials retried = f.deployer.prepareCredentials(attempt(2), ctx);

    assertThat(tokenListRequests()).isPositive();
    assertThat(f.cf.tokens(f.account)).filteredOn(t -> t.name().equals(name)).extracting(TokenView::id)
        .containsExactly(retried.deploy().tokenId());
    assertThat(f.cf.token(lost)).isEmpty();
    assertThat(ctx.audits()).filteredOn(a -> a.action().equals("cloudflare.token.delete"))
        .extracting(a -> a.details().get("token_id")).containsExactly(lost);
  }

  @Test
  void prepareCredentials_whenTheAccountIdIsNotGiven_findsItWithGetAccounts() {
    CredentialRequest request = new CredentialRequest(f.providerAccount(), f.broadConfig(false), TokenSpec.leastPrivilege(),
        SandboxFixture.helloApp(), null);

    PreparedCredentials prepared = f.deployer.prepareCredentials(request, ctx);

    assertThat(prepared.deploy().accountId()).isEqualTo(f.account);
    assertThat(f.cf.requests()).extracting(CloudflareSandbox.RecordedRequest::pathOnly).contains("/accounts");
  }

  @Test
  void prepareCredentials_withCustomCredentialNames_readsThem() {
    CloudflareDeployer custom = CloudflareDeployer.builder().baseUrl(f.cf.baseUrl()).tokenKey("cf_token")
        .accountIdKey("cf_account").build();
    AccessConfiguration config = new AccessConfiguration(Map.of("cf_token", f.broad, "cf_account", Secret.of(f.account)),
        null, null, 1);

    PreparedCredentials prepared = custom.prepareCredentials(new CredentialRequest(f.providerAccount(), config,
        TokenSpec.leastPrivilege(), SandboxFixture.helloApp(), null), ctx);

    assertThat(prepared.deploy().accountId()).isEqualTo(f.account);
    assertThatThrownBy(() -> f.deployer.prepareCredentials(new CredentialRequest(f.providerAccount(), config,
        TokenSpec.leastPrivilege(), SandboxFixture.helloApp(), null), ctx))
        .isInstanceOfSatisfying(io.agentprovision.core.InvalidRequestException.class,
            e -> assertThat(e.problem()).contains("CLOUDFLARE_API_TOKEN").doesNotContain(f.broad.reveal()));
  }

  @Test
  void prepareCredentials_whenTheDomainHasNoZoneInTheAccount_mintsNothing() {
    assertThatThrownBy(() -> prepare(TokenSpec.leastPrivilege(), "app.not-mine.com"))
        .isInstanceOf(AgentProvisionException.class).hasMessageContaining("no zone");
    assertThat(f.cf.tokens(f.account)).hasSize(1); // only the broad token
  }

  @Test
  void narrowToken_fromOutsideItsAllowedIps_isRefusedBySandbox() {
    f.cf.clientIp("203.0.113.7");
    PreparedCredentials prepared = prepare(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24"), SandboxFixture.HOST);

    f.cf.clientIp("198.51.100.9");
    DeployRequest request = new DeployRequest(SandboxFixture.helloApp(), prepared.deploy(), SandboxFixture.HOST);
    assertThatThrownBy(() -> f.deployer.deploy(request, ctx))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.hasCode(9109)).isTrue();
          assertThat(e.getMessage()).contains("198.51.100.9").doesNotContain(prepared.deploy().token().reveal());
        });
    assertThat(f.cf.scripts(f.account)).isEmpty();

    f.cf.clientIp("203.0.113.200");
    assertThat(f.deployer.deploy(request, ctx).scriptName()).isEqualTo("hello");
  }

  @Test
  void prepareCredentials_retiringTheBroadToken_whenThisHostIsOutsideTheAllowList_deletesTheNewTokenAndKeepsTheBroadOne() {
    f.cf.clientIp("198.51.100.9");
    String broadId = f.cf.tokens(f.account).get(0).id();

    // the broad credential would be rolled: the token replacing it must work from this host first
    assertThatThrownBy(() -> prepare(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24")
        .retireBroadToken(TokenSpec.BroadToken.ROLL), null))
        .isInstanceOf(AgentProvisionException.class).hasMessageContaining("allowIps");
    assertThat(f.cf.tokens(f.account)).extracting(TokenView::id).containsExactly(broadId);
    assertThat(f.client(f.broad).accounts().list()).extracting(Accounts.Account::id).containsExactly(f.account);
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action).doesNotContain("cloudflare.token.roll");
  }

  /** The requests that verify the calling token. */
  private List<CloudflareSandbox.RecordedRequest> verifications() {
    return f.cf.requests().stream().filter(r -> r.pathOnly().endsWith("/tokens/verify")).toList();
  }

  @Test
  void prepareCredentials_keepingTheBroadToken_leavesTheVerificationToTheDeploy() {
    prepare(TokenSpec.leastPrivilege(), SandboxFixture.HOST);

    assertThat(verifications()).isEmpty();
  }

  @Test
  void deploy_verifiesTheTokenBesideItsFirstCalls_andBindsNothingBeforeItHasVerified() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), SandboxFixture.HOST).deploy();
    int before = f.cf.requests().size();

    f.deployer.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST), ctx);

    List<CloudflareSandbox.RecordedRequest> calls = f.cf.requests().subList(before, f.cf.requests().size());
    assertThat(verifications()).singleElement().satisfies(v -> {
      assertThat(v.tokenId()).isEqualTo(deploy.tokenId());
      assertThat(v.status()).isEqualTo(200);
    });
    int verified = indexOf(calls, "GET", "/tokens/verify");
    assertThat(verified).isGreaterThanOrEqualTo(0)
        .isLessThan(indexOf(calls, "POST", "/workers/scripts/hello/subdomain"))
        .isLessThan(indexOf(calls, "PUT", "/workers/domains"));
  }

  private static int indexOf(List<CloudflareSandbox.RecordedRequest> calls, String method, String pathEnd) {
    for (int i = 0; i < calls.size(); i++) {
      if (calls.get(i).method().equals(method) && calls.get(i).pathOnly().endsWith(pathEnd)) {
        return i;
      }
    }
    throw new AssertionError("no " + method + " …" + pathEnd + " in " + calls);
  }

  @Test
  void deploy_withATokenRevokedSinceItWasMinted_failsBeforeBindingAnything() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), SandboxFixture.HOST).deploy();
    f.cf.revokeToken(deploy.tokenId());

    assertThatThrownBy(() -> f.deployer.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST),
        ctx)).isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.status()).isEqualTo(401));
    assertThat(f.cf.scripts(f.account)).isEmpty();
    assertThat(f.cf.workerDomains(f.account)).isEmpty();
  }

  @Test
  void narrowToken_cannotMintTokensNorTouchOtherZones() {
    String otherZone = f.cf.registerDomain(f.account, "other-site.com");
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), SandboxFixture.HOST).deploy();
    CloudflareClient narrow = f.client(deploy.token());

    assertThatThrownBy(() -> narrow.accountTokens(f.account).permissionGroups())
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.hasCode(10000)).isTrue());
    narrow.workers(f.account).ensureSubdomain("ada");
    narrow.workers(f.account).upload(SandboxFixture.helloApp());
    assertThatThrownBy(() -> narrow.workers(f.account).attachDomain("www.other-site.com", "hello", otherZone))
        .isInstanceOfSatisfying(CloudflareException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.hasCode(10000)).isTrue();
        });
    assertThat(narrow.workers(f.account).attachDomain(SandboxFixture.HOST, "hello", f.zoneId).hostname())
        .isEqualTo(SandboxFixture.HOST);
  }

  @Test
  void deploy_uploadsEnablesWorkersDevAndAttachesTheDomain() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), SandboxFixture.HOST).deploy();

    DeployedApp app = f.deployer.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST), ctx);

    assertThat(app.url()).isEqualTo(URI.create("https://hello.ada.workers.dev/"));
    assertThat(app.customDomainUrl()).isEqualTo(URI.create("https://www.ada-app.dev/"));
    assertThat(f.cf.workersSubdomain(f.account)).contains("ada");
    CloudflareSandbox.ScriptView script = f.cf.script(f.account, "hello").orElseThrow();
    assertThat(script.mainModule()).isEqualTo("index.js");
    assertThat(script.modules()).containsOnlyKeys("index.js", "lib/greet.js");
    assertThat(script.subdomainEnabled()).isTrue();
    assertThat(script.bindings()).extracting(b -> b.get("name")).containsExactly("GREETING", "API_KEY");
    assertThat(f.cf.secretBindingMatches(f.account, "hello", "API_KEY", Secret.of("sk-test-0123456789"))).isTrue();
    assertThat(f.cf.workerDomains(f.account)).singleElement()
        .satisfies(d -> {
          assertThat(d.hostname()).isEqualTo(SandboxFixture.HOST);
          assertThat(d.service()).isEqualTo("hello");
          assertThat(d.zoneId()).isEqualTo(f.zoneId);
        });
    assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action)
        .contains("cloudflare.worker.upload", "cloudflare.worker.subdomain", "cloudflare.worker.domain");
    assertThat(ctx.audits().toString()).doesNotContain("sk-test-0123456789");
  }

  @Test
  void deploy_twice_replacesTheScriptWithoutDuplicates() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), SandboxFixture.HOST).deploy();
    f.deployer.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST), ctx);
    WorkerApp v2 = SandboxFixture.helloApp().toBuilder()
        .module("index.js", "export default { fetch() { return new Response('v2'); } };").build();

    DeployedApp again = f.deployer.deploy(new DeployRequest(v2, deploy, SandboxFixture.HOST), ctx);

    assertThat(f.cf.scripts(f.account)).singleElement().satisfies(s -> {
      assertThat(s.uploads()).isEqualTo(2);
      assertThat(s.modules().get("index.js").text()).contains("v2");
    });
    assertThat(f.cf.workerDomains(f.account)).hasSize(1);
    assertThat(again.attributes().get("domain_id")).isEqualTo(f.cf.workerDomains(f.account).get(0).id());
  }

  @Test
  void deploy_inRouteMode_createsOneRouteOnTheZone() {
    CloudflareDeployer routes = CloudflareDeployer.builder().baseUrl(f.cf.baseUrl()).workersSubdomain("ada")
        .bindMode(CloudflareDeployer.BindMode.ROUTE).build();
    DeployCredentials deploy = routes.prepareCredentials(f.credentialRequest(TokenSpec.leastPrivilege(),
        SandboxFixture.helloApp(), SandboxFixture.HOST), ctx).deploy();

    routes.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST), ctx);
    DeployedApp app = routes.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST), ctx);

    assertThat(f.cf.routes(f.zoneId)).singleElement().satisfies(r -> {
      assertThat(r.pattern()).isEqualTo("www.ada-app.dev/*");
      assertThat(r.script()).isEqualTo("hello");
    });
    routes.undeploy(app, deploy, ctx);
    assertThat(f.cf.routes(f.zoneId)).isEmpty();
    assertThat(f.cf.scripts(f.account)).isEmpty();
  }

  @Test
  void undeploy_detachesTheDomainAndDeletesTheScript() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), SandboxFixture.HOST).deploy();
    DeployedApp app = f.deployer.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, SandboxFixture.HOST), ctx);

    f.deployer.undeploy(app, deploy, ctx);
    f.deployer.undeploy(app, deploy, ctx);

    assertThat(f.cf.workerDomains(f.account)).isEmpty();
    assertThat(f.cf.scripts(f.account)).isEmpty();
    assertThat(ctx.audits()).filteredOn(a -> a.action().equals("cloudflare.worker.delete"))
        .extracting(FakeStepContext.Audit::outcome).containsExactly("deleted", "absent");
  }

  @Test
  void rotate_withTheBroadTokenAsAuthority_rollsTheDeployToken() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), null).deploy();

    DeployCredentials rotated = f.deployer.rotate(deploy, f.broad, ctx);

    assertThat(rotated.tokenId()).isEqualTo(deploy.tokenId());
    assertThat(rotated.token().matches(deploy.token())).isFalse();
    assertThat(rotated.expiresAt()).isEqualTo(deploy.expiresAt());
    assertThatThrownBy(() -> f.client(deploy.token()).workers(f.account).scripts())
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.status()).isEqualTo(401));
    assertThat(f.client(rotated.token()).workers(f.account).scripts()).isEmpty();
  }

  @Test
  void rotate_withoutAuthority_isRefusedBecauseTheDeployTokenCannotManageTokens() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), null).deploy();

    assertThatThrownBy(() -> f.deployer.rotate(new RotationRequest(deploy, null, null), ctx))
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.hasCode(10000)).isTrue());

    CloudflareDeployer withAuthority = CloudflareDeployer.builder().baseUrl(f.cf.baseUrl())
        .rotationAuthority(c -> f.broad).build();
    assertThat(withAuthority.rotate(new RotationRequest(deploy, null, null), ctx).token().matches(deploy.token())).isFalse();
  }

  @Test
  void renew_movesTheExpiryAndRollsTheValue() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege().ttl(Duration.ofDays(1)), null).deploy();
    f.time.advance(Duration.ofHours(20));

    DeployCredentials renewed = f.deployer.renew(deploy, f.broad, Duration.ofDays(3), ctx);

    assertThat(renewed.expiresAt()).isEqualTo(f.time.instant().plus(Duration.ofDays(3)));
    assertThat(f.cf.token(deploy.tokenId()).orElseThrow().expiresOn()).isEqualTo(renewed.expiresAt());
    assertThat(f.cf.token(deploy.tokenId()).orElseThrow().policies()).hasSize(1);
    f.time.advance(Duration.ofDays(2));
    assertThat(f.client(renewed.token()).accountTokens(f.account).verify().active()).isTrue();
  }

  @Test
  void deployToken_afterItsTtl_isRefused() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege().ttl(Duration.ofHours(1)), null).deploy();
    f.time.advance(Duration.ofHours(2));

    assertThatThrownBy(() -> f.client(deploy.token()).workers(f.account).scripts())
        .isInstanceOfSatisfying(CloudflareException.class, e -> assertThat(e.hasCode(1000)).isTrue());
  }

  @Test
  void revoke_deletesTheTokenAndToleratesASecondCall() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), null).deploy();

    f.deployer.revoke(deploy, f.broad, ctx);
    f.deployer.revoke(deploy, f.broad, ctx);

    assertThat(f.cf.token(deploy.tokenId())).isEmpty();
    assertThat(ctx.audits()).filteredOn(a -> a.action().equals("cloudflare.token.delete"))
        .extracting(FakeStepContext.Audit::outcome).containsExactly("deleted", "absent");
  }

  @Test
  void verify_withoutWorkerd_saysThereIsNoLocalRuntime() {
    DeployCredentials deploy = prepare(TokenSpec.leastPrivilege(), null).deploy();
    DeployedApp app = f.deployer.deploy(new DeployRequest(SandboxFixture.helloApp(), deploy, null), ctx);

    Verification v = f.deployer.verify(app, ctx);

    assertThat(v.live()).isFalse();
    assertThat(v.status()).isZero();
    assertThat(v.note()).contains(CloudflareDeployer.NO_RUNTIME);
  }

  @Test
  void prepareCredentials_again_deletesTheLeftoverTokenOfTheSameRun() {
    // no attempt given (CredentialRequest.UNKNOWN_ATTEMPT): the deployer looks for leftovers as on a retry
    PreparedCredentials first = prepare(TokenSpec.leastPrivilege(), null);
    PreparedCredentials second = prepare(TokenSpec.leastPrivilege(), null);

    assertThat(f.cf.token(first.deploy().tokenId())).isEmpty();
    assertThat(f.cf.tokens(f.account)).extracting(TokenView::id)
        .containsExactlyInAnyOrder(f.cf.tokens(f.account).get(0).id(), second.deploy().tokenId()).hasSize(2);
  }
}
