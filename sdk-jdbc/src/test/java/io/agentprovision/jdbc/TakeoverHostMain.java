package io.agentprovision.jdbc;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.protocol.DirectOrchestrator;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.spi.ProvisioningListener;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.RecordingDeployer;
import io.agentprovision.testing.ScriptedApprovalGate;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One host of a fleet, as its own JVM, executing one run against the provider served by the test's
 * process over loopback (so that what the provider created and charged is shared by every host, as
 * a real provider's is), with the ledger, journal, policy, audit log and vault on PostgreSQL.
 * {@link MultiProcessTakeoverTest} starts it and reads its standard output, one fact a line.
 *
 * <p>Arguments: JDBC URL, host name, provider base URL, the provider's shared secret, run id, and a
 * mode:
 * <ul>
 *   <li>{@code start <step>}: starts the run; when the step named {@code step} has finished (its
 *       {@code StepFinished} event), prints {@code AT <step>} and stops that thread, the only step
 *       thread, forever, so the run goes no further while the test kills this process with SIGKILL.
 *       Its heartbeat goes on renewing the lease until then, as a live host's would.</li>
 *   <li>{@code takeover}: runs the reaper every second and prints {@code SUCCEEDED <deployment url>}
 *       once the run finished here (or {@code FAILED <error>}), then {@code DONE}.</li>
 * </ul>
 */
public final class TakeoverHostMain {
  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
  /** The agent of the run. */
  static final AgentId AGENT = AgentId.of("coding-agent-7");
  /** The lease duration of both hosts: the shortest allowed, so that a takeover comes soon. */
  static final Duration LEASE = Duration.ofSeconds(10);
  /** The key both hosts seal the shared vault with. */
  static final byte[] VAULT_KEY = new byte[32];

  private TakeoverHostMain() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String host = args[1];
    URI provider = URI.create(args[2]);
    Secret shared = Secret.of(args[3]);
    RunId run = RunId.of(args[4]);
    String mode = args[5];
    String dieAfter = mode.equals("start") ? args[6] : null;

    Clock clock = Clock.systemUTC();
    ProvisioningListener stopAt = e -> {
      if (dieAfter != null && e instanceof ProvisioningEvent.StepFinished f && f.step().value().equals(dieAfter)) {
        OUT.println("AT " + dieAfter);
        try {
          new CountDownLatch(1).await(); // until the test kills this process
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
    };
    try (JdbcStores stores = JdbcStores.builder().jdbcUrl(url).username("postgres").maximumPoolSize(6).build()) {
      var vault = stores.vault(KeyProvider.of("k1", VAULT_KEY));
      DirectOrchestrator orchestrator = DirectOrchestrator.builder()
          .provider(ProtocolClient.builder().provider("cloudflare").baseUrl(provider).sharedSecret(shared)
              .clock(clock).build())
          .paymentTokens(SharedPaymentTokens.paymentTokens(url))
          .sessionVault(vault) // the linked account's provider tokens: the next host needs them too
          .clock(clock)
          .pollBackoff(new Polling.Backoff(Duration.ofMillis(50), Duration.ofMillis(200)))
          .build();
      try (AgentProvisioner provisioner = AgentProvisioner.builder()
          .orchestrator(orchestrator)
          .deployer(RecordingDeployer.create())
          .identity(FakeIdentityProvider.returning(FakeIdentityProvider.DEFAULT_PRINCIPAL))
          .approvals(ScriptedApprovalGate.approveAll(clock))
          .ledger(stores.ledger())
          .journal(stores.journal())
          .policyStore(stores.policies())
          .audit(stores.audit())
          .vault(vault)
          .clock(clock)
          .idGenerator(prefix -> prefix + "_" + host + "_" + java.util.UUID.randomUUID())
          // one step thread: the run stops entirely while the listener holds it
          .stepExecutor(Executors.newSingleThreadExecutor())
          .leaseOwner(host)
          .leaseDuration(LEASE)
          .listener(stopAt)
          .build()) {
        OUT.println("READY");
        if (dieAfter != null) {
          provisioner.provisionAndDeploy(request(run));
          OUT.println("FINISHED without stopping at " + dieAfter);
        } else {
          provisioner.startReaper(Duration.ofSeconds(1));
          try {
            Deployment d = provisioner.whenFinished(AGENT, run).get(120, TimeUnit.SECONDS);
            OUT.println("SUCCEEDED " + d.url());
          } catch (Exception e) {
            OUT.println("FAILED " + e);
          }
        }
      }
    } catch (RuntimeException e) {
      OUT.println("FAILED " + e + " " + Arrays.toString(e.getStackTrace()));
    }
    OUT.println("DONE");
    System.exit(0);
  }

  static ProvisionRequest request(RunId run) {
    return ProvisionRequest.builder().runId(run).agent(AGENT).provider("cloudflare").plan("workers:paid")
        .app(WorkerApp.builder("my-app").module("index.js",
            "export default { async fetch() { return new Response('hi'); } };").build())
        .token(TokenSpec.leastPrivilege().ttl(Duration.ofDays(7))).build();
  }
}
