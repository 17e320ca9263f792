package io.agentprovision.core;

import java.io.Serializable;

/**
 * One step of a run, such as {@code account}, {@code plan:workers:paid} or {@code deploy}. Stable across resumes.
 *
 * <p>Values start with a letter or digit and hold letters, digits and {@code . _ : @ / + -}, up to
 * 200 characters.
 */
public final class StepId implements Comparable<StepId>, Serializable {
  private static final long serialVersionUID = 1L;

  private final String value;

  private StepId(String value) {
    this.value = value;
  }

  /** Validates and wraps {@code value}; throws {@link InvalidRequestException} if it is not a valid id. */
  public static StepId of(String value) {
    return new StepId(Ids.check("stepId", value));
  }

  public String value() {
    return value;
  }

  @Override
  public int compareTo(StepId o) {
    return value.compareTo(o.value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StepId other && other.value.equals(value);
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
