package io.agentprovision.core;

import java.time.Duration;

/**
 * Waits. Every wait in the SDK (polling a pending resource, backing off after a 429) goes through a
 * {@code Sleeper}, so tests can substitute one that advances a virtual clock instead of blocking.
 */
@FunctionalInterface
public interface Sleeper {
  /** Blocks the calling thread with {@link Thread#sleep}. */
  Sleeper SYSTEM = d -> {
    if (!d.isNegative() && !d.isZero()) {
      Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
    }
  };

  /** Waits for {@code duration}; throws when the thread is interrupted, as cancellation does. */
  void sleep(Duration duration) throws InterruptedException;
}
