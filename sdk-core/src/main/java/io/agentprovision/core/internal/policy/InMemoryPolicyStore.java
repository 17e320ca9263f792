package io.agentprovision.core.internal.policy;

import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.spi.PolicyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** {@link PolicyStore} in memory, with the compare-and-set rule of the interface. */
public final class InMemoryPolicyStore implements PolicyStore {
  private final List<PolicyChange> changes = new ArrayList<>();

  @Override
  public synchronized Optional<PolicyChange> current() {
    return changes.isEmpty() ? Optional.empty() : Optional.of(changes.get(changes.size() - 1));
  }

  @Override
  public synchronized boolean append(PolicyChange change) {
    Objects.requireNonNull(change, "change");
    if (change.version() != changes.size() + 1L) {
      return false;
    }
    changes.add(change);
    return true;
  }

  @Override
  public synchronized List<PolicyChange> history() {
    return List.copyOf(changes);
  }

  @Override
  public synchronized String toString() {
    return "InMemoryPolicyStore{version=" + changes.size() + "}";
  }
}
