package io.agentprovision.core.policy;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import java.util.Objects;

/**
 * A spend was refused by {@link SpendPolicy}: nothing was reserved and nothing was charged. Names
 * the limit that refused, the amount asked for, what had already been used and what remains.
 */
public class PolicyViolationException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final String limit;
  private final Money requested;
  private final Money used;
  private final Money remaining;

  public PolicyViolationException(String limit, Money requested, Money used, Money remaining, String detail) {
    super("spend of " + requested + " refused by limit '" + limit + "': " + detail
        + " (used " + used + ", remaining " + remaining + ")");
    this.limit = Objects.requireNonNull(limit, "limit");
    this.requested = Objects.requireNonNull(requested, "requested");
    this.used = Objects.requireNonNull(used, "used");
    this.remaining = Objects.requireNonNull(remaining, "remaining");
  }

  /** The key of the limit that refused, such as {@code "monthly/provider=cloudflare"}. */
  public String limit() {
    return limit;
  }

  /** The amount the step asked to spend. */
  public Money requested() {
    return requested;
  }

  /** What the limit's window had already committed or reserved. */
  public Money used() {
    return used;
  }

  /** What remains under the limit; may be zero. */
  public Money remaining() {
    return remaining;
  }
}
