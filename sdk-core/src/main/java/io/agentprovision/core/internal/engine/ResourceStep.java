package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.ServiceOffering;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Provisions the service the app runs on (the deployer's deployable, such as {@code workers}); see {@link ServiceStep}. */
final class ResourceStep extends ServiceStep {
  static final StepId ID = StepId.of("resource");

  ResourceStep(ServiceOffering deployable, List<StepId> dependsOn) {
    this(deployable, null, dependsOn);
  }

  /** @param plan the run's plan, which prices the deployable when it is a component priced under its plan */
  ResourceStep(ServiceOffering deployable, @Nullable String plan, List<StepId> dependsOn) {
    super(ID, StepKind.RESOURCE, deployable, CheckpointKind.PAID_RESOURCE, Map.of(), plan, false, dependsOn,
        "provision " + deployable.id());
  }
}
