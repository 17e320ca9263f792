package io.agentprovision.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.testing.FakeIdentityProvider;
import io.agentprovision.testing.FakeOrchestrator;
import io.agentprovision.testing.RecordingDeployer;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The listener over a Quickstart-sized run on the fakes (identity, plan, account, payment method,
 * paid plan, Worker, domain, credentials, deploy, verify), read back with the SDK's in-memory
 * exporters: the trace's shape, the metrics, and that no secret or e-mail reaches any attribute.
 */
class OpenTelemetryListenerTest {
  private static final Principal ADA = Principal.builder("user-ada", "https://issuer.test")
      .email("ada@example.com", true).name("Ada").amr(List.of("pwd")).build();
  private static final String ID_TOKEN = "id-token-CANARY-0a1b2c3d4e";
  private static final String APP_SECRET = "app-secret-CANARY-9f8e7d6c";

  private final VirtualTime time = VirtualTime.create();
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
      .build();
  private final FakeOrchestrator orchestrator = FakeOrchestrator.builder().paymentMethodOnFile(true).build();
  private final RecordingDeployer deployer = RecordingDeployer.create();
  private final CredentialVault vault = CredentialVault.inMemory();
  private final SpendLedger ledger = SpendLedger.inMemory(time);
  private final ExecutorService steps = Executors.newSingleThreadExecutor();
  private final AtomicInteger ids = new AtomicInteger();
  private final List<AgentProvisioner> built = new ArrayList<>();
  private OpenTelemetryListener listener;

  @AfterEach
  void close() {
    built.forEach(AgentProvisioner::close);
    steps.shutdownNow();
    otel.close();
  }

  private AgentProvisioner provisioner(OpenTelemetryListener l, Consumer<AgentProvisioner.Builder> more) {
    listener = l;
    AgentProvisioner.Builder b = AgentProvisioner.builder()
        .orchestrator(orchestrator)
        .deployer(deployer)
        .identity(FakeIdentityProvider.builder().token(Secret.of(ID_TOKEN), ADA).build())
        .approvals(ScriptedApprovalGate.approveAll(time))
        .ledger(ledger)
        .vault(vault)
        .listener(l)
        .clock(time)
        .sleeper(time)
        .idGenerator(prefix -> prefix + "_" + ids.incrementAndGet())
        .stepExecutor(steps);
    more.accept(b);
    AgentProvisioner p = b.build();
    built.add(p);
    return p;
  }

  private AgentProvisioner provisioner() {
    return provisioner(OpenTelemetryListener.create(otel), b -> {});
  }

