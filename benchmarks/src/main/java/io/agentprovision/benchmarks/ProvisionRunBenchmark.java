package io.agentprovision.benchmarks;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.RecordingDeployer;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One whole {@code provisionAndDeploy}, from nothing to a live app, over the fakes: a new account,
 * the paid plan, the Worker, a chosen domain bought, a least-privilege token minted and vaulted, the
 * deploy and its check, every step journaled and audited, the audit chain verified at the end.
 * Virtual time (so polling never waits), in-memory stores, an approve-all gate, the default spend
 * policy and the provisioner's default of {@value AgentProvisioner#DEFAULT_STEP_THREADS} step
 * threads. What it measures is the engine's own cost per run; the fakes are cheap by design.
 *
 * <p>Every run gets a fresh provisioner over fresh fakes and stores, built outside the measured
 * time, so runs do not slow each other down by filling the stores (nor hit the default policy's
 * monthly limit). The same run is reported as runs per second and as a latency distribution.
 */
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ProvisionRunBenchmark {
  static final ProvisionRequest REQUEST = ProvisionRequest.builder()
      .agent(AgentId.of("coding-agent-7"))
      .provider("cloudflare")
      .plan("workers:paid")
      .domain(DomainRequest.query("my-app"))
      .app(WorkerApp.builder("my-app")
          .module("index.js", "export default { async fetch() { return new Response('hello from my-app'); } };")
          .plainText("GREETING", "hello")
          .build())
      .token(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").ttl(Duration.ofDays(7)))
      .build();

  /** Thread pools shared by every run, as a host shares them. */
  @State(Scope.Benchmark)
  public static class Pools {
    ExecutorService steps = Executors.newSingleThreadExecutor();
    ExecutorService runs = Executors.newSingleThreadExecutor();

    @Setup(Level.Trial)
    public void start() {
      steps.shutdownNow();
      runs.shutdownNow();
      steps = Executors.newFixedThreadPool(AgentProvisioner.DEFAULT_STEP_THREADS, daemon("bench-step"));
      runs = Executors.newCachedThreadPool(daemon("bench-run"));
    }

    @TearDown(Level.Trial)
    public void stop() {
      steps.shutdownNow();
      runs.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
      AtomicInteger n = new AtomicInteger();
      return r -> {
        Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      };
    }
  }

  /** A provisioner over fresh fakes, built before each run and checked after it. */
  @State(Scope.Thread)
  public static class Fresh {
    @Nullable AgentProvisioner provisioner;
    @Nullable Deployment last;

    @Setup(Level.Invocation)
    public void build(Pools pools) {
      VirtualTime time = VirtualTime.create();
      provisioner = AgentProvisioner.builder()
          .orchestrator(FakeOrchestrator.builder().paymentMethodOnFile(true).build())
          .deployer(RecordingDeployer.create())
          .identity(FakeIdentityProvider.returning(FakeIdentityProvider.DEFAULT_PRINCIPAL))
          .spendPolicy(SpendPolicy.defaults())
          .ledger(SpendLedger.inMemory(time))
          .approvals(ScriptedApprovalGate.approveAll(time))
          .audit(AuditLog.inMemory())
          .vault(CredentialVault.inMemory())
          .journal(RunJournal.inMemory())
          .clock(time)
          .sleeper(time)
          .stepExecutor(pools.steps)
          .runExecutor(pools.runs)
          .build();
      last = null;
    }

    /** A run that did not end live would be measuring a failure path. */
    @TearDown(Level.Invocation)
    public void check() {
      Deployment d = last;
      if (d == null || d.verification() == null || !d.verification().live() || !d.auditVerified()) {
        throw new IllegalStateException("the benchmark run did not end with a live, audited app: " + d);
      }
      if (provisioner != null) {
        provisioner.close();
      }
    }

    Deployment run() {
      AgentProvisioner p = provisioner;
      if (p == null) {
        throw new IllegalStateException("no provisioner was built for this run");
      }
      Deployment d = p.provisionAndDeploy(REQUEST);
      last = d;
      return d;
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public Deployment runsPerSecond(Fresh fresh) {
    return fresh.run();
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public Deployment runLatency(Fresh fresh) {
    return fresh.run();
  }
}
