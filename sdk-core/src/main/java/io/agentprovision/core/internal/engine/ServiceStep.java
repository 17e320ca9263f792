package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Deployment;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.spi.SpendAuthorization;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Provisions one catalog service in the run's account, paying its listed price when it has one:
 * policy check, reservation, approval where the policy wants one, the orchestrator's call under the
 * step's idempotency key ({@link StepRun#paid}: reconciled when its answer is lost), then commit
 * (or release, when the call certainly charged nothing). Undone
 * by removing the resource; a charge is reported as not refunded. {@link PlanStep} and
 * {@link ResourceStep} are the two the first-day flow has.
 */
abstract class ServiceStep extends BaseStep<ServiceStep.Provisioned> {
  /** The resource and what it cost. */
  record Provisioned(ResourceRef resource, @Nullable Money charged) implements ProvisionedResource {
    Provisioned {
      Objects.requireNonNull(resource, "resource");
    }

    @Override
    public Deployment.ResourceSummary resourceSummary() {
      return new Deployment.ResourceSummary(resource.serviceId(), resource.id(), resource.name(), charged);
    }
  }

  private final ServiceOffering service;
  private final CheckpointKind checkpoint;

  ServiceStep(StepId id, StepKind kind, ServiceOffering service, CheckpointKind checkpoint, List<StepId> dependsOn,
      String description) {
    super(id, kind, dependsOn, description, Provisioned.class);
    this.service = service;
    this.checkpoint = checkpoint;
  }

  @Override
  public Price price() {
    return new Price(service.id(), service.pricing().isPaid(), checkpoint, service.pricing().minimum(), true);
  }

  /** The catalog service this step provisions. */
  ServiceOffering service() {
    return service;
  }

  @Override
  public Provisioned run(StepRun ctx) {
    ProvisionRequest req = ctx.request();
    VelocityAction counted = velocity();
    if (counted != null) {
      ctx.velocity().count(counted);
    }
    SpendAuthorization auth = null;
    Money quote = null;
    if (service.pricing().isPaid()) {
      quote = Objects.requireNonNull(ctx.planned().quote(), "the plan priced " + id());
      String what = service.pricing().description();
      auth = ctx.authorizeSpend(new SpendRequest(checkpoint, req.provider(), quote, service.id()
          + (what != null ? " (" + what + ")" : ""), Map.of("service", service.id())));
    }
    SpendAuthorization paying = auth;
    ResourceRequest request = ResourceRequest.builder(req.provider(), service.id(), name(req, id()),
        ctx.output(AccountStep.class).account()).project(req.project()).environment(req.environment())
        .payment(auth == null ? null : auth.payment()).build();
    ResourceState state = ctx.paid(paying, "provisioning " + service.id(), () -> {
      ResourceState s = ctx.orchestrator().provision(request, ctx);
      requireComplete(s, service.id());
      return s;
    });
    Money charged = null;
    if (auth != null && quote != null) {
      charged = chargedOr(state, quote);
      auth.commit(charged);
    }
    ctx.audit("resource.provisioned").amount(charged).key(ctx.idempotencyKey()).detail("service", service.id())
        .detail("resource", state.ref().id()).record();
    return new Provisioned(state.ref(), charged);
  }

  @Override
  public Compensation compensate(StepRun ctx, Provisioned out) {
    ResourceRef ref = out.resource();
    ctx.orchestrator().remove(ref, ctx);
    Compensation c = Compensation.undone("removed " + ref.serviceId() + " (" + ref.id() + ")");
    return out.charged() == null ? c : c.andCannotUndo(out.charged() + " already charged for " + ref.serviceId()
        + " is not refunded by cancelling it");
  }

  @Override
  public String summary(Provisioned out) {
    return out.resource().id() + (out.charged() != null ? " for " + out.charged() : "");
  }

  /** Fails unless the provider says the resource is complete, with its reasons when it says otherwise. */
  static void requireComplete(ResourceState s, String service) {
    if (s.status() == ResourceStatus.COMPLETE) {
      return;
    }
    String code = s.errorCode() != null ? s.errorCode() : s.status().name().toLowerCase(Locale.ROOT);
    ProviderException failed = ProviderException.builder(s.ref().provider(), service + " resource " + s.ref().id()
        + " ended " + s.status() + (s.errorMessage() != null ? ": " + s.errorMessage() : "")
        + (s.userMessage() != null ? " (" + s.userMessage() + ")" : "")).code(code).retryable(false)
        // the provider answered: a resource it reports as not complete was not paid for, unless it says it charged
        .outcome(ProviderException.Outcome.NOT_EXECUTED).build();
    Money charged = s.charged();
    throw charged != null && charged.isPositive() ? failed.reconciled(charged, false) : failed;
  }

  /** What the provider says it charged, when that is within the quote; otherwise the quote. */
  static Money chargedOr(ResourceState s, Money quote) {
    Money c = s.charged();
    return c != null && c.sameCurrency(quote) && !c.greaterThan(quote) ? c : quote;
  }

  /** The resource's name: the project, then the step, so that it is the same on every retry. */
  static String name(ProvisionRequest req, StepId step) {
    return req.project().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-" + step;
  }
}
