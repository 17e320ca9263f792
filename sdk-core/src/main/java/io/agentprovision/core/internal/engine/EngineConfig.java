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
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.Orchestrator;
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
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Everything the engine runs with, assembled by {@code AgentProvisioner.Builder} through
 * {@link #builder()}.
 */
public record EngineConfig(Orchestrator orchestrator, Map<String, Deployer> deployers, IdentityProvider identity,
    AtomicReference<SpendPolicy> policy, SpendLedger ledger, ApprovalGate approvals, AuditLog audit,
    CredentialVault vault, RunJournal journal, List<ProvisioningListener> listeners, Clock clock, Sleeper sleeper,
    IdGenerator ids, ExecutorService stepExecutor, ExecutorService runExecutor, ExecutorService approvalExecutor,
    Duration stepTimeout, Duration approvalTimeout, FailureAction failureAction, String domainService,
    DomainNames domainNames, HttpStack http, Duration verifyTimeout, UnverifiedAction unverifiedAction,
    VelocityStore velocity, Duration catalogTtl, @Nullable ApprovalReceipts receipts,
    @Nullable MandateTrust mandates) {

  /** The spend policy in force now (hosts may replace it while runs go on). */
  public SpendPolicy spendPolicy() {
    return Objects.requireNonNull(policy.get(), "policy");
  }

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
    private @Nullable ApprovalReceipts receipts;
    private @Nullable MandateTrust mandates;

    private Builder() {}

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

    public Builder policy(SpendPolicy p) {
      this.policy = Objects.requireNonNull(p, "policy");
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
      return new EngineConfig(Objects.requireNonNull(orchestrator, "orchestrator"), Map.copyOf(deployers),
          Objects.requireNonNull(identity, "identity"), new AtomicReference<>(policy),
          ledger != null ? ledger : SpendLedger.inMemory(clock),
          approvals != null ? approvals : ApprovalGates.denyAll(clock),
          audit != null ? audit : AuditLog.inMemory(), vault != null ? vault : CredentialVault.inMemory(),
          journal != null ? journal : RunJournal.inMemory(), List.copyOf(listeners), clock, sleeper, ids,
          Objects.requireNonNull(stepExecutor, "stepExecutor"), Objects.requireNonNull(runExecutor, "runExecutor"),
          approvalExecutor != null ? approvalExecutor : approvalThreads(),
          stepTimeout, approvalTimeout, failureAction, domainService, domainNames, http, verifyTimeout,
          unverifiedAction, velocity != null ? velocity : VelocityStore.inMemory(), catalogTtl, receipts, mandates);
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
