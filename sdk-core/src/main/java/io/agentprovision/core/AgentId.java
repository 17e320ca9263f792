package io.agentprovision.core;

import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * The agent acting for a human, such as a coding-agent session. Recorded on every audit entry and used to scope per-agent spend limits.
 *
 * <p>Values start with a letter or digit and hold letters, digits and {@code . _ : @ / + -}, up to
 * 200 characters.
 */
public final class AgentId implements Comparable<AgentId>, Serializable {
  private static final long serialVersionUID = 1L;

  private final String value;

  private AgentId(String value) {
    this.value = value;
  }

  /** Validates and wraps {@code value}; throws {@link InvalidRequestException} if it is not a valid id. */
  public static AgentId of(String value) {
    return new AgentId(Ids.check("agent", value));
  }

  public String value() {
    return value;
  }

  @Override
  public int compareTo(AgentId o) {
    return value.compareTo(o.value);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof AgentId other && other.value.equals(value);
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
