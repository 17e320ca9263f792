package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleRequest;
import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.RunId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A planned change to a deployment as the engine executes it: the change's run plan (its steps
 * priced and judged), the request, and what it touches. {@code LifecyclePlan} is its public face.
 */
public final class ChangePlan {
  private final RunPlan plan;
  private final LifecycleRequest request;
  private final ChangeTargets targets;

  ChangePlan(RunPlan plan, LifecycleRequest request, ChangeTargets targets) {
    this.plan = Objects.requireNonNull(plan, "plan");
    this.request = Objects.requireNonNull(request, "request");
    this.targets = Objects.requireNonNull(targets, "targets");
  }

  public RunId runId() {
    return plan.runId();
  }

  public LifecycleRequest request() {
    return request;
  }

  /** The steps, priced and judged, in the graph's order. */
  public List<PlannedStep> steps() {
    return plan.steps();
  }

  public List<Money> total() {
    return plan.total();
  }

  public List<String> notes() {
    return plan.notes();
  }

  /** What the change will leave, as the person approving it is told. */
  public List<LifecycleResult.Kept> stays() {
    return targets.stays();
  }

  public Instant createdAt() {
    return plan.createdAt();
  }

  RunPlan runPlan() {
    return plan;
  }

  ChangeTargets targets() {
    return targets;
  }
}
