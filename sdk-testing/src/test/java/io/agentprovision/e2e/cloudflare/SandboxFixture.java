package io.agentprovision.e2e.cloudflare;

import io.agentprovision.cloudflare.CloudflareClient;
import io.agentprovision.cloudflare.CloudflareDeployer;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.deploy.CredentialRequest;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.cloudflare.CloudflareSandbox;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A sandbox with one account, its broad token and a registered domain, and a deployer pointed at it. */
final class SandboxFixture implements AutoCloseable {
  static final String DOMAIN = "ada-app.dev";
  static final String HOST = "www.ada-app.dev";

  final VirtualTime time = VirtualTime.create();
  final CloudflareSandbox cf;
  final String account;
  final Secret broad;
  final String zoneId;
  final CloudflareDeployer deployer;

  SandboxFixture(CloudflareSandbox.WorkerdMode workerd) {
    this(workerd, b -> b);
  }

  SandboxFixture(CloudflareSandbox.WorkerdMode workerd,
      java.util.function.UnaryOperator<CloudflareDeployer.Builder> customize) {
    cf = CloudflareSandbox.builder().clock(time).workerd(workerd).build();
    account = cf.createAccount("Ada's account");
    broad = cf.mintBroadToken(account);
    zoneId = cf.registerDomain(account, DOMAIN);
    deployer = customize.apply(CloudflareDeployer.builder()
        .baseUrl(cf.baseUrl())
        .appClient(cf.appClient())
        .workersSubdomain("ada")
        .resilience(ResiliencePolicy.from(CloudflareClient.DEFAULT_RESILIENCE).rateLimit(0, Duration.ofMinutes(5)).build()))
        .build();
  }

  SandboxFixture() {
    this(CloudflareSandbox.WorkerdMode.OFF);
  }

  FakeStepContext ctx() {
    return FakeStepContext.builder().time(time).build();
  }

  AccessConfiguration broadConfig(boolean withAccountId) {
    Map<String, Secret> values = new LinkedHashMap<>();
    values.put("CLOUDFLARE_API_TOKEN", broad);
    if (withAccountId) {
      values.put("CLOUDFLARE_ACCOUNT_ID", Secret.of(account));
    }
    return new AccessConfiguration(values, null, time.instant(), 1);
  }

  ProviderAccount providerAccount() {
    return new ProviderAccount("cloudflare", account, "conn_1", "Ada", "ada@example.com",
        ProviderAccount.LinkAction.CREATED, Map.of());
  }

  CredentialRequest credentialRequest(TokenSpec spec, WorkerApp app, @Nullable String domain) {
    return new CredentialRequest(providerAccount(), broadConfig(true), spec, app, domain);
  }

  CloudflareClient client(Secret token) {
    return CloudflareClient.builder().baseUrl(cf.baseUrl()).token(token).clock(time).sleeper(time).build();
  }

  static WorkerApp helloApp() {
    return WorkerApp.builder("hello")
        .module("index.js", "import { greet } from './lib/greet.js';\n"
            + "export default { async fetch(request, env) { return new Response(greet(env.GREETING) + ' from '"
            + " + new URL(request.url).hostname + ' secret ' + env.API_KEY.length); } };\n")
        .module("lib/greet.js", "export function greet(name) { return 'hello ' + name; }\n")
        .plainText("GREETING", "ada")
        .secretText("API_KEY", Secret.of("sk-test-0123456789"))
        .build();
  }

  @Override
  public void close() {
    cf.close();
  }
}
