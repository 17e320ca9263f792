package io.agentprovision.jdbc;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.RecordingDeployer;
import io.agentprovision.testing.ScriptedApprovalGate;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One host of a fleet, as its own JVM: an {@link AgentProvisioner} whose ledger, journal, policy and
 * audit log are the {@link JdbcStores} at a URL, buying {@code workers:paid} (USD 5.00) from a fake
 * provider in concurrent runs, each for a person of its own. {@link MultiProcessSpendTest} starts
 * several and reads what each did from its standard output, one line per fact:
 * {@code READY}, {@code HOLDING <agent>} (holding money, about to be killed), {@code CHARGED <agent>},
 * {@code REFUSED <agent>}, {@code FAILED <agent> <error>}, {@code PROVIDER <minor units charged>},
 * {@code DONE}.
 *
 * <p>Arguments: JDBC URL, host name, threads, runs per thread, agents (comma-separated, taken in
 * turn), and {@code hold} to stop forever inside the first paid call, after its money is reserved.
 */
public final class ProvisioningHostMain {
  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  private ProvisioningHostMain() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String host = args[1];
    int threads = Integer.parseInt(args[2]);
    int runsPerThread = Integer.parseInt(args[3]);
    String[] agents = args[4].split(",");
    boolean hold = args.length > 5 && args[5].equals("hold");

    FakeOrchestrator cloud = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
    AtomicInteger people = new AtomicInteger();
    try (JdbcStores stores = JdbcStores.builder().jdbcUrl(url).username("postgres").maximumPoolSize(threads + 2)
        .build();
        AgentProvisioner provisioner = AgentProvisioner.builder()
            .orchestrator(hold ? new HoldingOrchestrator(cloud) : cloud)
            .deployer(RecordingDeployer.create())
            .identity(new OnePersonPerRun(host, people))
            .approvals(ScriptedApprovalGate.approveAll(Clock.systemUTC()))
            .ledger(stores.ledger())
            .journal(stores.journal())
            .policyStore(stores.policies())
            .audit(stores.audit())
            .vault(CredentialVault.inMemory())
            .clock(Clock.systemUTC())
            .sleeper(noWait())
            .idGenerator(prefix -> prefix + "_" + host + "_" + java.util.UUID.randomUUID())
            .stepExecutor(Executors.newFixedThreadPool(threads))
            .build()) {
      OUT.println("READY");
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < runsPerThread; i++) {
            AgentId agent = AgentId.of(agents[(thread + i * threads) % agents.length]);
            try {
              provisioner.provisionAndDeploy(request(agent));
              OUT.println("CHARGED " + agent.value());
            } catch (PolicyViolationException e) {
              OUT.println("REFUSED " + agent.value());
            } catch (RuntimeException e) {
              OUT.println("FAILED " + agent.value() + " " + e);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      pool.shutdown();
      OUT.println("PROVIDER " + cloud.totalCharged(FakeOrchestrator.CLOUDFLARE).minorUnits());
    }
    OUT.println("DONE");
    System.exit(0);
  }

  static ProvisionRequest request(AgentId agent) {
    return ProvisionRequest.builder().agent(agent).provider(FakeOrchestrator.CLOUDFLARE).plan("workers:paid")
        .app(WorkerApp.builder("my-app").module("index.js",
            "export default { async fetch() { return new Response('hi'); } };").build())
        .token(TokenSpec.leastPrivilege().ttl(Duration.ofDays(7))).build();
  }

  private static Sleeper noWait() {
    return d -> {};
  }

  /** Every run signs in as another person, so that no run finds a plan an earlier run bought. */
  private static final class OnePersonPerRun implements IdentityProvider {
    private final String host;
    private final AtomicInteger people;

    OnePersonPerRun(String host, AtomicInteger people) {
      this.host = host;
      this.people = people;
    }

    @Override
    public Principal attest(IdentityRequest request) {
      String who = request.run() != null ? request.run().value() : host + "-" + people.incrementAndGet();
      return Principal.builder("user-" + who, "https://issuer.test").email(who + "@example.com", true).name(who)
          .amr(List.of("pwd")).build();
    }
  }

  /** The fake provider, except that its first {@code provision} says so and then never returns. */
  private static final class HoldingOrchestrator implements Orchestrator {
    private final FakeOrchestrator d;
    private final AtomicInteger provisions = new AtomicInteger();

    HoldingOrchestrator(FakeOrchestrator d) {
      this.d = d;
    }

    @Override
    public String name() {
      return d.name();
    }

    @Override
    public Catalog catalog(String provider) {
      return d.catalog(provider);
    }

    @Override
    public ProviderAccount linkAccount(AccountLinkRequest request, StepContext ctx) {
      return d.linkAccount(request, ctx);
    }

    @Override
    public PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx) {
      return d.ensurePaymentMethod(provider, usageCap, ctx);
    }

    @Override
    public ResourceState provision(ResourceRequest request, StepContext ctx) {
      if (provisions.incrementAndGet() == 1) {
        OUT.println("HOLDING " + ctx.agent().value() + " " + request.serviceId());
        try {
          new CountDownLatch(1).await(); // until the test kills this process
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return d.provision(request, ctx);
    }

    @Override
    public ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
        @Nullable PaymentAuthorization payment, StepContext ctx) {
      return d.submitInformation(resource, information, payment, ctx);
    }

    @Override
    public ResourceState resource(ResourceRef resource, StepContext ctx) {
      return d.resource(resource, ctx);
    }

    @Override
    public ResourceState update(ResourceRef resource, @Nullable String newServiceId, Map<String, Object> configuration,
        @Nullable PaymentAuthorization payment, StepContext ctx) {
      return d.update(resource, newServiceId, configuration, payment, ctx);
    }

    @Override
    public AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
      return d.revealCredentials(resource, ctx);
    }

    @Override
    public AccessConfiguration rotateCredentials(ResourceRef resource, StepContext ctx) {
      return d.rotateCredentials(resource, ctx);
    }

    @Override
    public void remove(ResourceRef resource, StepContext ctx) {
      d.remove(resource, ctx);
    }

    @Override
    public List<SpendLimit> providerLimits(String provider) {
      return d.providerLimits(provider);
    }

    @Override
    public Optional<SpendLimit> updateProviderLimit(@Nullable String provider, SpendLimit limit, StepContext ctx) {
      return d.updateProviderLimit(provider, limit, ctx);
    }
  }
}
