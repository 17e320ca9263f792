package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.policy.VelocityAction;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Subscribes to the plan the request names (such as {@code workers:paid}); see {@link ServiceStep}. */
final class PlanStep extends ServiceStep {
  static final StepId ID = StepId.of("plan");

  /** A paid plan counts against the velocity limits on paid plans. */
  @Override
  public @Nullable VelocityAction velocity() {
    return service().pricing().isPaid() ? VelocityAction.CREATE_PAID_PLAN : null;
  }

  PlanStep(ServiceOffering plan, List<StepId> dependsOn) {
    super(ID, StepKind.PLAN, plan, CheckpointKind.PAID_PLAN, dependsOn, "subscribe to plan " + plan.id()
        + (plan.pricing().description() != null ? " (" + plan.pricing().description() + ")" : ""));
  }
}
