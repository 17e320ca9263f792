package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.ResourceRef;
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
        "provision " + deployable.id() + " and reveal its credential");
  }

  /**
   * Reveals the resource's broad credential into the vault at once, for the credentials step: the
   * reveal then runs beside the domain instead of after it (the credentials step waits for both).
   */
  @Override
  List<String> afterProvisioned(StepRun ctx, ResourceRef ref) {
    CredentialsStep.reveal(ctx, ref);
    return List.of();
  }

  /** Removes the resource, and with it the broad credential revealed for it. */
  @Override
  public Compensation compensate(StepRun ctx, Provisioned out) {
    Compensation c = super.compensate(ctx, out);
    if (out.reusedFrom() == null) {
      CredentialsStep.forgetBroad(ctx.vault(), ctx.runId());
    }
    return c;
  }
}
