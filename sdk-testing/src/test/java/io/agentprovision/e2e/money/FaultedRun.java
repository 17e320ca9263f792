package io.agentprovision.e2e.money;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.http.ResiliencePolicy;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.stripe.StripeProjects;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.RecordingDeployer;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.SimulatedCrash;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.sandbox.LocalSandbox;
import io.agentprovision.testing.stripe.Fault;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One run through the real orchestrator adapters on a {@link LocalSandbox} (shared by a test
 * class), with faults injected into one paid call of one orchestrator, and what a test needs to
 * compare the money: the charges the providers made during this run (PaymentIntents in the Stripe
 * sandbox, which is where both orchestrators' payments end up) and the run's own ledger.
 *
 * <p>Each run is a new person (a new provider account), a new domain query and new stores, so runs
 * on one sandbox do not see each other. The deployer and the identity are the fakes: the paid calls
 * are what is tested. Timeouts are real but short (the read timeout is {@link #READ_TIMEOUT});
 * every wait in the SDK is in virtual time. Steps run one at a time, so runs are repeatable.
 */
final class FaultedRun implements AutoCloseable {
  /** How long a client waits for an answer before giving up, in real time. */
  static final Duration READ_TIMEOUT = Duration.ofMillis(1_000);
  /** How long a stalled answer is held back: well beyond the read timeout. */
  static final Duration STALL = Duration.ofMillis(3_000);

  private static boolean warm;

  /**
   * One run without faults per orchestrator, once per JVM, before any timed one: a cold JVM can
   * take longer than {@link #READ_TIMEOUT} to answer its first calls, which would read as timeouts
   * nobody injected. Test classes call it before their first cell.
   */
  static synchronized void warmUp() {
    if (warm) {
      return;
    }
    warm = true;
    try (Shared s = new Shared()) {
      for (Via via : Via.values()) {
        try (FaultedRun r = new FaultedRun(s, via, FailureAction.COMPENSATE, Duration.ofSeconds(30))) {
          r.execute();
        }
      }
    }
  }
  static final AgentId AGENT = AgentId.of("coding-agent-7");

  /** The orchestrator under test. */
  enum Via { STRIPE_PROJECTS, DIRECT }

  /** A paid call of the first-day run. */
  enum PaidCall {
    /** The paid plan's creation. */
    PLAN,
    /** The domain's purchase: the answer to the registrar's question, with payment. */
    DOMAIN;

    /** The request of {@code via} that makes this paid call, as a fault selects it. */
    Fault select(Fault f, Via via) {
      if (via == Via.STRIPE_PROJECTS) {
        return this == PLAN ? f.matching("POST", "/v2/provisioning/resources")
            : f.matching("POST", "/v2/provisioning/resources/[^/]+/submit_information");
      }
      return this == PLAN ? f.matching("POST", "/provisioning/resources")
          : f.matching("POST", "/provisioning/resources/[^/]+/update_service");
    }
  }

  /** A sandbox several runs share, with its virtual time. */
  static final class Shared implements AutoCloseable {
    final VirtualTime time = VirtualTime.create();
    final LocalSandbox sb = LocalSandbox.builder().clock(time).sleeper(time).workerd(false).cardOnFile(true).start();
    private final AtomicInteger runs = new AtomicInteger();

    @Override
    public void close() {
      sb.close();
    }
  }

  final Shared shared;
  final VirtualTime time;
  final LocalSandbox sb;
  private final int n;
  private final int chargesBefore;
  final ScriptedApprovalGate human;
  final RecordingDeployer deployer = RecordingDeployer.create();
  final SpendLedger ledger;
  final RunJournal journal = RunJournal.inMemory();
  final CredentialVault vault = CredentialVault.inMemory();
  final AuditLog audit = AuditLog.inMemory();
  final List<ProvisioningEvent> events = new CopyOnWriteArrayList<>();
  private final ExecutorService steps = Executors.newSingleThreadExecutor();
  final Via via;
  final FailureAction onFailure;
  private @Nullable RunId run;

  private final Duration readTimeout;

  FaultedRun(Shared shared, Via via, FailureAction onFailure) {
    this(shared, via, onFailure, READ_TIMEOUT);
  }

  private FaultedRun(Shared shared, Via via, FailureAction onFailure, Duration readTimeout) {
    this.shared = shared;
    // a month on for each run: the Stripe payment profile's monthly cap for the provider (which the
    // engine keeps at the policy's USD 100.00) is shared by the runs on one sandbox
    shared.time.advance(Duration.ofDays(32));
    this.time = shared.time;
    this.sb = shared.sb;
    this.n = shared.runs.incrementAndGet();
    this.chargesBefore = sb.stripe().paymentIntents().size();
    this.human = ScriptedApprovalGate.approveAll(time);
    this.ledger = SpendLedger.inMemory(time);
    this.via = via;
    this.onFailure = onFailure;
    this.readTimeout = readTimeout;
  }

  /** A provisioner as a restarted host would build it: new adapters, the same stores. */
  AgentProvisioner provisioner() {
    return AgentProvisioner.builder()
        .orchestrator(orchestrator())
        .deployer(deployer)
        .identity(FakeIdentityProvider.returning(Principal.builder("user-" + n, "https://issuer.test")
            .email(email(), true).name("Person " + n).amr(List.of("pwd", "otp")).build()))
        .approvals(sb.browser(human))
        .journal(journal).ledger(crashAtCommit == null ? ledger : crashingAtCommit(ledger, crashAtCommit))
        .vault(vault).audit(audit)
        .listener(events::add)
        .clock(time).sleeper(time)
        .stepExecutor(steps)
        .onFailure(onFailure)
        .build();
  }

  private Orchestrator orchestrator() {
    if (via == Via.STRIPE_PROJECTS) {
      // no retries inside stripe-java (they would wait in real time): the engine's reconciliation is what is tested
      return StripeProjects.builder().api(sb.stripe().api(0).toBuilder().readTimeout(readTimeout).build())
          .pollBackoff(LocalSandbox.DEFAULT_POLL_BACKOFF).build();
    }
    return sb.directOrchestrator(ResiliencePolicy.custom().maxAttempts(1).readTimeout(readTimeout).build());
  }

  ProvisionRequest request() {
    return ProvisionRequest.builder()
        .agent(AGENT)
        .provider(LocalSandbox.PROVIDER)
        .plan("workers:paid")
        .project("app-" + n)
        .domain(DomainRequest.query("app-" + n))
        .token(TokenSpec.leastPrivilege().allowIps(sb.defaultAllowedIps()).ttl(Duration.ofDays(7)))
        .app(WorkerApp.builder("my-app").module("index.js",
            "export default { async fetch() { return new Response('hello'); } };\n").build())
        .build();
  }

  /** This run's person: a new one each run, so each gets a new provider account. */
  String email() {
    return "person-" + n + "@example.com";
  }

  /** The step whose reservation's commit the process dies at, once; null for none. */
  private volatile @Nullable String crashAtCommit;

  /**
   * The process dies, once, when the step {@code stepId} commits its reservation: after the provider
   * answered the paid call, before the ledger learned what it charged. The journal, the ledger and
   * the providers are left as a killed host leaves them.
   */
  void crashAtCommitOf(String stepId) {
    crashAtCommit = stepId;
  }

  /** {@code ledger}, except that the first commit of {@code stepId}'s reservation kills the process. */
  private SpendLedger crashingAtCommit(SpendLedger ledger, String stepId) {
    return (SpendLedger) Proxy.newProxyInstance(SpendLedger.class.getClassLoader(), new Class<?>[] {SpendLedger.class},
        (proxy, method, args) -> {
          if (method.getName().equals("commit") && args != null && args.length == 2) {
            Reservation r = ledger.reservation((String) args[0]).orElse(null);
            if (r != null && r.step() != null && r.step().value().equals(stepId) && crashAtCommit != null) {
              crashAtCommit = null;
              throw new SimulatedCrash("SpendLedger.commit " + stepId, 1, false);
            }
          }
          try {
            return method.invoke(ledger, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** Injects {@code fault} into {@code call} for every attempt until {@link #repair()}. */
  void breakCall(PaidCall call, Fault fault) {
    Fault f = call.select(fault.times(1_000), via);
    if (via == Via.STRIPE_PROJECTS) {
      sb.stripe().inject(f);
    } else {
      sb.provider().inject(f);
    }
  }

  /** The network is fine again. */
  void repair() {
    sb.stripe().clearFaults();
    sb.provider().clearFaults();
  }

  /** Plans and executes the request; returns the deployment, or null when the run ended in a failure (kept in {@link #failure}). */
  @Nullable Deployment execute() {
    try (AgentProvisioner p = provisioner()) {
      ProvisionPlan plan = p.plan(request());
      run = plan.runId();
      try {
        return p.execute(plan);
      } catch (RuntimeException e) {
        failure = e;
        return null;
      }
    }
  }

  /**
   * Plans and executes the request on a host whose process dies as armed ({@link #crashAtCommitOf});
   * returns the crash. The host's threads are stopped, its stores kept.
   */
  SimulatedCrash executeUntilCrash() {
    AgentProvisioner p = provisioner();
    ProvisionPlan plan = p.plan(request());
    run = plan.runId();
    try {
      p.execute(plan);
    } catch (SimulatedCrash crashed) {
      return crashed;
    } finally {
      p.close();
    }
    throw new AssertionError("the run finished without the process dying at the armed point");
  }

  @Nullable RuntimeException failure;

  /** Resumes the run on a fresh provisioner; null when it failed again (kept in {@link #failure}). */
  @Nullable Deployment resume() {
    try (AgentProvisioner p = provisioner()) {
      try {
        return p.resume(AGENT, runId());
      } catch (RuntimeException e) {
        failure = e;
        return null;
      }
    }
  }

  RunId runId() {
    if (run == null) {
      throw new IllegalStateException("no run yet");
    }
    return run;
  }

  RunStatus status() {
    return journal.run(runId()).orElseThrow().status();
  }

  /** What the providers charged during this run, in minor units: the Stripe sandbox's new PaymentIntents. */
  long charged() {
    long sum = 0;
    for (Map<String, Object> pi : ours()) {
      sum += ((Number) pi.get("amount")).longValue();
    }
    return sum;
  }

  /** The amounts the providers charged during this run, in minor units, in order. */
  List<Long> chargeAmounts() {
    return ours().stream().map(pi -> ((Number) pi.get("amount")).longValue()).toList();
  }

  /** How many charges the providers made during this run. */
  int charges() {
    return ours().size();
  }

  private List<Map<String, Object>> ours() {
    List<Map<String, Object>> all = sb.stripe().paymentIntents();
    return all.subList(Math.min(chargesBefore, all.size()), all.size());
  }

  List<Reservation> reservations() {
    return ledger.reservations(null, null, Instant.EPOCH, Instant.MAX);
  }

  /**
   * What the ledger holds against the human's limits long after the run (two days on, past any
   * reservation's expiry), in minor units: what was committed plus what is still held because it may
   * have been charged. A released or expired reservation holds nothing.
   */
  long heldOrCommittedLongAfter() {
    Instant later = time.instant().plus(Duration.ofDays(2));
    long sum = 0;
    for (Reservation r : reservations()) {
      sum += r.counted(later).minorUnits();
    }
    return sum;
  }

  /** What the ledger committed, in minor units. */
  long committed() {
    long sum = 0;
    for (Reservation r : reservations()) {
      Money c = r.committed();
      if (r.status() == Reservation.Status.COMMITTED && c != null) {
        sum += c.minorUnits();
      }
    }
    return sum;
  }

  List<String> auditActions() {
    return audit.entries().stream().map(AuditEntry::record).map(r -> r.action()).toList();
  }

  @Override
  public void close() {
    repair();
    steps.shutdownNow();
  }
}
