package io.agentprovision.core;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@link AgentProvisioner#teardown} did to a deployment and what stays: the app taken down, the
 * deploy token revoked, every resource removed, a domain's automatic renewal turned off; and,
 * plainly, what is left (a registered domain until it expires, the provider account, charges
 * already made).
 *
 * <pre>{@code
 * Teardown t = provisioner.teardown(agent, deploymentRun, idToken);
 * t.undeployedScript();   // "my-app"
 * t.removedResources();   // [res_2, res_1]
 * t.kept();               // DOMAIN my-app.org: registered until 2027-11-20, auto-renew off; ACCOUNT …
 * }</pre>
 *
 * @param result the change's run, with every change and what stays
 */
public record Teardown(LifecycleResult result) {
  public Teardown {
    Objects.requireNonNull(result, "result");
    if (result.operation() != LifecycleRequest.Operation.TEARDOWN) {
      throw new IllegalArgumentException("not a teardown: " + result.operation());
    }
  }

  /** The teardown's own run. */
  public RunId runId() {
    return result.runId();
  }

  /** The run whose deployment was taken down. */
  public RunId deployment() {
    return result.deployment();
  }

  /** The script taken down, or null when the deployment had no app up. */
  public @Nullable String undeployedScript() {
    List<LifecycleResult.Change> c = result.changes(LifecycleResult.Change.Kind.APP_UNDEPLOYED);
    return c.isEmpty() ? null : c.get(0).id();
  }

  /** The resources removed, by orchestrator id, in the order they were removed. */
  public List<String> removedResources() {
    return result.changes(LifecycleResult.Change.Kind.RESOURCE_REMOVED).stream().map(LifecycleResult.Change::id)
        .toList();
  }

  /** The tokens revoked, by id. */
  public List<String> revokedTokens() {
    return result.changes(LifecycleResult.Change.Kind.TOKEN_REVOKED).stream().map(LifecycleResult.Change::id).toList();
  }

  /** What stays, said plainly. */
  public List<LifecycleResult.Kept> kept() {
    return result.kept();
  }

  /** Whether everything the SDK can take down is down (what stays is only what it cannot). */
  public boolean complete() {
    return result.kept().stream().noneMatch(k -> k.kind() == LifecycleResult.Kept.Kind.RESOURCE);
  }
}