  private static ProvisionRequest request() {
    return ProvisionRequest.builder()
        .agent(AgentId.of("coding-agent-7"))
        .provider("cloudflare")
        .plan("workers:paid")
        .domain(DomainRequest.query("my-app"))
        .app(WorkerApp.builder("my-app").module("index.js", "export default { fetch() { return new Response('hi'); } };")
            .binding(WorkerApp.Binding.secretText("API_KEY", Secret.of(APP_SECRET))).build())
        .token(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").ttl(Duration.ofDays(7)))
        .identityToken(Secret.of(ID_TOKEN))
        .build();
  }

  // ---------------------------------------------------------------- traces

  @Test
  void run_isOneSpanWithAChildSpanPerStep_inOneTrace_timedInTheRunsClock() {
    Deployment d = provisioner().provisionAndDeploy(request());

    SpanData run = runSpan();
    assertThat(run.getAttributes().get(OpenTelemetryListener.RUN_ID)).isEqualTo(d.runId().value());
    assertThat(run.getAttributes().get(OpenTelemetryListener.AGENT)).isEqualTo("coding-agent-7");
    assertThat(run.getAttributes().get(OpenTelemetryListener.PROVIDER)).isEqualTo("cloudflare");
    assertThat(run.getAttributes().get(OpenTelemetryListener.OUTCOME)).isEqualTo("succeeded");
    assertThat(run.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(run.getStartEpochNanos()).isEqualTo(nanos(VirtualTime.DEFAULT_START));
    List<SpanData> children = stepSpans();
    assertThat(children).extracting(s -> s.getAttributes().get(OpenTelemetryListener.STEP)).containsExactlyInAnyOrder(
        "identity", "plan-approval", "account", "payment-method", "plan", "resource", "domain", "credentials", "deploy",
        "verify");
    assertThat(children).allSatisfy(s -> {
      assertThat(s.getName()).isEqualTo(OpenTelemetryListener.STEP_SPAN_PREFIX + s.getAttributes()
          .get(OpenTelemetryListener.STEP));
      assertThat(s.getParentSpanId()).isEqualTo(run.getSpanId());
      assertThat(s.getTraceId()).isEqualTo(run.getTraceId());
      assertThat(s.getAttributes().get(OpenTelemetryListener.RUN_ID)).isEqualTo(d.runId().value());
      assertThat(s.getAttributes().get(OpenTelemetryListener.AGENT)).isEqualTo("coding-agent-7");
      assertThat(s.getAttributes().get(OpenTelemetryListener.PROVIDER)).isEqualTo("cloudflare");
      assertThat(s.getAttributes().get(OpenTelemetryListener.ATTEMPT)).isEqualTo(1L);
      assertThat(s.getAttributes().get(OpenTelemetryListener.OUTCOME)).isEqualTo("succeeded");
      assertThat(s.getStartEpochNanos()).isBetween(run.getStartEpochNanos(), run.getEndEpochNanos());
      assertThat(s.getEndEpochNanos()).isLessThanOrEqualTo(run.getEndEpochNanos());
    });
  }

  @Test
  void stepSpans_carryApprovalsAndMoneyAsEvents() {
    provisioner().provisionAndDeploy(request());

    SpanData planApproval = stepSpan("plan-approval");
    assertThat(events(planApproval, "approval.requested")).singleElement().satisfies(e -> {
      assertThat(e.getAttributes().get(OpenTelemetryListener.CHECKPOINT)).isEqualTo("PLAN_APPROVAL");
      // the most the plan may cost: the plan's USD 5.00 and the domain's cap, what the monthly limit leaves
      assertThat(e.getAttributes().get(OpenTelemetryListener.AMOUNT)).isEqualTo(10000L);
      assertThat(e.getAttributes().get(OpenTelemetryListener.CURRENCY)).isEqualTo("USD");
    });
    assertThat(events(planApproval, "approval.decided")).singleElement().satisfies(e -> assertThat(e.getAttributes()
        .get(OpenTelemetryListener.DECISION)).isEqualTo("approved"));
    SpanData domain = stepSpan("domain");
    assertThat(events(domain, "approval.decided")).singleElement().satisfies(e ->
        assertThat(e.getAttributes().get(OpenTelemetryListener.CHECKPOINT)).isEqualTo("DOMAIN_PURCHASE"));
    // held at its cap from the search on, committed at the price of the name chosen
    assertThat(events(domain, "spend.held")).singleElement().satisfies(e ->
        assertThat(e.getAttributes().get(OpenTelemetryListener.AMOUNT)).isEqualTo(9500L));
    assertThat(events(domain, "spend.committed")).singleElement().satisfies(e ->
        assertThat(e.getAttributes().get(OpenTelemetryListener.AMOUNT)).isEqualTo(1044L));
    assertThat(events(stepSpan("plan"), "spend.committed")).singleElement().satisfies(e ->
        assertThat(e.getAttributes().get(OpenTelemetryListener.AMOUNT)).isEqualTo(500L));
    assertThat(events(stepSpan("account"), "approval.decided")).singleElement().satisfies(e ->
        assertThat(e.getAttributes().get(OpenTelemetryListener.CHECKPOINT)).isEqualTo("TERMS_OF_SERVICE"));
  }

  @Test
  void failedRun_recordsTheErrorOnItsStepAndRun_andTheCompensationsAsEvents() {
    deployer.failOn("deploy", 1, new ProviderException("cloudflare", 400, "10021", null,
        "the upload was refused for ada@example.com's account", false));
    AgentProvisioner p = provisioner();

    assertThatThrownBy(() -> p.provisionAndDeploy(request())).isInstanceOf(RunFailedException.class);

    SpanData deploy = stepSpan("deploy");
    assertThat(deploy.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(deploy.getStatus().getDescription()).contains("upload was refused").contains("[e-mail]")
        .doesNotContain("ada@example.com");
    assertThat(events(deploy, "exception")).singleElement();
    assertThat(deploy.getAttributes().get(OpenTelemetryListener.OUTCOME)).isEqualTo("failed");
    SpanData run = runSpan();
    assertThat(run.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(run.getAttributes().get(OpenTelemetryListener.OUTCOME)).isEqualTo("failed");
    assertThat(events(run, "compensation")).extracting(e -> e.getAttributes().get(OpenTelemetryListener.STEP))
        .contains("credentials", "plan", "resource");
    assertThat(sum("agentprovision.compensations", Attributes.of(OpenTelemetryListener.STEP, "credentials",
        OpenTelemetryListener.UNDONE, true))).isEqualTo(1);
    assertThat(sum("agentprovision.runs", Attributes.of(OpenTelemetryListener.PROVIDER, "cloudflare",
        OpenTelemetryListener.OUTCOME, "failed"))).isEqualTo(1);
  }

  // ---------------------------------------------------------------- metrics

  @Test
  void metrics_countMoneyApprovalsRunsAndStepLatency() {
    provisioner().provisionAndDeploy(request());

    assertThat(sum("agentprovision.spend.committed", Attributes.of(OpenTelemetryListener.PROVIDER, "cloudflare",
        OpenTelemetryListener.AGENT, "coding-agent-7", OpenTelemetryListener.CURRENCY, "USD"))).isEqualTo(1544);
    for (String checkpoint : List.of("PLAN_APPROVAL", "TERMS_OF_SERVICE", "DOMAIN_PURCHASE")) {
      assertThat(sum("agentprovision.approvals.decided", Attributes.of(OpenTelemetryListener.CHECKPOINT, checkpoint,
          OpenTelemetryListener.DECISION, "approved"))).as(checkpoint).isEqualTo(1);
      assertThat(sum("agentprovision.approvals.waiting", Attributes.of(OpenTelemetryListener.CHECKPOINT, checkpoint)))
          .as("nothing is left waiting").isZero();
    }
    assertThat(sum("agentprovision.runs", Attributes.of(OpenTelemetryListener.PROVIDER, "cloudflare",
        OpenTelemetryListener.OUTCOME, "succeeded"))).isEqualTo(1);
    MetricData latency = metric("agentprovision.step.duration");
    assertThat(latency.getUnit()).isEqualTo("s");
    assertThat(latency.getHistogramData().getPoints()).hasSize(10)
        .allSatisfy(p -> assertThat(p.getCount()).isEqualTo(1));
    assertThat(latency.getHistogramData().getPoints()).filteredOn(p -> "verify".equals(p.getAttributes()
        .get(OpenTelemetryListener.STEP))).singleElement().satisfies(p ->
            assertThat(p.getAttributes().get(OpenTelemetryListener.OUTCOME)).isEqualTo("succeeded"));
  }

  @Test
  void observeSpend_gaugesEachLimitsUse_heldAndCommitted_fromTheLedger() throws Exception {
    AgentProvisioner p = provisioner();
    p.provisionAndDeploy(request());
    // money held for a paid call that has not settled: a reservation the ledger still counts
    ledger.reserve(new io.agentprovision.core.policy.ReservationRequest("held-1", AgentId.of("coding-agent-7"),
        "cloudflare", null, null, Money.usd("2.50"), time.instant(), time.instant().plus(Duration.ofHours(1)),
        p.spendPolicy().limitsFor(AgentId.of("coding-agent-7"), "cloudflare"), p.spendPolicy().zone(), "pending"));

    AutoCloseable gauges = listener.observeSpend(p);
    try {
      Attributes monthly = Attributes.of(OpenTelemetryListener.LIMIT, SpendPolicy.DEFAULT_LIMIT.key(),
          OpenTelemetryListener.BUCKET, "provider=cloudflare", OpenTelemetryListener.CURRENCY, "USD");
      Collection<MetricData> all = metrics.collectAllMetrics();
      assertThat(gauge(all, "agentprovision.spend.limit.used", monthly)).isEqualTo(1794);
      assertThat(gauge(all, "agentprovision.spend.limit.held", monthly)).isEqualTo(250);
      assertThat(gauge(all, "agentprovision.spend.limit.committed", monthly)).isEqualTo(1544);
      assertThat(gauge(all, "agentprovision.spend.limit.amount", monthly)).isEqualTo(10000);

      ledger.release("held-1");
      assertThat(gauge(metrics.collectAllMetrics(), "agentprovision.spend.limit.held", monthly))
          .as("read from the ledger at each collection").isZero();
    } finally {
      gauges.close();
    }
  }

  @Test
  void refusals_byPolicy_areCounted_perLimit_forAStepAndForAWholeRun() {
    SpendPolicy tight = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("10.00")).perProvider()).build();
    AgentProvisioner p = provisioner(OpenTelemetryListener.create(otel), b -> b.spendPolicy(tight));

    // the plan fits, the domain chosen at USD 10.44 does not: its step is refused
    assertThatThrownBy(() -> p.provisionAndDeploy(request())).isInstanceOf(PolicyViolationException.class);
    // then a plan above what remains: the whole run is refused before it starts
    SpendPolicy tighter = SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd("4.00")).perProvider()).build();
    AgentProvisioner q = provisioner(listener, b -> b.spendPolicy(tighter));
    assertThatThrownBy(() -> q.provisionAndDeploy(ProvisionRequest.builder().agent(AgentId.of("coding-agent-7"))
        .provider("cloudflare").plan("workers:paid").app(request().app()).identityToken(Secret.of(ID_TOKEN)).build()))
        .isInstanceOf(PolicyViolationException.class);

    assertThat(events(stepSpan("domain"), "spend.refused")).singleElement().satisfies(e ->
        assertThat(e.getAttributes().get(OpenTelemetryListener.AMOUNT)).isEqualTo(1044L));
    // the limit as the ledger names it: its key, and the bucket that is full
    List<LongPointData> refusals = metric("agentprovision.spend.refusals").getLongSumData().getPoints().stream()
        .toList();
    assertThat(refusals).allSatisfy(x -> {
      assertThat(x.getAttributes().get(OpenTelemetryListener.PROVIDER)).isEqualTo("cloudflare");
      assertThat(x.getAttributes().get(OpenTelemetryListener.LIMIT)).startsWith("monthly/per-provider");
    });
    assertThat(refusals.stream().mapToLong(LongPointData::getValue).sum()).isEqualTo(2);
    List<SpanData> runs = spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals(OpenTelemetryListener.RUN_SPAN)).toList();
    assertThat(runs).extracting(s -> s.getAttributes().get(OpenTelemetryListener.OUTCOME))
        .containsExactly("failed", "refused");
    assertThat(runs.get(1).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(sum("agentprovision.spend.released", Attributes.of(OpenTelemetryListener.PROVIDER, "cloudflare",
        OpenTelemetryListener.AGENT, "coding-agent-7", OpenTelemetryListener.CURRENCY, "USD")))
        .as("the domain's search held what the limit left; refused at the name's price, that hold is given back")
        .isEqualTo(500L);
  }

