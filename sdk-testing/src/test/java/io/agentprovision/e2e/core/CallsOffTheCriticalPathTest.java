package io.agentprovision.e2e.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.AccountLinkRequest;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.StepContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Calls a flow needs but nothing before them waits for run beside what they do not depend on: the
 * orchestrator's set-up for the run's resources (a Stripe project) beside the account and the payment
 * method, and the broad credential's reveal beside the domain. Each test makes the call that should
 * run beside wait for the other one: if the two ran one after the other, the waiting call would
 * time out and the run fail.
 */
class CallsOffTheCriticalPathTest {
  private static final RunId RUN = RunId.of("run_beside");
  private static final AgentId AGENT = AgentId.of("coding-agent-7");
  /** Long enough never to be reached when the calls run side by side; a run that waits this long fails. */
  private static final long WAIT_SECONDS = 20;

  private final EngineHarness h = new EngineHarness();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final CountDownLatch prepared = new CountDownLatch(1);
  private final CountDownLatch revealed = new CountDownLatch(1);
  private volatile boolean paymentWaitsForPrepare;
  private volatile boolean domainWaitsForReveal;
  private volatile @Nullable RuntimeException prepareFails;
  private final CountDownLatch planRead = new CountDownLatch(1);
  private volatile boolean paymentWaitsForPlanRead;
  /** How long the person takes over the payment method, on the virtual clock. */
  private volatile java.time.Duration paymentTakes = java.time.Duration.ZERO;

  @BeforeEach
  void steps() {
    h.steps.shutdownNow();
    h.steps = Executors.newFixedThreadPool(4); // room for the calls to run side by side
  }

  @AfterEach
  void close() {
    h.close();
  }

  private AgentProvisioner provisioner() {
    Observed o = new Observed(h.orchestrator);
    return h.provisioner(b -> b.orchestrator(o));
  }

  private static ProvisionRequest request() {
    return EngineHarness.request().runId(RUN).build();
  }

  @Test
  void theRunsProjectIsSetUpWhileThePaymentMethodIsMadeReady_beforeAnyResource() {
    paymentWaitsForPrepare = true;

    Deployment d = provisioner().provisionAndDeploy(request());

    assertThat(d.verification().live()).isTrue();
    assertThat(calls).filteredOn(c -> c.startsWith("prepare")).containsExactly("prepare cloudflare my-app");
    // set up once, before the first resource is asked for
    assertThat(calls.indexOf("prepare cloudflare my-app")).isLessThan(firstIndex("provision"));
  }

  @Test
  void aSetUpThatFails_isNotTheRunsFailure_theResourcesAreStillProvisioned() {
    prepareFails = new ProviderException("cloudflare", 503, null, "req-9", "project service unavailable", true);

    Deployment d = provisioner().provisionAndDeploy(request());

    assertThat(d.verification().live()).isTrue();
    assertThat(h.orchestrator.charges()).extracting(io.agentprovision.testing.FakeOrchestrator.Charge::serviceId)
        .containsExactlyInAnyOrder("workers:paid", "registrar:domain");
    assertThat(h.journal.run(RUN).orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
  }

  @Test
  void theBroadCredentialIsRevealedWhileTheDomainIsBought_andOnceOnly() {
    domainWaitsForReveal = true;

    Deployment d = provisioner().provisionAndDeploy(request());

    assertThat(d.verification().live()).isTrue();
    assertThat(calls).filteredOn(c -> c.startsWith("revealCredentials")).hasSize(1);
    assertThat(h.auditActions()).filteredOn("credentials.revealed"::equals).hasSize(1);
    // the deploy token was minted from the credential the resource step revealed
    assertThat(h.deployer.tokens()).hasSize(1);
    assertThat(h.vault.keys("runs/" + RUN + "/broad/")).isNotEmpty();
  }

  @Test
  void aRetriedCredentialsStep_revealsTheBroadCredentialAgain() {
    h.onFailure = FailureAction.SUSPEND;
    h.deployer.failOn("prepareCredentials", 1, new ProviderException("cloudflare", 503, null, null, "unavailable",
        true));
    AgentProvisioner p = provisioner();
    assertThatThrownBy(() -> p.provisionAndDeploy(request())).isInstanceOf(RunFailedException.class);
    assertThat(calls).filteredOn(c -> c.startsWith("revealCredentials")).hasSize(1);

    Deployment d = p.resume(AGENT, RUN);

    assertThat(d.verification().live()).isTrue();
    // an attempt that failed may have rolled the broad credential: the second one reads it afresh
    assertThat(calls).filteredOn(c -> c.startsWith("revealCredentials")).hasSize(2);
    assertThat(h.deployer.tokens()).hasSize(1);
  }

  @Test
  void aRunUndone_leavesNoBroadCredentialInTheVault() {
    h.deployer.failOn("deploy", 1, new ProviderException("cloudflare", 400, "10021", "req-1", "metadata part missing",
        false));
    AgentProvisioner p = provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(request()))
        .isInstanceOfSatisfying(RunFailedException.class, e -> assertThat(e.failedStep()).isEqualTo(StepId.of("deploy")));

    assertThat(h.orchestrator.removals()).extracting(r -> r.serviceId()).contains("workers");
    assertThat(h.vault.keys("runs/" + RUN + "/broad/")).isEmpty();
    assertThat(h.vault.keys("runs/" + RUN + "/deploy-token")).isEmpty();
  }

