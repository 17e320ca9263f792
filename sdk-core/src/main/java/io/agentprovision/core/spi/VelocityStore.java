package io.agentprovision.core.spi;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.internal.spend.FileVelocityStore;
import io.agentprovision.core.internal.spend.InMemoryVelocityStore;
import java.nio.file.Path;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityRequest;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Counts what agents create (accounts, paid plans, domains, tokens) against
 * {@link VelocityLimit}s: {@link #record} admits an action under every applicable limit at once or
 * refuses it, before anything is created. Thread-safe; a shared store (the JDBC one of sdk-jdbc) keeps
 * several hosts to one count, a {@link #file(Path) file} store the processes of one machine.
 *
 * <pre>{@code
 * AgentProvisioner.builder()...velocityStore(VelocityStore.inMemory()).build();
 * }</pre>
 */
public interface VelocityStore {
  /** A store in memory, for tests: its counts are lost when the process exits. */
  static VelocityStore inMemory() {
    return new InMemoryVelocityStore();
  }

  /**
   * A store in a directory ({@code velocity.jsonl}, an append-only log forced to disk before an
   * action is admitted), kept across restarts and shared by processes on one machine, as
   * {@link SpendLedger#file(Path)} keeps spend: the counts a restart finds are the counts it left.
   *
   * @throws io.agentprovision.core.AgentProvisionException when the directory cannot be used or its
   *     log holds a line that cannot be read
   */
  static VelocityStore file(Path dir) {
    return FileVelocityStore.open(dir);
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
