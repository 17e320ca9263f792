package io.agentprovision.core;

import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.internal.engine.RunPlan;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a run will do, priced and judged by policy, made by {@link AgentProvisioner#plan} without
 * any side effect. Pass it to {@link AgentProvisioner#execute} to carry it out.
 *
 * <pre>{@code
 * ProvisionPlan plan = provisioner.plan(request);
 * if (!plan.allowed()) {
 *   throw new IllegalStateException(plan.summary());
 * }
 * plan.total();             // e.g. [USD 15.44]
 * plan.approvalsNeeded();   // e.g. [PLAN_APPROVAL, TERMS_OF_SERVICE, DOMAIN_PURCHASE]
 * Deployment d = provisioner.execute(plan);
 * }</pre>
 */
public final class ProvisionPlan {
  private final RunPlan plan;

  /** Made by {@link AgentProvisioner#plan} only: the engine runs exactly the steps its planner made. */
  ProvisionPlan(RunPlan plan) {
    this.plan = Objects.requireNonNull(plan, "plan");
  }

  /** The engine's form, for {@link AgentProvisioner#execute}. */
  RunPlan runPlan() {
    return plan;
  }

  /** The id the run will have. */
  public RunId runId() {
    return plan.runId();
  }

  public ProvisionRequest request() {
    return plan.request();
  }

  /** The provider's catalog as read for this plan. */
  public Catalog catalog() {
    return plan.catalog();
  }

  /** The steps in an order that respects their dependencies. */
  public List<PlannedStep> steps() {
    return plan.steps();
  }

  public Optional<PlannedStep> step(StepId id) {
    return steps().stream().filter(s -> s.id().equals(id)).findFirst();
  }

  public Instant createdAt() {
    return plan.createdAt();
  }

  /** Remarks for the human, such as "the domain's price is known once a name is chosen". */
  public List<String> notes() {
    return plan.notes();
  }

  /** The sum of the quotes, one amount per currency. */
  public List<Money> total() {
    return plan.total();
  }

  /** Whether no step is denied by policy. */
  public boolean allowed() {
    return steps().stream().noneMatch(s -> s.verdict() == PlannedStep.Verdict.DENIED);
  }

  /** Every checkpoint kind the run may put to the approval gate, in step order. */
  public Set<CheckpointKind> approvalsNeeded() {
    Set<CheckpointKind> out = new LinkedHashSet<>();
    for (PlannedStep s : steps()) {
      out.addAll(s.approvals());
    }
    return out;
  }

  /** A few lines for a person: steps, prices, verdicts. */
  public String summary() {
    StringBuilder sb = new StringBuilder("Plan " + runId() + " for " + request().agent() + " at " + request().provider()
        + ":\n");
    for (PlannedStep s : steps()) {
      sb.append("  ").append(s.id()).append(": ").append(s.description());
      if (s.quote() != null) {
        sb.append(" — ").append(s.priceFinal() ? "" : "up to ").append(s.quote());
      }
      sb.append(" [").append(s.verdict()).append(s.verdictDetail() != null ? ": " + s.verdictDetail() : "").append("]\n");
    }
    sb.append("  total: ").append(total().isEmpty() ? "free" : total()).append('\n');
    for (String n : notes()) {
      sb.append("  note: ").append(n).append('\n');
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return summary();
  }
}
