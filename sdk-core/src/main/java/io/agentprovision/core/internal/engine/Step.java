package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Pricing;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One step of a run, in one class: what it is (id, kind, description), what must finish before it
 * ({@link #dependsOn()}), what it costs ({@link #price()}), what it does ({@link #run}), how it is
 * undone when the run fails ({@link #compensate}), and the line its {@code StepFinished} event
 * carries ({@link #summary}). Its result is a record of type {@code O}: later steps read it with
 * {@link StepRun#output(Class)}, and the engine journals it as JSON through {@link OutputCodec}
 * once the step succeeds, so that a resumed run reads it back instead of running the step again.
 *
 * <p>Steps are instances made for one run by a flow ({@link ProvisioningFlow}), from the request and
 * the catalog, and listed in a {@link StepGraph}; they hold only what they were made with, never
 * state of the run (that is in the {@link StepRun} they are given). {@link #run} may be called
 * again for the same run after an interruption: it must reach the same outcome without repeating
 * a side effect, which the journaled idempotency key ({@link StepRun#idempotencyKey()}), the
 * reservations and the recorded checkpoint decisions make possible.
 *
 * @param <O> what the step produces
 */
interface Step<O extends Record> {
  /** Stable across resumes: the journal is keyed by it. */
  StepId id();

  StepKind kind();

  /** The steps that must succeed first; all of them are earlier in the graph. */
  List<StepId> dependsOn();

  /** A line for people, shown in the plan and in the {@code StepStarted} event. */
  String description();

  /** The type of {@link #run}'s result, for reading it back from the journal. */
  Class<O> outputType();

  /** What the step may cost, for the planner to price and judge; null for a step that buys nothing. */
  default @Nullable Price price() {
    return null;
  }

  /**
   * What the step creates that {@link io.agentprovision.core.policy.VelocityLimit}s count (a paid
   * plan, a domain, a token, an account), or null. The planner judges it against the policy's
   * velocity limits; the step counts it with {@link StepRun#velocity()} before creating it.
   */
  default io.agentprovision.core.policy.@Nullable VelocityAction velocity() {
    return null;
  }

  /**
   * The checkpoints the step may put to the approval gate besides those its price brings (the
   * planner adds a step-up and the purchase checkpoint where the policy says so).
   *
   * @param judged every step of the plan, priced and judged by the spend policy
   */
  default List<CheckpointKind> approvals(List<PlannedStep> judged) {
    return List.of();
  }

  /**
   * Whether the step may change something outside the SDK before it ends (a provider call that
   * creates, buys, mints or deploys), so that its start, with its idempotency key, must be on disk
   * before {@link #run} is called. A step that only reads and decides before it ends (identity,
   * plan approval, verification) answers false: its start is journaled without waiting for a disk
   * sync ({@link io.agentprovision.core.spi.RunJournal#saveStepResult}) and the run's next save makes
   * it durable. Lost in a machine crash, the step is found not started and runs on resume, as a step
   * journaled as running would run again.
   */
  default boolean changesBeforeItEnds() {
    return true;
  }

  /** Does the step's work; the result is journaled when it returns. */
  O run(StepRun ctx);

  /** Undoes what {@link #run} did, after the run failed; says what was undone and what cannot be. */
  default Compensation compensate(StepRun ctx, O out) {
    return Compensation.NOTHING;
  }

  /** The line of the {@code StepFinished} event, or null for none. */
  @Nullable String summary(O out);

  /**
   * What a step may cost, as the catalog says it before buying, for the planner to price and judge
   * (see {@link Planner}): a known price or a minimum is judged as it is; a price that is not known
   * before buying (an unknown or estimated price, or one set later by a choice such as a domain's
   * name) is given a cap, the most the policy still admits, which the step reserves and pays with.
   *
   * @param serviceId the catalog service it buys
   * @param checkpoint the checkpoint a human sees when the policy wants one for this purchase
   * @param pricing what the catalog says it costs, already read for the step's configuration and
   *     parent plan ({@link Pricing#forConfiguration}, {@link Pricing#underParent})
   * @param pricedByChoice whether the price is set later by a choice among priced offers (a domain's
   *     name): the plan holds a cap whatever the catalog says
   * @param maximum the most the request allows for this step (a domain's {@code maxPrice}), or null
   * @param billedWithParent whether the service is billed through its parent plan (a component):
   *     nothing is paid when it is created, so nothing is reserved
   */
  record Price(String serviceId, CheckpointKind checkpoint, Pricing pricing, boolean pricedByChoice,
      @Nullable Money maximum, boolean billedWithParent) {
    public Price {
      Objects.requireNonNull(serviceId, "serviceId");
      Objects.requireNonNull(checkpoint, "checkpoint");
      Objects.requireNonNull(pricing, "pricing");
    }

    /** A service priced by its catalog entry. */
    static Price of(String serviceId, CheckpointKind checkpoint, Pricing pricing, boolean billedWithParent) {
      return new Price(serviceId, checkpoint, pricing, false, null, billedWithParent);
    }

    /** Whether the step can cost money at all. */
    boolean paid() {
      return pricing.isPaid();
    }

    /**
     * The price the plan judges as it is: a known price, or a minimum (what buying costs at least:
     * reserved and paid as the price, usage on top billed by the provider later); null when the price
     * is not known before buying and the step holds a cap instead.
     */
    @Nullable Money fixed() {
      if (pricedByChoice || billedWithParent) {
        return null;
      }
      if (pricing.kind() == Pricing.Kind.KNOWN) {
        return pricing.amount();
      }
      return pricing.kind() == Pricing.Kind.MINIMUM ? pricing.minimum() : null;
    }
  }
}
