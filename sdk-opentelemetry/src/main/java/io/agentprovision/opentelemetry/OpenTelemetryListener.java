package io.agentprovision.opentelemetry;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendReport;
import io.agentprovision.core.spi.ProvisioningListener;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Turns a provisioner's events into OpenTelemetry spans and metrics, so runs show up where
 * operators already look. Each run is a span ({@value #RUN_SPAN}); each step is a child span
 * ({@value #STEP_SPAN_PREFIX}{@code <step>}) with span events for retries, approvals, money held,
 * committed, released or refused, and compensation; failures are recorded as errors. Metrics count
 * runs, retries, approvals waiting and decided, refusals by policy, money committed and step latency;
 * {@link #observeSpend} adds gauges of money used, held and committed per spend limit, read from the
 * provisioner's ledger at each collection. {@code docs/operations.md} lists every name and attribute.
 *
 * <pre>{@code
 * OpenTelemetryListener otel = OpenTelemetryListener.create(GlobalOpenTelemetry.get());
 * AgentProvisioner provisioner = AgentProvisioner.builder()
 *     ...
 *     .listener(otel)
 *     .build();
 * otel.observeSpend(provisioner);
 * }</pre>
 *
 * <p>No attribute ever holds a secret: events carry none, and only ids, names, kinds, outcomes and
 * amounts are copied. The human behind a run (subject and e-mail) and approvers' names appear only
 * when the host opts in with {@link Builder#recordPersonalData(boolean)}; until then, free text
 * copied into an error or an event (a provider's message) has e-mail addresses masked.
 * Thread-safe: steps of one run report from several threads.
 */
public final class OpenTelemetryListener implements ProvisioningListener, AutoCloseable {
  /** The instrumentation scope of every span and metric. */
  public static final String INSTRUMENTATION_SCOPE = "io.agentprovision";
  /** The name of a run's span. */
  public static final String RUN_SPAN = "agentprovision run";
  /** A step's span is this prefix and the step id, such as {@code "agentprovision step domain"}. */
  public static final String STEP_SPAN_PREFIX = "agentprovision step ";

  /** The acting agent. */
  public static final AttributeKey<String> AGENT = AttributeKey.stringKey("agentprovision.agent");
  /** The provider, such as {@code "cloudflare"}. */
  public static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("agentprovision.provider");
  /** The run's id. */
  public static final AttributeKey<String> RUN_ID = AttributeKey.stringKey("agentprovision.run.id");
  /** The step's id, such as {@code "plan"} or {@code "domain"}. */
  public static final AttributeKey<String> STEP = AttributeKey.stringKey("agentprovision.step");
  /** How a run or step ended: {@code succeeded}, {@code failed}, {@code suspended}, {@code refused}, {@code skipped}. */
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("agentprovision.outcome");
  /** The attempt of the step (1, then more after a resume). */
  public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("agentprovision.attempt");
  /** Whether the run was resumed from its journal. */
  public static final AttributeKey<Boolean> RESUMED = AttributeKey.booleanKey("agentprovision.resumed");
  /** The kind of human checkpoint, such as {@code "DOMAIN_PURCHASE"}. */
  public static final AttributeKey<String> CHECKPOINT = AttributeKey.stringKey("agentprovision.approval.checkpoint");
  /** The approval request's id. */
  public static final AttributeKey<String> APPROVAL_ID = AttributeKey.stringKey("agentprovision.approval.id");
  /** A checkpoint's decision: {@code approved}, {@code denied}, {@code timed_out}, {@code error}. */
  public static final AttributeKey<String> DECISION = AttributeKey.stringKey("agentprovision.approval.outcome");
  /** The ISO currency of an amount. */
  public static final AttributeKey<String> CURRENCY = AttributeKey.stringKey("agentprovision.currency");
  /** An amount in the currency's minor units (cents for USD). */
  public static final AttributeKey<Long> AMOUNT = AttributeKey.longKey("agentprovision.amount");
  /** A spend limit's key, such as {@code "monthly/per-provider"}. */
  public static final AttributeKey<String> LIMIT = AttributeKey.stringKey("agentprovision.spend.limit");
  /** Which bucket of a limit, such as {@code "provider=cloudflare"}. */
  public static final AttributeKey<String> BUCKET = AttributeKey.stringKey("agentprovision.spend.bucket");
  /** A budget alert's threshold in percent. */
  public static final AttributeKey<Long> PERCENT = AttributeKey.longKey("agentprovision.budget.percent");
  /** The ledger reservation behind money held, committed or released. */
  public static final AttributeKey<String> RESERVATION = AttributeKey.stringKey("agentprovision.spend.reservation");
  /** A retry's delay in milliseconds. */
  public static final AttributeKey<Long> DELAY_MS = AttributeKey.longKey("agentprovision.retry.delay_ms");
  /** Why something was retried, suspended or not undone (e-mail addresses masked unless opted in). */
  public static final AttributeKey<String> REASON = AttributeKey.stringKey("agentprovision.reason");
  /** Whether a compensation undid what it set out to. */
  public static final AttributeKey<Boolean> UNDONE = AttributeKey.booleanKey("agentprovision.compensation.undone");
  /** The semantic-conventions key of an exception's message. */
  public static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");
  /** Opt-in: the human's subject at the identity provider (semantic convention {@code enduser.id}). */
  public static final AttributeKey<String> ENDUSER_ID = AttributeKey.stringKey("enduser.id");
  /** Opt-in: the human's e-mail. */
  public static final AttributeKey<String> PRINCIPAL_EMAIL = AttributeKey.stringKey("agentprovision.principal.email");
  /** Opt-in: who decided a checkpoint. */
  public static final AttributeKey<String> APPROVER = AttributeKey.stringKey("agentprovision.approver");

  /** Step latency bucket bounds in seconds: from a fast call to a long wait for a domain or a human. */
  public static final List<Double> DURATION_BUCKETS = List.of(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
      60.0, 120.0, 300.0, 600.0, 1800.0);

  private static final Pattern EMAIL = Pattern.compile("[^\\s<>()\\[\\]\"',;:@]+@[^\\s<>()\\[\\]\"',;:@]+\\.[A-Za-z]{2,}");

  private final Tracer tracer;
  private final Meter meter;
  private final boolean personalData;

  private final LongCounter runs;
  private final DoubleHistogram stepDuration;
  private final LongCounter retries;
  private final LongUpDownCounter approvalsWaiting;
  private final LongCounter approvalsDecided;
  private final LongCounter committed;
  private final LongCounter released;
  private final LongCounter refusals;
  private final LongCounter budgetAlerts;
  private final LongCounter compensations;

  private final Map<RunId, RunSpan> openRuns = new ConcurrentHashMap<>();
  private final Map<String, Span> openSteps = new ConcurrentHashMap<>();
  /** Approvals put to the gate and not decided yet, by request id: what {@code approvals.waiting} counts down. */
  private final Map<String, String> waiting = new ConcurrentHashMap<>();
  private final Set<AgentId> agents = ConcurrentHashMap.newKeySet();
  private final List<BatchCallback> callbacks = new java.util.concurrent.CopyOnWriteArrayList<>();

  private record RunSpan(Span span, AgentId agent, String provider) {}

  private OpenTelemetryListener(Builder b) {
    this.tracer = b.otel.getTracer(INSTRUMENTATION_SCOPE);
    this.meter = b.otel.getMeter(INSTRUMENTATION_SCOPE);
    this.personalData = b.personalData;
    this.runs = meter.counterBuilder("agentprovision.runs").setUnit("{run}")
        .setDescription("Runs that ended, by provider and outcome").build();
    this.stepDuration = meter.histogramBuilder("agentprovision.step.duration").setUnit("s")
        .setDescription("How long each step took, by step, provider and outcome")
        .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
    this.retries = meter.counterBuilder("agentprovision.step.retries").setUnit("{retry}")
        .setDescription("Calls retried inside steps, by step and provider").build();
    this.approvalsWaiting = meter.upDownCounterBuilder("agentprovision.approvals.waiting").setUnit("{approval}")
        .setDescription("Human checkpoints put to the approval gate and not decided yet, by checkpoint").build();
    this.approvalsDecided = meter.counterBuilder("agentprovision.approvals.decided").setUnit("{approval}")
        .setDescription("Human checkpoints decided, by checkpoint and decision").build();
    this.committed = meter.counterBuilder("agentprovision.spend.committed").setUnit("{minor_unit}")
        .setDescription("Money charged, in the currency's minor units, by provider, agent and currency").build();
    this.released = meter.counterBuilder("agentprovision.spend.released").setUnit("{minor_unit}")
        .setDescription("Money held and given back uncharged, in minor units, by provider, agent and currency").build();
    this.refusals = meter.counterBuilder("agentprovision.spend.refusals").setUnit("{refusal}")
        .setDescription("Spends the policy refused, by provider and limit").build();
    this.budgetAlerts = meter.counterBuilder("agentprovision.budget.alerts").setUnit("{alert}")
        .setDescription("Budget alerts fired, by limit, bucket and threshold").build();
    this.compensations = meter.counterBuilder("agentprovision.compensations").setUnit("{compensation}")
        .setDescription("Things undone after a failure, or that could not be, by step").build();
  }

  /** A listener with the defaults: no personal data on spans. */
  public static OpenTelemetryListener create(OpenTelemetry openTelemetry) {
    return builder(openTelemetry).build();
  }

  public static Builder builder(OpenTelemetry openTelemetry) {
    return new Builder(openTelemetry);
  }

  @Override
  public void onEvent(ProvisioningEvent event) {
    if (event instanceof ProvisioningEvent.RunStarted e) {
      runStarted(e);
    } else if (event instanceof ProvisioningEvent.StepStarted e) {
      stepStarted(e);
    } else if (event instanceof ProvisioningEvent.StepFinished e) {
      stepFinished(e);
    } else if (event instanceof ProvisioningEvent.StepRetry e) {
      RunSpan rs = openRuns.get(e.run());
      retries.add(1, Attributes.of(STEP, e.step().value(), PROVIDER, provider(rs)));
      eventOn(e.run(), e.step(), "retry", e.time(), Attributes.of(ATTEMPT, (long) e.attempt(), DELAY_MS,
          e.delay().toMillis(), REASON, text(e.reason())));
    } else if (event instanceof ProvisioningEvent.ApprovalRequested e) {
      approvalRequested(e);
    } else if (event instanceof ProvisioningEvent.ApprovalDecided e) {
      approvalDecided(e);
    } else if (event instanceof ProvisioningEvent.BudgetAlert e) {
      LimitUsage u = e.usage();
      Attributes a = Attributes.of(LIMIT, u.limit().key(), BUCKET, u.bucket(), PERCENT, (long) e.percent());
      budgetAlerts.add(1, a);
      if (e.run() != null) {
        eventOn(e.run(), null, "budget.alert", e.time(), a.toBuilder().put(AMOUNT, u.used().minorUnits())
            .put(CURRENCY, u.used().currencyCode()).build());
      }
    } else if (event instanceof ProvisioningEvent.Compensation e) {
      compensations.add(1, Attributes.of(STEP, e.step().value(), UNDONE, e.undone()));
      eventOn(e.run(), null, "compensation", e.time(), Attributes.of(STEP, e.step().value(), UNDONE, e.undone(), REASON,
          text(e.what())));
    } else if (event instanceof ProvisioningEvent.SpendHeld e) {
      eventOn(e.run(), e.step(), "spend.held", e.time(), money(e.reservation().amount())
          .put(RESERVATION, e.reservation().id()).build());
    } else if (event instanceof ProvisioningEvent.SpendCommitted e) {
      Reservation r = e.reservation();
      committed.add(e.amount().minorUnits(), Attributes.of(PROVIDER, r.provider(), AGENT, r.agent().value(), CURRENCY,
          e.amount().currencyCode()));
      eventOn(e.run(), e.step(), "spend.committed", e.time(), money(e.amount()).put(RESERVATION, r.id()).build());
    } else if (event instanceof ProvisioningEvent.SpendReleased e) {
      Reservation r = e.reservation();
      released.add(r.amount().minorUnits(), Attributes.of(PROVIDER, r.provider(), AGENT, r.agent().value(), CURRENCY,
          r.amount().currencyCode()));
      eventOn(e.run(), e.step(), "spend.released", e.time(), money(r.amount()).put(RESERVATION, r.id()).build());
    } else if (event instanceof ProvisioningEvent.SpendRefused e) {
      spendRefused(e);
    } else if (event instanceof ProvisioningEvent.RunFinished e) {
      runFinished(e);
    }
    // Progress carries free text about waits; a span per poll would be noise
  }

  private void runStarted(ProvisioningEvent.RunStarted e) {
    agents.add(e.agent());
    // the host's current context is the parent: a run started while serving a request nests under it
    Span span = tracer.spanBuilder(RUN_SPAN).setSpanKind(SpanKind.INTERNAL).setParent(Context.current())
        .setStartTimestamp(e.time()).setAttribute(AGENT, e.agent().value()).setAttribute(PROVIDER, e.provider())
        .setAttribute(RUN_ID, e.run().value()).setAttribute(RESUMED, e.resumed()).startSpan();
    RunSpan previous = openRuns.put(e.run(), new RunSpan(span, e.agent(), e.provider()));
    if (previous != null) {
      previous.span().setAttribute(OUTCOME, "interrupted").end(e.time());
    }
  }

  private void stepStarted(ProvisioningEvent.StepStarted e) {
    RunSpan rs = openRuns.get(e.run());
    var b = tracer.spanBuilder(STEP_SPAN_PREFIX + e.step().value()).setSpanKind(SpanKind.INTERNAL)
        .setStartTimestamp(e.time()).setAttribute(RUN_ID, e.run().value()).setAttribute(STEP, e.step().value())
        .setAttribute(ATTEMPT, (long) e.attempt());
    if (rs != null) {
      b.setParent(Context.root().with(rs.span())).setAttribute(AGENT, rs.agent().value())
          .setAttribute(PROVIDER, rs.provider());
    } else {
      b.setNoParent(); // a step outside a run span (a rotation): its own trace
    }
    Span previous = openSteps.put(key(e.run(), e.step()), b.startSpan());
    if (previous != null) {
      previous.setAttribute(OUTCOME, "interrupted").end(e.time());
    }
  }

  private void stepFinished(ProvisioningEvent.StepFinished e) {
    RunSpan rs = openRuns.get(e.run());
    String outcome = e.status().name().toLowerCase(Locale.ROOT);
    Span span = openSteps.remove(key(e.run(), e.step()));
    if (span == null) {
      // finished before a resume: the run span notes it, no step ran
      eventOn(e.run(), null, "step." + outcome, e.time(), Attributes.of(STEP, e.step().value()));
      return;
    }
    span.setAttribute(OUTCOME, outcome);
    if (e.status() == StepStatus.FAILED) {
      String message = text(e.summary() == null ? "the step failed" : e.summary());
      span.addEvent("exception", Attributes.of(EXCEPTION_MESSAGE, message), e.time());
      span.setStatus(StatusCode.ERROR, message);
    }
    span.end(e.time());
    stepDuration.record(e.took().toNanos() / 1e9, Attributes.of(STEP, e.step().value(), PROVIDER, provider(rs), OUTCOME,
        outcome));
  }

  private void approvalRequested(ProvisioningEvent.ApprovalRequested e) {
    ApprovalRequest r = e.request();
    String checkpoint = r.kind().name();
    if (waiting.put(r.id(), checkpoint) == null) {
      approvalsWaiting.add(1, Attributes.of(CHECKPOINT, checkpoint));
    }
    if (e.run() == null) {
      return;
    }
    AttributesBuilder a = Attributes.builder().put(CHECKPOINT, checkpoint).put(APPROVAL_ID, r.id());
    if (r.cost() != null) {
      a.put(AMOUNT, r.cost().minorUnits()).put(CURRENCY, r.cost().currencyCode());
    }
    eventOn(e.run(), r.step(), "approval.requested", e.time(), a.build());
    Principal p = r.principal();
    RunSpan rs = openRuns.get(e.run());
    if (personalData && p != null && rs != null) {
      rs.span().setAttribute(ENDUSER_ID, p.subject());
      if (p.email() != null) {
        rs.span().setAttribute(PRINCIPAL_EMAIL, p.email());
      }
    }
  }

  private void approvalDecided(ProvisioningEvent.ApprovalDecided e) {
    ApprovalRequest r = e.request();
    String checkpoint = r.kind().name();
    String decision = e.decision().outcome().name().toLowerCase(Locale.ROOT);
    if (waiting.remove(r.id()) != null) {
      approvalsWaiting.add(-1, Attributes.of(CHECKPOINT, checkpoint));
    }
    approvalsDecided.add(1, Attributes.of(CHECKPOINT, checkpoint, DECISION, decision));
    if (e.run() == null) {
      return;
    }
    AttributesBuilder a = Attributes.builder().put(CHECKPOINT, checkpoint).put(APPROVAL_ID, r.id())
        .put(DECISION, decision);
    if (personalData) {
      a.put(APPROVER, e.decision().approver());
    }
    eventOn(e.run(), r.step(), "approval.decided", e.time(), a.build());
  }

  private void spendRefused(ProvisioningEvent.SpendRefused e) {
    agents.add(e.agent());
    refusals.add(1, Attributes.of(PROVIDER, e.provider(), LIMIT, e.limit()));
    Attributes a = money(e.requested()).put(LIMIT, e.limit()).build();
    if (openRuns.containsKey(e.run())) {
      eventOn(e.run(), e.step(), "spend.refused", e.time(), a);
      return;
    }
    // refused before it started: a run span of no length says so in the trace
    Span span = tracer.spanBuilder(RUN_SPAN).setSpanKind(SpanKind.INTERNAL).setParent(Context.current())
        .setStartTimestamp(e.time()).setAttribute(AGENT, e.agent().value()).setAttribute(PROVIDER, e.provider())
        .setAttribute(RUN_ID, e.run().value()).setAttribute(OUTCOME, "refused").startSpan();
    span.addEvent("spend.refused", a, e.time());
    span.setStatus(StatusCode.ERROR, "refused by the spend policy (" + e.limit() + ")");
    span.end(e.time());
    runs.add(1, Attributes.of(PROVIDER, e.provider(), OUTCOME, "refused"));
  }

  private void runFinished(ProvisioningEvent.RunFinished e) {
    RunSpan rs = openRuns.remove(e.run());
    String outcome = e.status().name().toLowerCase(Locale.ROOT);
    runs.add(1, Attributes.of(PROVIDER, provider(rs), OUTCOME, outcome));
    String prefix = e.run().value() + "\n";
    for (String k : new ArrayList<>(openSteps.keySet())) {
      if (k.startsWith(prefix)) {
        Span s = openSteps.remove(k);
        if (s != null) {
          s.setAttribute(OUTCOME, "interrupted").end(e.time());
        }
      }
    }
    if (rs == null) {
      return;
    }
    Span span = rs.span();
    span.setAttribute(OUTCOME, outcome);
    if (e.status() == RunStatus.FAILED) {
      String message = text(e.error() == null ? "the run failed" : e.error());
      span.addEvent("exception", Attributes.of(EXCEPTION_MESSAGE, message), e.time());
      span.setStatus(StatusCode.ERROR, message);
    } else if (e.status() == RunStatus.SUSPENDED && e.error() != null) {
      span.addEvent("run.suspended", Attributes.of(REASON, text(e.error())), e.time());
    }
    span.end(e.time());
  }

  /** Adds an event to the step's span when it is open, else to the run's span. */
  private void eventOn(RunId run, @Nullable StepId step, String name, Instant at, Attributes attributes) {
    Span span = step == null ? null : openSteps.get(key(run, step));
    if (span == null) {
      RunSpan rs = openRuns.get(run);
      span = rs == null ? null : rs.span();
    }
    if (span != null) {
      span.addEvent(name, attributes, at.getEpochSecond() * 1_000_000_000L + at.getNano(), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Registers gauges of each spend limit's use, read from {@code provisioner}'s ledger at every
   * metric collection (so they are right after a restart, and across hosts sharing the ledger):
   * {@code agentprovision.spend.limit.used} (committed plus held), {@code .held} (reserved before a
   * paid call and not settled), {@code .committed} and {@code .amount} (the limit itself), in minor
   * units, by limit, bucket and currency, for every agent the journal has runs of or this listener
   * has seen. Per-transaction limits have no running use and are left out. Close the returned
   * handle (or this listener) to stop.
   */
  public AutoCloseable observeSpend(AgentProvisioner provisioner) {
    Objects.requireNonNull(provisioner, "provisioner");
    // the agents of every run: a host-level read, audited as the listener's
    for (RunRecord r : provisioner.admin("opentelemetry-listener").runs()) {
      agents.add(r.agent());
    }
    ObservableLongMeasurement used = gauge("agentprovision.spend.limit.used",
        "Money counted against each spend limit: committed plus held, in minor units");
    ObservableLongMeasurement held = gauge("agentprovision.spend.limit.held",
        "Money reserved against each spend limit before a paid call and not settled yet, in minor units");
    ObservableLongMeasurement spent = gauge("agentprovision.spend.limit.committed",
        "Money committed (charged) against each spend limit in its current window, in minor units");
    ObservableLongMeasurement cap = gauge("agentprovision.spend.limit.amount", "Each spend limit, in minor units");
    BatchCallback cb = meter.batchCallback(() -> observe(provisioner, used, held, spent, cap), used, held, spent, cap);
    callbacks.add(cb);
    return () -> {
      callbacks.remove(cb);
      cb.close();
    };
  }

  private ObservableLongMeasurement gauge(String name, String description) {
    return meter.gaugeBuilder(name).ofLongs().setUnit("{minor_unit}").setDescription(description).buildObserver();
  }

  private void observe(AgentProvisioner provisioner, ObservableLongMeasurement used, ObservableLongMeasurement held,
      ObservableLongMeasurement spent, ObservableLongMeasurement cap) {
    Map<String, LimitUsage> usages = new HashMap<>();
    Map<String, Long> heldBy = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (AgentId agent : agents) {
      SpendReport report = provisioner.spend(agent);
      for (LimitUsage u : report.limits()) {
        if (u.limit().interval() != SpendInterval.PER_TRANSACTION) {
          usages.putIfAbsent(usageKey(u), u);
        }
      }
      for (Reservation r : report.reservations()) {
        if (r.status() != Reservation.Status.RESERVED || !r.counted(report.at()).isPositive() || !seen.add(r.id())) {
          continue;
        }
        for (LimitUsage u : r.usage()) {
          heldBy.merge(usageKey(u), r.amount().minorUnits(), Long::sum);
        }
      }
    }
    for (Map.Entry<String, LimitUsage> e : usages.entrySet()) {
      LimitUsage u = e.getValue();
      Attributes a = Attributes.of(LIMIT, u.limit().key(), BUCKET, u.bucket(), CURRENCY, u.used().currencyCode());
      long h = heldBy.getOrDefault(e.getKey(), 0L);
      used.record(u.used().minorUnits(), a);
      held.record(h, a);
      spent.record(Math.max(0, u.used().minorUnits() - h), a);
      cap.record(u.limit().amount().minorUnits(), a);
    }
  }

  /** One bucket of one limit in one window: a reservation counts against the usage with the same key. */
  private static String usageKey(LimitUsage u) {
    return u.limit().key() + "\n" + u.limit().amount().currencyCode() + "\n" + u.bucket() + "\n" + u.window().start();
  }

  /** Ends every span still open (a run that crashed leaves some) and stops the gauges. */
  @Override
  public void close() {
    Instant now = Instant.now();
    for (Span s : openSteps.values()) {
      s.setAttribute(OUTCOME, "interrupted").end(now);
    }
    openSteps.clear();
    for (RunSpan rs : openRuns.values()) {
      rs.span().setAttribute(OUTCOME, "interrupted").end(now);
    }
    openRuns.clear();
    for (BatchCallback cb : callbacks) {
      cb.close();
    }
    callbacks.clear();
  }

  private static AttributesBuilder money(Money m) {
    return Attributes.builder().put(AMOUNT, m.minorUnits()).put(CURRENCY, m.currencyCode());
  }

  private static String provider(@Nullable RunSpan rs) {
    return rs == null ? "unknown" : rs.provider();
  }

  private static String key(RunId run, StepId step) {
    return run.value() + "\n" + step.value();
  }

  /** Free text bound for a span: e-mail addresses masked unless the host opted in to personal data. */
  private String text(String s) {
    return personalData ? s : EMAIL.matcher(s).replaceAll("[e-mail]");
  }

  @Override
  public String toString() {
    return "OpenTelemetryListener{openRuns=" + openRuns.size() + ", personalData=" + personalData + "}";
  }

  /** Builds an {@link OpenTelemetryListener}. */
  public static final class Builder {
    private final OpenTelemetry otel;
    private boolean personalData;

    private Builder(OpenTelemetry otel) {
      this.otel = Objects.requireNonNull(otel, "openTelemetry");
    }

    /**
     * Whether spans name the human behind a run ({@code enduser.id}, {@code agentprovision.principal.email})
     * and who decided each checkpoint ({@code agentprovision.approver}), and keep e-mail addresses
     * in free text. Off by default: telemetry often leaves the organisation that may see them.
     */
    public Builder recordPersonalData(boolean record) {
      this.personalData = record;
      return this;
    }

    public OpenTelemetryListener build() {
      return new OpenTelemetryListener(this);
    }
  }
}
