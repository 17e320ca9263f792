package io.agentprovision.testing.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.LifecyclePlan;
import io.agentprovision.core.LifecycleRequest;
import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.RunLeasedException;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.RecordingDeployer;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.SimulatedCrash;
import io.agentprovision.testing.VirtualScheduler;
import io.agentprovision.testing.VirtualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two hosts over shared stores; one dies at a step boundary, the other takes the run over once its
 * lease expires and finishes it, without buying anything twice. Extend it with the stores to share
 * ({@link #newStores}): in memory, a journal directory, or a database, so that any journal, ledger,
 * audit log and vault is checked the same way.
 *
 * <p>The scenario, at every crash point (before and after each call with a side effect, on the
 * orchestrator and the deployer): host A runs the request and dies ({@link SimulatedCrash}, an
 * {@link Error}, leaves everything as a killed process would: its lease stays until it expires, its
 * heartbeat stops). Host B sees the run held while A's lease lives (neither
 * {@code resumeAbandoned} nor {@code resume} takes it), then, once it has expired, takes it over
 * and finishes it. Checked: the app is live; the provider charged the plan and the domain once each;
 * the ledger committed exactly what the provider charged, and holds nothing; the run is
 * {@code SUCCEEDED} and its lease free; the audit chain verifies. The hosts here are two
 * provisioners in one JVM over the same stores; that a lease holds between processes, and that a
 * process killed with {@code kill -9} leaves its lease to expire, is the journal's part, tested per
 * journal (for the directory journal, {@code FileRunJournalAcrossProcessesTest} in sdk-core).
 *
 * <p>The same for a day-two change ({@code planChange}/{@code executeChange}, a plan bought up): the
 * host dies around the provider's paid update, and the other host takes the change run over.
 */
public abstract class HostTakeoverContract {
  /** The agent that starts the run. */
  protected static final AgentId AGENT = AgentId.of("coding-agent-7");
  /** The run every scenario drives. */
  protected static final RunId RUN = RunId.of("run_takeover");
  /** How long leases last in the scenario. */
  protected static final Duration LEASE = Duration.ofSeconds(60);

  /**
   * The stores the two hosts share, as hosts of one deployment would.
   *
   * @param journal the run journal (leases included)
   * @param ledger the spend ledger
   * @param audit the audit log
   * @param vault the credential vault
   */
  public record Stores(RunJournal journal, SpendLedger ledger, AuditLog audit, CredentialVault vault) {
    public Stores {
      Objects.requireNonNull(journal, "journal");
      Objects.requireNonNull(ledger, "ledger");
      Objects.requireNonNull(audit, "audit");
      Objects.requireNonNull(vault, "vault");
    }
  }

  /** New, empty stores for one scenario; a ledger that needs a clock uses {@code time}. */
  protected abstract Stores newStores(VirtualTime time) throws Exception;

  private final List<ExecutorService> executors = new ArrayList<>();
  private final List<AgentProvisioner> hosts = new ArrayList<>();

  @AfterEach
  void stopHosts() {
    hosts.forEach(AgentProvisioner::close);
    executors.forEach(ExecutorService::shutdownNow);
  }

  /** Every call with a side effect, crashed before and after: the call's name, which call, and on whom. */
  static Stream<Arguments> crashPoints() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (String when : List.of("before", "after")) {
      b.add(Arguments.of("orchestrator", when, "linkAccount", 1));
      b.add(Arguments.of("orchestrator", when, "provision", 1)); // the plan
      b.add(Arguments.of("orchestrator", when, "provision", 2)); // the Worker resource
      b.add(Arguments.of("orchestrator", when, "submitInformation", 1)); // the domain purchase
      b.add(Arguments.of("orchestrator", when, "revealCredentials", 1));
      b.add(Arguments.of("deployer", when, "prepareCredentials", 1));
      b.add(Arguments.of("deployer", when, "deploy", 1));
    }
    return b.build();
  }

  @ParameterizedTest(name = "host A dies {1} {0}.{2} #{3}")
  @MethodSource("crashPoints")
  void hostDiesAtAStepBoundary_anotherHostTakesTheRunOverOnceItsLeaseExpires_andBuysNothingTwice(String target,
      String when, String method, int nth) throws Exception {
    VirtualTime time = VirtualTime.create();
    Stores stores = newStores(time);
    FakeOrchestrator cloud = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
    RecordingDeployer deployer = RecordingDeployer.create();
    if (target.equals("orchestrator")) {
      if (when.equals("before")) {
        cloud.crashBefore(method, nth);
      } else {
        cloud.crashAfter(method, nth);
      }
    } else if (when.equals("before")) {
      deployer.crashBefore(method, nth);
    } else {
      deployer.crashAfter(method, nth);
    }
    List<ProvisioningEvent> onB = new CopyOnWriteArrayList<>();
    AgentProvisioner hostA = host("host-a", time, stores, cloud, deployer, e -> {});
    AgentProvisioner hostB = host("host-b", time, stores, cloud, deployer, onB::add);

    assertThrows(SimulatedCrash.class, () -> hostA.provisionAndDeploy(request()), "host A dies");
    assertEquals(RunStatus.RUNNING, stores.journal().run(RUN).orElseThrow().status());
    assertEquals("host-a", stores.journal().lease(Lease.runName(RUN)).orElseThrow().owner(),
        "a dead host's lease stays until it expires");

    time.advance(LEASE.minusSeconds(1));
    assertTrue(hostB.resumeAbandoned().isEmpty(), "while A's lease lives, B leaves the run alone");
    RunLeasedException held = assertThrows(RunLeasedException.class, () -> hostB.resume(AGENT, RUN));
    assertEquals("host-a", held.holder());

    time.advance(Duration.ofSeconds(2));
    Map<RunId, CompletableFuture<Deployment>> taken = hostB.resumeAbandoned();
    assertEquals(List.of(RUN), List.copyOf(taken.keySet()), "B takes the run over once A's lease expired");
    CompletableFuture<Deployment> takenOver = taken.get(RUN);
    assertNotNull(takenOver, "the taken-over run's future");
    Deployment d = takenOver.get(60, TimeUnit.SECONDS);

    Deployment.AppCheck check = d.verification();
    assertNotNull(check, "a deployed app is checked");
    assertTrue(check.live(), "the app is live");
    assertEquals(List.of("registrar:domain", "workers:paid"), cloud.charges().stream()
        .map(FakeOrchestrator.Charge::serviceId).sorted().toList(), "the plan and the domain, once each");
    Money charged = cloud.totalCharged(FakeOrchestrator.CLOUDFLARE);
    assertEquals(Money.usd("15.44"), charged);
    List<Reservation> held2 = stores.ledger().reservations(null, null, Instant.EPOCH, Instant.MAX);
    Money committed = Money.usd("0.00");
    for (Reservation r : held2) {
      assertTrue(r.status() == Reservation.Status.COMMITTED || r.status() == Reservation.Status.RELEASED
          || r.status() == Reservation.Status.EXPIRED, "nothing is left held: " + r);
      if (r.status() == Reservation.Status.COMMITTED) {
        committed = committed.plus(Objects.requireNonNull(r.committed()));
      }
    }
    assertEquals(charged, committed, "the ledger committed exactly what the provider charged");
    assertEquals(List.of(Money.usd("15.44")), d.spent());
    assertEquals(RunStatus.SUCCEEDED, stores.journal().run(RUN).orElseThrow().status());
    assertTrue(stores.journal().lease(Lease.runName(RUN)).isEmpty(), "B gave the lease up when it finished");
    assertTrue(onB.stream().anyMatch(e -> e instanceof ProvisioningEvent.RunStarted s && s.resumed()),
        "the run went on at host B");
    assertEquals(1, deployer.tokens().size(), "one deploy token");
    assertTrue(stores.audit().verify().valid(), "the audit chain verifies");
  }

  /**
   * A day-two change, a plan bought up from {@code workers:free} to {@code workers:paid}, whose host
   * dies just before or just after the provider's paid {@code update}: the change run is taken over
   * by the other host once the lease expires, finished there, and the new plan is charged once.
   */
  @ParameterizedTest(name = "host A dies {0} the paid update of a change")
  @MethodSource("changeCrashPoints")
  void hostDiesDuringAChange_anotherHostTakesTheChangeOver_andChargesTheNewPlanOnce(String when) throws Exception {
    VirtualTime time = VirtualTime.create();
    Stores stores = newStores(time);
    FakeOrchestrator cloud = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
    RecordingDeployer deployer = RecordingDeployer.create();
    AgentProvisioner hostA = host("host-a", time, stores, cloud, deployer, e -> {});
    AgentProvisioner hostB = host("host-b", time, stores, cloud, deployer, e -> {});
    Deployment free = hostA.provisionAndDeploy(ProvisionRequest.builder().runId(RUN).agent(AGENT)
        .provider(FakeOrchestrator.CLOUDFLARE).plan("workers:free")
        .app(WorkerApp.builder("my-app").module("index.js",
            "export default { async fetch() { return new Response('hello from my-app'); } };").build())
        .token(TokenSpec.leastPrivilege().ttl(Duration.ofDays(7))).build());
    assertTrue(cloud.charges().isEmpty(), "the free plan cost nothing");
    if (when.equals("before")) {
      cloud.crashBefore("update", 1);
    } else {
      cloud.crashAfter("update", 1);
    }
    LifecyclePlan change = hostA.planChange(LifecycleRequest.changePlan(AGENT, free.runId(), "workers:paid").build());
    RunId changeRun = change.runId();

    assertThrows(SimulatedCrash.class, () -> hostA.executeChange(change), "host A dies mid-change");
    assertEquals(RunStatus.RUNNING, stores.journal().run(changeRun).orElseThrow().status());
    assertEquals("host-a", stores.journal().lease(Lease.runName(changeRun)).orElseThrow().owner(),
        "a dead host's lease stays until it expires");
    time.advance(LEASE.minusSeconds(1));
    assertTrue(hostB.resumeAbandoned().isEmpty(), "while A's lease lives, B leaves the change alone");

    time.advance(Duration.ofSeconds(2));
    Map<RunId, CompletableFuture<Deployment>> taken = hostB.resumeAbandoned();
    assertEquals(List.of(changeRun), List.copyOf(taken.keySet()), "B takes the change over once A's lease expired");
    Objects.requireNonNull(taken.get(changeRun)).get(60, TimeUnit.SECONDS);
    LifecycleResult result = hostB.resumeChange(AGENT, changeRun);

    assertEquals(List.of(Money.usd("5.00")), result.spent());
    assertEquals(List.of("workers:paid"), cloud.charges().stream().map(FakeOrchestrator.Charge::serviceId).toList(),
        "the new plan, charged once");
    assertEquals(Money.usd("5.00"), committed(stores), "the ledger committed exactly what the provider charged");
    assertEquals(RunStatus.SUCCEEDED, stores.journal().run(changeRun).orElseThrow().status());
    assertTrue(stores.journal().lease(Lease.runName(changeRun)).isEmpty(), "B gave the lease up when it finished");
    assertTrue(stores.audit().verify().valid(), "the audit chain verifies");
  }

  static Stream<Arguments> changeCrashPoints() {
    return Stream.of(Arguments.of("before"), Arguments.of("after"));
  }

  /** What the ledger committed, after checking that nothing is left held. */
  private static Money committed(Stores stores) {
    Money committed = Money.usd("0.00");
    for (Reservation r : stores.ledger().reservations(null, null, Instant.EPOCH, Instant.MAX)) {
      assertTrue(r.status() != Reservation.Status.RESERVED, "nothing is left held: " + r);
      if (r.status() == Reservation.Status.COMMITTED) {
        committed = committed.plus(Objects.requireNonNull(r.committed()));
      }
    }
    return committed;
  }

  /** One host over the shared stores: its own executors, its own scheduler (never advanced: no heartbeat). */
  private AgentProvisioner host(String owner, VirtualTime time, Stores stores, FakeOrchestrator cloud,
      RecordingDeployer deployer, io.agentprovision.core.spi.ProvisioningListener listener) {
    ExecutorService steps = Executors.newSingleThreadExecutor(); // a fixed order of steps: the crash points stay put
    ExecutorService runs = Executors.newCachedThreadPool();
    executors.add(steps);
    executors.add(runs);
    AtomicInteger ids = new AtomicInteger();
    AgentProvisioner p = AgentProvisioner.builder()
        .orchestrator(cloud).deployer(deployer)
        .identity(FakeIdentityProvider.returning(FakeIdentityProvider.DEFAULT_PRINCIPAL))
        .approvals(ScriptedApprovalGate.approveAll(time))
        .journal(stores.journal()).ledger(stores.ledger()).audit(stores.audit()).vault(stores.vault())
        .clock(time).sleeper(time).idGenerator(prefix -> prefix + "_" + owner + "_" + ids.incrementAndGet())
        .stepExecutor(steps).runExecutor(runs).scheduler(VirtualScheduler.on(time))
        .leaseOwner(owner).leaseDuration(LEASE).listener(listener)
        .build();
    hosts.add(p);
    return p;
  }

  /** The request of the scenario: a paid plan, a domain, an app, a least-privilege token. */
  protected static ProvisionRequest request() {
    return ProvisionRequest.builder()
        .runId(RUN)
        .agent(AGENT)
        .provider(FakeOrchestrator.CLOUDFLARE)
        .plan("workers:paid")
        .domain(DomainRequest.query("my-app"))
        .app(WorkerApp.builder("my-app").module("index.js",
            "export default { async fetch() { return new Response('hello from my-app'); } };").build())
        .token(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").ttl(Duration.ofDays(7)))
        .build();
  }
}
