package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.orchestration.AccessConfiguration;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A step of a change to a deployment: it holds the deployment's run id, and reads and changes the
 * deployment's state ({@link DeploymentStates}) and its journaled deploy token. Every change step
 * applies what it did to the state once it is done, so that the next change starts from it; a step
 * run again after an interruption applies the same change again, which leaves the state as it was.
 */
abstract class ChangeStep<O extends Record> extends BaseStep<O> {
  final RunId deployment;

  ChangeStep(StepId id, StepKind kind, RunId deployment, List<StepId> dependsOn, String description,
      Class<O> outputType) {
    super(id, kind, dependsOn, description, outputType);
    this.deployment = Objects.requireNonNull(deployment, "deployment");
  }

  DeploymentState state(StepRun ctx) {
    return DeploymentStates.read(ctx.config().journal(), deployment, ctx.request());
  }

  DeploymentState update(StepRun ctx, UnaryOperator<DeploymentState> change) {
    return DeploymentStates.update(ctx.config().journal(), deployment, ctx.request(), ctx.clock().instant(), change);
  }

  /** The deployment's deploy token as its journal describes it, or null when the deployment has none. */
  CredentialsStep.@Nullable Issued issued(StepRun ctx) {
    StepRecord r = ctx.config().journal().step(deployment, CredentialsStep.ID).orElse(null);
    String json = r == null ? null : r.output();
    return json == null ? null : OutputCodec.decode(json, CredentialsStep.Issued.class, deployment, CredentialsStep.ID);
  }

  /** Replaces the deployment's journaled deploy token description (after a rotation or a revocation). */
  void saveIssued(StepRun ctx, CredentialsStep.Issued next) {
    String json = OutputCodec.encode(next);
    for (int attempt = 0; attempt < 8; attempt++) {
      StepRecord cur = ctx.config().journal().step(deployment, CredentialsStep.ID).orElseThrow(() ->
          new IllegalStateException("deployment " + deployment + " has no credentials step"));
      if (ctx.config().journal().saveStep(cur.next(ctx.clock().instant()).output(json).build())) {
        return;
      }
    }
    throw new AgentProvisionException("the deploy token of deployment " + deployment + " was changed elsewhere "
        + "while this change saved it; resume the change", null, true);
  }

  /** The orchestrator's broad credential of the deployment, when the vault still holds it. */
  @Nullable AccessConfiguration broad(StepRun ctx) {
    return CredentialsStep.broad(ctx.vault(), deployment);
  }
}
