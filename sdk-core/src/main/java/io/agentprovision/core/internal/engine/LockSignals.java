package io.agentprovision.core.internal.engine;

import java.time.Duration;

/**
 * Wakes the runs of this process that wait for a person's lock ({@link PrincipalLock}) when a run
 * of this process releases it, so that a waiter neither spins nor sleeps out an interval: it waits
 * for the release, or at most {@code timeout} of real time before it looks at the journal again (for
 * holders in other processes, and for leases that expired). Waiting this way, rather than through
 * the engine's sleeper, also keeps a virtual clock from racing ahead while runs take turns.
 *
 * <p>One monitor and release count per stripe of lock names: memory stays constant however many
 * people there are, at the price of a waiter sometimes waking for another name's release.
 */
final class LockSignals {
  private static final int STRIPES = 64;
  private static final Stripe[] STRIPE = new Stripe[STRIPES];

  static {
    for (int i = 0; i < STRIPES; i++) {
      STRIPE[i] = new Stripe();
    }
  }

  private LockSignals() {}

  private static final class Stripe {
    private long releases;
  }

  private static Stripe of(String name) {
    return STRIPE[Math.floorMod(name.hashCode(), STRIPES)];
  }

  /** The release count to pass to {@link #await}, read before looking at the lock. */
  static long seen(String name) {
    Stripe s = of(name);
    synchronized (s) {
      return s.releases;
    }
  }

  /** A run of this process released {@code name}. */
  static void released(String name) {
    Stripe s = of(name);
    synchronized (s) {
      s.releases++;
      s.notifyAll();
    }
  }

  /** Waits until a release after {@code seen}, or {@code timeout} of real time; returns whether one came. */
  static boolean await(String name, long seen, Duration timeout) throws InterruptedException {
    Stripe s = of(name);
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (s) {
      while (s.releases == seen) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        s.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }
}