  @Test
  void aBroadCredentialThatExpiredWhileTheRunWaited_isRevealedAgain() {
    h.orchestrator = io.agentprovision.testing.FakeOrchestrator.builder().paymentMethodOnFile(true).build();
    Observed o = new Observed(h.orchestrator) {
      @Override
      public AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
        AccessConfiguration a = super.revealCredentials(resource, ctx);
        // the first reveal is already past its expiry when the credentials step reads it
        return calls.stream().filter(c -> c.startsWith("revealCredentials")).count() == 1
            ? new AccessConfiguration(a.values(), ctx.clock().instant(), a.created(), a.generation()) : a;
      }
    };
    AgentProvisioner p = h.provisioner(b -> b.orchestrator(o));

    Deployment d = p.provisionAndDeploy(request());

    assertThat(d.verification().live()).isTrue();
    assertThat(calls).filteredOn(c -> c.startsWith("revealCredentials")).hasSize(2);
  }

  @Test
  void aPersonsNextRun_readsThePlanTheyBoughtWhileThePaymentMethodIsMadeReady_andOnlyThen() {
    AgentProvisioner p = provisioner();
    p.provisionAndDeploy(EngineHarness.request().runId(RunId.of("run_first")).build());
    calls.clear();
    paymentWaitsForPlanRead = true;

    Deployment d = p.provisionAndDeploy(secondRun());

    assertThat(d.verification().live()).isTrue();
    assertThat(calls).filteredOn(c -> c.equals("resource workers:paid")).as("read once, ahead, not again").hasSize(1);
    assertThat(h.orchestrator.charges()).filteredOn(c -> c.serviceId().equals("workers:paid")).as("reused, not bought")
        .hasSize(1);
  }

  @Test
  void aPlanReadAheadLongBeforeThePlanStep_isReadAgain() {
    AgentProvisioner p = provisioner();
    p.provisionAndDeploy(EngineHarness.request().runId(RunId.of("run_first")).build());
    calls.clear();
    paymentWaitsForPlanRead = true;
    paymentTakes = java.time.Duration.ofMinutes(5); // the person took their time adding a card

    Deployment d = p.provisionAndDeploy(secondRun());

    assertThat(d.verification().live()).isTrue();
    assertThat(calls).filteredOn(c -> c.equals("resource workers:paid")).as("read ahead, then again: too old")
        .hasSize(2);
    assertThat(h.orchestrator.charges()).filteredOn(c -> c.serviceId().equals("workers:paid")).hasSize(1);
  }

  /** The same person's next app, with its own name and domain. */
  private static ProvisionRequest secondRun() {
    return EngineHarness.request().runId(RUN)
        .app(io.agentprovision.core.WorkerApp.builder("my-other-app").module("index.js", EngineHarness.APP_SOURCE)
            .build())
        .domain(io.agentprovision.core.DomainRequest.query("my-other-app")).build();
  }

  private int firstIndex(String method) {
    for (int i = 0; i < calls.size(); i++) {
      if (calls.get(i).startsWith(method)) {
        return i;
      }
    }
    throw new AssertionError("no call to " + method + " in " + calls);
  }

  private static void await(CountDownLatch latch, String what) {
    try {
      if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError(what + " did not happen while this call waited: the two ran one after the other");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The fake orchestrator, with its calls recorded and the waits the tests ask for. */
  private class Observed extends DelegatingOrchestrator {
    Observed(Orchestrator delegate) {
      super(delegate);
    }

    @Override
    public void prepare(String provider, String project, StepContext ctx) {
      calls.add("prepare " + provider + " " + project);
      prepared.countDown();
      RuntimeException fails = prepareFails;
      if (fails != null) {
        throw fails;
      }
    }

    @Override
    public ProviderAccount linkAccount(AccountLinkRequest request, StepContext ctx) {
      calls.add("linkAccount");
      return super.linkAccount(request, ctx);
    }

    @Override
    public PaymentMethodStatus ensurePaymentMethod(String provider, Money usageCap, StepContext ctx) {
      if (paymentWaitsForPrepare) {
        await(prepared, "the run's set-up");
      }
      if (paymentWaitsForPlanRead) {
        await(planRead, "the read of the person's plan");
        h.time.advance(paymentTakes);
      }
      calls.add("ensurePaymentMethod");
      return super.ensurePaymentMethod(provider, usageCap, ctx);
    }

    @Override
    public ResourceState provision(ResourceRequest request, StepContext ctx) {
      calls.add("provision " + request.serviceId());
      return super.provision(request, ctx);
    }

    @Override
    public ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
        @Nullable PaymentAuthorization payment, StepContext ctx) {
      if (domainWaitsForReveal && information.containsKey("domain")) {
        await(revealed, "the broad credential's reveal");
      }
      calls.add("submitInformation " + resource.serviceId());
      return super.submitInformation(resource, information, payment, ctx);
    }

    @Override
    public ResourceState resource(ResourceRef resource, StepContext ctx) {
      calls.add("resource " + resource.serviceId());
      ResourceState state = super.resource(resource, ctx);
      if (resource.serviceId().equals("workers:paid")) {
        planRead.countDown();
      }
      return state;
    }

    @Override
    public AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
      calls.add("revealCredentials " + resource.serviceId());
      AccessConfiguration a = super.revealCredentials(resource, ctx);
      revealed.countDown();
      return a;
    }
  }
}
