package io.agentprovision.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.testing.ScriptedApprovalGate;
import io.agentprovision.testing.VirtualTime;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ElicitingApprovalGateTest {
  private final VirtualTime time = VirtualTime.create();

  @Test
  void onlyConfirmationsMayBeElicited() {
    for (CheckpointKind k : new CheckpointKind[] {CheckpointKind.ACCOUNT_CONSENT, CheckpointKind.STEP_UP,
        CheckpointKind.PAYMENT_METHOD, CheckpointKind.ACTION_REQUIRED}) {
      assertThatThrownBy(() -> ElicitingApprovalGate.builder(ScriptedApprovalGate.approveAll(time)).allow(k))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("allow"));
    }
  }

  @Test
  void beforeAnyClientCalled_everyCheckpointGoesToTheHostsGate() throws Exception {
    ScriptedApprovalGate host = ScriptedApprovalGate.approveAll(time).deny(CheckpointKind.PLAN_APPROVAL, "no");
    ElicitingApprovalGate gate = ElicitingApprovalGate.builder(host).allow(CheckpointKind.PLAN_APPROVAL).build();
    ApprovalRequest request = ApprovalRequest.builder("apr_1", CheckpointKind.PLAN_APPROVAL, "Approve the plan",
        "because", AgentId.of("coding-agent-7")).requestedAt(time.instant())
        .deadline(time.instant().plus(Duration.ofMinutes(15))).build();

    ApprovalDecision d = gate.decide(request);

    assertThat(d.outcome()).isEqualTo(ApprovalDecision.Outcome.DENIED);
    assertThat(host.requests()).containsExactly(request);
  }
}
