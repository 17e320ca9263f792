package io.agentprovision.core.http;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The places for requests in flight to one endpoint ({@link ResiliencePolicy#maxConcurrentRequests()}).
 * A caller that finds none free waits in line and keeps its place while it wakes now and then to
 * see whether its call was cancelled; a place given back wakes the first in line, who takes it
 * unless a caller arriving at that instant took it first (then the first in line stays first).
 *
 * <p>Why not a fair {@link java.util.concurrent.Semaphore} with a timed {@code tryAcquire} per wake-up
 * (as before): each timed-out acquire leaves the queue and walks it to unlink itself, then joins
 * again at its tail. With a handful of waiting step threads that cost nothing; on virtual threads a
 * fleet has every run's request waiting (hundreds), each walking the whole queue four times a second,
 * and a waiter that woke lost its turn to every later one. Why a caller arriving when a place is free
 * may take it before the one woken for it: a woken virtual thread runs only when a carrier is free,
 * and on a busy host the place would stay empty until then, which costs every request in line.
 */
final class FlightGate {
  /** How long a waiter parks before it looks whether its call was cancelled (okhttp's cancel wakes no one). */
  static final long WAKE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Thread> line = new ArrayDeque<>();
  private final int places;
  private final long wakeNanos;
  private int free;

  /** What a waiter ended with. */
  enum Outcome {
    ENTERED, DEADLINE, CANCELLED
  }

  FlightGate(int places) {
    this(places, WAKE_NANOS);
  }

  FlightGate(int places, long wakeNanos) {
    if (places < 1) {
      throw new IllegalArgumentException("places must be at least 1, was " + places);
    }
    this.places = places;
    this.free = places;
    this.wakeNanos = wakeNanos;
  }

  /** Takes a place if one is free now. */
  boolean tryEnter() {
    lock.lock();
    try {
      if (free > 0) {
        free--;
        return true;
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes a place, waiting in line until {@code deadlineNanos} ({@link System#nanoTime()}) or until
   * {@code cancelled} says so.
   *
   * @throws InterruptedException when the thread is interrupted while it waits (it then holds no place)
   */
  Outcome enter(long deadlineNanos, BooleanSupplier cancelled) throws InterruptedException {
    Thread me = Thread.currentThread();
    lock.lock();
    try {
      if (free > 0) {
        free--;
        return Outcome.ENTERED;
      }
      line.addLast(me);
    } finally {
      lock.unlock();
    }
    while (true) {
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        LockSupport.parkNanos(this, Math.min(left, wakeNanos));
      }
      Thread wake = null;
      lock.lock();
      try {
        if (free > 0 && line.peekFirst() == me) {
          free--;
          line.pollFirst();
          // places given back twice before this waiter woke: the next in line need not wait for its own wake-up
          wake = free > 0 ? line.peekFirst() : null;
          return Outcome.ENTERED;
        }
        boolean interrupted = Thread.interrupted();
        Outcome gaveUp = interrupted ? Outcome.CANCELLED
            : deadlineNanos - System.nanoTime() <= 0 ? Outcome.DEADLINE
            : cancelled.getAsBoolean() ? Outcome.CANCELLED : null;
        if (gaveUp != null) {
          boolean wasFirst = line.peekFirst() == me;
          line.remove(me);
          // a place freed for the first in line must not wait for the next one's own wake-up
          wake = wasFirst && free > 0 ? line.peekFirst() : null;
          if (interrupted) {
            throw new InterruptedException();
          }
          return gaveUp;
        }
      } finally {
        lock.unlock();
        if (wake != null) {
          LockSupport.unpark(wake);
        }
      }
    }
  }

  /** Gives a place back, waking the first in line. */
  void leave() {
    Thread first;
    lock.lock();
    try {
      if (free == places) {
        throw new IllegalStateException("a place was given back that was never taken");
      }
      free++;
      first = line.peekFirst();
    } finally {
      lock.unlock();
    }
    if (first != null) {
      LockSupport.unpark(first);
    }
  }

  /** Places free now (for tests: every place taken is given back). */
  int free() {
    lock.lock();
    try {
      return free;
    } finally {
      lock.unlock();
    }
  }

  /** Callers waiting in line now. */
  int waiting() {
    lock.lock();
    try {
      return line.size();
    } finally {
      lock.unlock();
    }
  }
}
