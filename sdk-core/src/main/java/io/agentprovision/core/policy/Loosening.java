package io.agentprovision.core.policy;

import java.util.Objects;

/**
 * One way in which a proposed {@link SpendPolicy} may admit more spend, or ask people less, than the
 * policy in force: what {@link SpendPolicy#loosens} finds. Any loosening makes a policy change a
 * raise, which a person approves ({@link io.agentprovision.core.approval.CheckpointKind#RAISE_LIMIT}).
 *
 * @param aspect what part of the policy it is
 * @param description a line for the person, such as {@code "raises limit monthly/global from USD 20.00 to USD 50.00"}
 */
public record Loosening(Aspect aspect, String description) {
  /** The parts of a policy that can be loosened. */
  public enum Aspect {
    /** A limit's amount is higher. */
    LIMIT_RAISED,
    /**
     * A limit is gone: removed, or given another interval, scope, provider, agent or currency (a
     * limit with any of those changed is another limit, and the old one no longer holds).
     */
    LIMIT_REMOVED,
    /** Spends up to a higher amount are approved without a person. */
    APPROVAL_THRESHOLD_RAISED,
    /** A checkpoint no longer needs a second factor. */
    MFA_DROPPED,
    /** An older sign-in passes for a step-up. */
    STEP_UP_MAX_AGE_LONGER,
    /** A budget alert no longer fires. */
    ALERT_DROPPED,
    /** Calendar windows start at another midnight: spend already counted in one window may fall out of it. */
    ZONE_CHANGED,
    /** An unsettled reservation, and the payment authorisation made for it, stays valid longer. */
    RESERVATION_TTL_LONGER,
    /** A velocity limit admits more in its window. */
    VELOCITY_LIMIT_RAISED,
    /** A velocity limit is gone (removed, or given another window or scope). */
    VELOCITY_LIMIT_REMOVED
  }

  public Loosening {
    Objects.requireNonNull(aspect, "aspect");
    Objects.requireNonNull(description, "description");
  }

  @Override
  public String toString() {
    return description;
  }
}
