package io.agentprovision.core;

import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.internal.engine.ChangePlan;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A change to a deployment, planned without any side effect by {@link AgentProvisioner#planChange}:
 * its steps priced and judged by the spend policy, the checkpoints it may ask, and what it will
 * leave. Pass it to {@link AgentProvisioner#executeChange} to carry it out.
 *
 * <pre>{@code
 * LifecyclePlan p = provisioner.planChange(LifecycleRequest.teardown(agent, run).build());
 * p.stays();    // [DOMAIN my-app.org stays registered until …, ACCOUNT … stays, CHARGE USD 5.00 …]
 * Teardown t = new Teardown(provisioner.executeChange(p));
 * }</pre>
 */
public final class LifecyclePlan {
  private final ChangePlan plan;

  /** Made by {@link AgentProvisioner#planChange} only: the engine runs exactly the steps its planner made. */
  LifecyclePlan(ChangePlan plan) {
    this.plan = Objects.requireNonNull(plan, "plan");
  }

  ChangePlan changePlan() {
    return plan;
  }

  /** The id the change's run will have. */
  public RunId runId() {
    return plan.runId();
  }

  public LifecycleRequest request() {
    return plan.request();
  }

  /** The steps in an order that respects their dependencies. */
  public List<PlannedStep> steps() {
    return plan.steps();
  }

  /** The sum of the quotes, one amount per currency (empty for a change that pays nothing). */
  public List<Money> total() {
    return plan.total();
  }

  /** Remarks for the human. */
  public List<String> notes() {
    return plan.notes();
  }

  /** What the change will leave, said plainly: shown to the person who approves it. */
  public List<LifecycleResult.Kept> stays() {
    return plan.stays();
  }

  public Instant createdAt() {
    return plan.createdAt();
  }

  /** Whether no step is denied by policy (a denied change is refused before anything happens). */
  public boolean allowed() {
    return steps().stream().noneMatch(s -> s.verdict() == PlannedStep.Verdict.DENIED);
  }

  /** Every checkpoint kind the change may put to the approval gate, in step order. */
  public Set<CheckpointKind> approvalsNeeded() {
    Set<CheckpointKind> out = new LinkedHashSet<>();
    for (PlannedStep s : steps()) {
      out.addAll(s.approvals());
    }
    return out;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Change " + runId() + ": " + request().operation() + " of "
        + request().deployment() + "\n");
    for (PlannedStep s : steps()) {
      sb.append("  ").append(s.id()).append(": ").append(s.description());
      if (s.quote() != null) {
        sb.append(" — ").append(s.quote());
      }
      sb.append(" [").append(s.verdict()).append(s.verdictDetail() != null ? ": " + s.verdictDetail() : "").append("]\n");
    }
    for (LifecycleResult.Kept k : stays()) {
      sb.append("  stays: ").append(k.description()).append('\n');
    }
    return sb.toString();
  }
}
