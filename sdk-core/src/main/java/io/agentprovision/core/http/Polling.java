package io.agentprovision.core.http;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.spi.StepContext;
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
   * Backoff between polls: starts at {@code initial}, doubles, capped at {@code max}.
   *
   * @param initial the first wait
   * @param max the longest wait
   */
  public record Backoff(Duration initial, Duration max) {
    /** One second, doubling to thirty. */
    public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));

    public Backoff {
      Objects.requireNonNull(initial, "initial");
      Objects.requireNonNull(max, "max");
    }

    /** The wait after poll number {@code n} (1-based). */
    public Duration after(int n) {
      Duration d = initial;
      for (int i = 1; i < n && d.compareTo(max) < 0; i++) {
        d = d.multipliedBy(2);
      }
      return d.compareTo(max) > 0 ? max : d;
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
