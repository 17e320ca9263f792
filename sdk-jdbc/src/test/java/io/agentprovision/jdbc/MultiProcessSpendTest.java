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
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
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

    List<Host> hosts = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      hosts.add(Host.start(url, "host-" + i, 4, 3, "agent-a,agent-b,agent-c", false));
    }
    for (Host h : hosts) {
      h.awaitExit();
    }

    List<String> facts = hosts.stream().flatMap(h -> h.lines.stream()).toList();
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

    Host victim = Host.start(url, "victim", 1, 1, "agent-b", true);
    assertThat(victim.await("HOLDING ")).startsWith("HOLDING agent-b workers:paid");
    assertThat(held()).as("its USD 5.00 is reserved before the paid call").singleElement()
        .satisfies(r -> assertThat(r.amount()).isEqualTo(PRICE));

    List<Host> survivors = List.of(Host.start(url, "host-1", 2, 4, "agent-a,agent-b", false),
        Host.start(url, "host-2", 2, 4, "agent-b,agent-a", false));
    survivors.get(0).await("CHARGED ");
    victim.process.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block, no rollback by the host
    assertThat(victim.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(victim.process.exitValue()).as("killed by signal 9").isEqualTo(128 + 9);
    for (Host h : survivors) {
      h.awaitExit();
    }

    List<String> facts = survivors.stream().flatMap(h -> h.lines.stream()).toList();
    assertThat(facts).noneMatch(l -> l.startsWith("FAILED"));
    assertThat(count(facts, "CHARGED ")).as("USD 50.00 less the 5.00 the dead host holds: 9 runs").isEqualTo(9);
    assertThat(count(facts, "REFUSED ")).isEqualTo(7);
    assertThat(providerCharged(survivors)).isEqualTo(Money.usd("45.00"));
    assertThat(committed()).isEqualTo(Money.usd("45.00"));
    assertThat(held()).as("the dead host's paid call may have gone through: its money stays held")
        .singleElement().satisfies(r -> assertThat(r.agent()).isEqualTo(B));

    Host restarted = Host.start(url, "host-1", 1, 2, "agent-a", false);
    restarted.awaitExit();
    assertThat(restarted.lines).as("a restarted host finds the month's cap used").contains("REFUSED agent-a")
        .noneMatch(l -> l.startsWith("CHARGED") || l.startsWith("FAILED")).contains("PROVIDER 0");
    assertThat(committed()).isEqualTo(Money.usd("45.00"));
  }

  private static long count(List<String> facts, String prefix) {
    return facts.stream().filter(l -> l.startsWith(prefix)).count();
  }

  private static Money providerCharged(List<Host> hosts) {
    long minor = 0;
    for (Host h : hosts) {
      String line = h.lines.stream().filter(l -> l.startsWith("PROVIDER ")).findFirst()
          .orElseThrow(() -> new AssertionError(h.name + " did not report its charges: " + h.lines));
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

  /** One host process and the lines it printed. */
  private static final class Host {
    final String name;
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    private final BlockingQueue<String> fresh = new LinkedBlockingQueue<>();
    private final Thread reader;

    private Host(String name, Process process) {
      this.name = name;
      this.process = process;
      this.reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String l = in.readLine(); l != null; l = in.readLine()) {
            lines.add(l);
            fresh.add(l);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }, "host-output-" + name);
      reader.setDaemon(true);
      reader.start();
    }

    static Host start(String url, String name, int threads, int runs, String agents, boolean hold)
        throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx160m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", System.getProperty("java.class.path"),
          ProvisioningHostMain.class.getName(), url, name, String.valueOf(threads), String.valueOf(runs), agents));
      if (hold) {
        cmd.add("hold");
      }
      return new Host(name, new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    /** The first line from now on that starts with {@code prefix}. */
    String await(String prefix) throws InterruptedException {
      for (;;) {
        String l = fresh.poll(180, TimeUnit.SECONDS);
        if (l == null) {
          process.destroyForcibly();
          throw new AssertionError(name + " printed no '" + prefix + "' line: " + lines);
        }
        if (l.startsWith(prefix)) {
          return l;
        }
      }
    }

    void awaitExit() throws InterruptedException {
      if (!process.waitFor(300, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(name + " did not finish: " + lines);
      }
      reader.join(10_000);
      assertThat(process.exitValue()).as(name + " exited normally: " + lines).isZero();
    }
  }
}
