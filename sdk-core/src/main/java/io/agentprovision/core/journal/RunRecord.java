package io.agentprovision.core.journal;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.spi.RunJournal;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A run as the {@link RunJournal} keeps it.
 *
 * @param id the run
 * @param agent the acting agent
 * @param provider the provider
 * @param status where it stands
 * @param request the request in the engine's canonical JSON (secrets replaced by vault references)
 * @param createdAt when it was planned
 * @param updatedAt when it last changed
 * @param error why it failed, when it did (never secrets)
 * @param version increases by one on every update (optimistic concurrency)
 */
public record RunRecord(RunId id, AgentId agent, String provider, RunStatus status, String request, Instant createdAt,
    Instant updatedAt, @Nullable String error, long version) {
  public RunRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }

  /** The next version of this record with another status and error. */
  public RunRecord next(RunStatus newStatus, @Nullable String newError, Instant at) {
    return new RunRecord(id, agent, provider, newStatus, request, createdAt, at, newError, version + 1);
  }
}
