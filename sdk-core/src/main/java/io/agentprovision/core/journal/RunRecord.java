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
 * <pre>{@code
 * RunRecord planned = RunRecord.builder(run, agent, "cloudflare", requestJson).createdAt(now).build();
 * RunRecord running = planned.next(RunStatus.RUNNING, null, later);
 * }</pre>
 *
 * <p>The canonical constructor is public because records require it; prefer the builder.
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

  /** A builder for version 0 of a {@link RunStatus#PLANNED} run. */
  public static Builder builder(RunId id, AgentId agent, String provider, String request) {
    return new Builder(id, agent, provider, request);
  }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    return new Builder(id, agent, provider, request).status(status).createdAt(createdAt).updatedAt(updatedAt)
        .error(error).version(version);
  }

  /** The next version of this record with another status and error. */
  public RunRecord next(RunStatus newStatus, @Nullable String newError, Instant at) {
    return new RunRecord(id, agent, provider, newStatus, request, createdAt, at, newError, version + 1);
  }

  /** Builds {@link RunRecord}s; {@code updatedAt} defaults to {@code createdAt}. */
  public static final class Builder {
    private final RunId id;
    private final AgentId agent;
    private final String provider;
    private final String request;
    private RunStatus status = RunStatus.PLANNED;
    private @Nullable Instant createdAt;
    private @Nullable Instant updatedAt;
    private @Nullable String error;
    private long version;

    private Builder(RunId id, AgentId agent, String provider, String request) {
      this.id = Objects.requireNonNull(id, "id");
      this.agent = Objects.requireNonNull(agent, "agent");
      this.provider = Objects.requireNonNull(provider, "provider");
      this.request = Objects.requireNonNull(request, "request");
    }

    public Builder status(RunStatus s) {
      this.status = Objects.requireNonNull(s, "status");
      return this;
    }

    public Builder createdAt(Instant at) {
      this.createdAt = Objects.requireNonNull(at, "createdAt");
      return this;
    }

    public Builder updatedAt(Instant at) {
      this.updatedAt = Objects.requireNonNull(at, "updatedAt");
      return this;
    }

    public Builder error(@Nullable String e) {
      this.error = e;
      return this;
    }

    public Builder version(long v) {
      this.version = v;
      return this;
    }

    /** @throws NullPointerException when {@code createdAt} was never set */
    public RunRecord build() {
      Instant created = Objects.requireNonNull(createdAt, "createdAt");
      return new RunRecord(id, agent, provider, status, request, created, updatedAt != null ? updatedAt : created, error,
          version);
    }
  }
}
