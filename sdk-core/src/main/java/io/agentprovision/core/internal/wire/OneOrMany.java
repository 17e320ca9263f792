package io.agentprovision.core.internal.wire;

import java.util.List;

/**
 * A member that may hold one value or an array of them (the protocol's {@code paid} is an object or
 * a list of prices); bound by {@link WireJson} either way.
 *
 * @param items the values, in order; one for a single value, empty for null
 */
public record OneOrMany<T>(List<T> items) {
  public OneOrMany {
    items = List.copyOf(items);
  }

  /** Whether the member held an array (as opposed to one value). */
  public boolean isEmpty() {
    return items.isEmpty();
  }
}
