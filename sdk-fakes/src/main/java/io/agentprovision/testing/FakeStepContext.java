package io.agentprovision.testing;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.ApprovalTimeoutException;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.spi.StepContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A {@link StepContext} for calling a plug-in (an orchestrator, a deployer) directly in a test,
 * outside the engine. Checkpoints go to an {@link ApprovalGate} (approve-all by default); spends are
 * recorded and authorized up to an optional cap; progress, retries and audit entries are recorded.
 * Time is a {@link VirtualTime} unless another clock and sleeper are given.
 *
 * <pre>{@code
 * FakeStepContext ctx = FakeStepContext.builder().principal(alice).build();
 * deployer.deploy(request, ctx);
 * assertThat(ctx.audits()).extracting(FakeStepContext.Audit::action).contains("worker.upload");
 * }</pre>
 */
public final class FakeStepContext implements StepContext {
  private final RunId run;
  private final StepId step;
  private final AgentId agent;
  private final @Nullable Principal principal;
  private final Clock clock;
  private final Sleeper sleeper;
  private final String idempotencyKey;
  private final Duration deadlineAfter;
  private final Instant createdAt;
  private final ApprovalGate gate;
  private final @Nullable Money spendCap;

  private final List<ApprovalRequest> checkpoints = new CopyOnWriteArrayList<>();
  private final List<Spend> spends = new CopyOnWriteArrayList<>();
  private final List<String> progress = new CopyOnWriteArrayList<>();
  private final List<Retry> retries = new CopyOnWriteArrayList<>();
  private final List<Audit> audits = new CopyOnWriteArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();

