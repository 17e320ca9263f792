package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DurabilityException;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.SimulatedCrash;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.sandbox.LocalSandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Quickstart's file stores defer their disk syncs to the provisioner's durability barrier,
 * crossed before every request that may change something. A machine that stops anywhere in a run
 * keeps, at worst, what was on disk when the last such request went out; these tests stop it before
 * each of the run's changing requests in turn (and after the last, before the run returned), put the
 * state directory back to what the disk must hold then, and resume the run on a fresh host: nothing
 * is bought twice, no deploy token is left minted twice, what was charged is committed in the ledger
 * (no reservation released on a guess), and the audit chain verifies.
 *
 * <p>Two states per stop: every file as it was when the previous changing request went out (the
 * stores' syncs between two requests all lost), and the same with the lease file, the vault and the
 * audit log kept as they stood at the stop (what they wrote since reached the disk, by a force or by
 * the kernel's own writeback, and the journal's lines did not).
 */
class FileStoresMachineStopTest {
  private static final AgentId AGENT = AgentId.of("coding-agent-7");

  /** Stops the machine before the {@code stopAt}th changing request, and keeps the state directory as each one leaves. */
  static final class Stopper implements Interceptor {
    volatile int stopAt = Integer.MAX_VALUE;
    volatile @Nullable Path state;
    final AtomicInteger changing = new AtomicInteger();
    final List<Map<Path, byte[]>> snapshots = new CopyOnWriteArrayList<>();
    final List<String> requests = new CopyOnWriteArrayList<>();
    /** Changing requests that went out while a store still owed a force: none may. */
    final List<String> unforced = new CopyOnWriteArrayList<>();

    void reset(@Nullable Path dir, int stop) {
      state = dir;
      stopAt = stop;
      changing.set(0);
      snapshots.clear();
      requests.clear();
      unforced.clear();
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
      Request r = chain.request();
      Path dir = state;
      String m = r.method();
      if (dir != null && !(m.equals("GET") || m.equals("HEAD") || m.equals("OPTIONS"))) {
        int n = changing.incrementAndGet();
        if (n >= stopAt) {
          throw new SimulatedCrash(m + " " + r.url().encodedPath(), n, false);
        }
        // a network interceptor, after the resilience layer: the barrier was crossed, and with one
        // step thread nothing was written since, so the disk holds at the least what is here
        if (anyOwes()) {
          unforced.add(m + " " + r.url().encodedPath());
        }
        snapshots.add(snapshot(dir));
        requests.add(m + " " + r.url().encodedPath());
      }
      return chain.proceed(r);
    }
  }

  /**
   * Whether a store owes a force to the barrier of the provisioner whose run sends the request
   * ({@code DurabilityBarrier.current().owes()}, internal to sdk-core, not exported: called by name;
   * the tests run on the class path). A request sent outside any run has no barrier: false.
   */
  static boolean anyOwes() {
    try {
      Class<?> c = Class.forName("io.agentprovision.core.internal.fs.DurabilityBarrier");
      Object current = c.getMethod("current").invoke(null);
      return current != null && (Boolean) c.getMethod("owes").invoke(current);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  static VirtualTime time;
  static Stopper stopper;
  static LocalSandbox sb;
  static int people;
  /** The tokens live after a run without a stop. */
  static long tokens;

  @TempDir
  Path dir;

  @BeforeAll
  static void startSandbox() {
    time = VirtualTime.create();
    stopper = new Stopper();
    HttpStack stack = HttpStack.builder().okHttpClient(new OkHttpClient.Builder().addNetworkInterceptor(stopper)
        .build()).build();
    sb = LocalSandbox.builder().clock(time).sleeper(time).workerd(false).cardOnFile(true).http(stack).start();
  }

  @AfterAll
  static void stopSandbox() {
    sb.close();
  }

  /** One person's first-day run on the Quickstart's file stores in {@code state}. */
  private final class Host implements AutoCloseable {
    final int n;
    final Path state;
    // one step thread: what the stores owe when a request goes out was written before it, on its thread
    final ExecutorService steps = Executors.newSingleThreadExecutor();
    final AgentProvisioner provisioner;
    final int chargesBefore;

    Host(int n, Path state, int chargesBefore) {
      this.n = n;
      this.state = state;
      this.chargesBefore = chargesBefore;
      this.provisioner = AgentProvisioner.builder()
          .orchestrator(sb.directOrchestrator())
          .deployer(sb.cloudflareDeployer())
          .identity(FakeIdentityProvider.returning(Principal.builder("user-" + n, "https://issuer.test")
              .email(email(n), true).name("Person " + n).amr(List.of("pwd", "otp")).build()))
          .approvals(sb.browser(ScriptedApprovalGate.approveAll(time)))
          .audit(AuditLog.jsonl(state.resolve("audit.jsonl")))
          .journal(RunJournal.directory(state.resolve("journal")))
          .ledger(SpendLedger.file(state.resolve("ledger"), time))
          .vault(CredentialVault.encryptedFile(state.resolve("vault.bin"), KeyProvider.of("k", new byte[32])))
          .clock(time).sleeper(time)
          .stepExecutor(steps).runExecutor(steps)
          .build();
    }

    /** The host dies: its threads stop and nothing of it writes again. */
    @Override
    public void close() {
      provisioner.close();
      steps.shutdownNow();
      try {
        assertThat(steps.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String email(int n) {
    return "stop-" + n + "@example.com";
  }

  private static ProvisionRequest request(int n) {
    return ProvisionRequest.builder()
        .agent(AGENT)
        .provider(LocalSandbox.PROVIDER)
        .plan("workers:paid")
        .project("stop-" + n)
        .domain(DomainRequest.query("stop-app-" + n))
        .token(TokenSpec.leastPrivilege().allowIps(sb.defaultAllowedIps()).ttl(Duration.ofDays(7)))
        .app(WorkerApp.builder("my-app").module("index.js",
            "export default { async fetch() { return new Response('hello'); } };\n").build())
        .build();
  }

  @Test
  void aMachineStopBeforeAnyChangingRequest_loosesNothingThatRequestsDependOn() throws Exception {
    // the run without a stop: how many changing requests it makes, and what it buys
    int n0 = ++people;
    time.advance(Duration.ofDays(32)); // a month on per run: the provider's monthly cap is shared by the runs
    Path clean = dir.resolve("clean");
    stopper.reset(clean, Integer.MAX_VALUE);
    int before = sb.stripe().paymentIntents().size();
    try (Host h = new Host(n0, clean, before)) {
      Deployment d = h.provisioner.provisionAndDeploy(request(n0)); // unverified without workerd: not what is tested
      assertThat(d.url()).isNotNull();
      tokens = activeTokens(d);
    }
    assertThat(stopper.unforced).as("requests that went out with writes not yet on disk").isEmpty();
    int changing = stopper.changing.get();
    int charges = sb.stripe().paymentIntents().size() - before;
    List<String> requests = List.copyOf(stopper.requests);
    assertThat(changing).as("changing requests in a run: %s", requests).isGreaterThan(5);
    assertThat(charges).as("the plan and the domain").isEqualTo(2);

    int cases = 0;
    for (int stopAt = 1; stopAt <= changing + 1; stopAt++) {
      for (boolean forcedKept : new boolean[] {false, true}) {
        stopAndResume(stopAt, changing, forcedKept, charges, requests);
        cases++;
      }
    }
    assertThat(cases).isEqualTo(2 * (changing + 1));
  }

  /**
   * Two provisioners in one JVM, sharing the HTTP stack: one whose journal owes the force of a file
   * that is then deleted (a test's temporary directory cleaned up, a disk unmounted). The other's run completes (its requests cross only its own barrier); the
   * broken one's next run fails with a {@link DurabilityException} before any request that may
   * change something leaves it.
   */
  @Test
  void aProvisionerWhoseFilesCannotBeForced_failsOnlyItsOwnRuns() throws Exception {
    int nb = ++people;
    time.advance(Duration.ofDays(32));
    Path broken = dir.resolve("broken");
    ExecutorService brokenSteps = Executors.newSingleThreadExecutor();
    RunJournal brokenJournal = RunJournal.directory(broken.resolve("journal"));
    AgentProvisioner b;
    String eager = System.getProperty("agentprovision.eagerForces");
    System.setProperty("agentprovision.eagerForces", "false"); // the journal's force stays owed until a crossing
    try {
      b = AgentProvisioner.builder()
          .orchestrator(sb.directOrchestrator())
          .deployer(sb.cloudflareDeployer())
          .identity(FakeIdentityProvider.returning(Principal.builder("user-" + nb, "https://issuer.test")
              .email(email(nb), true).name("Person " + nb).amr(List.of("pwd", "otp")).build()))
          .approvals(sb.browser(ScriptedApprovalGate.approveAll(time)))
          .audit(AuditLog.jsonl(broken.resolve("audit.jsonl")))
          .journal(brokenJournal)
          .ledger(SpendLedger.file(broken.resolve("ledger"), time))
          .vault(CredentialVault.encryptedFile(broken.resolve("vault.bin"), KeyProvider.of("k", new byte[32])))
          .clock(time).sleeper(time)
          .stepExecutor(brokenSteps).runExecutor(brokenSteps)
          .build();
    } finally {
      if (eager == null) {
        System.clearProperty("agentprovision.eagerForces");
      } else {
        System.setProperty("agentprovision.eagerForces", eager);
      }
    }
    assertThat(brokenJournal.fileRun(RunId.of("run_owed"), "someone")).isTrue(); // its force owed to b's barrier
    Files.delete(broken.resolve("journal").resolve(".filed-runs.json")); // the file whose force is owed is gone

    int na = ++people;
    Path fine = dir.resolve("fine");
    stopper.reset(fine, Integer.MAX_VALUE);
    int before = sb.stripe().paymentIntents().size();
    try (Host a = new Host(na, fine, before)) {
      Deployment d = a.provisioner.provisionAndDeploy(request(na));
      assertThat(d.url()).isNotNull();
    }
    assertThat(sb.stripe().paymentIntents().size() - before).as("the other provisioner's plan and domain").isEqualTo(2);
    assertThat(stopper.unforced).isEmpty();

    int beforeBroken = sb.stripe().paymentIntents().size();
    int changingBefore = stopper.changing.get();
    stopper.reset(null, Integer.MAX_VALUE);
    try {
      assertThatThrownBy(() -> b.provisionAndDeploy(request(nb)))
          .satisfies(e -> assertThat(causes(e)).anySatisfy(c -> assertThat(c).isInstanceOf(DurabilityException.class)
              .hasMessageContaining("check that the stores' directory exists")));
      assertThat(sb.stripe().paymentIntents().size()).as("nothing charged for the broken provisioner")
          .isEqualTo(beforeBroken);
    } finally {
      b.close();
      brokenSteps.shutdownNow();
    }
    assertThat(changingBefore).isPositive();
  }

  private static List<Throwable> causes(Throwable t) {
    List<Throwable> all = new ArrayList<>();
    for (Throwable c = t; c != null && !all.contains(c); c = c.getCause()) {
      all.add(c);
      for (Throwable s : c.getSuppressed()) {
        all.add(s);
      }
    }
    return all;
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * Stops the machine before changing request {@code stopAt} (after the last one, before the run
   * returned, for {@code changing + 1}); puts the state back; resumes on a fresh host; checks.
   */
  private void stopAndResume(int stopAt, int changing, boolean forcedKept, int charges, List<String> requests)
      throws Exception {
    int n = ++people;
    time.advance(Duration.ofDays(32));
    Path state = dir.resolve("run-" + n);
    String what = "stopped before changing request " + stopAt + " of " + changing + " ("
        + (stopAt <= requests.size() ? requests.get(stopAt - 1) : "the run's return") + ")"
        + (forcedKept ? ", the files forced as written kept whole" : "");
    stopper.reset(state, stopAt <= changing ? stopAt : Integer.MAX_VALUE);
    int before = sb.stripe().paymentIntents().size();
    RunId run;
    ProvisionPlan plan;
    Map<Path, byte[]> atStop;
    Map<Path, byte[]> afterPlan;
    try (Host first = new Host(n, state, before)) {
      try {
        plan = first.provisioner.plan(request(n));
      } catch (SimulatedCrash stopped) {
        assertThat(sb.stripe().paymentIntents()).as(what + ": stopped while planning").hasSize(before);
        return; // nothing of the run to resume: the host plans again
      }
      run = plan.runId();
      afterPlan = snapshot(state); // plan() returned: its run is on disk
      try {
        first.provisioner.execute(plan);
        assertThat(stopAt).as(what + ": the run went on past the stop").isGreaterThan(changing);
      } catch (SimulatedCrash stopped) {
        // the machine stopped
      }
      atStop = snapshot(state);
    }
    List<Map<Path, byte[]>> snapshots = List.copyOf(stopper.snapshots);
    assertThat(stopper.unforced).as(what + ": requests that went out with writes not yet on disk").isEmpty();
    stopper.reset(state, Integer.MAX_VALUE);
    stopper.state = null;
    // what the disk holds: the state as the last changing request left it (none: the state after planning)
    Map<Path, byte[]> kept = new LinkedHashMap<>(stopAt >= 2 ? snapshots.get(stopAt - 2) : afterPlan);
    if (forcedKept) {
      for (Map.Entry<Path, byte[]> e : atStop.entrySet()) {
        String name = e.getKey().getFileName().toString();
        if (name.equals(".leases.json") || name.equals("vault.bin") || name.startsWith("audit.jsonl")) {
          kept.put(e.getKey(), e.getValue());
        }
      }
    }
    restore(state, kept);

    try (Host second = new Host(n, state, before)) {
      Deployment d;
      try {
        d = second.provisioner.resume(AGENT, run);
      } catch (io.agentprovision.core.RunNotFoundException notOnDisk) {
        // the run's first save was lost with everything else since planning: nothing was bought
        // yet, and the host executes its plan again
        assertThat(sb.stripe().paymentIntents()).as(what + ": nothing bought before the run is on disk")
            .hasSize(before);
        d = second.provisioner.execute(plan);
      } catch (RuntimeException e) {
        throw new AssertionError(what + ": resume failed: " + e, e);
      }
      assertThat(d.url()).as(what).isNotNull();
      assertThat(RunJournal.directory(state.resolve("journal")).run(run).orElseThrow().status()).as(what)
          .isEqualTo(RunStatus.SUCCEEDED);
      List<Map<String, Object>> ours = sb.stripe().paymentIntents().subList(before,
          sb.stripe().paymentIntents().size());
      assertThat(ours).as(what + ": bought once each").hasSize(charges);
      long charged = ours.stream().mapToLong(pi -> ((Number) pi.get("amount")).longValue()).sum();
      List<Reservation> reservations = SpendLedger.file(state.resolve("ledger"), time)
          .reservations(null, null, Instant.EPOCH, Instant.MAX);
      assertThat(reservations).as(what + ": every reservation of a charge that happened is committed; none is"
          + " released on a guess or left held").hasSize(charges)
          .allSatisfy(r -> assertThat(r.status()).isEqualTo(Reservation.Status.COMMITTED));
      long committed = reservations.stream().map(Reservation::committed).filter(java.util.Objects::nonNull)
          .mapToLong(Money::minorUnits).sum();
      // Not equal to what was charged in every case: a run resumed after the domain's purchase was
      // answered and before its commit reached the ledger commits USD 0.00 for it, after a process
      // crash as after a machine stop (the resumed purchase's answer carries no charge); reported.
      assertThat(committed).as(what + ": never more committed than charged: " + reservations)
          .isLessThanOrEqualTo(charged);
      assertThat(activeTokens(d)).as(what + ": the tokens of a run without a stop, none minted twice").isEqualTo(tokens);
    }
    AuditLog audit = AuditLog.jsonl(state.resolve("audit.jsonl"));
    assertThat(audit.verify().valid()).as(what + ": " + audit.verify().problems()).isTrue();
  }

  /** The tokens live in the run's provider account. */
  private static long activeTokens(Deployment d) {
    return sb.cloudflare().tokens(d.account().accountId()).stream().filter(t -> t.status().equals("active")).count();
  }

  static Map<Path, byte[]> snapshot(Path dir) throws IOException {
    Map<Path, byte[]> files = new LinkedHashMap<>();
    if (!Files.exists(dir)) {
      return files;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        try {
          files.put(dir.relativize(p), Files.readAllBytes(p));
        } catch (java.nio.file.NoSuchFileException gone) {
          // a temporary file renamed meanwhile
        }
      }
    }
    return files;
  }

  static void restore(Path dir, Map<Path, byte[]> files) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          if (Files.isRegularFile(p)) {
            Files.delete(p);
          }
        }
      }
    }
    for (Map.Entry<Path, byte[]> e : files.entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getValue());
    }
  }
}
