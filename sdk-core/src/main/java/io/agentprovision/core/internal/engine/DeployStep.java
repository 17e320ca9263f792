package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.deploy.DeployRequest;
import io.agentprovision.core.deploy.DeployedApp;
import java.util.List;
import java.util.Objects;

/** Uploads the app with the deploy token and binds its hostnames (the domain, when there is one). Undone by undeploying. */
final class DeployStep extends BaseStep<DeployStep.Deployed> {
  static final StepId ID = StepId.of("deploy");

  /** The app where the deployer put it. */
  record Deployed(DeployedApp app) {
    Deployed {
      Objects.requireNonNull(app, "app");
    }
  }

  private final WorkerApp app;

  DeployStep(WorkerApp app, boolean bindsDomain, List<StepId> dependsOn) {
    super(ID, StepKind.DEPLOY, dependsOn, "deploy " + app.name() + (bindsDomain ? " and bind the domain" : ""),
        Deployed.class);
    this.app = app;
  }

  @Override
  public Deployed run(StepRun ctx) {
    DomainStep.Registered domain = ctx.outputIfPresent(DomainStep.class);
    DeployedApp deployed = ctx.deployer().deploy(new DeployRequest(app,
        ctx.output(CredentialsStep.class).credentials(ctx.vault()), domain == null ? null : domain.domain()), ctx);
    ctx.audit("app.deployed").key(ctx.idempotencyKey()).detail("script", deployed.scriptName())
        .detail("url", deployed.primaryUrl().toString()).detail("provider_url", deployed.url().toString()).record();
    return new Deployed(deployed);
  }

  @Override
  public Compensation compensate(StepRun ctx, Deployed out) {
    ctx.deployer().undeploy(out.app(), ctx.output(CredentialsStep.class).credentials(ctx.vault()), ctx);
    return Compensation.undone("undeployed " + out.app().scriptName());
  }

  @Override
  public String summary(Deployed out) {
    return out.app().primaryUrl().toString();
  }
}
