package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.deploy.DeployCredentials;
import io.agentprovision.core.deploy.RotationRequest;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Rolls the deployment's deploy token (same permissions, new value) and renews it for the lifetime
 * its run asked for, keeping the new value in the vault and the new description in the
 * deployment's journal, as {@code rotateCredentials} does, but as a governed run.
 */
final class RotateTokenStep extends ChangeStep<RotateTokenStep.Rotated> {
  static final StepId ID = StepId.of("rotate-token");

  /** The token after the rotation, and the one it replaced (the same id when the provider rolls in place). */
  record Rotated(String tokenId, String previousTokenId, @Nullable Instant expiresAt) implements ChangeOutcome {
    Rotated {
      Objects.requireNonNull(tokenId, "tokenId");
      Objects.requireNonNull(previousTokenId, "previousTokenId");
    }

    @Override
    public void report(List<LifecycleResult.Change> done, List<LifecycleResult.Kept> kept) {
      done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.TOKEN_ROTATED, tokenId, "rolled deploy token "
          + previousTokenId + (tokenId.equals(previousTokenId) ? "" : " into " + tokenId)
          + (expiresAt != null ? "; it now expires " + expiresAt : ""), null));
    }
  }

  RotateTokenStep(RunId deployment, List<StepId> dependsOn) {
    super(ID, StepKind.ROTATE_TOKEN, deployment, dependsOn, "roll and renew the deploy token", Rotated.class);
  }

  @Override
  public Rotated run(StepRun ctx) {
    CredentialsStep.Issued issued = Objects.requireNonNull(issued(ctx), "the plan found a deploy token");
    DeployCredentials current = issued.credentials(ctx.vault());
    DeployCredentials next = ctx.deployer().rotate(new RotationRequest(current, broad(ctx), ctx.request().token().ttl()),
        ctx);
    CredentialsStep.Issued renewed = issued.rotated(next);
    renewed.store(ctx.vault(), next.token(), ctx.clock());
    saveIssued(ctx, renewed);
    ctx.audit("credentials.rotated").key(ctx.idempotencyKey()).detail("token", next.tokenId())
        .detail("previous_token", current.tokenId()).detail("expires_at", String.valueOf(next.expiresAt()))
        .detail("deployment", deployment.value()).record();
    return new Rotated(next.tokenId(), current.tokenId(), next.expiresAt());
  }

  @Override
  public String summary(Rotated out) {
    return "token " + out.tokenId() + " expires " + out.expiresAt();
  }
}
