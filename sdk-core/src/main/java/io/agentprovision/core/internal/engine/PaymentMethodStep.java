package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.Orchestrator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Makes sure a payment method is on file for the paid steps (the orchestrator puts a checkpoint
 * with a checkout link when none is), then keeps the orchestrator's own monthly cap for the
 * provider no looser than the policy's. Present only when something in the run is paid.
 */
final class PaymentMethodStep extends BaseStep<PaymentMethodStep.Ready> {
  static final StepId ID = StepId.of("payment-method");

  /** A payment method is on file; {@code display} is how the orchestrator shows it (such as "visa 4242"). */
  record Ready(@Nullable String display) {}

  PaymentMethodStep(List<StepId> dependsOn) {
    super(ID, StepKind.PAYMENT_METHOD, dependsOn, "make sure a payment method is on file", Ready.class);
  }

  @Override
  public List<CheckpointKind> approvals(List<io.agentprovision.core.PlannedStep> judged) {
    return List.of(CheckpointKind.PAYMENT_METHOD);
  }

  @Override
  public Ready run(StepRun ctx) {
    SpendPolicy policy = ctx.config().spendPolicy();
    String provider = ctx.request().provider();
    Money cap = null;
    for (SpendLimit l : policy.limitsFor(ctx.agent(), provider)) {
      if (l.interval() == SpendInterval.MONTHLY || cap == null) {
        cap = l.amount();
      }
    }
    if (cap == null) {
      // no limit of the policy counts this agent's spend here: ask for no more than the default cap
      cap = SpendPolicy.DEFAULT_LIMIT.amount();
    }
    PaymentMethodStatus s = ctx.orchestrator().ensurePaymentMethod(provider, cap, ctx);
    if (!s.ready()) {
      throw new AgentProvisionException("no payment method is on file for paid steps at " + provider
          + "; add one at the orchestrator and resume the run", null, false);
    }
    ctx.audit("payment_method.ready").detailIfPresent("method", s.display()).record();
    mirrorCap(ctx, policy, provider);
    return new Ready(s.display());
  }

  /**
   * Lowers the orchestrator's own monthly cap for the provider to the policy's where the policy's is
   * tighter, so the cap holds even for charges the SDK does not see. Never raises it (that is a
   * human's decision), and does nothing for orchestrators that keep no caps.
   */
  private static void mirrorCap(StepRun ctx, SpendPolicy policy, String provider) {
    Orchestrator orchestrator = ctx.orchestrator();
    // the rule is SpendPolicy's, shared with orchestrators that mirror caps themselves
    policy.capToMirror(provider, orchestrator.providerLimits(provider, ctx)).ifPresent(change -> {
      orchestrator.updateProviderLimit(provider, change.to(), ctx);
      ctx.audit("provider_limit.mirrored").amount(change.to().amount()).key(ctx.idempotencyKey())
          .detail("orchestrator", orchestrator.name()).detail("provider", provider)
          .detail("from", change.from().amount().toString()).detail("to", change.to().amount().toString()).record();
    });
  }

  @Override
  public @Nullable String summary(Ready out) {
    return null;
  }
}
