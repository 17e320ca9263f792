package io.agentprovision.core.journal;

import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.spi.RunJournal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A step as the {@link RunJournal} keeps it. What the step produced is one JSON document written by
 * the engine's output codec ({@code output}); what the engine itself tracks while the step runs (the
 * spend reservations it made, the checkpoint decisions it received) has typed fields, so that a store
 * never parses the output and a resumed step finds its reservations and decisions again. Nothing
 * here is secret: credentials are journaled as vault keys.
 *
 * <p>Build one with {@link #builder(RunId, StepId)}; derive the next version with {@link #next(Instant)}:
 *
 * <pre>{@code
 * StepRecord started = StepRecord.builder(run, StepId.of("deploy")).status(StepStatus.RUNNING)
 *     .idempotencyKey(key).attempts(1).updatedAt(now).build();
 * StepRecord done = started.next(later).status(StepStatus.SUCCEEDED).output("{\"app\":{...}}").build();
 * }</pre>
 *
 * <p>The canonical constructor is public because records require it; prefer the builder, which
 * keeps working when a component is added.
 *
 * @param run the run
 * @param step the step
 * @param status where it stands
 * @param idempotencyKey the key journaled before its first side effect
 * @param attempts how many times it was started
 * @param output what it produced, as the engine's JSON, once it succeeded (null before)
 * @param progress what a running step saved before finishing (such as the id of a resource it is
 *     still answering questions for), as the engine's JSON; null when it saved nothing
 * @param reservations the spend-ledger reservations the step made, in the order made
 * @param decisions the checkpoint decisions the step received, by sequence within the step
 * @param error why it failed, when it did
 * @param updatedAt when it last changed
 * @param version increases by one on every update (optimistic concurrency)
 */
public record StepRecord(RunId run, StepId step, StepStatus status, @Nullable String idempotencyKey, int attempts,
    @Nullable String output, @Nullable String progress, List<String> reservations, List<CheckpointDecision> decisions,
    @Nullable String error, Instant updatedAt, long version) {
  public StepRecord {
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(status, "status");
    reservations = List.copyOf(reservations);
    decisions = List.copyOf(decisions);
    Objects.requireNonNull(updatedAt, "updatedAt");
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts must not be negative: " + attempts);
    }
  }

  /** A builder for version 0 of {@code step} of {@code run}, {@link StepStatus#PENDING}, with nothing recorded. */
  public static Builder builder(RunId run, StepId step) {
    return new Builder(run, step);
  }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** A builder for the next version of this record, changed at {@code at}. */
  public Builder next(Instant at) {
    return toBuilder().version(version + 1).updatedAt(at);
  }

  /** The decision recorded for the {@code sequence}-th checkpoint of the step, if any. */
  public Optional<CheckpointDecision> decision(int sequence) {
    for (CheckpointDecision d : decisions) {
      if (d.sequence() == sequence) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /** Builds {@link StepRecord}s. */
  public static final class Builder {
    private final RunId run;
    private final StepId step;
    private StepStatus status = StepStatus.PENDING;
    private @Nullable String idempotencyKey;
    private int attempts;
    private @Nullable String output;
    private @Nullable String progress;
    private List<String> reservations = new ArrayList<>();
    private List<CheckpointDecision> decisions = new ArrayList<>();
    private @Nullable String error;
    private @Nullable Instant updatedAt;
    private long version;

    private Builder(RunId run, StepId step) {
      this.run = Objects.requireNonNull(run, "run");
      this.step = Objects.requireNonNull(step, "step");
    }

    private Builder(StepRecord r) {
      this(r.run, r.step);
      status = r.status;
      idempotencyKey = r.idempotencyKey;
      attempts = r.attempts;
      output = r.output;
      progress = r.progress;
      reservations = new ArrayList<>(r.reservations);
      decisions = new ArrayList<>(r.decisions);
      error = r.error;
      updatedAt = r.updatedAt;
      version = r.version;
    }

    public Builder status(StepStatus s) {
      this.status = Objects.requireNonNull(s, "status");
      return this;
    }

    public Builder idempotencyKey(@Nullable String key) {
      this.idempotencyKey = key;
      return this;
    }

    public Builder attempts(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("attempts must not be negative: " + n);
      }
      this.attempts = n;
      return this;
    }

    /** The step's output as the engine's JSON. */
    public Builder output(@Nullable String json) {
      this.output = json;
      return this;
    }

    /** What a running step saved so far, as the engine's JSON. */
    public Builder progress(@Nullable String json) {
      this.progress = json;
      return this;
    }

    /** Replaces the reservations. */
    public Builder reservations(List<String> ids) {
      this.reservations = new ArrayList<>(ids);
      return this;
    }

    /** Adds a reservation unless it is already listed. */
    public Builder reservation(String id) {
      Objects.requireNonNull(id, "reservation");
      if (!reservations.contains(id)) {
        reservations.add(id);
      }
      return this;
    }

    /** Replaces the decisions. */
    public Builder decisions(List<CheckpointDecision> list) {
      this.decisions = new ArrayList<>(list);
      return this;
    }

    /** Records a decision, replacing one recorded before with the same sequence. */
    public Builder decision(CheckpointDecision d) {
      Objects.requireNonNull(d, "decision");
      decisions.removeIf(x -> x.sequence() == d.sequence());
      decisions.add(d);
      decisions.sort(java.util.Comparator.comparingInt(CheckpointDecision::sequence));
      return this;
    }

    public Builder error(@Nullable String e) {
      this.error = e;
      return this;
    }

    public Builder updatedAt(Instant at) {
      this.updatedAt = Objects.requireNonNull(at, "updatedAt");
      return this;
    }

    public Builder version(long v) {
      this.version = v;
      return this;
    }

    /** @throws NullPointerException when {@code updatedAt} was never set */
    public StepRecord build() {
      return new StepRecord(run, step, status, idempotencyKey, attempts, output, progress, reservations, decisions, error,
          Objects.requireNonNull(updatedAt, "updatedAt"), version);
    }
  }
}
