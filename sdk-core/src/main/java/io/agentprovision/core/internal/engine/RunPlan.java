package io.agentprovision.core.internal.engine;

import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.approval.ApprovalReceipts;
import io.agentprovision.core.catalog.Catalog;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A planned run as the engine executes it: the request, the catalog read for it, the step graph,
 * and each step priced and judged. {@code ProvisionPlan} is its public face; hosts cannot make one
 * with steps of their own, since the engine runs exactly the graph the planner made.
 */
public final class RunPlan {
  private final RunId runId;
  private final ProvisionRequest request;
  private final Catalog catalog;
  private final StepGraph graph;
  private final List<PlannedStep> steps;
  private final Instant createdAt;
  private final List<String> pricingNotes;

  RunPlan(RunId runId, ProvisionRequest request, Catalog catalog, StepGraph graph, List<PlannedStep> steps,
      Instant createdAt) {
    this(runId, request, catalog, graph, steps, createdAt, List.of());
  }

  RunPlan(RunId runId, ProvisionRequest request, Catalog catalog, StepGraph graph, List<PlannedStep> steps,
      Instant createdAt, List<String> pricingNotes) {
    this.runId = Objects.requireNonNull(runId, "runId");
    this.request = Objects.requireNonNull(request, "request");
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.graph = Objects.requireNonNull(graph, "graph");
    this.steps = List.copyOf(steps);
    this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
    this.pricingNotes = List.copyOf(pricingNotes);
  }

  public RunId runId() {
    return runId;
  }

  public ProvisionRequest request() {
    return request;
  }

  public Catalog catalog() {
    return catalog;
  }

  /** {@link #planHash()}, made at the first checkpoint; the plan never changes after it is made. */
  private volatile @Nullable String planHash;

  /**
   * {@link ApprovalReceipts#planHash} of {@link #steps()}: what every checkpoint of the run binds its
   * approval to. Made once per plan: each checkpoint made it again (the steps' canonical JSON and its
   * SHA-256), and a run asks three or more.
   */
  String planHash() {
    String h = planHash;
    if (h == null) {
      h = ApprovalReceipts.planHash(steps); // two threads may both make it: the same text
      planHash = h;
    }
    return h;
  }

  /** The steps, priced and judged, in the graph's order. */
  public List<PlannedStep> steps() {
    return steps;
  }

  /**
   * The sum of the quotes, one amount per currency: the most the plan may cost, since a step whose
   * price is not known before buying counts with its cap.
   */
  public List<io.agentprovision.core.Money> total() {
    java.util.Map<String, io.agentprovision.core.Money> sums = new java.util.LinkedHashMap<>();
    for (PlannedStep s : steps) {
      io.agentprovision.core.Money q = s.quote();
      if (q != null) {
        sums.merge(q.currencyCode(), q, io.agentprovision.core.Money::plus);
      }
    }
    return List.copyOf(sums.values());
  }

  public Instant createdAt() {
    return createdAt;
  }

  /** Remarks for the human: the flow's, then the planner's about prices not simply known (minimums, caps). */
  public List<String> notes() {
    List<String> all = new java.util.ArrayList<>(graph.notes());
    all.addAll(pricingNotes);
    return List.copyOf(all);
  }

  StepGraph graph() {
    return graph;
  }

  PlannedStep planned(io.agentprovision.core.StepId id) {
    for (PlannedStep s : steps) {
      if (s.id().equals(id)) {
        return s;
      }
    }
    throw new IllegalStateException("step " + id + " is not in the plan of run " + runId);
  }
}
