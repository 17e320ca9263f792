package io.agentprovision.core;

import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
  private final RunId runId;
  private final ProvisionRequest request;
  private final Catalog catalog;
  private final List<PlannedStep> steps;
  private final Instant createdAt;
  private final List<String> notes;

  public ProvisionPlan(RunId runId, ProvisionRequest request, Catalog catalog, List<PlannedStep> steps, Instant createdAt,
      List<String> notes) {
    this.runId = Objects.requireNonNull(runId, "runId");
    this.request = Objects.requireNonNull(request, "request");
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.steps = List.copyOf(steps);
    this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
    this.notes = List.copyOf(notes);
  }

  /** The id the run will have. */
  public RunId runId() {
    return runId;
  }

  public ProvisionRequest request() {
    return request;
  }

  /** The provider's catalog as read for this plan. */
  public Catalog catalog() {
    return catalog;
  }

  /** The steps in an order that respects their dependencies. */
  public List<PlannedStep> steps() {
    return steps;
  }

  public Optional<PlannedStep> step(StepId id) {
    return steps.stream().filter(s -> s.id().equals(id)).findFirst();
  }

  public Instant createdAt() {
    return createdAt;
  }

  /** Remarks for the human, such as "the domain's price is known once a name is chosen". */
  public List<String> notes() {
    return notes;
  }

  /** The sum of the quotes, one amount per currency. */
  public List<Money> total() {
    Map<String, Money> sums = new LinkedHashMap<>();
    for (PlannedStep s : steps) {
      if (s.quote() != null) {
        sums.merge(s.quote().currencyCode(), s.quote(), Money::plus);
      }
    }
    return new ArrayList<>(sums.values());
  }

  /** Whether no step is denied by policy. */
  public boolean allowed() {
    return steps.stream().noneMatch(s -> s.verdict() == PlannedStep.Verdict.DENIED);
  }

  /** Every checkpoint kind the run may put to the approval gate, in step order. */
  public Set<CheckpointKind> approvalsNeeded() {
    Set<CheckpointKind> out = new LinkedHashSet<>();
    for (PlannedStep s : steps) {
      out.addAll(s.approvals());
    }
    return out;
  }

  /** A few lines for a person: steps, prices, verdicts. */
  public String summary() {
    StringBuilder sb = new StringBuilder("Plan " + runId + " for " + request.agent() + " at " + request.provider() + ":\n");
    for (PlannedStep s : steps) {
      sb.append("  ").append(s.id()).append(": ").append(s.description());
      if (s.quote() != null) {
        sb.append(" — ").append(s.priceFinal() ? "" : "up to ").append(s.quote());
      }
      sb.append(" [").append(s.verdict()).append(s.verdictDetail() != null ? ": " + s.verdictDetail() : "").append("]\n");
    }
    sb.append("  total: ").append(total().isEmpty() ? "free" : total()).append('\n');
    for (String n : notes) {
      sb.append("  note: ").append(n).append('\n');
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return summary();
  }
}
