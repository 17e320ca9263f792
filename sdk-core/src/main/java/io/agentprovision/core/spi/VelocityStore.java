package io.agentprovision.core.spi;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.internal.spend.InMemoryVelocityStore;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityRequest;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Counts what agents create (accounts, paid plans, domains, tokens) against
 * {@link VelocityLimit}s: {@link #record} admits an action under every applicable limit at once or
 * refuses it, before anything is created. Thread-safe; a shared implementation (JDBC, to come) keeps
 * several hosts to one count.
 *
 * <pre>{@code
 * AgentProvisioner.builder()...velocityStore(VelocityStore.inMemory()).build();
 * }</pre>
 */
public interface VelocityStore {
  /** A store in memory. */
  static VelocityStore inMemory() {
    return new InMemoryVelocityStore();
  }

  /**
   * Counts {@code request}'s action if, for every limit in it, the bucket's count in the rolling
   * window ending at {@code request.at()} stays within the limit; otherwise counts nothing. A
   * request whose id was counted before (and not released) is admitted again without counting
   * twice. A per-principal limit of a request without a principal is not judged.
   *
   * @throws io.agentprovision.core.policy.VelocityLimitException naming the first limit that refuses
   */
  void record(VelocityRequest request);

  /** Uncounts an action that did not happen after all (an account linked, not created); unknown ids are ignored. */
  void release(String id);

  /**
   * How many of {@code limit}'s action its bucket for {@code agent} and {@code principal} holds in
   * the window ending at {@code at}; 0 for a per-principal limit without a principal.
   */
  int count(VelocityLimit limit, AgentId agent, @Nullable String principal, Instant at);
}
