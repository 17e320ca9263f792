package io.agentprovision.core.journal;

import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.spi.RunJournal;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A step as the {@link RunJournal} keeps it.
 *
 * @param run the run
 * @param step the step
 * @param status where it stands
 * @param idempotencyKey the key journaled before its first side effect
 * @param attempts how many times it was started
 * @param outputs what it produced, for later steps and for resume (non-secret; credentials are vault keys)
 * @param error why it failed, when it did
 * @param updatedAt when it last changed
 * @param version increases by one on every update (optimistic concurrency)
 */
public record StepRecord(RunId run, StepId step, StepStatus status, @Nullable String idempotencyKey, int attempts,
    Map<String, String> outputs, @Nullable String error, Instant updatedAt, long version) {
  public StepRecord {
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(status, "status");
    outputs = Map.copyOf(outputs);
    Objects.requireNonNull(updatedAt, "updatedAt");
  }

  /** The next version of this record. */
  public StepRecord next(StepStatus newStatus, int newAttempts, Map<String, String> newOutputs, @Nullable String newError,
      Instant at) {
    return new StepRecord(run, step, newStatus, idempotencyKey, newAttempts, newOutputs, newError, at, version + 1);
  }
}
