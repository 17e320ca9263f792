package io.agentprovision.core.spi;

import io.agentprovision.core.internal.policy.FilePolicyStore;
import io.agentprovision.core.internal.policy.InMemoryPolicyStore;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.policy.SpendPolicy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps the spend policy in force and every change made to it (before, after, who, when, approved
 * by), so that a restarted host, and every host sharing the store, applies the same policy.
 * {@code AgentProvisioner.builder().policyStore(store)} reads the policy from it (the builder's
 * {@code spendPolicy(..)} seeds an empty store) and {@code updateSpendPolicy} writes through it.
 * Thread-safe.
 *
 * <p>Writes are compare-and-set on the version, as the run journal's are: {@link #append} stores a
 * change only if it follows the latest one, so two hosts changing the policy at once never lose one
 * of the changes silently (the second is refused and asks again).
 *
 * <pre>{@code
 * PolicyStore policies = PolicyStore.file(Path.of("/var/lib/myapp/policy.jsonl"));
 * AgentProvisioner p = AgentProvisioner.builder().policyStore(policies).spendPolicy(initial)...build();
 * for (PolicyChange c : policies.history()) System.out.println(c.version() + " " + c.changedBy() + " " + c.after());
 * }</pre>
 */
public interface PolicyStore {
  /** A store in memory, for tests and short-lived hosts: gone when the process exits. */
  static PolicyStore inMemory() {
    return new InMemoryPolicyStore();
  }

  /**
   * A store in one JSON-lines file, one change per line, each appended and forced to disk under an
   * OS file lock (several processes on one machine may share it). Creates the file and its
   * directories on the first change.
   *
   * @throws io.agentprovision.core.AgentProvisionException when the file cannot be used
   */
  static PolicyStore file(Path file) {
    return FilePolicyStore.open(file);
  }

  /** The latest change (its {@link PolicyChange#after()} is the policy in force), or empty when none is stored. */
  Optional<PolicyChange> current();

  /**
   * Stores {@code change} if its version follows the latest one (1 when the store is empty);
   * returns whether it did.
   */
  boolean append(PolicyChange change);

  /** Every change, oldest first. */
  List<PolicyChange> history();

  /**
   * The latest change, after storing {@code initial} as version 1 if the store is empty (by
   * {@code changedBy}, for {@code reason}, at {@code at}). Of several hosts seeding an empty store at
   * once, one policy wins and every host returns it.
   */
  default PolicyChange seed(SpendPolicy initial, String changedBy, String reason, Instant at) {
    Objects.requireNonNull(initial, "initial");
    while (true) {
      Optional<PolicyChange> c = current();
      if (c.isPresent()) {
        return c.get();
      }
      PolicyChange first = PolicyChange.first(initial, changedBy, reason, at);
      if (append(first)) {
        return first;
      }
    }
  }
}
