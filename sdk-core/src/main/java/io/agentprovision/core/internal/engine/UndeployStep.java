package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.deploy.DeployedApp;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * Takes the deployment's app down with its deploy token: unbinds its hostnames and deletes the
 * script, so its URL no longer answers. Cannot be undone (a new run deploys it again).
 */
final class UndeployStep extends ChangeStep<UndeployStep.Undeployed> {
  static final StepId ID = StepId.of("undeploy");

  /** The app taken down. */
  record Undeployed(String script, URI url) implements ChangeOutcome {
    Undeployed {
      Objects.requireNonNull(script, "script");
      Objects.requireNonNull(url, "url");
    }

    @Override
    public void report(List<LifecycleResult.Change> done, List<LifecycleResult.Kept> kept) {
      done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.APP_UNDEPLOYED, script, "took " + script
          + " down; " + url + " no longer serves it", null));
    }
  }

  private final DeployedApp app;

  UndeployStep(RunId deployment, DeployedApp app, List<StepId> dependsOn) {
    super(ID, StepKind.UNDEPLOY, deployment, dependsOn, "take " + app.scriptName() + " down at " + app.primaryUrl(),
        Undeployed.class);
    this.app = app;
  }

  @Override
  public Undeployed run(StepRun ctx) {
    CredentialsStep.Issued issued = Objects.requireNonNull(issued(ctx), "the plan found a deploy token");
    ctx.deployer().undeploy(app, issued.credentials(ctx.vault()), ctx);
    update(ctx, DeploymentState::withUndeployed);
    ctx.audit("app.undeployed").key(ctx.idempotencyKey()).detail("script", app.scriptName())
        .detail("url", app.primaryUrl().toString()).detail("provider_url", app.url().toString())
        .detail("deployment", deployment.value()).record();
    return new Undeployed(app.scriptName(), app.primaryUrl());
  }

  @Override
  public Compensation compensate(StepRun ctx, Undeployed out) {
    return Compensation.cannotUndo(out.script() + " stays down; deploy it again with a new run");
  }

  @Override
  public String summary(Undeployed out) {
    return out.url().toString();
  }
}
