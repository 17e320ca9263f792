package io.agentprovision.core.internal.engine;

import io.agentprovision.core.DomainNames;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.IdGenerator;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.UnverifiedAction;
import io.agentprovision.core.approval.ApprovalGates;
import io.agentprovision.core.approval.ApprovalReceipts;
import io.agentprovision.core.approval.MandateTrust;
import io.agentprovision.core.catalog.CatalogCache;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.PolicyStore;
import io.agentprovision.core.spi.ProvisioningListener;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.core.spi.VelocityStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the engine runs with, assembled by {@code AgentProvisioner.Builder} through
 * {@link #builder()}.
 */
public record EngineConfig(Orchestrator orchestrator, Map<String, Deployer> deployers, IdentityProvider identity,
    PolicyStore policies, SpendLedger ledger, ApprovalGate approvals, AuditLog audit,
    CredentialVault vault, RunJournal journal, List<ProvisioningListener> listeners, Clock clock, Sleeper sleeper,
    IdGenerator ids, ExecutorService stepExecutor, ExecutorService runExecutor, ExecutorService approvalExecutor,
    Duration stepTimeout, Duration approvalTimeout, FailureAction failureAction, String domainService,
    DomainNames domainNames, HttpStack http, Duration verifyTimeout, UnverifiedAction unverifiedAction,
    VelocityStore velocity, Duration catalogTtl, @Nullable ApprovalReceipts receipts,
    @Nullable MandateTrust mandates, ScheduledExecutorService scheduler, String leaseOwner, Duration leaseDuration,
    DurabilityBarrier durability) {

  /**
   * Whether the file stores' owed forces start in the background as soon as they are owed
   * ({@code -Dagentprovision.eagerForces=false} turns it off, to measure the difference); read when a
   * provisioner is built.
   */
  static boolean eagerForces() {
    return !"false".equals(System.getProperty("agentprovision.eagerForces"));
  }

  /** How long a run's lease lasts unless renewed, when not configured. */
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(60);

  /**
   * The spend policy in force now, read from the policy store on every call: hosts may replace it
   * while runs go on, and a shared store carries another host's change here at once.
   */
  public SpendPolicy spendPolicy() {
    return policyChange().after();
  }

  /** The latest change of the policy store: the policy in force and the version a change must follow. */
  public PolicyChange policyChange() {
    return policies.current().orElseThrow(() -> new IllegalStateException(
        "the policy store " + policies + " lost its policy; every store is seeded when the provisioner is built"));
  }

  private static final Logger log = LoggerFactory.getLogger(EngineConfig.class);

  /** A builder; the stores default to in-memory ones and the gate to one that denies everything. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds {@link EngineConfig}s; orchestrator, identity, at least one deployer and both executors are required. */
  public static final class Builder {
    private @Nullable Orchestrator orchestrator;
    private final Map<String, Deployer> deployers = new LinkedHashMap<>();
    private @Nullable IdentityProvider identity;
    private SpendPolicy policy = SpendPolicy.defaults();
    private boolean policySet;
    private @Nullable PolicyStore policies;
    private @Nullable SpendLedger ledger;
    private @Nullable ApprovalGate approvals;
    private @Nullable AuditLog audit;
    private @Nullable CredentialVault vault;
    private @Nullable RunJournal journal;
    private final List<ProvisioningListener> listeners = new ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private IdGenerator ids = IdGenerator.RANDOM;
    private @Nullable ExecutorService stepExecutor;
    private @Nullable ExecutorService runExecutor;
    private @Nullable ExecutorService approvalExecutor;
    private Duration stepTimeout = Duration.ofMinutes(30);
    private Duration approvalTimeout = Duration.ofMinutes(15);
    private FailureAction failureAction = FailureAction.COMPENSATE;
    private String domainService = "registrar:domain";
    private DomainNames domainNames = DomainNames.defaults();
    private UnverifiedAction unverifiedAction = UnverifiedAction.REPORT_UNVERIFIED;
    private @Nullable VelocityStore velocity;
    private HttpStack http = HttpStack.shared();
    private Duration verifyTimeout = Duration.ofMinutes(3);
    private Duration catalogTtl = CatalogCache.DEFAULT_TTL;
    private @Nullable ScheduledExecutorService scheduler;
    private String leaseOwner = defaultLeaseOwner();
    private Duration leaseDuration = DEFAULT_LEASE_DURATION;
    private @Nullable ApprovalReceipts receipts;
    private @Nullable MandateTrust mandates;

    private Builder() {}

    /** Times lease heartbeats (and whatever else the provisioner schedules); one daemon thread when not set. */
    public Builder scheduler(ScheduledExecutorService s) {
      this.scheduler = Objects.requireNonNull(s, "scheduler");
      return this;
    }

    /** Who this host is to the other hosts sharing the journal: the owner of the leases it takes. */
    public Builder leaseOwner(String owner) {
      this.leaseOwner = Objects.requireNonNull(owner, "leaseOwner");
      return this;
    }

    public Builder leaseDuration(Duration d) {
      this.leaseDuration = Objects.requireNonNull(d, "leaseDuration");
      return this;
    }

    public Builder orchestrator(Orchestrator o) {
      this.orchestrator = Objects.requireNonNull(o, "orchestrator");
      return this;
    }

    /** Replaces the deployers, one per provider. */
    public Builder deployers(Map<String, Deployer> d) {
      deployers.clear();
      deployers.putAll(d);
      return this;
    }

    public Builder deployer(Deployer d) {
      deployers.put(d.provider(), d);
      return this;
    }

    public Builder identity(IdentityProvider i) {
      this.identity = Objects.requireNonNull(i, "identity");
      return this;
    }

    /** The policy in force, or (with a {@link #policyStore}) the one an empty store is seeded with. */
    public Builder policy(SpendPolicy p) {
      this.policy = Objects.requireNonNull(p, "policy");
      this.policySet = true;
      return this;
    }

    /** Where the policy and its changes are kept; in memory (seeded with {@link #policy}) when null. */
    public Builder policyStore(@Nullable PolicyStore s) {
      this.policies = s;
      return this;
    }

    public Builder ledger(@Nullable SpendLedger l) {
      this.ledger = l;
      return this;
    }

    public Builder approvals(@Nullable ApprovalGate g) {
      this.approvals = g;
      return this;
    }

    public Builder audit(@Nullable AuditLog a) {
      this.audit = a;
      return this;
    }

    public Builder vault(@Nullable CredentialVault v) {
      this.vault = v;
      return this;
    }

    public Builder journal(@Nullable RunJournal j) {
      this.journal = j;
      return this;
    }

    public Builder listeners(List<ProvisioningListener> l) {
      listeners.clear();
      listeners.addAll(l);
      return this;
    }

    public Builder listener(ProvisioningListener l) {
      listeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    public Builder sleeper(Sleeper s) {
      this.sleeper = Objects.requireNonNull(s, "sleeper");
      return this;
    }

    public Builder ids(IdGenerator g) {
      this.ids = Objects.requireNonNull(g, "ids");
      return this;
    }

    public Builder stepExecutor(ExecutorService e) {
      this.stepExecutor = Objects.requireNonNull(e, "stepExecutor");
      return this;
    }

    public Builder runExecutor(ExecutorService e) {
      this.runExecutor = Objects.requireNonNull(e, "runExecutor");
      return this;
    }

    /**
     * Where approval gates are called, so that a run can stop waiting for one at the checkpoint's
     * deadline (the gate's thread is interrupted and abandoned). A pool of daemon threads when not set.
     */
    public Builder approvalExecutor(ExecutorService e) {
      this.approvalExecutor = Objects.requireNonNull(e, "approvalExecutor");
      return this;
    }

    public Builder stepTimeout(Duration d) {
      this.stepTimeout = Objects.requireNonNull(d, "stepTimeout");
      return this;
    }

    public Builder approvalTimeout(Duration d) {
      this.approvalTimeout = Objects.requireNonNull(d, "approvalTimeout");
      return this;
    }

    public Builder failureAction(FailureAction a) {
      this.failureAction = Objects.requireNonNull(a, "failureAction");
      return this;
    }

    public Builder http(HttpStack h) {
      this.http = Objects.requireNonNull(h, "http");
      return this;
    }

    /** Signs a receipt of every approval decision and verifies them; none by default. */
    public Builder receipts(@Nullable ApprovalReceipts r) {
      this.receipts = r;
      return this;
    }

    /** The intent mandates accepted, and what a bound exceeded gets; none by default. */
    public Builder mandates(@Nullable MandateTrust m) {
      this.mandates = m;
      return this;
    }

    public Builder verifyTimeout(Duration d) {
      this.verifyTimeout = Objects.requireNonNull(d, "verifyTimeout");
      return this;
    }

    /** How long the planner uses a provider's catalog before reading it again (zero: every plan). */
    public Builder catalogTtl(Duration d) {
      this.catalogTtl = Objects.requireNonNull(d, "catalogTtl");
      return this;
    }

    public Builder domainNames(DomainNames d) {
      this.domainNames = Objects.requireNonNull(d, "domainNames");
      return this;
    }

    public Builder domainService(String s) {
      this.domainService = Objects.requireNonNull(s, "domainService");
      return this;
    }

    public Builder velocity(@Nullable VelocityStore v) {
      this.velocity = v;
      return this;
    }

    public Builder unverifiedAction(UnverifiedAction a) {
      this.unverifiedAction = Objects.requireNonNull(a, "unverifiedAction");
      return this;
    }

    /** Deployers are optional: a request without an app needs none, and one with an app is refused at planning. */
    public EngineConfig build() {
      PolicyStore store = policies != null ? policies : PolicyStore.inMemory();
      PolicyChange current = store.seed(policy, PolicyChange.CONFIGURATION,
          "the policy the provisioner was built with", clock.instant());
      if (policySet && !current.after().equals(policy)) {
        log.warn("The spend policy given to the builder differs from the one in force in {} (version {}, set by {}"
            + " at {}); the stored policy applies. Change it with AgentProvisioner.updateSpendPolicy.", store,
            current.version(), current.changedBy(), current.at());
      }
      DurabilityBarrier barrier = durability(audit, vault, journal, ledger);
      // the provisioner's tasks run with its barrier entered: their requests cross it, and no other provisioner's
      return new EngineConfig(Objects.requireNonNull(orchestrator, "orchestrator"), Map.copyOf(deployers),
          Objects.requireNonNull(identity, "identity"), store,
          ledger != null ? ledger : SpendLedger.inMemory(clock),
          approvals != null ? approvals : ApprovalGates.denyAll(clock),
          audit != null ? audit : AuditLog.inMemory(), vault != null ? vault : CredentialVault.inMemory(),
          journal != null ? journal : RunJournal.inMemory(), List.copyOf(listeners), clock, sleeper, ids,
          barrier.scoped(Objects.requireNonNull(stepExecutor, "stepExecutor")),
          barrier.scoped(Objects.requireNonNull(runExecutor, "runExecutor")),
          barrier.scoped(approvalExecutor != null ? approvalExecutor : approvalThreads()),
          stepTimeout, approvalTimeout, failureAction, domainService, domainNames, http, verifyTimeout,
          unverifiedAction, velocity != null ? velocity : VelocityStore.inMemory(), catalogTtl, receipts, mandates,
          scheduler != null ? scheduler : heartbeatThread(), leaseOwner, leaseDuration, barrier);
    }

    /**
     * The provisioner's durability barrier, with the SDK's file stores given to it attached: they
     * then defer their disk syncs to it (see {@link DurabilityBarrier}). Stores of the host's own
     * make are left as they are.
     */
    private static DurabilityBarrier durability(@Nullable Object... stores) {
      DurabilityBarrier barrier = new DurabilityBarrier(eagerForces(), "the provisioner's file stores");
      for (Object s : stores) {
        if (s instanceof DurabilityBarrier.Deferring d) {
          d.deferTo(barrier);
        }
      }
      return barrier;
    }

    /** One daemon thread: heartbeats are short journal writes, and it must never keep the JVM alive. */
    private static ScheduledExecutorService heartbeatThread() {
      java.util.concurrent.ScheduledThreadPoolExecutor e = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "agentprovision-scheduler");
        t.setDaemon(true);
        return t;
      });
      e.setRemoveOnCancelPolicy(true);
      return e;
    }

    /**
     * This process as a lease owner: the host name and the process id. Every provisioner of one
     * process shares it, so a provisioner built again after a crash in the same process (or a test's
     * second host over the same stores) takes the process's own runs back at once; hosts that share a
     * journal across processes get distinct ones.
     */
    public static String defaultLeaseOwner() {
      String host = System.getenv("HOSTNAME");
      if (host == null || host.isBlank()) {
        host = System.getenv("COMPUTERNAME");
      }
      return (host == null || host.isBlank() ? "host" : host.trim()) + ":" + ProcessHandle.current().pid();
    }

    /** Daemon threads that end when idle: a gate abandoned at its deadline never keeps the JVM alive. */
    static ExecutorService approvalThreads() {
      java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
      return java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "agentprovision-approval-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
  }
}
