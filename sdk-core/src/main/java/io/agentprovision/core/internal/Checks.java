package io.agentprovision.core.internal;

import io.agentprovision.core.InvalidRequestException;
import java.time.Duration;
import java.util.Objects;

/** Argument checks the builders share, each failing with an {@link InvalidRequestException} that names the field. */
public final class Checks {
  private Checks() {}

  /** {@code d}, if it is above zero. */
  public static Duration positive(String field, Duration d) {
    Objects.requireNonNull(d, field);
    if (d.isNegative() || d.isZero()) {
      throw new InvalidRequestException(field, "must be positive (was " + d + ")", "pass a positive duration");
    }
    return d;
  }

  /** {@code d}, if it is zero or more. */
  public static Duration nonNegative(String field, Duration d) {
    Objects.requireNonNull(d, field);
    if (d.isNegative()) {
      throw new InvalidRequestException(field, "must not be negative (was " + d + ")", "pass a duration of zero or more");
    }
    return d;
  }

  /** {@code d}, if it lies in {@code [min, max]}. */
  public static Duration within(String field, Duration d, Duration min, Duration max) {
    Objects.requireNonNull(d, field);
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new InvalidRequestException(field, "must be between " + min + " and " + max + " (was " + d + ")",
          "pass a duration in that range");
    }
    return d;
  }
}