  @Test
  void retriesAndResumedSteps_fromTheEventsAStepContextEmits() {
    OpenTelemetryListener l = OpenTelemetryListener.create(otel);
    RunId run = RunId.of("run_r");
    StepId step = StepId.of("plan");
    var t = VirtualTime.DEFAULT_START;
    l.onEvent(new ProvisioningEvent.RunStarted(t, run, AgentId.of("a"), "cloudflare", true));
    l.onEvent(new ProvisioningEvent.StepFinished(t, run, StepId.of("identity"), StepStatus.SKIPPED, Duration.ZERO,
        "done before the resume"));
    l.onEvent(new ProvisioningEvent.StepStarted(t, run, step, "Provision workers:paid", 2));
    l.onEvent(new ProvisioningEvent.StepRetry(t.plusSeconds(1), run, step, 1, Duration.ofSeconds(2),
        "HTTP 503 from the provider; ask bob@example.com"));
    l.onEvent(new ProvisioningEvent.StepRetry(t.plusSeconds(3), run, step, 2, Duration.ofSeconds(4), "HTTP 503"));
    l.onEvent(new ProvisioningEvent.StepFinished(t.plusSeconds(8), run, step, StepStatus.SUCCEEDED,
        Duration.ofSeconds(8), "res_1"));
    l.onEvent(new ProvisioningEvent.RunFinished(t.plusSeconds(9), run, RunStatus.SUCCEEDED, Duration.ofSeconds(9), null));

    SpanData plan = stepSpan("plan");
    assertThat(plan.getAttributes().get(OpenTelemetryListener.ATTEMPT)).isEqualTo(2L);
    assertThat(events(plan, "retry")).hasSize(2).first().satisfies(e -> {
      assertThat(e.getAttributes().get(OpenTelemetryListener.DELAY_MS)).isEqualTo(2000L);
      assertThat(e.getAttributes().get(OpenTelemetryListener.REASON)).isEqualTo(
          "HTTP 503 from the provider; ask [e-mail]");
      assertThat(e.getEpochNanos()).isEqualTo(nanos(t.plusSeconds(1)));
    });
    assertThat(plan.getEndEpochNanos() - plan.getStartEpochNanos()).isEqualTo(Duration.ofSeconds(8).toNanos());
    assertThat(sum("agentprovision.step.retries", Attributes.of(OpenTelemetryListener.STEP, "plan",
        OpenTelemetryListener.PROVIDER, "cloudflare"))).isEqualTo(2);
    SpanData r = runSpan();
    assertThat(r.getAttributes().get(OpenTelemetryListener.RESUMED)).isTrue();
    assertThat(events(r, "step.skipped")).singleElement().satisfies(e ->
        assertThat(e.getAttributes().get(OpenTelemetryListener.STEP)).isEqualTo("identity"));
  }

