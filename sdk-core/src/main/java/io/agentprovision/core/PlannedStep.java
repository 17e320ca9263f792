package io.agentprovision.core;

import io.agentprovision.core.approval.CheckpointKind;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One step of a {@link ProvisionPlan}, with what it will cost and what the policy says about it.
 *
 * @param id the step id, such as {@code plan} or {@code domain}
 * @param kind what it does
 * @param description a line for people
 * @param dependsOn the steps that must finish first
 * @param serviceId the catalog service it provisions, when it provisions one
 * @param quote the price, or the most it may cost; null when free or not yet known
 * @param priceFinal whether {@code quote} is the price (false for an estimate or a cap, such as a domain not yet chosen)
 * @param verdict what the spend policy says
 * @param verdictDetail why (the limit and what remains, or why a human is needed)
 * @param approvals the human checkpoints this step may put to the approval gate
 */
public record PlannedStep(StepId id, StepKind kind, String description, List<StepId> dependsOn, @Nullable String serviceId,
    @Nullable Money quote, boolean priceFinal, Verdict verdict, @Nullable String verdictDetail,
    List<CheckpointKind> approvals) {
  /** The spend policy's view of a step. */
  public enum Verdict {
    /** Costs nothing. */
    FREE,
    /** Within every limit and below the approval threshold. */
    ALLOWED,
    /** Within every limit; a human must confirm. */
    NEEDS_APPROVAL,
    /** Would exceed a limit: executing the plan stops here, before any charge. */
    DENIED
  }

  public PlannedStep {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(description, "description");
    dependsOn = List.copyOf(dependsOn);
    Objects.requireNonNull(verdict, "verdict");
    approvals = List.copyOf(approvals);
  }

  /** Whether this step can cost money. */
  public boolean paid() {
    return verdict != Verdict.FREE;
  }
}
