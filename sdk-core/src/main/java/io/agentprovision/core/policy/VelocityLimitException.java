package io.agentprovision.core.policy;

import io.agentprovision.core.AgentProvisionException;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link VelocityLimit} refused an action before anything was created: so many had already been
 * created in its window. Says which limit, for whom, how many, and when the window next admits one.
 */
public class VelocityLimitException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final VelocityAction action;
  private final String limit;
  private final String bucket;
  private final int count;
  private final int max;
  private final @Nullable Instant nextAllowedAt;

  public VelocityLimitException(VelocityAction action, String limit, String bucket, int count, int max,
      @Nullable Instant nextAllowedAt) {
    super(action.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " refused by velocity limit '" + limit
        + "' for " + bucket + ": " + count + " of " + max + " already in its window"
        + (nextAllowedAt != null ? "; the next is allowed at " + nextAllowedAt : "")
        + " (raise the limit with updateSpendPolicy, which a person approves, or wait)");
    this.action = Objects.requireNonNull(action, "action");
    this.limit = Objects.requireNonNull(limit, "limit");
    this.bucket = Objects.requireNonNull(bucket, "bucket");
    this.count = count;
    this.max = max;
    this.nextAllowedAt = nextAllowedAt;
  }

  public VelocityAction action() {
    return action;
  }

  /** The key of the limit that refused, such as {@code "create_domain/1d/per-agent"}. */
  public String limit() {
    return limit;
  }

  /** Whose count it was: {@code "host"}, {@code "agent=…"} or {@code "principal=…"}. */
  public String bucket() {
    return bucket;
  }

  /** How many were created in the window already. */
  public int count() {
    return count;
  }

  /** How many the window admits. */
  public int max() {
    return max;
  }

  /** When the oldest counted action leaves the window (null for a limit of zero). */
  public @Nullable Instant nextAllowedAt() {
    return nextAllowedAt;
  }
}
