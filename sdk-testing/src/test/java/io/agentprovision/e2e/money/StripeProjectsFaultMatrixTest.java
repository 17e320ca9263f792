package io.agentprovision.e2e.money;

import io.agentprovision.e2e.money.FaultedRun.Via;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The fault matrix ({@link PaidCallFaultMatrix}) for {@code StripeProjects} against the Stripe sandbox: the plan's creation and the domain's
 * {@code submit_information}: 2 paid calls x before/after x 6 faults
 * x 2 failure actions, 48 cells.
 */
@Execution(ExecutionMode.CONCURRENT)
class StripeProjectsFaultMatrixTest extends PaidCallFaultMatrix {
  @Override
  Via via() {
    return Via.STRIPE_PROJECTS;
  }
}
