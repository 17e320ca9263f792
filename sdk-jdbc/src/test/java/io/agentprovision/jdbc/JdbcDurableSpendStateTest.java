package io.agentprovision.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.RecordingDeployer;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The spend state of a fleet on PostgreSQL, through the engine: two hosts (provisioners each with
 * their own {@link JdbcStores} and pool on one database) spend against one cap and fire a budget
 * alert once between them; a host restarted by someone who forgot the cap finds the stored policy,
 * the month's spend and the alert already fired.
 */
class JdbcDurableSpendStateTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  private static final AgentId AGENT = AgentId.of("coding-agent-7");
  private static final SpendPolicy CAP = SpendPolicy.builder()
      .limit(SpendLimit.monthly(Money.usd("20.00")).perProvider()).alertAt(50).build();

  private final VirtualTime time = VirtualTime.create();
  private final List<ProvisioningEvent.BudgetAlert> alerts = new CopyOnWriteArrayList<>();
  private final List<AgentProvisioner> hosts = new ArrayList<>();
  private final List<JdbcStores> opened = new ArrayList<>();
  private final List<ExecutorService> pools = new ArrayList<>();

  @AfterEach
  void close() {
    hosts.forEach(AgentProvisioner::close);
    opened.forEach(JdbcStores::close);
    pools.forEach(ExecutorService::shutdownNow);
  }

  /** A host on {@code db}: its own stores, pool, provider fake and step threads; {@code seed} is the policy it is built with. */
  private AgentProvisioner host(DataSource db, String name, SpendPolicy seed, FakeOrchestrator cloud) {
    JdbcStores stores = JdbcStores.builder().dataSource(db).clock(time).build();
    opened.add(stores);
    ExecutorService steps = Executors.newFixedThreadPool(2);
    pools.add(steps);
    // every run acts for a person of its own, so that each buys its own plan
    IdentityProvider onePersonPerRun = request -> {
      String who = request.run() == null ? name : request.run().value();
      return Principal.builder("user-" + who, "https://issuer.test").email(who + "@example.com", true).name(who)
          .amr(List.of("pwd")).build();
    };
    AgentProvisioner p = AgentProvisioner.builder()
        .orchestrator(cloud).deployer(RecordingDeployer.create()).identity(onePersonPerRun)
        .approvals(ScriptedApprovalGate.approveAll(time))
        .ledger(stores.ledger()).journal(stores.journal()).policyStore(stores.policies()).audit(stores.audit())
        .velocityStore(stores.velocity()).vault(CredentialVault.inMemory())
        .spendPolicy(seed).clock(time).sleeper(time).stepExecutor(steps).leaseOwner(name)
        .idGenerator(prefix -> prefix + "_" + name + "_" + java.util.UUID.randomUUID())
        .listener(e -> {
          if (e instanceof ProvisioningEvent.BudgetAlert a) {
            alerts.add(a);
          }
        })
        .build();
    hosts.add(p);
    return p;
  }

  @Test
  void twoHostsFireAnAlertOnce_andARestartedHostKeepsTheCapTheMonthsSpendAndTheAlertFired() {
    DataSource db = PG.freshDatabase();
    FakeOrchestrator cloudA = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
    FakeOrchestrator cloudB = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
    AgentProvisioner hostA = host(db, "host-a", CAP, cloudA);
    AgentProvisioner hostB = host(db, "host-b", CAP, cloudB);

    hostA.provisionAndDeploy(ProvisioningHostMain.request(AGENT)); // USD 5 of 20: 25 %
    assertThat(alerts).isEmpty();
    hostB.provisionAndDeploy(ProvisioningHostMain.request(AGENT)); // 10 of 20: the 50 % alert, on host B
    hostA.provisionAndDeploy(ProvisioningHostMain.request(AGENT)); // 15 of 20: past 50 % again, on host A

    assertThat(alerts).as("the 50 % alert fired once across both hosts").singleElement()
        .satisfies(a -> assertThat(a.percent()).isEqualTo(50));
    hostA.close();
    hostB.close();

    // a restart, built by someone who forgot the cap: the stored policy, the month's spend and the alert hold
    FakeOrchestrator cloudC = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
    AgentProvisioner restarted = host(db, "host-a", SpendPolicy.defaults(), cloudC);

    assertThat(restarted.spendPolicy()).isEqualTo(CAP);
    assertThat(restarted.spend(AGENT).limits()).singleElement()
        .satisfies(u -> assertThat(u.used()).isEqualTo(Money.usd("15.00")));
    restarted.provisionAndDeploy(ProvisioningHostMain.request(AGENT)); // 20 of 20
    assertThatThrownBy(() -> restarted.provisionAndDeploy(ProvisioningHostMain.request(AGENT)))
        .isInstanceOf(PolicyViolationException.class);
    assertThat(cloudC.totalCharged(FakeOrchestrator.CLOUDFLARE)).isEqualTo(Money.usd("5.00"));
    assertThat(cloudA.totalCharged(FakeOrchestrator.CLOUDFLARE).plus(cloudB.totalCharged(FakeOrchestrator.CLOUDFLARE))
        .plus(cloudC.totalCharged(FakeOrchestrator.CLOUDFLARE))).as("the cap, and not a cent more")
        .isEqualTo(Money.usd("20.00"));
    assertThat(alerts).as("the alert fired before the restart stays fired").hasSize(1);
  }
}
