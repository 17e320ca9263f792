package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.ServiceOffering;
import java.util.List;

/** Subscribes to the plan the request names (such as {@code workers:paid}); see {@link ServiceStep}. */
final class PlanStep extends ServiceStep {
  static final StepId ID = StepId.of("plan");

  PlanStep(ServiceOffering plan, List<StepId> dependsOn) {
    super(ID, StepKind.PLAN, plan, CheckpointKind.PAID_PLAN, dependsOn, "subscribe to plan " + plan.id()
        + (plan.pricing().description() != null ? " (" + plan.pricing().description() + ")" : ""));
  }
}
