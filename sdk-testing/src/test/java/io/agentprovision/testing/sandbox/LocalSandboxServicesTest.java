package io.agentprovision.testing.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunEnvironment;
import io.agentprovision.core.Secret;
import io.agentprovision.core.ServiceRequest;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import java.util.List;
import java.util.Map;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A D1 database and a KV namespace, no app, through the SDK's real adapters on {@link LocalSandbox}
 * (Stripe Projects, or the host orchestrating directly): the provider creates both with the
 * configurations asked for, each resource's Cloudflare credentials land in the vault and are listed
 * as references, and a configuration the provider's schema refuses never reaches the provider.
 */
class LocalSandboxServicesTest {
  private static final AgentId AGENT = AgentId.of("data-agent-1");

  private final VirtualTime time = VirtualTime.create();
  private final ScriptedApprovalGate human = ScriptedApprovalGate.approveAll(time);
  private final CredentialVault vault = CredentialVault.inMemory();
  private final AuditLog audit = AuditLog.inMemory();
  private final RunJournal journal = RunJournal.inMemory();
  private LocalSandbox sb;

  @BeforeEach
  void start() {
    sb = LocalSandbox.builder().clock(time).sleeper(time).workerd(false).start();
  }

  @AfterEach
  void stop() {
    sb.close();
  }

  private Orchestrator orchestrator(String which) {
    return which.equals("stripe") ? sb.stripeProjects() : sb.directOrchestrator();
  }

  /** No deployer: nothing is deployed. */
  private AgentProvisioner provisioner(Orchestrator orchestrator) {
    return AgentProvisioner.builder().orchestrator(orchestrator).identity(sb.identityProvider())
        .approvals(sb.browser(human)).vault(vault).audit(audit).journal(journal).clock(time).sleeper(time).build();
  }

  private ProvisionRequest.Builder request() {
    return ProvisionRequest.builder().agent(AGENT).plan(LocalSandbox.PROVIDER, "workers:free")
        .service(ServiceRequest.of("d1").with("name", "orders"))
        .service(ServiceRequest.of("kv").with("title", "sessions"))
        .identityToken(sb.signIn("ada@example.com"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"stripe", "direct"})
  void d1AndKv_withoutAnApp_areCreatedAtTheProvider_andTheirCredentialsAreVaultReferences(String which) {
    try (AgentProvisioner p = provisioner(orchestrator(which))) {
      ServiceOffering d1 = p.catalog(LocalSandbox.PROVIDER).service("d1").orElseThrow();
      assertThat(d1.configurationSchema()).containsEntry("required", List.of("name"));

      Deployment d = p.provisionAndDeploy(request().build());

      assertThat(d.hasApp()).isFalse();
      assertThat(d.resources()).extracting(Deployment.ResourceSummary::serviceId)
          .containsExactlyInAnyOrder("workers:free", "d1", "kv");
      List<Map<String, Object>> created = sb.provider().requests("POST", "/provisioning/resources").stream()
          .filter(r -> r.getUrl().encodedPath().equals("/provisioning/resources")).map(LocalSandboxServicesTest::body)
          .toList();
      assertThat(created).extracting(b -> b.get("service_id")).containsExactlyInAnyOrder("workers:free", "d1", "kv");
      assertThat(created).filteredOn(b -> "d1".equals(b.get("service_id"))).singleElement()
          .satisfies(b -> assertThat(b.get("configuration")).isEqualTo(Map.of("name", "orders")));
      assertThat(created).filteredOn(b -> "kv".equals(b.get("service_id"))).singleElement()
          .satisfies(b -> assertThat(b.get("configuration")).isEqualTo(Map.of("title", "sessions")));
      assertThat(sb.cloudflare().requests()).as("nothing deployed")
          .noneMatch(r -> r.method().equals("PUT") && r.path().contains("/workers/scripts/"));

      RunEnvironment env = p.env(AGENT, d.runId());
      assertThat(env.names()).containsExactly("D1_CLOUDFLARE_ACCOUNT_ID", "D1_CLOUDFLARE_API_TOKEN",
          "KV_CLOUDFLARE_ACCOUNT_ID", "KV_CLOUDFLARE_API_TOKEN");
      Secret d1Token = p.reveal(AGENT, d.runId(), "D1_CLOUDFLARE_API_TOKEN", "the app's .env");
      Secret kvToken = p.reveal(AGENT, d.runId(), "KV_CLOUDFLARE_API_TOKEN", "the app's .env");
      // each is a live Cloudflare token of the account the run made, issued for its own resource
      assertThat(sb.cloudflare().tokenByValue(d1Token)).isPresent();
      assertThat(sb.cloudflare().tokenByValue(kvToken)).isPresent();
      assertThat(d1Token.reveal()).isNotEqualTo(kvToken.reveal());
      assertThat(p.reveal(AGENT, d.runId(), "D1_CLOUDFLARE_ACCOUNT_ID", "the app's .env").reveal())
          .isEqualTo(d.account().accountId());
      assertThat(String.join("\n", env.lines())).doesNotContain(d1Token.reveal()).doesNotContain(kvToken.reveal());
      assertThat(audit.entries().toString()).doesNotContain(d1Token.reveal());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"stripe", "direct"})
  void aConfigurationTheProvidersSchemaRefuses_neverReachesTheProvider(String which) {
    try (AgentProvisioner p = provisioner(orchestrator(which))) {
      InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
          () -> p.provisionAndDeploy(request().service(ServiceRequest.of("d1").with("name", "Orders DB")
              .with("location_hint", "moon")).build()));

      assertThat(e.field()).isIn("services[2].configuration.name", "services[2].configuration.location_hint");
      assertThat(e.getMessage()).contains("services[2].configuration.name")
          .contains("services[2].configuration.location_hint");
      assertThat(sb.provider().requests("POST", "/provisioning")).isEmpty();
      assertThat(sb.provider().requests("POST", "/oauth")).isEmpty();
      assertThat(sb.stripe().calls("POST", "/v2/provisioning")).isEmpty();
      assertThat(journal.runs()).isEmpty();
      assertThat(human.requests()).isEmpty();
    }
  }

  private static Map<String, Object> body(RecordedRequest r) {
    return Json.parseObject(r.getBody() == null ? "{}" : r.getBody().utf8());
  }
}
