package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.spi.SpendAuthorization;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Changes the deployment's plan to another the catalog allows ({@code allowed_updates}, checked by
 * {@link ServiceOffering#requireUpdateTo} when the change is planned): the new plan's price is
 * judged by the spend policy, reserved, approved as for a paid plan ({@link CheckpointKind#PAID_PLAN},
 * with MFA when the policy wants it), and paid through the orchestrator's update under the step's
 * idempotency key. A downgrade to a free plan pays nothing; what the old plan cost is not refunded.
 */
final class UpdatePlanStep extends ChangeStep<UpdatePlanStep.Changed> {
  static final StepId ID = StepId.of("update-plan");

  /** The plan before and after, and what the change charged. */
  record Changed(ResourceRef from, ResourceRef to, @Nullable Money charged, @Nullable Money previouslyCharged)
      implements ChangeOutcome {
    Changed {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }

    @Override
    public void report(List<LifecycleResult.Change> done, List<LifecycleResult.Kept> kept) {
      done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.PLAN_CHANGED, to.id(), "changed the plan from "
          + from.serviceId() + " to " + to.serviceId() + (charged != null ? " for " + charged : " at no charge"),
          charged));
      if (previouslyCharged != null) {
        kept.add(new LifecycleResult.Kept(LifecycleResult.Kept.Kind.CHARGE, from.id(), previouslyCharged
            + " already charged for " + from.serviceId() + " is not refunded by changing the plan", null));
      }
    }
  }

  private final DeploymentState.Held plan;
  private final ServiceOffering target;

  UpdatePlanStep(RunId deployment, DeploymentState.Held plan, ServiceOffering target, List<StepId> dependsOn) {
    super(ID, StepKind.PLAN_CHANGE, deployment, dependsOn, "change plan " + plan.ref().serviceId() + " to "
        + target.id() + (target.pricing().description() != null ? " (" + target.pricing().description() + ")" : ""),
        Changed.class);
    this.plan = plan;
    this.target = target;
  }

  @Override
  public Price price() {
    return Price.of(target.id(), CheckpointKind.PAID_PLAN, target.pricing(), false);
  }

  @Override
  public Changed run(StepRun ctx) {
    SpendAuthorization auth = null;
    Money quote = null;
    if (target.pricing().isPaid()) {
      PlannedStep planned = ctx.planned();
      quote = Objects.requireNonNull(planned.quote(), "the plan priced " + id());
      // a price not known before buying is held at the plan's cap, as on day one (see ServiceStep)
      boolean capped = !planned.priceFinal();
      String what = capped ? PriceTerms.unknownBeforeBuying(target.pricing()) : target.pricing().description();
      SpendRequest spend = new SpendRequest(CheckpointKind.PAID_PLAN, plan.ref().provider(), quote,
          "change plan " + plan.ref().serviceId() + " to " + target.id() + (what != null ? " (" + what + ")" : ""),
          Map.of("service", target.id(), "from_service", plan.ref().serviceId(), "resource", plan.ref().id()));
      auth = capped ? ctx.authorizeUpTo(spend) : ctx.authorizeSpend(spend);
      quote = auth.payment().maxAmount();
    }
    SpendAuthorization paying = auth;
    // money whose fate an error leaves open stays held until reconciled, as for any paid call
    ResourceState state = ctx.paid(paying, "changing plan " + plan.ref().serviceId() + " to " + target.id(), () -> {
      ResourceState s = ctx.orchestrator().update(plan.ref(), target.id(), Map.of(),
          paying == null ? null : paying.payment(), ctx);
      ServiceStep.requireComplete(s, target.id());
      return s;
    });
    Money charged = null;
    if (auth != null && quote != null) {
      charged = ServiceStep.chargedOr(state, quote);
      auth.commit(charged);
    }
    ResourceRef to = new ResourceRef(plan.ref().provider(), plan.ref().id(), target.id(), plan.ref().name());
    Money paid = charged;
    update(ctx, s -> {
      DeploymentState.Held cur = s.resource(plan.ref().id());
      return cur == null ? s : s.replacing(cur, cur.changedTo(to, paid));
    });
    ctx.audit("plan.changed").amount(charged).key(ctx.idempotencyKey()).detail("resource", to.id())
        .detail("from_service", plan.ref().serviceId()).detail("to_service", target.id())
        .detail("deployment", deployment.value()).record();
    return new Changed(plan.ref(), to, charged, plan.charged());
  }

  @Override
  public Compensation compensate(StepRun ctx, Changed out) {
    return Compensation.cannotUndo("the plan stays " + out.to().serviceId() + (out.charged() != null ? "; "
        + out.charged() + " charged for it is not refunded" : ""));
  }

  @Override
  public String summary(Changed out) {
    return out.from().serviceId() + " -> " + out.to().serviceId() + (out.charged() != null ? " for " + out.charged() : "");
  }
}