  private FakeStepContext(Builder b) {
    this.run = b.run;
    this.step = b.step;
    this.agent = b.agent;
    this.principal = b.principal;
    Clock c = b.clock;
    Sleeper s = b.sleeper;
    if (c == null || s == null) {
      VirtualTime vt = VirtualTime.create();
      c = c != null ? c : vt;
      s = s != null ? s : vt;
    }
    this.clock = c;
    this.sleeper = s;
    this.idempotencyKey = b.idempotencyKey != null ? b.idempotencyKey : "idem-" + run + "-" + step;
    this.deadlineAfter = b.deadlineAfter;
    this.createdAt = clock.instant();
    this.gate = b.gate != null ? b.gate : ScriptedApprovalGate.approveAll(clock);
    this.spendCap = b.spendCap;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A context with every default. */
  public static FakeStepContext create() {
    return builder().build();
  }

  @Override
  public RunId runId() {
    return run;
  }

  @Override
  public StepId stepId() {
    return step;
  }

  @Override
  public AgentId agent() {
    return agent;
  }

  @Override
  public @Nullable Principal principal() {
    return principal;
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public Sleeper sleeper() {
    return sleeper;
  }

  @Override
  public String idempotencyKey() {
    return idempotencyKey;
  }

  @Override
  public Instant deadline() {
    return createdAt.plus(deadlineAfter);
  }

  @Override
  public ApprovalDecision checkpoint(CheckpointRequest request) {
    Instant now = clock.instant();
    ApprovalRequest r = new ApprovalRequest("apr_" + ids.incrementAndGet(), request.kind(), request.title(),
        request.reason(), request.cost(), agent, principal, run, step, now,
        now.plus(request.timeout() != null ? request.timeout() : Duration.ofMinutes(15)), request.url(), request.details(),
        null);
    checkpoints.add(r);
    ApprovalDecision d;
    try {
      d = gate.decide(r);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApprovalDeniedException(r.title(), "gate", "interrupted");
    }
    switch (d.outcome()) {
      case APPROVED:
        return d;
      case TIMED_OUT:
        throw new ApprovalTimeoutException(r.title(), d.reason());
      default:
        throw new ApprovalDeniedException(r.title(), d.approver(), d.reason());
    }
  }

  @Override
  public SpendAuthorization authorizeSpend(SpendRequest request) {
    if (spendCap != null && request.amount().greaterThan(spendCap)) {
      throw new PolicyViolationException("test-cap", request.amount(), Money.zero(spendCap.currency()), spendCap,
          "the test cap is " + spendCap);
    }
    Spend s = new Spend(request, new PaymentAuthorization("res_" + ids.incrementAndGet(), request.amount(),
        clock.instant().plus(Duration.ofHours(1)), request.description()));
    spends.add(s);
    return s;
  }

  @Override
  public void progress(String message) {
    progress.add(message);
  }

  @Override
  public void retrying(int attempt, Duration delay, String reason) {
    retries.add(new Retry(attempt, delay, reason));
  }

  @Override
  public void audit(String action, String outcome, Map<String, String> details) {
    audits.add(new Audit(action, outcome, Map.copyOf(details)));
  }

  /** Checkpoints put to the gate, in order. */
  public List<ApprovalRequest> checkpoints() {
    return List.copyOf(checkpoints);
  }

  /** Spends authorized, in order. */
  public List<Spend> spends() {
    return List.copyOf(spends);
  }

  public List<String> progress() {
    return List.copyOf(progress);
  }

  public List<Retry> retries() {
    return List.copyOf(retries);
  }

  public List<Audit> audits() {
    return List.copyOf(audits);
  }

  /** A retry the plug-in reported. */
  public record Retry(int attempt, Duration delay, String reason) {}

  /** An audit entry the plug-in appended. */
  public record Audit(String action, String outcome, Map<String, String> details) {}

  /** An authorized spend and how it was settled. */
  public static final class Spend implements SpendAuthorization {
    /** Settlement states. */
    public enum State { RESERVED, COMMITTED, RELEASED }

    private final SpendRequest request;
    private final PaymentAuthorization payment;
    private volatile State state = State.RESERVED;
    private volatile @Nullable Money committed;

    Spend(SpendRequest request, PaymentAuthorization payment) {
      this.request = request;
      this.payment = payment;
    }

    public SpendRequest request() {
      return request;
    }

    @Override
    public PaymentAuthorization payment() {
      return payment;
    }

    @Override
    public synchronized void commit(Money actual) {
      Objects.requireNonNull(actual, "actual");
      if (actual.greaterThan(payment.maxAmount())) {
        throw new IllegalStateException("committed " + actual + " above the authorized " + payment.maxAmount());
      }
      if (state == State.RELEASED) {
        throw new IllegalStateException("commit after release");
      }
      state = State.COMMITTED;
      committed = actual;
    }

    @Override
    public synchronized void release() {
      if (state == State.COMMITTED) {
        throw new IllegalStateException("release after commit");
      }
      state = State.RELEASED;
    }

    public State state() {
      return state;
    }

    public @Nullable Money committed() {
      return committed;
    }
  }

  /** Builds a {@link FakeStepContext}. */
  public static final class Builder {
    private RunId run = RunId.of("run_test");
    private StepId step = StepId.of("step");
    private AgentId agent = AgentId.of("test-agent");
    private @Nullable Principal principal = Principal.builder("user-1", "https://issuer.test")
        .email("ada@example.com", true).amr(List.of("pwd", "otp")).build();
    private @Nullable Clock clock;
    private @Nullable Sleeper sleeper;
    private @Nullable String idempotencyKey;
    private Duration deadlineAfter = Duration.ofMinutes(30);
    private @Nullable ApprovalGate gate;
    private @Nullable Money spendCap;

    private Builder() {}

    public Builder run(RunId id) {
      this.run = id;
      return this;
    }

    public Builder step(StepId id) {
      this.step = id;
      return this;
    }

    public Builder agent(AgentId id) {
      this.agent = id;
      return this;
    }

    public Builder principal(@Nullable Principal p) {
      this.principal = p;
      return this;
    }

    /** Uses {@code time} as both clock and sleeper. */
    public Builder time(VirtualTime time) {
      this.clock = time;
      this.sleeper = time;
      return this;
    }

    public Builder clock(Clock c) {
      this.clock = c;
      return this;
    }

    public Builder sleeper(Sleeper s) {
      this.sleeper = s;
      return this;
    }

    public Builder idempotencyKey(String key) {
      this.idempotencyKey = key;
      return this;
    }

    /** How long after creation the step's deadline falls. */
    public Builder deadlineAfter(Duration d) {
      this.deadlineAfter = d;
      return this;
    }

    public Builder approvals(ApprovalGate g) {
      this.gate = g;
      return this;
    }

    /** Refuses spends above {@code cap} with a {@link PolicyViolationException}. */
    public Builder spendCap(Money cap) {
      this.spendCap = cap;
      return this;
    }

    public FakeStepContext build() {
      return new FakeStepContext(this);
    }
  }

  @Override
  public String toString() {
    return "FakeStepContext{run=" + run + ", step=" + step + ", checkpoints=" + checkpoints.size() + ", spends="
        + new ArrayList<>(spends).size() + "}";
  }
}
