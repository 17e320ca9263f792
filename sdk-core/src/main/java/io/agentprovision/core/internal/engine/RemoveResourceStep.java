package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.orchestration.ResourceRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Removes one of the deployment's resources at the provider (for a plan: cancels it). The provider
 * invalidates the credentials it issued for it; the vault's copies of them (a catalog service's
 * credentials, kept for the app's environment) are deleted, and so is the orchestrator's broad
 * credential, which came with the deployable. Money already charged for it is
 * not refunded, and it cannot be undone (a new change provisions it again).
 */
final class RemoveResourceStep extends ChangeStep<RemoveResourceStep.Removed> {
  /** The resource removed. */
  record Removed(ResourceRef resource, @Nullable Money charged, boolean broadDeleted, List<String> deleted)
      implements ChangeOutcome {
    Removed {
      Objects.requireNonNull(resource, "resource");
      deleted = deleted == null ? List.of() : List.copyOf(deleted); // absent in older journals
    }

    @Override
    public void report(List<LifecycleResult.Change> done, List<LifecycleResult.Kept> kept) {
      done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.RESOURCE_REMOVED, resource.id(), "removed "
          + resource.serviceId() + " (" + resource.name() + ")", null));
      if (broadDeleted) {
        done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.CREDENTIAL_DELETED, resource.id(),
            "deleted the orchestrator's credential for " + resource.serviceId() + " from the vault", null));
      }
      if (!deleted.isEmpty()) {
        done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.CREDENTIAL_DELETED, resource.id(),
            "deleted the credentials of " + resource.serviceId() + " (" + String.join(", ", deleted)
                + ") from the vault", null));
      }
      if (charged != null) {
        kept.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.CHARGE, resource.id(), charged
            + " already charged for " + resource.serviceId() + " is not refunded by removing it", null));
      }
    }
  }

  private final DeploymentState.Held held;

  RemoveResourceStep(RunId deployment, DeploymentState.Held held, List<StepId> dependsOn) {
    super(id(held.ref()), StepKind.REMOVE_RESOURCE, deployment, dependsOn, "remove " + held.ref().serviceId() + " ("
        + held.ref().id() + ")" + (held.role() == DeploymentState.Role.PLAN ? ", cancelling the plan" : ""),
        Removed.class);
    this.held = held;
  }

  /** The step's id for removing {@code ref}: one step per resource in a run. */
  static StepId id(ResourceRef ref) {
    String safe = ref.id().replaceAll("[^A-Za-z0-9._:@/+-]", "-");
    return StepId.of("remove:" + (safe.length() > 180 ? safe.substring(0, 180) : safe).toLowerCase(Locale.ROOT));
  }

  @Override
  public Removed run(StepRun ctx) {
    ResourceRef ref = held.ref();
    ctx.orchestrator().remove(ref, ctx);
    boolean broadDeleted = false;
    if (held.role() == DeploymentState.Role.DEPLOYABLE) {
      // the credential came with this resource and died with it at the provider: no copy stays in the vault
      for (String k : ctx.vault().keys(CredentialsStep.broadPrefix(deployment))) {
        ctx.vault().delete(k);
        broadDeleted = true;
      }
    }
    // the resource's own credentials, kept for the app's environment, are dead at the provider: the vault
    // stops holding them, and the run's environment stops listing them
    List<String> deleted = new ArrayList<>();
    for (String prefix : credentialPrefixes(ctx, ref)) {
      for (String k : ctx.vault().keys(prefix)) {
        if (ctx.vault().delete(k)) {
          deleted.add(k.substring(prefix.length()));
        }
      }
    }
    update(ctx, s -> {
      DeploymentState.Held h = s.active(ref.id());
      return h == null ? s : s.replacing(h, h.removed(ctx.clock().instant()));
    });
    ctx.audit("resource.removed").key(ctx.idempotencyKey()).detail("resource", ref.id()).detail("service",
        ref.serviceId()).detail("deployment", deployment.value()).detail("role", held.role().name().toLowerCase(
            Locale.ROOT)).detailIfPresent("not_refunded", held.charged() == null ? null : held.charged().toString())
        .record();
    return new Removed(ref, held.charged(), broadDeleted, deleted);
  }

  /** Where the deployment's run kept the credentials of {@code ref}: the prefix of each catalog-service step that made it. */
  private List<String> credentialPrefixes(StepRun ctx, ResourceRef ref) {
    List<String> out = new ArrayList<>();
    for (StepRecord r : ctx.config().journal().steps(deployment)) {
      String json = r.output();
      if (r.status() != StepStatus.SUCCEEDED || json == null
          || !r.step().value().startsWith(CatalogServiceStep.ID_PREFIX)) {
        continue;
      }
      ServiceStep.Provisioned p = OutputCodec.decode(json, ServiceStep.Provisioned.class, deployment, r.step());
      if (p.resource().id().equals(ref.id()) && !p.credentials().isEmpty()) {
        out.add(ServiceStep.credentialPrefix(deployment, r.step()));
      }
    }
    return out;
  }

  @Override
  public Compensation compensate(StepRun ctx, Removed out) {
    return Compensation.cannotUndo(out.resource().serviceId() + " (" + out.resource().id() + ") stays removed; "
        + "provision it again with a new change");
  }

  @Override
  public String summary(Removed out) {
    return "removed " + out.resource().id();
  }
}
