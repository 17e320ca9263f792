package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.deploy.DeployCredentials;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Deletes the deployment's deploy token at the provider (with the orchestrator's broad credential
 * as the authority when the vault holds it: a least-privilege token may not delete itself), then
 * from the vault, and marks it revoked in the deployment's journal: it is rotated no more and
 * {@code deployCredentials} refuses it. A token revoked already is left as it is.
 */
final class RevokeTokenStep extends ChangeStep<RevokeTokenStep.Revoked> {
  static final StepId ID = StepId.of("revoke-token");

  /** The token revoked. */
  record Revoked(String tokenId) implements ChangeOutcome {
    Revoked {
      Objects.requireNonNull(tokenId, "tokenId");
    }

    @Override
    public void report(List<LifecycleResult.Change> done, List<LifecycleResult.Kept> kept) {
      done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.TOKEN_REVOKED, tokenId, "deleted deploy token "
          + tokenId + " at the provider and from the vault", null));
    }
  }

  private final @Nullable String reason;

  RevokeTokenStep(RunId deployment, @Nullable String reason, List<StepId> dependsOn) {
    super(ID, StepKind.REVOKE_TOKEN, deployment, dependsOn, "revoke the deploy token", Revoked.class);
    this.reason = reason;
  }

  @Override
  public Revoked run(StepRun ctx) {
    CredentialsStep.Issued issued = Objects.requireNonNull(issued(ctx), "the plan found a deploy token");
    if (issued.revokedAt() == null) {
      if (ctx.vault().get(issued.vaultKey()).isPresent()) {
        DeployCredentials current = issued.credentials(ctx.vault());
        ctx.deployer().revoke(current, broad(ctx), ctx);
        ctx.vault().delete(issued.vaultKey());
      } // else deleted here before an interruption: the provider call went through first
      saveIssued(ctx, issued.revoked(ctx.clock().instant()));
    }
    update(ctx, DeploymentState::withTokenRevoked);
    ctx.audit("credentials.revoked").key(ctx.idempotencyKey()).detail("token", issued.tokenId())
        .detail("reason", reason != null ? reason : "revoked by a change to the deployment")
        .detail("deployment", deployment.value()).record();
    return new Revoked(issued.tokenId());
  }

  @Override
  public Compensation compensate(StepRun ctx, Revoked out) {
    return Compensation.cannotUndo("deploy token " + out.tokenId() + " stays revoked; a new run mints a new one");
  }

  @Override
  public String summary(Revoked out) {
    return "revoked " + out.tokenId();
  }
}
