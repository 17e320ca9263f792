package io.agentprovision.core.protocol;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.ManualTime;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.spi.StepContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A step for sdk-core's own orchestrator tests (sdk-fakes, which has the full fake, depends on
 * sdk-core): manual time, approvals that approve, spend authorized as asked, and every audit entry
 * kept.
 */
final class RecordingStepContext implements StepContext {
  record Audit(String action, String outcome, Map<String, String> details) {}

  private final ManualTime time;
  private final String step;
  private final Principal principal;
  final List<Audit> audits = new ArrayList<>();
  private int reservations;

  RecordingStepContext(ManualTime time, String step, Principal principal) {
    this.time = time;
    this.step = step;
    this.principal = principal;
  }

  /** An authorization for {@code amount}, valid for an hour. */
  PaymentAuthorization authorize(Money amount) {
    return authorizeSpend(new SpendRequest(io.agentprovision.core.approval.CheckpointKind.PAID_RESOURCE, "cloudflare",
        amount, "test", Map.of())).payment();
  }

  List<String> actions() {
    List<String> out = new ArrayList<>();
    for (Audit a : audits) {
      out.add(a.action() + ":" + a.outcome());
    }
    return out;
  }

  @Override
  public RunId runId() {
    return RunId.of("run_1");
  }

  @Override
  public StepId stepId() {
    return StepId.of(step);
  }

  @Override
  public AgentId agent() {
    return AgentId.of("agent-a");
  }

  @Override
  public @Nullable Principal principal() {
    return principal;
  }

  @Override
  public Clock clock() {
    return time;
  }

  @Override
  public Sleeper sleeper() {
    return time;
  }

  @Override
  public String idempotencyKey() {
    return "run_1:" + step;
  }

  @Override
  public Instant deadline() {
    return time.instant().plus(Duration.ofMinutes(10));
  }

  @Override
  public ApprovalDecision checkpoint(CheckpointRequest request) {
    return ApprovalDecision.approved("tester", "ok", time.instant());
  }

  @Override
  public SpendAuthorization authorizeSpend(SpendRequest request) {
    PaymentAuthorization p = new PaymentAuthorization("rsv_" + (++reservations), request.amount(),
        time.instant().plus(Duration.ofHours(1)), request.description());
    return new SpendAuthorization() {
      @Override
      public PaymentAuthorization payment() {
        return p;
      }

      @Override
      public void commit(Money actual) {
      }

      @Override
      public void release() {
      }
    };
  }

  @Override
  public void progress(String message) {
  }

  @Override
  public void retrying(int attempt, Duration delay, String reason) {
  }

  @Override
  public void audit(String action, String outcome, Map<String, String> details) {
    audits.add(new Audit(action, outcome, Map.copyOf(details)));
  }
}
