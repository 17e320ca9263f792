package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.wire.Digests;
import io.agentprovision.core.wire.Json;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Provisions another catalog service in the deployment's account, paying its listed price as a
 * first-day resource is paid (policy, reservation, approval, the orchestrator's call under the
 * step's idempotency key, commit). Undone by removing it.
 */
final class AddResourceStep extends ChangeStep<AddResourceStep.Added> {
  static final StepId ID = StepId.of("add-resource");

  /** The resource added and what it cost. */
  record Added(ResourceRef resource, @Nullable Money charged) implements ChangeOutcome {
    Added {
      Objects.requireNonNull(resource, "resource");
    }

    @Override
    public void report(List<LifecycleResult.Change> done, List<LifecycleResult.Kept> kept) {
      done.add(new LifecycleResult.Change(LifecycleResult.Change.Kind.RESOURCE_ADDED, resource.id(), "provisioned "
          + resource.serviceId() + " (" + resource.name() + ")" + (charged != null ? " for " + charged : ""), charged));
    }
  }

  private final ProviderAccount account;
  private final ServiceOffering service;
  private final Map<String, Object> configuration;

  AddResourceStep(RunId deployment, ProviderAccount account, ServiceOffering service, Map<String, Object> configuration,
      List<StepId> dependsOn) {
    super(ID, StepKind.RESOURCE, deployment, dependsOn, "provision " + service.id()
        + (service.pricing().description() != null ? " (" + service.pricing().description() + ")" : ""), Added.class);
    this.account = account;
    this.service = service;
    this.configuration = configuration;
  }

  private CheckpointKind checkpoint() {
    return service.isPlan() ? CheckpointKind.PAID_PLAN : CheckpointKind.PAID_RESOURCE;
  }

  @Override
  public Price price() {
    return Price.of(service.id(), checkpoint(), pricing(), false);
  }

  /** What the catalog says the service costs as configured. */
  private Pricing pricing() {
    return service.pricing().forConfiguration(configuration);
  }

  /** A paid plan added counts against the velocity limits on paid plans, as on day one. */
  @Override
  public @Nullable VelocityAction velocity() {
    return service.isPlan() && service.pricing().isPaid() ? VelocityAction.CREATE_PAID_PLAN : null;
  }

  @Override
  public Added run(StepRun ctx) {
    ProvisionRequest req = ctx.request();
    VelocityAction counted = velocity();
    if (counted != null) {
      ctx.velocity().count(counted);
    }
    SpendAuthorization auth = null;
    Money quote = null;
    Pricing pricing = pricing();
    if (pricing.isPaid()) {
      PlannedStep planned = ctx.planned();
      quote = Objects.requireNonNull(planned.quote(), "the plan priced " + id());
      // a price not known before buying is held at the plan's cap, as on day one (see ServiceStep)
      boolean capped = !planned.priceFinal();
      String what = capped ? PriceTerms.unknownBeforeBuying(pricing) : pricing.description();
      SpendRequest spend = new SpendRequest(checkpoint(), account.provider(), quote, service.id()
          + (what != null ? " (" + what + ")" : ""), Map.of("service", service.id()));
      auth = capped ? ctx.authorizeUpTo(spend) : ctx.authorizeSpend(spend);
      quote = auth.payment().maxAmount();
    }
    ResourceRequest request = ResourceRequest.builder(account.provider(), service.id(), name(req, ctx.runId()), account)
        .configuration(configuration).project(req.project()).environment(req.environment())
        .payment(auth == null ? null : auth.payment()).build();
    // money whose fate an error leaves open stays held until reconciled, as for any paid call
    ResourceState state = ctx.paid(auth, "provisioning " + service.id(), () -> {
      ResourceState s = ctx.orchestrator().provision(request, ctx);
      ServiceStep.requireComplete(s, service.id());
      return s;
    });
    Money charged = null;
    if (auth != null && quote != null) {
      charged = ServiceStep.chargedOr(state, quote);
      auth.commit(charged);
    }
    ResourceRef ref = state.ref();
    Money paid = charged;
    update(ctx, s -> s.adding(new DeploymentState.Held(ref, service.isPlan() ? DeploymentState.Role.PLAN
        : DeploymentState.Role.SERVICE, paid, null, null, null, ctx.runId(), null)));
    ctx.audit("resource.provisioned").amount(charged).key(ctx.idempotencyKey()).detail("service", service.id())
        .detail("resource", ref.id()).detail("deployment", deployment.value()).record();
    return new Added(ref, charged);
  }

  /** The new resource's name: the project, the service and the change's run, the same on every retry. */
  private String name(ProvisionRequest req, RunId run) {
    String base = req.project().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-"
        + service.id().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    return base + "-" + Digests.sha256Hex(run.value() + "|" + Json.canonical(configuration)).substring(0, 8);
  }

  @Override
  public Compensation compensate(StepRun ctx, Added out) {
    ctx.orchestrator().remove(out.resource(), ctx);
    update(ctx, s -> {
      DeploymentState.Held h = s.active(out.resource().id());
      return h == null ? s : s.replacing(h, h.removed(ctx.clock().instant()));
    });
    Compensation c = Compensation.undone("removed " + out.resource().serviceId() + " (" + out.resource().id() + ")");
    return out.charged() == null ? c : c.andCannotUndo(out.charged() + " already charged for "
        + out.resource().serviceId() + " is not refunded by removing it");
  }

  @Override
  public String summary(Added out) {
    return out.resource().id() + (out.charged() != null ? " for " + out.charged() : "");
  }
}
