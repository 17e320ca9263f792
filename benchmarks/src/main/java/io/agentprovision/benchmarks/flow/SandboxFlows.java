package io.agentprovision.benchmarks.flow;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.spi.PolicyStore;
import io.agentprovision.core.spi.ProvisioningListener;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.sandbox.LocalSandbox;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * The Quickstart's flow on a {@link LocalSandbox}, wired for the flow benchmarks: the SDK's real
 * adapters on one {@link HttpStack} (whose okhttp client carries the benchmark's interceptors), a
 * card on file and no pending polls (so the flow's time is its round trips and the SDK's own work),
 * every checkpoint approved (step-ups answered by the sandbox's browser), the Quickstart's policy
 * with caps high enough for many flows, and the Quickstart's stores or in-memory ones.
 */
public final class SandboxFlows {
  /** Which stores the provisioner keeps its journal, audit log and vault in. */
  public enum Stores {
    /** The provisioner's defaults: everything in memory. */
    MEMORY,
    /** The Quickstart's: a JSONL audit log, a journal directory and an encrypted vault file. */
    FILE
  }

  /** Which orchestrator the flow goes through. */
  public enum Via {
    /** Stripe Projects (the Quickstart's default); every flow links the same Stripe account holder. */
    STRIPE,
    /** The provider protocol spoken directly, paying with Stripe Shared Payment Tokens. */
    DIRECT
  }

  /** The Quickstart's policy shape (approval above zero, MFA for paid plans and domains), caps raised. */
  public static final SpendPolicy POLICY = SpendPolicy.builder()
      .limit(SpendLimit.monthly(Money.usd("10000000.00")).perProvider())
      .limit(SpendLimit.perTransaction(Money.usd("25.00")))
      .requireApprovalAbove(Money.usd("0.00"))
      .requireMfaFor(CheckpointKind.PAID_PLAN, CheckpointKind.DOMAIN_PURCHASE)
      .build();

  private SandboxFlows() {}

  /** A sandbox whose adapters use {@code http}: a card on file, resources ready at once. */
  public static LocalSandbox sandbox(HttpStack http, boolean workerd) {
    LocalSandbox sb = LocalSandbox.builder().cardOnFile(true).pendingPolls(0).workerd(workerd).http(http).start();
    // Stripe pays the provider under its own monthly cap for it; raised, like the policy's, for many flows
    sb.stripe().setProviderLimit(LocalSandbox.PROVIDER, Money.usd("10000000.00"), "month");
    return sb;
  }

  /**
   * Approves every checkpoint at once (and says so: the engine asks it on the step's thread); the
   * sandbox's browser signs the person in again for a step-up.
   */
  public static ApprovalGate approveAll(LocalSandbox sb) {
    Clock clock = Clock.systemUTC();
    ApprovalGate yes = new ApprovalGate() {
      @Override
      public ApprovalDecision decide(ApprovalRequest request) {
        return ApprovalDecision.approved("benchmark", "approved for the benchmark", clock.instant());
      }

      @Override
      public boolean answersAtOnce(ApprovalRequest request) {
        return true;
      }
    };
    return sb.browser(yes);
  }

  /** A provisioner on the sandbox. {@code dir} holds the file stores (ignored for {@link Stores#MEMORY}). */
  public static AgentProvisioner provisioner(LocalSandbox sb, HttpStack http, Via via, Stores stores,
      @Nullable Path dir, @Nullable ExecutorService steps, @Nullable ExecutorService runs,
      List<ProvisioningListener> listeners) {
    return provisioner(sb, http, via, stores, dir, steps, runs, listeners, approveAll(sb));
  }

  /** {@link #provisioner(LocalSandbox, HttpStack, Via, Stores, Path, ExecutorService, ExecutorService, List)} with its approval gate. */
  public static AgentProvisioner provisioner(LocalSandbox sb, HttpStack http, Via via, Stores stores,
      @Nullable Path dir, @Nullable ExecutorService steps, @Nullable ExecutorService runs,
      List<ProvisioningListener> listeners, ApprovalGate gate) {
    return provisioner(sb, http, via, stores, dir, steps, runs, listeners, gate, null);
  }

  /** The same, each store wrapped by {@code times} when it is given (the in-memory ones named explicitly then). */
  static AgentProvisioner provisioner(LocalSandbox sb, HttpStack http, Via via, Stores stores,
      @Nullable Path dir, @Nullable ExecutorService steps, @Nullable ExecutorService runs,
      List<ProvisioningListener> listeners, ApprovalGate gate, @Nullable StoreTimes times) {
    AgentProvisioner.Builder b = AgentProvisioner.builder()
        .http(http)
        .orchestrator(via == Via.STRIPE ? sb.stripeProjects() : sb.directOrchestrator())
        .deployer(sb.cloudflareDeployer())
        .identity(sb.identityProvider())
        .spendPolicy(POLICY)
        .approvals(gate);
    if (stores == Stores.FILE) {
      if (dir == null) {
        throw new IllegalArgumentException("file stores need a directory");
      }
      // the Quickstart's file stores, all of them (QuickstartStores and Quickstart.provisioner)
      b.audit(timed(times, "audit", AuditLog.class, AuditLog.jsonl(dir.resolve("audit.jsonl"))))
          .journal(timed(times, "journal", RunJournal.class, RunJournal.directory(dir.resolve("journal"))))
          .ledger(timed(times, "ledger", SpendLedger.class, SpendLedger.file(dir.resolve("ledger"), Clock.systemUTC())))
          .policyStore(timed(times, "policy", PolicyStore.class, PolicyStore.file(dir.resolve("policy.jsonl"))))
          .vault(timed(times, "vault", CredentialVault.class,
              CredentialVault.encryptedFile(dir.resolve("vault.bin"), KeyProvider.of("bench", new byte[32]))));
    } else if (times != null) {
      // the provisioner's in-memory defaults, named so that they can be timed
      b.audit(times.wrap("audit", AuditLog.class, AuditLog.inMemory()))
          .journal(times.wrap("journal", RunJournal.class, RunJournal.inMemory()))
          .ledger(times.wrap("ledger", SpendLedger.class, SpendLedger.inMemory(Clock.systemUTC())))
          .policyStore(times.wrap("policy", PolicyStore.class, PolicyStore.inMemory()))
          .vault(times.wrap("vault", CredentialVault.class, CredentialVault.inMemory()));
    }
    if (steps != null) {
      b.stepExecutor(steps);
    }
    if (runs != null) {
      b.runExecutor(runs);
    }
    for (ProvisioningListener l : listeners) {
      b.listener(l);
    }
    return b.build();
  }

  private static <T> T timed(@Nullable StoreTimes times, String name, Class<T> api, T store) {
    return times == null ? store : times.wrap(name, api, store);
  }

  /** The Quickstart's request, for flow {@code n}: its own app and domain query, signed in as {@code email}. */
  public static ProvisionRequest request(LocalSandbox sb, int n, String email) {
    return request(sb.defaultAllowedIps(), n, sb.signIn(email, "pwd", "otp"));
  }

  /** The Quickstart's request for flow {@code n}, deploying from {@code allowIps}, signed in with {@code idToken}. */
  public static ProvisionRequest request(String allowIps, int n, io.agentprovision.core.Secret idToken) {
    String name = "bench-app-" + n;
    return ProvisionRequest.builder()
        .agent(AgentId.of("quickstart-agent"))
        .provider(LocalSandbox.PROVIDER)
        .plan("workers:paid")
        .domain(DomainRequest.query(name).maxPrice(Money.usd("20.00")))
        .app(WorkerApp.builder(name)
            .module("index.js", "export default { async fetch(req, env) { return new Response(env.GREETING + ' from "
                + name + "'); } };")
            .plainText("GREETING", "Hello")
            .build())
        .token(TokenSpec.leastPrivilege().allowIps(allowIps).ttl(Duration.ofDays(7)))
        .identityToken(idToken)
        .build();
  }
}
