package io.agentprovision.e2e.core;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.RecordingDeployer;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One engine under test with every collaborator a fake the test can look into: the same stores
 * can be handed to a second provisioner, as a restarted host would have them.
 */
final class EngineHarness implements AutoCloseable {
  final VirtualTime time = VirtualTime.create();
  FakeOrchestrator orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
  /** The deployer given to provisioners; null for a host that provisions services only and configures none. */
  @org.jspecify.annotations.Nullable RecordingDeployer deployer = RecordingDeployer.create();
  FakeIdentityProvider identity = FakeIdentityProvider.returning(FakeIdentityProvider.DEFAULT_PRINCIPAL);
  final ScriptedApprovalGate gate = ScriptedApprovalGate.approveAll(time);
  final AuditLog audit = AuditLog.inMemory();
  final SpendLedger ledger = SpendLedger.inMemory(time);
  final RunJournal journal = RunJournal.inMemory();
  final CredentialVault vault = CredentialVault.inMemory();
  final List<ProvisioningEvent> events = new CopyOnWriteArrayList<>();
  SpendPolicy policy = SpendPolicy.defaults();
  FailureAction onFailure = FailureAction.COMPENSATE;
  private final AtomicInteger ids = new AtomicInteger();
  /**
   * One step thread by default, so that which of two independent steps goes first is fixed (the
   * plan, then the domain, then the Worker resource) and tests of ordering-sensitive outcomes are deterministic; tests of
   * concurrency pass their own executor.
   */
  java.util.concurrent.ExecutorService steps = java.util.concurrent.Executors.newSingleThreadExecutor();
  private final List<AgentProvisioner> built = new CopyOnWriteArrayList<>();

  static final String APP_SOURCE = "export default { async fetch() { return new Response('hello from my-app'); } };";

  static WorkerApp app() {
    return WorkerApp.builder("my-app").module("index.js", APP_SOURCE).plainText("GREETING", "hello").build();
  }

  static ProvisionRequest.Builder request() {
    return ProvisionRequest.builder()
        .agent(AgentId.of("coding-agent-7"))
        .provider("cloudflare")
        .plan("workers:paid")
        .domain(DomainRequest.query("my-app"))
        .app(app())
        .token(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").ttl(java.time.Duration.ofDays(7)));
  }

  /**
   * Makes {@code n} people known to the identity provider, each by their own ID token
   * ({@link #personToken}); from then on every request names its person. Runs that must each buy
   * a plan act for different people: the engine buys one plan per person's account.
   */
  void people(int n) {
    FakeIdentityProvider.Builder b = FakeIdentityProvider.builder();
    for (int i = 1; i <= n; i++) {
      b.token(personToken(i), io.agentprovision.core.identity.Principal.builder("person-" + i, "https://issuer.test")
          .email("person-" + i + "@example.com", true).name("Person " + i).amr(List.of("pwd")).build());
    }
    identity = b.build();
  }

  /** The ID token of person {@code i} of {@link #people}. */
  static io.agentprovision.core.Secret personToken(int i) {
    return io.agentprovision.core.Secret.of("id-token-person-" + i);
  }

  AgentProvisioner provisioner() {
    return provisioner(b -> {});
  }

  AgentProvisioner provisioner(Consumer<AgentProvisioner.Builder> more) {
    AgentProvisioner.Builder b = AgentProvisioner.builder()
        .orchestrator(orchestrator)
        .identity(identity)
        .spendPolicy(policy)
        .ledger(ledger)
        .approvals(gate)
        .audit(audit)
        .vault(vault)
        .journal(journal)
        .listener(events::add)
        .clock(time)
        .sleeper(time)
        .idGenerator(prefix -> prefix + "_" + ids.incrementAndGet())
        .onFailure(onFailure)
        .stepExecutor(steps);
    if (deployer != null) {
      b.deployer(deployer);
    }
    more.accept(b);
    AgentProvisioner p = b.build();
    built.add(p);
    return p;
  }

  @Override
  public void close() {
    built.forEach(AgentProvisioner::close);
    steps.shutdownNow();
  }

  @SuppressWarnings("unchecked")
  <T extends ProvisioningEvent> List<T> events(Class<T> type) {
    return events.stream().filter(type::isInstance).map(e -> (T) e).toList();
  }

  List<String> auditActions() {
    return audit.entries().stream().map(e -> e.record().action()).toList();
  }
}
