package io.agentprovision.core.policy;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One change of the spend policy as a {@link io.agentprovision.core.spi.PolicyStore} keeps it: the
 * policy before and after, who asked, who approved (when loosening needed a person), why and when.
 * The latest change's {@link #after()} is the policy in force; its {@link #version()} is what the
 * next change must follow.
 *
 * @param version 1 for the first policy stored, then consecutive
 * @param before the policy it replaced, or null for the first
 * @param after the policy it put in force
 * @param changedBy who asked: an agent id, or {@link #CONFIGURATION} for the policy a host was built with
 * @param approvedBy who approved a loosening, or null when none was needed
 * @param reason why, as the requester gave it
 * @param at when
 */
public record PolicyChange(long version, @Nullable SpendPolicy before, SpendPolicy after, String changedBy,
    @Nullable String approvedBy, String reason, Instant at) {
  /** {@link #changedBy()} of the policy a provisioner's builder put into an empty store. */
  public static final String CONFIGURATION = "configuration";

  public PolicyChange {
    if (version < 1) {
      throw new IllegalArgumentException("policy versions count from 1: " + version);
    }
    if ((version == 1) != (before == null)) {
      throw new IllegalArgumentException("the first policy (and only it) has no policy before it");
    }
    Objects.requireNonNull(after, "after");
    Objects.requireNonNull(changedBy, "changedBy");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(at, "at");
  }

  /** The first policy of a store. */
  public static PolicyChange first(SpendPolicy policy, String changedBy, String reason, Instant at) {
    return new PolicyChange(1, null, policy, changedBy, null, reason, at);
  }

  /** The change that follows this one, replacing its policy with {@code next}. */
  public PolicyChange next(SpendPolicy next, String by, @Nullable String approver, String why, Instant when) {
    return new PolicyChange(version + 1, after, next, by, approver, why, when);
  }
}
