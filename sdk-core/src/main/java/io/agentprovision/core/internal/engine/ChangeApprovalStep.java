package io.agentprovision.core.internal.engine;

import io.agentprovision.core.LifecycleResult;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A person approves a change that cannot be taken back (a removal, an unlink, a teardown), seeing
 * every step it takes and, plainly, what stays: a registered domain until it expires, the account,
 * charges already made. Never approved by policy alone or by an intent mandate.
 */
final class ChangeApprovalStep extends BaseStep<ChangeApprovalStep.Approved> {
  static final StepId ID = StepId.of("change-approval");

  /** Who approved. */
  record Approved(String approver) {}

  private final String title;
  private final List<LifecycleResult.Kept> stays;
  private final @Nullable String why;

  ChangeApprovalStep(String title, List<LifecycleResult.Kept> stays, @Nullable String why, List<StepId> dependsOn) {
    super(ID, StepKind.CHANGE_APPROVAL, dependsOn, "a human approves: " + title, Approved.class);
    this.title = title;
    this.stays = List.copyOf(stays);
    this.why = why;
  }

  @Override
  public List<CheckpointKind> approvals(List<PlannedStep> judged) {
    return List.of(CheckpointKind.CHANGE_APPROVAL);
  }

  @Override
  public Approved run(StepRun ctx) {
    Map<String, String> details = new LinkedHashMap<>();
    int n = 0;
    for (PlannedStep s : ctx.plan().steps()) {
      if (!s.id().equals(ID) && !s.id().equals(IdentityStep.ID)) {
        details.put("do." + ++n, s.description());
      }
    }
    n = 0;
    for (LifecycleResult.Kept k : stays) {
      details.put("stays." + ++n, k.description());
    }
    String reason = "agent " + ctx.agent() + " asks for it" + (why != null ? ": " + why : "")
        + ". This cannot be taken back.";
    ApprovalDecision d = ctx.checkpoint(CheckpointRequest.confirm(CheckpointKind.CHANGE_APPROVAL, title, reason)
        .withDetails(details));
    return new Approved(d.approver());
  }

  @Override
  public @Nullable String summary(Approved out) {
    return "approved by " + out.approver();
  }
}