  // ---------------------------------------------------------------- no secrets, no e-mail

  @Test
  void noSecretAndNoEmail_inAnyAttributeOfAnySpanEventOrMetricPoint() throws Exception {
    AgentProvisioner p = provisioner();
    Deployment d = p.provisionAndDeploy(request());
    p.rotateCredentials(AgentId.of("coding-agent-7"), d.runId());
    Set<String> secrets = new LinkedHashSet<>(List.of(ID_TOKEN, APP_SECRET));
    for (String key : vault.keys("")) {
      if (!key.endsWith("_ACCOUNT_ID")) { // an id the orchestrator hands over with the credential, not a secret
        vault.get(key).map(VaultEntry::secret).map(Secret::reveal).ifPresent(secrets::add);
      }
    }
    assertThat(secrets).as("deploy token, broad credential, app secret, ID token").hasSizeGreaterThanOrEqualTo(4);

    AutoCloseable gauges = listener.observeSpend(p);
    List<String> seen;
    try {
      seen = everyAttributeValue();
    } finally {
      gauges.close();
    }

    assertThat(seen).as("the scan saw the run's attributes").contains(d.runId().value(), "coding-agent-7", "cloudflare");
    for (String s : seen) {
      for (String secret : secrets) {
        assertThat(s).doesNotContain(secret);
      }
      assertThat(s).doesNotContain("CANARY").doesNotContain("ada@example.com").doesNotContain("user-ada");
    }
  }

