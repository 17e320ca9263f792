package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleRequest;
import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.RunId;
import io.agentprovision.core.deploy.DeployedApp;
import io.agentprovision.core.orchestration.ProviderAccount;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a change touches, fixed when it is planned from the deployment's state and journaled with
 * the change's run, so that a resumed change makes the same steps even though the state has moved
 * on (the resources it removed before the interruption are still in its graph, and skipped).
 *
 * @param operation what was asked
 * @param deployment the run whose deployment is changed
 * @param account the provider account (to add a resource in, or to unlink)
 * @param plan the plan to change
 * @param service the plan to change to, or the service to add
 * @param configuration the added service's configuration, as canonical JSON
 * @param remove the resources to remove, in the order to remove them
 * @param domain a registered domain whose renewal a teardown turns off
 * @param app the app a teardown takes down
 * @param token whether the deploy token is rotated or revoked
 * @param reason the agent's reason, when given
 * @param stays what the change leaves, as the person approving it is told
 */
record ChangeTargets(LifecycleRequest.Operation operation, RunId deployment, @Nullable ProviderAccount account,
    DeploymentState.@Nullable Held plan, @Nullable String service, @Nullable String configuration,
    List<DeploymentState.Held> remove, DeploymentState.@Nullable Held domain, @Nullable DeployedApp app, boolean token,
    @Nullable String reason, List<LifecycleResult.Kept> stays) {
  ChangeTargets {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(deployment, "deployment");
    remove = List.copyOf(remove);
    stays = List.copyOf(stays);
  }
}
