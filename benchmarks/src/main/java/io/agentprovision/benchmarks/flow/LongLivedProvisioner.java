package io.agentprovision.benchmarks.flow;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.spi.PolicyStore;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.RecordingDeployer;
import io.agentprovision.testing.VirtualTime;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * CPU and allocation per flow of one long-lived provisioner over the fakes, as its history grows:
 * {@code --flows} whole {@code provisionAndDeploy} runs (a new account, the paid plan, a domain, a
 * token, the deploy and its check, audited and journaled in the default in-memory stores) one after
 * another on the same provisioner, with the CPU time and the bytes allocated by every thread of the
 * JVM ({@code ThreadMXBean}) printed for each slice of {@code --every} flows. A flat line means the
 * cost of a flow does not depend on how many came before it.
 *
 * <pre>{@code
 * java -Xmx6g -cp benchmarks/target/benchmarks.jar io.agentprovision.benchmarks.flow.LongLivedProvisioner \
 *     [--flows 100000] [--every 10000] [--stores memory|file]
 * }</pre>
 *
 * <p>{@code --stores file} runs the flows on the Quickstart's file stores (audit log, run journal,
 * ledger, policy store and encrypted vault) in a temporary directory, deleted at the end: whether
 * what the files hold (every flow's deploy token in the vault, its run in the journal) makes a later
 * flow cost more. The disk's syncs are in the wall time, not in the CPU.
 *
 * <p>Virtual time, so no flow waits; the policy's caps are high enough for every flow (the ledger
 * keeps every reservation, and a monthly cap would refuse the later flows). The heap must hold what
 * the in-memory stores keep of every flow; the figure printed beside each slice is the heap in use
 * after a collection.
 */
public final class LongLivedProvisioner {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private LongLivedProvisioner() {}

  public static void main(String[] args) {
    Map<String, String> o = FlowLatency.options(args);
    int flows = Integer.parseInt(o.getOrDefault("flows", "100000"));
    int every = Integer.parseInt(o.getOrDefault("every", "10000"));
    String stores = o.getOrDefault("stores", "memory");
    if (stores.equals("memory")) {
      run(flows, every, null, System.out);
      return;
    }
    if (!stores.equals("file")) {
      throw new IllegalArgumentException("--stores is memory or file, not " + stores);
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("long-lived-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      run(flows, every, dir, System.out);
    } finally {
      FlowLatency.deleteTree(dir);
    }
  }

  /** Runs the flows on the in-memory stores and prints one line per slice; returns the CPU nanoseconds per flow of the last slice. */
  public static double run(int flows, int every, PrintStream out) {
    return run(flows, every, null, out);
  }

  /**
   * Runs the flows, on the file stores in {@code dir} or (null) the in-memory ones, and prints one
   * line per slice; returns the CPU nanoseconds per flow of the last slice.
   */
  public static double run(int flows, int every, @Nullable Path dir, PrintStream out) {
    THREADS.setThreadCpuTimeEnabled(true);
    THREADS.setThreadAllocatedMemoryEnabled(true);
    VirtualTime time = VirtualTime.create();
    SpendPolicy policy = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("1000000000.00")).perProvider())
        .requireApprovalAbove(Money.usd("20.00")).build();
    out.printf(Locale.ROOT, "LongLivedProvisioner: %,d flows on one provisioner over the fakes, %s stores, JDK %s, "
        + "%d cores, load average %.2f, max heap %d MB%n", flows, dir == null ? "in-memory" : "file", Runtime.version(), Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), Runtime.getRuntime().maxMemory() >> 20);
    out.printf(Locale.ROOT, "%-16s %14s %16s %14s %12s%n", "flows", "CPU ms/flow", "allocated/flow", "wall ms/flow",
        "heap after GC");
    double last = 0;
    AgentProvisioner.Builder b = AgentProvisioner.builder();
    if (dir != null) {
      // the Quickstart's file stores, as FlowLatency's --stores file has them
      b.audit(AuditLog.jsonl(dir.resolve("audit.jsonl")))
          .journal(RunJournal.directory(dir.resolve("journal")))
          .ledger(SpendLedger.file(dir.resolve("ledger"), time))
          .policyStore(PolicyStore.file(dir.resolve("policy.jsonl")))
          .vault(CredentialVault.encryptedFile(dir.resolve("vault.bin"), KeyProvider.of("bench", new byte[32])));
    }
    try (AgentProvisioner p = b
        .orchestrator(FakeOrchestrator.builder().paymentMethodOnFile(true).build())
        .deployer(RecordingDeployer.create())
        // not the recording fakes: FakeIdentityProvider and ScriptedApprovalGate keep every call for
        // a test to inspect, in copy-on-write lists whose copying grows with the flows run
        .identity(request -> FakeIdentityProvider.DEFAULT_PRINCIPAL)
        .spendPolicy(policy)
        .approvals(request -> ApprovalDecision.approved("benchmark", "approved for the benchmark", time.instant()))
        .clock(time)
        .sleeper(time)
        .build()) {
      long[] before = totals();
      long wall = System.nanoTime();
      for (int i = 0; i < flows; i++) {
        Deployment d = p.provisionAndDeploy(request(i));
        if (d.verification() == null || !d.verification().live()) {
          throw new IllegalStateException("flow " + i + " did not end live: " + d);
        }
        // a minute between flows, as a host serving agents would see, so windows and expiries move on
        time.advance(Duration.ofMinutes(1));
        if ((i + 1) % every == 0) {
          long[] now = totals();
          long w = System.nanoTime();
          double cpu = (double) (now[0] - before[0]) / every;
          double alloc = (double) (now[1] - before[1]) / every;
          System.gc();
          long heap = MEMORY.getHeapMemoryUsage().getUsed();
          out.printf(Locale.ROOT, "%7d-%-8d %14.3f %13.1f KB %14.3f %9d MB%n", i + 1 - every, i, cpu / 1e6,
              alloc / 1024, (double) (w - wall) / every / 1e6, heap >> 20);
          last = cpu;
          before = totals();
          wall = System.nanoTime();
        }
      }
    }
    return last;
  }

  static ProvisionRequest request(int n) {
    String name = "app-" + n;
    return ProvisionRequest.builder()
        .agent(AgentId.of("agent-" + (n % 100)))
        .provider("cloudflare")
        .plan("workers:paid")
        .domain(DomainRequest.query(name))
        .app(WorkerApp.builder(name)
            .module("index.js", "export default { async fetch() { return new Response('hello from " + name + "'); } };")
            .plainText("GREETING", "hello")
            .build())
        .token(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").ttl(Duration.ofDays(7)))
        .build();
  }

  /** CPU nanoseconds and bytes allocated by every live thread so far. */
  private static long[] totals() {
    long[] ids = THREADS.getAllThreadIds();
    long[] cpu = THREADS.getThreadCpuTime(ids);
    long[] alloc = THREADS.getThreadAllocatedBytes(ids);
    long c = 0;
    long a = 0;
    for (int i = 0; i < ids.length; i++) {
      c += Math.max(0, cpu[i]);
      a += Math.max(0, alloc[i]);
    }
    return new long[] {c, a};
  }
}