  @Test
  void personalData_whenTheHostOptsIn_namesTheHumanAndTheApprovers() {
    provisioner(OpenTelemetryListener.builder(otel).recordPersonalData(true).build(), b -> {})
        .provisionAndDeploy(request());

    SpanData run = runSpan();
    assertThat(run.getAttributes().get(OpenTelemetryListener.ENDUSER_ID)).isEqualTo("user-ada");
    assertThat(run.getAttributes().get(OpenTelemetryListener.PRINCIPAL_EMAIL)).isEqualTo("ada@example.com");
    assertThat(events(stepSpan("domain"), "approval.decided")).singleElement().satisfies(e ->
        assertThat(e.getAttributes().get(OpenTelemetryListener.APPROVER)).isEqualTo(ScriptedApprovalGate.APPROVER));
  }

  // ---------------------------------------------------------------- helpers

  private List<String> everyAttributeValue() {
    List<String> out = new ArrayList<>();
    for (SpanData s : spans.getFinishedSpanItems()) {
      out.add(s.getName());
      out.add(String.valueOf(s.getStatus().getDescription()));
      values(s.getAttributes(), out);
      for (EventData e : s.getEvents()) {
        out.add(e.getName());
        values(e.getAttributes(), out);
      }
    }
    for (MetricData m : metrics.collectAllMetrics()) {
      for (PointData p : m.getData().getPoints()) {
        values(p.getAttributes(), out);
        p.getExemplars().forEach(x -> values(x.getFilteredAttributes(), out));
      }
    }
    return out;
  }

