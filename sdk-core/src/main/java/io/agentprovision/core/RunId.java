package io.agentprovision.core;

import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * One provisioning run: the unit that is planned, executed, journaled and resumed.
 *
 * <p>Values start with a letter or digit and hold letters, digits and {@code . _ : @ / + -}, up to
 * 200 characters.
 */
public final class RunId implements Comparable<RunId>, Serializable {
  private static final long serialVersionUID = 1L;

  private final String value;

  private RunId(String value) {
    this.value = value;
  }

  /** Validates and wraps {@code value}; throws {@link InvalidRequestException} if it is not a valid id. */
  public static RunId of(String value) {
    return new RunId(Ids.check("runId", value));
  }

  public String value() {
    return value;
  }

  @Override
  public int compareTo(RunId o) {
    return value.compareTo(o.value);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof RunId other && other.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value;
  }
}
