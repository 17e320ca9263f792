package io.agentprovision.e2e.money;

import io.agentprovision.e2e.money.FaultedRun.Via;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The fault matrix ({@link PaidCallFaultMatrix}) for {@code DirectOrchestrator} against the protocol provider sandbox: the plan's creation and
 * the domain's {@code update_service}, each paid with a Shared Payment Token: 2 paid calls x before/after x 6 faults
 * x 2 failure actions, 48 cells.
 */
@Execution(ExecutionMode.CONCURRENT)
class DirectOrchestratorFaultMatrixTest extends PaidCallFaultMatrix {
  @Override
  Via via() {
    return Via.DIRECT;
  }
}