  private static void values(Attributes a, List<String> out) {
    a.forEach((k, v) -> {
      out.add(k.getKey());
      out.add(String.valueOf(v));
    });
  }

  private SpanData runSpan() {
    List<SpanData> runs = spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals(OpenTelemetryListener.RUN_SPAN)).toList();
    assertThat(runs).hasSize(1);
    return runs.get(0);
  }

  private List<SpanData> stepSpans() {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().startsWith(OpenTelemetryListener.STEP_SPAN_PREFIX)).toList();
  }

  private SpanData stepSpan(String step) {
    List<SpanData> found = stepSpans().stream().filter(s -> step.equals(s.getAttributes()
        .get(OpenTelemetryListener.STEP))).toList();
    assertThat(found).as("span of step " + step).hasSize(1);
    return found.get(0);
  }

  private static List<EventData> events(SpanData span, String name) {
    return span.getEvents().stream().filter(e -> e.getName().equals(name)).toList();
  }

  private MetricData metric(String name) {
    return metrics.collectAllMetrics().stream().filter(m -> m.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name));
  }

  /** The value of a counter's point with exactly these attributes; 0 when there is none. */
  private long sum(String name, Attributes attributes) {
    return metrics.collectAllMetrics().stream().filter(m -> m.getName().equals(name))
        .flatMap(m -> m.getLongSumData().getPoints().stream())
        .filter(p -> p.getAttributes().equals(attributes)).mapToLong(LongPointData::getValue).sum();
  }

  private static long gauge(Collection<MetricData> all, String name, Attributes attributes) {
    List<LongPointData> points = all.stream().filter(m -> m.getName().equals(name))
        .flatMap(m -> m.getLongGaugeData().getPoints().stream()).filter(p -> p.getAttributes().equals(attributes))
        .toList();
    assertThat(points).as(name + " " + attributes).hasSize(1);
    return points.get(0).getValue();
  }

  private static long nanos(java.time.Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
