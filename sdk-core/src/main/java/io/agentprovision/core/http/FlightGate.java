package io.agentprovision.core.http;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The places for requests in flight to one endpoint ({@link ResiliencePolicy#maxConcurrentRequests()}),
 * handed out first come, first served. A caller that finds none free queues once and keeps its
 * place while it wakes now and then to see whether its call was cancelled; a place given back goes
 * straight to the head of the line.
 *
 * <p>Why not a fair {@link java.util.concurrent.Semaphore} with a timed {@code tryAcquire} per wake-up
 * (as before): each timed-out acquire leaves the queue and walks it to unlink itself, then joins
 * again at its tail. With a handful of waiting step threads that cost nothing; on virtual threads a
 * fleet has every run's request waiting (hundreds), each walking the whole queue four times a second,
 * and a waiter that woke lost its turn to every later one.
 */
final class FlightGate {
  /** How long a waiter parks before it looks whether its call was cancelled (okhttp's cancel wakes no one). */
  static final long WAKE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Waiter> line = new ArrayDeque<>();
  private final int places;
  private final long wakeNanos;
  private int free;

  /** What a waiter ended with. */
  enum Outcome {
    ENTERED, DEADLINE, CANCELLED
  }

  private static final class Waiter {
    final Thread thread = Thread.currentThread();
    volatile boolean granted; // set under the lock, read without it between parks
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

  /** Takes a place if one is free and nobody is waiting for one (a newcomer never passes the line). */
  boolean tryEnter() {
    lock.lock();
    try {
      if (free > 0 && line.isEmpty()) {
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
   * {@code cancelled} says so; a place granted while the waiter gave up is passed on, never lost.
   *
   * @throws InterruptedException when the thread is interrupted while it waits (it then holds no place)
   */
  Outcome enter(long deadlineNanos, BooleanSupplier cancelled) throws InterruptedException {
    Waiter w = new Waiter();
    lock.lock();
    try {
      if (free > 0 && line.isEmpty()) {
        free--;
        return Outcome.ENTERED;
      }
      line.addLast(w);
    } finally {
      lock.unlock();
    }
    Outcome outcome = Outcome.ENTERED;
    boolean interrupted = false;
    while (!w.granted) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        outcome = Outcome.DEADLINE;
        break;
      }
      LockSupport.parkNanos(this, Math.min(left, wakeNanos));
      if (w.granted) {
        break;
      }
      if (Thread.interrupted()) {
        interrupted = true;
        break;
      }
      if (cancelled.getAsBoolean()) {
        outcome = Outcome.CANCELLED;
        break;
      }
    }
    if (!w.granted) {
      lock.lock();
      try {
        if (!w.granted) {
          line.remove(w);
          if (interrupted) {
            throw new InterruptedException();
          }
          return outcome;
        }
      } finally {
        lock.unlock();
      }
    }
    // granted: the place is the caller's, even when granted in the instant it was giving up
    if (interrupted || outcome != Outcome.ENTERED) {
      leave();
      if (interrupted) {
        throw new InterruptedException();
      }
      return outcome;
    }
    return Outcome.ENTERED;
  }

  /** Gives a place back: to the first in line, else to the free ones. */
  void leave() {
    Waiter next;
    lock.lock();
    try {
      next = line.pollFirst();
      if (next == null) {
        if (free == places) {
          throw new IllegalStateException("a place was given back that was never taken");
        }
        free++;
        return;
      }
      next.granted = true;
    } finally {
      lock.unlock();
    }
    LockSupport.unpark(next.thread);
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
