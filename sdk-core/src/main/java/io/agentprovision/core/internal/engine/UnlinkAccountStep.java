package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.orchestration.ProviderAccount;
import java.util.List;
import java.util.Objects;

/**
 * Has the orchestrator forget the deployment's provider account. Nothing is deprovisioned: the
 * account and every resource still active in it stay at the provider, which keeps billing for them,
 * and the result says so, resource by resource.
 */
final class UnlinkAccountStep extends ChangeStep<UnlinkAccountStep.Unlinked> {
  static final StepId ID = StepId.of("unlink-account");

  /** The account forgotten and what stays in it. */
  record Unlinked(String provider, String accountId, List<String> stillActive) implements ChangeOutcome {
    Unlinked {
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(accountId, "accountId");
      stillActive = List.copyOf(stillActive);
    }

    @Override
    public void report(List<LifecycleResult.Change> done, List<LifecycleResult.Kept> kept) {
      done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.ACCOUNT_UNLINKED, accountId,
          "the orchestrator forgot " + provider + " account " + accountId, null));
      kept.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.ACCOUNT, accountId, provider + " account "
          + accountId + " stays at " + provider + " (unlinking deletes nothing); close it there if it is no longer "
          + "wanted", null));
      for (String r : stillActive) {
        kept.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.RESOURCE, r, r + " stays active at " + provider
            + " and is billed there; the SDK can no longer change it", null));
      }
    }
  }

  private final ProviderAccount account;

  UnlinkAccountStep(RunId deployment, ProviderAccount account, List<StepId> dependsOn) {
    super(ID, StepKind.UNLINK_ACCOUNT, deployment, dependsOn, "have the orchestrator forget " + account.provider()
        + " account " + account.accountId() + " (it and its resources stay at the provider)", Unlinked.class);
    this.account = account;
  }

  @Override
  public Unlinked run(StepRun ctx) {
    ctx.orchestrator().unlinkAccount(account, ctx);
    DeploymentState s = update(ctx, DeploymentState::withAccountUnlinked);
    List<String> active = s.active().stream().map(h -> h.ref().serviceId() + " (" + h.ref().id() + ")").toList();
    ctx.audit("account.unlinked").key(ctx.idempotencyKey()).detail("provider", account.provider())
        .detail("account", account.accountId()).detail("still_active", String.join(", ", active))
        .detail("deployment", deployment.value()).record();
    return new Unlinked(account.provider(), account.accountId(), active);
  }

  @Override
  public Compensation compensate(StepRun ctx, Unlinked out) {
    return Compensation.cannotUndo("account " + out.accountId() + " stays unlinked; link it again with a new run");
  }

  @Override
  public String summary(Unlinked out) {
    return "unlinked " + out.accountId();
  }
}
