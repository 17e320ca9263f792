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
 *
 * <p>The planner makes these; a host reads them from {@link ProvisionPlan#steps()}. To make one
 * (in a test, say), use {@link #builder}: the canonical constructor is public only because records
 * require it, and may gain components.
 *
 * <pre>{@code
 * PlannedStep domain = PlannedStep.builder(StepId.of("domain"), StepKind.DOMAIN, "register my-app.com")
 *     .dependsOn(List.of(StepId.of("plan"))).serviceId("registrar:domain").quote(Money.usd("15.00"))
 *     .priceFinal(false).verdict(PlannedStep.Verdict.NEEDS_APPROVAL).build();
 * }</pre>
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

  /** A builder for a free step with no dependencies, no service and no checkpoints, until set otherwise. */
  public static Builder builder(StepId id, StepKind kind, String description) {
    return new Builder(id, kind, description);
  }

  /** A builder holding this step's values. */
  public Builder toBuilder() {
    return new Builder(id, kind, description).dependsOn(dependsOn).serviceId(serviceId).quote(quote)
        .priceFinal(priceFinal).verdict(verdict).verdictDetail(verdictDetail).approvals(approvals);
  }

  /** Builds {@link PlannedStep}s. */
  public static final class Builder {
    private final StepId id;
    private final StepKind kind;
    private final String description;
    private List<StepId> dependsOn = List.of();
    private @Nullable String serviceId;
    private @Nullable Money quote;
    private boolean priceFinal = true;
    private Verdict verdict = Verdict.FREE;
    private @Nullable String verdictDetail;
    private List<CheckpointKind> approvals = List.of();

    private Builder(StepId id, StepKind kind, String description) {
      this.id = Objects.requireNonNull(id, "id");
      this.kind = Objects.requireNonNull(kind, "kind");
      this.description = Objects.requireNonNull(description, "description");
    }

    public Builder dependsOn(List<StepId> steps) {
      this.dependsOn = List.copyOf(steps);
      return this;
    }

    public Builder serviceId(@Nullable String id) {
      this.serviceId = id;
      return this;
    }

    public Builder quote(@Nullable Money price) {
      this.quote = price;
      return this;
    }

    /** Whether the quote is the price (true, the default) or a cap. */
    public Builder priceFinal(boolean finalPrice) {
      this.priceFinal = finalPrice;
      return this;
    }

    public Builder verdict(Verdict v) {
      this.verdict = Objects.requireNonNull(v, "verdict");
      return this;
    }

    public Builder verdictDetail(@Nullable String detail) {
      this.verdictDetail = detail;
      return this;
    }

    public Builder approvals(List<CheckpointKind> kinds) {
      this.approvals = List.copyOf(kinds);
      return this;
    }

    public PlannedStep build() {
      return new PlannedStep(id, kind, description, dependsOn, serviceId, quote, priceFinal, verdict, verdictDetail,
          approvals);
    }
  }
}
