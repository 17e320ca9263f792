package io.agentprovision.core.http;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.spi.StepContext;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Polls until something is done, with exponential backoff, in the step's virtual time: every wait
 * goes through {@link StepContext#sleeper()}, every wait is reported as progress, and the step's
 * {@link StepContext#deadline()} ends it. Used for pending resources, connection requests and
 * registrar workflows.
 *
 * <pre>{@code
 * ResourceState done = Polling.until(ctx, "resource " + id,
 *     () -> fetch(id), s -> s.status() != ResourceStatus.PENDING, Polling.Backoff.DEFAULT);
 * }</pre>
 */
public final class Polling {
  private Polling() {}

  /**
   * Backoff between polls: starts at {@code initial}, doubles, capped at {@code max}. The one place
   * the SDK checks a backoff, so every builder that takes one refuses a bad one the same way;
   * the waits come from resilience4j's {@link IntervalFunction}, the same schedule the HTTP
   * retries use.
   *
   * @param initial the first wait; positive
   * @param max the longest wait; at least {@code initial}
   */
  public record Backoff(Duration initial, Duration max) {
    /** One second, doubling to thirty. */
    public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));

    /**
     * @throws InvalidRequestException naming {@code backoff.initial} or {@code backoff.max} when
     *     {@code initial} is not positive or {@code max} is shorter
     */
    public Backoff {
      Objects.requireNonNull(initial, "initial");
      Objects.requireNonNull(max, "max");
      if (initial.isNegative() || initial.isZero()) {
        throw new InvalidRequestException("backoff.initial", "must be positive (was " + initial + ")",
            "pass a first wait such as Duration.ofSeconds(1)");
      }
      if (max.compareTo(initial) < 0) {
        throw new InvalidRequestException("backoff.max", max + " is shorter than the first wait " + initial,
            "pass a max at least as long, such as new Polling.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30))");
      }
    }

    /** The wait after poll number {@code n} (1-based). */
    public Duration after(int n) {
      return Duration.ofMillis(intervals(initial, max).apply(attempt(n)));
    }

    /**
     * {@code n} within 1 to 64: resilience4j multiplies once per attempt, and by the 64th doubling
     * every wait is at its cap, so later attempts need not be counted out.
     */
    static int attempt(int n) {
      return Math.max(1, Math.min(n, 64));
    }

    /**
     * resilience4j's exponential schedule from {@code initial} doubling to {@code max}, in
     * milliseconds; {@link io.agentprovision.core.http.ResiliencePolicy} uses it for HTTP retries.
     */
    static IntervalFunction intervals(Duration initial, Duration max) {
      return IntervalFunction.ofExponentialBackoff(initial, 2.0, max);
    }
  }

  /**
   * Calls {@code poll} until {@code done} accepts its result, waiting with {@code backoff} between
   * calls; the first call is made at once.
   *
   * @throws AgentProvisionException (retryable) when the step's deadline passes first
   */
  public static <T> T until(StepContext ctx, String what, Supplier<T> poll, Predicate<? super T> done, Backoff backoff) {
    return until(ctx, what, poll, done, backoff, ctx.deadline());
  }

  /**
   * Like {@link #until(StepContext, String, Supplier, Predicate, Backoff)}, giving up at
   * {@code deadline} or the step's deadline, whichever comes first. Each poll is one attempt: a
   * call inside {@code poll} that fails ends the polling with its exception (retrying a failed call
   * is the HTTP stack's job, not the poll's).
   *
   * @throws AgentProvisionException (retryable) when the deadline passes first
   */
  public static <T> T until(StepContext ctx, String what, Supplier<T> poll, Predicate<? super T> done, Backoff backoff,
      Instant deadline) {
    Objects.requireNonNull(deadline, "deadline");
    Instant end = deadline.isBefore(ctx.deadline()) ? deadline : ctx.deadline();
    int n = 0;
    while (true) {
      T value = poll.get();
      n++;
      if (done.test(value)) {
        return value;
      }
      Duration wait = backoff.after(n);
      Instant now = ctx.clock().instant();
      if (!now.plus(wait).isBefore(end)) {
        throw new AgentProvisionException(what + " was still not done at the " + (end.equals(ctx.deadline()) ? "step " : "")
            + "deadline " + end + " after " + n + " checks; resume the run later to continue waiting", null, true);
      }
      ctx.progress(what + ": waiting " + wait.toMillis() + " ms (check " + n + ")");
      try {
        ctx.sleeper().sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AgentProvisionException("interrupted while waiting for " + what, e, true);
      }
    }
  }
}
