package io.agentprovision.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.testing.FakeOrchestrator;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hosts as separate JVM processes ({@link ProvisioningHostMain}, started with {@link ProcessBuilder}
 * on this test's class path), each running concurrent provisioning runs against one monthly cap on
 * one PostgreSQL: what the fleet is charged, and what a host killed with SIGKILL while it holds money
 * leaves behind. Every run buys {@code workers:paid} at USD 5.00 from a fake provider of its own
 * process, which reports what it charged before the process exits.
 */
class MultiProcessSpendTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  private static final Money PRICE = Money.usd("5.00");
  private static final AgentId A = AgentId.of("agent-a");
  private static final AgentId B = AgentId.of("agent-b");
  private static final AgentId C = AgentId.of("agent-c");
  private static final SpendLimit CAP = SpendLimit.monthly(Money.usd("50.00")).perProvider();

  private String url;
  private JdbcStores stores;

  @BeforeEach
  void setUp() {
    String db = PG.createDatabase(true);
    url = PG.jdbcUrl(db);
    DataSource ds = PG.pool(db, 4);
    stores = JdbcStores.builder().dataSource(ds).build();
  }

  private void seed(SpendPolicy policy) {
    // the policy lives in the database: no host is told it, every host reads it from there
    stores.policies().seed(policy, PolicyChange.CONFIGURATION, "the fleet's cap", Instant.now());
  }

  @Test
  void threeHostsWithFourRunsEach_chargeExactlyTheCap_underPerAgentAndPerTransactionLimitsToo() throws Exception {
    seed(SpendPolicy.builder().limit(CAP)
        .limit(SpendLimit.monthly(Money.usd("20.00")).forAgent(A))
        .limit(SpendLimit.of(Money.usd("4.00"), SpendInterval.PER_TRANSACTION).forAgent(C))
        .build());

    List<HostProcess> hosts = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      hosts.add(HostProcess.spendHost(url, "host-" + i, 4, 3, "agent-a,agent-b,agent-c", false));
    }
    for (HostProcess h : hosts) {
      h.awaitExit();
    }

    List<String> facts = hosts.stream().flatMap(h -> h.lines().stream()).toList();
    assertThat(facts).as("no run failed for another reason than a limit").noneMatch(l -> l.startsWith("FAILED"));
    assertThat(count(facts, "CHARGED ")).as("36 runs, USD 50.00 / 5.00: exactly 10 admitted").isEqualTo(10);
    assertThat(count(facts, "CHARGED agent-a")).as("agent-a's own USD 20.00 a month").isLessThanOrEqualTo(4);
    assertThat(count(facts, "CHARGED agent-c")).as("agent-c may not spend 5.00 at once").isZero();
    assertThat(count(facts, "REFUSED ")).isEqualTo(26);
    assertThat(providerCharged(hosts)).as("what the providers charged").isEqualTo(Money.usd("50.00"));
    assertThat(committed()).as("the ledger equals the providers' charges").isEqualTo(Money.usd("50.00"));
    assertThat(held()).as("nothing left held").isEmpty();
    assertThat(stores.ledger().usage(SpendLimit.monthly(Money.usd("20.00")).forAgent(A), A,
        FakeOrchestrator.CLOUDFLARE, Instant.now(), java.time.ZoneOffset.UTC).used())
        .isEqualTo(PRICE.times(count(facts, "CHARGED agent-a")));
    assertThat(stores.audit().verify().valid()).as("one audit chain from three hosts verifies").isTrue();
  }

  @Test
  void aHostKilledWhileHoldingMoney_keepsItHeld_theOthersStopAtTheCap_andARestartedHostFindsItFull()
      throws Exception {
    seed(SpendPolicy.builder().limit(CAP).build());

    HostProcess victim = HostProcess.spendHost(url, "victim", 1, 1, "agent-b", true);
    assertThat(victim.await("HOLDING ")).startsWith("HOLDING agent-b workers:paid");
    assertThat(held()).as("its USD 5.00 is reserved before the paid call").singleElement()
        .satisfies(r -> assertThat(r.amount()).isEqualTo(PRICE));

    List<HostProcess> survivors = List.of(HostProcess.spendHost(url, "host-1", 2, 4, "agent-a,agent-b", false),
        HostProcess.spendHost(url, "host-2", 2, 4, "agent-b,agent-a", false));
    survivors.get(0).await("CHARGED ");
    victim.process().destroyForcibly(); // SIGKILL: no shutdown hook, no finally block, no rollback by the host
    assertThat(victim.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(victim.process().exitValue()).as("killed by signal 9").isEqualTo(128 + 9);
    for (HostProcess h : survivors) {
      h.awaitExit();
    }

    List<String> facts = survivors.stream().flatMap(h -> h.lines().stream()).toList();
    assertThat(facts).noneMatch(l -> l.startsWith("FAILED"));
    assertThat(count(facts, "CHARGED ")).as("USD 50.00 less the 5.00 the dead host holds: 9 runs").isEqualTo(9);
    assertThat(count(facts, "REFUSED ")).isEqualTo(7);
    assertThat(providerCharged(survivors)).isEqualTo(Money.usd("45.00"));
    assertThat(committed()).isEqualTo(Money.usd("45.00"));
    assertThat(held()).as("the dead host's paid call may have gone through: its money stays held")
        .singleElement().satisfies(r -> assertThat(r.agent()).isEqualTo(B));

    HostProcess restarted = HostProcess.spendHost(url, "host-1", 1, 2, "agent-a", false);
    restarted.awaitExit();
    assertThat(restarted.lines()).as("a restarted host finds the month's cap used").contains("REFUSED agent-a")
        .noneMatch(l -> l.startsWith("CHARGED") || l.startsWith("FAILED")).contains("PROVIDER 0");
    assertThat(committed()).isEqualTo(Money.usd("45.00"));
  }

  private static long count(List<String> facts, String prefix) {
    return facts.stream().filter(l -> l.startsWith(prefix)).count();
  }

  private static Money providerCharged(List<HostProcess> hosts) {
    long minor = 0;
    for (HostProcess h : hosts) {
      String line = h.lines().stream().filter(l -> l.startsWith("PROVIDER ")).findFirst()
          .orElseThrow(() -> new AssertionError(h.name() + " did not report its charges: " + h.lines()));
      minor += Long.parseLong(line.substring("PROVIDER ".length()));
    }
    return Money.ofMinor(minor, "USD");
  }

  private List<Reservation> all() {
    Instant now = Instant.now();
    return stores.ledger().reservations(null, FakeOrchestrator.CLOUDFLARE, now.minus(1, ChronoUnit.DAYS),
        now.plus(1, ChronoUnit.DAYS));
  }

  private Money committed() {
    return all().stream().filter(r -> r.status() == Reservation.Status.COMMITTED).map(Reservation::amount)
        .reduce(Money.usd("0.00"), Money::plus);
  }

  private List<Reservation> held() {
    return all().stream().filter(r -> r.status() == Reservation.Status.RESERVED).toList();
  }
}
