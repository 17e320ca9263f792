package io.agentprovision.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.testing.protocol.InMemoryBackend;
import io.agentprovision.testing.protocol.PaymentCharger;
import io.agentprovision.testing.protocol.ProviderSandbox;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code kill -9} of the host executing a run, at a step boundary, and another host process taking
 * the run over: both hosts are separate JVMs ({@link TakeoverHostMain}, started by
 * {@link HostProcess}) sharing one PostgreSQL, and buying from one provider that this test's process
 * serves over loopback ({@link ProviderSandbox}) and paying with tokens of a payment service whose
 * state is a table of the same database ({@link SharedPaymentTokens}), so that what was created and charged before the
 * kill is there for the second host, as at a real provider. The first host stops its only step
 * thread when the named step has finished and is killed with SIGKILL while it still holds the run's
 * lease; the second runs the reaper, takes the run over once that lease has expired, and finishes
 * it.
 */
class MultiProcessTakeoverTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  private static final Secret SHARED = Secret.of("whsec_takeover");

  private String url;
  private JdbcStores stores;
  private InMemoryBackend backend;
  private ProviderSandbox provider;

  @BeforeEach
  void setUp() {
    String db = PG.createDatabase(true);
    url = PG.jdbcUrl(db);
    DataSource ds = PG.pool(db, 4);
    stores = JdbcStores.builder().dataSource(ds).build();
    stores.policies().seed(SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("50.00")).perProvider()).build(),
        PolicyChange.CONFIGURATION, "the fleet's cap", Instant.now());
    backend = new InMemoryBackend();
    SharedPaymentTokens.createTable(url);
    provider = ProviderSandbox.builder().sharedSecret(SHARED).clock(Clock.systemUTC()).backend(backend)
        .charger(SharedPaymentTokens.charger(url)).start();
  }

  @AfterEach
  void tearDown() {
    provider.close();
    stores.close();
  }

  /**
   * {@code account}: the person's account created, nothing bought yet; {@code plan}: the paid plan
   * bought, charged and journaled; {@code resource}: the Worker created at the provider, its
   * credentials and the deploy not begun. (Not after {@code credentials}: the deploy token the
   * credentials step makes lives in the killed process's {@code RecordingDeployer}, where no other
   * host could find it, unlike a real deployer's.)
   */
  @ParameterizedTest(name = "the host is killed after the {0} step")
  @ValueSource(strings = {"account", "plan", "resource"})
  void aHostKilledAtAStepBoundary_isTakenOverByAnotherProcess_whichFinishesTheRunBuyingNothingTwice(String step)
      throws Exception {
    RunId run = RunId.of("run_kill_after_" + step);
    HostProcess first = host("host-a", run, "start", step);
    assertThat(first.await("AT ")).isEqualTo("AT " + step);
    first.kill();
    assertThat(first.lines()).noneMatch(l -> l.startsWith("FINISHED") || l.startsWith("FAILED"));
    assertThat(stores.journal().run(run).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
    Lease left = stores.journal().lease(Lease.runName(run)).orElseThrow();
    assertThat(left.owner()).as("a killed host's lease stays until it expires").isEqualTo("host-a");
    long plansBefore = purchases().stream().filter(c -> c.description().startsWith("workers:paid")).count();
    assertThat(plansBefore).as("the plan is bought in the plan step").isEqualTo(step.equals("account") ? 0 : 1);

    HostProcess second = host("host-b", run, "takeover", null);
    String outcome = second.await("SUCCEEDED");
    second.awaitExit();

    assertThat(outcome).as("the run finished on the second host: " + second.lines()).startsWith("SUCCEEDED ");
    assertThat(second.lines()).noneMatch(l -> l.startsWith("FAILED"));
    assertThat(stores.journal().run(run).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(stores.journal().lease(Lease.runName(run))).as("the second host gave the lease up").isEmpty();
    assertThat(purchases()).as("the provider charged the plan once").singleElement()
        .satisfies(c -> assertThat(c.amount()).isEqualTo(Money.usd("5.00")));
    assertThat(backend.accounts()).as("one account at the provider for the person").hasSize(1);

    List<Reservation> reservations = stores.ledger().reservations(null, null, Instant.EPOCH, Instant.MAX);
    assertThat(reservations).as("nothing left held").noneMatch(r -> r.status() == Reservation.Status.RESERVED);
    Money committed = reservations.stream().filter(r -> r.status() == Reservation.Status.COMMITTED)
        .map(r -> Objects.requireNonNull(r.committed())).reduce(Money.usd("0.00"), Money::plus);
    assertThat(committed).as("the ledger's committed spend equals the provider's charges").isEqualTo(Money.usd("5.00"));
    assertThat(stores.audit().verify().valid()).as("one audit chain from both hosts verifies").isTrue();
    assertThat(stores.audit().entries()).as("the second host audited the takeover")
        .anyMatch(e -> e.record().action().equals("run.resumed"));
  }

  /** Every distinct charge the provider made (the same idempotency key answers the same charge). */
  private List<PaymentCharger.Charge> purchases() {
    return SharedPaymentTokens.charges(url);
  }

  private HostProcess host(String name, RunId run, String mode, String step) throws java.io.IOException {
    List<String> args = new ArrayList<>(List.of(url, name, provider.baseUrl().toString(), SHARED.reveal(),
        run.value(), mode));
    if (step != null) {
      args.add(step);
    }
    return HostProcess.start(name, TakeoverHostMain.class, args);
  }
}
