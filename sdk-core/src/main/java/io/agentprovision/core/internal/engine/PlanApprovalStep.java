package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A person approves the plan and its price, when any paid step's price or cap needs a person. A
 * paid step later in the run that reserves at or below its approved quote is not asked again for
 * that reservation ({@link RunState#approvedQuote}); a cap (a step whose price is not known before
 * buying) is approved as the most the step may hold, and the price of a choice made under it (a
 * domain's name) is still confirmed at that price, since that purchase cannot be undone.
 */
final class PlanApprovalStep extends BaseStep<PlanApprovalStep.Approval> {
  static final StepId ID = StepId.of("plan-approval");

  /**
   * The answer: whether one was needed, who gave it, and the quote approved for each paid step.
   *
   * @param needed whether a person was asked
   * @param approver who approved, when one was asked
   * @param approved the quotes approved, by step
   */
  record Approval(boolean needed, @Nullable String approver, List<Quote> approved) {
    Approval {
      approved = List.copyOf(approved);
    }
  }

  /** A quote approved for one step. */
  record Quote(StepId step, Money amount) {
    Quote {
      Objects.requireNonNull(step, "step");
      Objects.requireNonNull(amount, "amount");
    }
  }

  PlanApprovalStep(List<StepId> dependsOn) {
    super(ID, StepKind.PLAN_APPROVAL, dependsOn, "a human approves the plan and its price", Approval.class);
  }

  /** The quote a run's plan approval covered for {@code step}, or null. */
  static @Nullable Money approvedQuote(RunOutputs outputs, StepId step) {
    Approval a = outputs.find(ID, Approval.class);
    if (a == null) {
      return null;
    }
    for (Quote q : a.approved()) {
      if (q.step().equals(step)) {
        return q.amount();
      }
    }
    return null;
  }

  /** Whether a person must see the plan: some paid step's price or cap needs approval. */
  private static boolean needed(List<PlannedStep> steps) {
    for (PlannedStep s : steps) {
      if (s.paid() && s.verdict() == PlannedStep.Verdict.NEEDS_APPROVAL && s.quote() != null) {
        return true;
      }
    }
    return false;
  }

  @Override
  public List<CheckpointKind> approvals(List<PlannedStep> judged) {
    return needed(judged) ? List.of(CheckpointKind.PLAN_APPROVAL) : List.of();
  }

  /** Nothing outside the SDK changes before it ends: a person is asked; their answer is journaled, forced, before the step ends. */
  @Override
  public boolean changesBeforeItEnds() {
    return false;
  }

  @Override
  public Approval run(StepRun ctx) {
    List<PlannedStep> steps = ctx.plan().steps();
    if (!needed(steps)) {
      return new Approval(false, null, List.of());
    }
    Map<String, String> details = new LinkedHashMap<>();
    for (PlannedStep s : steps) {
      if (s.paid()) {
        details.put(s.id().value(), s.description() + (s.quote() == null
            ? " — " + (s.verdictDetail() != null ? s.verdictDetail() : "priced when chosen")
            : " — " + (s.priceFinal() ? "" : "up to ") + s.quote()));
      }
    }
    List<Money> total = ctx.plan().total();
    Map<String, Money> known = new LinkedHashMap<>();
    Map<String, Money> caps = new LinkedHashMap<>();
    for (PlannedStep s : steps) {
      Money q = s.quote();
      if (s.paid() && q != null) {
        (s.priceFinal() ? known : caps).merge(q.currencyCode(), q, Money::plus);
      }
    }
    String price = String.join(" + ", known.values().stream().map(Money::toString).toList())
        + (caps.isEmpty() ? "" : (known.isEmpty() ? "" : " + ") + "up to "
            + String.join(" + ", caps.values().stream().map(Money::toString).toList()));
    WorkerApp app = ctx.request().app();
    String subject = app != null ? app.name() : "project " + ctx.request().project();
    ApprovalDecision decision = ctx.checkpoint(CheckpointRequest.confirm(CheckpointKind.PLAN_APPROVAL,
        "Approve the plan for " + subject + " at " + ctx.request().provider() + (price.isEmpty() ? "" : " — " + price),
        "agent " + ctx.agent() + (app != null ? " asks to provision and deploy " + app.name()
            : " asks to provision " + String.join(", ", ctx.plan().steps().stream().filter(s -> s.serviceId() != null)
                .map(s -> String.valueOf(s.serviceId())).toList()) + " in " + subject))
        .withCost(total.size() == 1 ? total.get(0) : null).withDetails(details));
    List<Quote> approved = new ArrayList<>();
    for (PlannedStep s : steps) {
      Money q = s.quote();
      if (s.paid() && q != null) {
        approved.add(new Quote(s.id(), q));
      }
    }
    return new Approval(true, decision.approver(), approved);
  }

  @Override
  public @Nullable String summary(Approval out) {
    return null;
  }
}
