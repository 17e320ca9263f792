package io.agentprovision.core.policy;

import io.agentprovision.core.Money;
import java.util.Objects;

/**
 * How much of one limit's bucket is used.
 *
 * @param limit the limit
 * @param bucket which bucket of it, such as {@code "provider=cloudflare"}
 * @param window the time window
 * @param used committed plus reserved, including the reservation this usage was computed for, if any
 */
public record LimitUsage(SpendLimit limit, String bucket, SpendInterval.Window window, Money used) {
  public LimitUsage {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(used, "used");
  }

  /** What remains under the limit (zero or more). */
  public Money remaining() {
    Money r = limit.amount().minus(used);
    return r.isNegative() ? Money.zero(r.currency()) : r;
  }

  /** Used as a whole percentage of the limit, rounded down; 100 for a zero limit with any use. */
  public int percentUsed() {
    long max = limit.amount().minorUnits();
    if (max == 0) {
      return used.isPositive() ? 100 : 0;
    }
    return (int) Math.min(Integer.MAX_VALUE, used.minorUnits() * 100 / max);
  }
}
