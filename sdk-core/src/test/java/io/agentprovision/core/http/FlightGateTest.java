package io.agentprovision.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The gate for requests in flight to one endpoint. Waiters wake every 100 microseconds here (a
 * request's waiter every 250 ms), so each one wakes many times while it waits: what a wake-up
 * could break (its place in line, a place given back meanwhile), it would break here.
 */
class FlightGateTest {
  private static final long FAR = TimeUnit.MINUTES.toNanos(5);
  private static final long WAKE = TimeUnit.MICROSECONDS.toNanos(100);

  @Test
  void waitersGetPlaces_inTheOrderTheyCame_thoughTheyWakeWhileTheyWait() throws Exception {
    FlightGate gate = new FlightGate(1, WAKE);
    assertThat(gate.tryEnter()).isTrue();
    ConcurrentLinkedQueue<Integer> served = new ConcurrentLinkedQueue<>();
    List<Thread> waiters = new ArrayList<>();
    AtomicInteger[] wakes = new AtomicInteger[8];
    for (int i = 0; i < 8; i++) {
      int me = i;
      wakes[me] = new AtomicInteger();
      Thread t = new Thread(() -> {
        try {
          // the gate asks whether the call was cancelled each time the waiter wakes
          assertThat(gate.enter(System.nanoTime() + FAR, () -> wakes[me].incrementAndGet() < 0))
              .isEqualTo(FlightGate.Outcome.ENTERED);
          served.add(me);
          gate.leave();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      t.start();
      waiters.add(t);
      waitUntil(() -> gate.waiting() == me + 1); // the next one comes only once this one is in line
    }
    for (AtomicInteger w : wakes) {
      waitUntil(() -> w.get() >= 3); // each has woken and parked again, which must not reorder them
    }
    assertThat(gate.tryEnter()).isFalse(); // no place free: a newcomer joins the line, at its end

    gate.leave();
    for (Thread t : waiters) {
      t.join(TimeUnit.MINUTES.toMillis(1));
    }

    assertThat(served).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(gate.free()).isEqualTo(1);
  }

  @Test
  void aCancelledCall_leavesTheLine_withoutAPlace_andTheNextGetsIt() throws Exception {
    FlightGate gate = new FlightGate(1, WAKE);
    assertThat(gate.tryEnter()).isTrue();
    AtomicBoolean cancelled = new AtomicBoolean();
    AtomicInteger outcomes = new AtomicInteger();
    Thread quitter = new Thread(() -> {
      try {
        if (gate.enter(System.nanoTime() + FAR, cancelled::get) == FlightGate.Outcome.CANCELLED) {
          outcomes.incrementAndGet();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    quitter.start();
    waitUntil(() -> gate.waiting() == 1);
    Thread stayer = new Thread(() -> {
      try {
        if (gate.enter(System.nanoTime() + FAR, () -> false) == FlightGate.Outcome.ENTERED) {
          outcomes.addAndGet(10);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    stayer.start();
    waitUntil(() -> gate.waiting() == 2);

    cancelled.set(true);
    quitter.join(TimeUnit.MINUTES.toMillis(1));
    assertThat(gate.waiting()).isEqualTo(1);
    gate.leave();
    stayer.join(TimeUnit.MINUTES.toMillis(1));

    assertThat(outcomes.get()).isEqualTo(11);
    assertThat(gate.free()).isZero(); // the stayer holds the one place
    gate.leave();
    assertThat(gate.free()).isEqualTo(1);
  }

  @Test
  void placesGivenBackWhileTheFirstInLineSleeps_reachTheNextInLineToo() throws Exception {
    // waiters that wake only when woken (never on their own): a freed place left unused would hang them
    FlightGate gate = new FlightGate(2, FAR);
    assertThat(gate.tryEnter()).isTrue();
    assertThat(gate.tryEnter()).isTrue();
    List<Thread> waiters = new ArrayList<>();
    AtomicInteger entered = new AtomicInteger();
    for (int i = 0; i < 2; i++) {
      int me = i;
      Thread t = new Thread(() -> {
        try {
          if (gate.enter(System.nanoTime() + FAR, () -> false) == FlightGate.Outcome.ENTERED) {
            entered.incrementAndGet();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      t.start();
      waiters.add(t);
      waitUntil(() -> gate.waiting() == me + 1);
    }

    gate.leave();
    gate.leave();
    for (Thread t : waiters) {
      t.join(TimeUnit.MINUTES.toMillis(1));
    }

    assertThat(entered.get()).isEqualTo(2);
    assertThat(gate.free()).isZero();
  }

  @Test
  void aWaiterPastItsDeadline_getsNoPlace() throws Exception {
    FlightGate gate = new FlightGate(1, WAKE);
    assertThat(gate.tryEnter()).isTrue();

    assertThat(gate.enter(System.nanoTime() - 1, () -> false)).isEqualTo(FlightGate.Outcome.DEADLINE);

    assertThat(gate.waiting()).isZero();
    assertThat(gate.free()).isZero();
  }

  @Test
  void manyCallersGivingUpAtRandom_neverHoldMoreThanThePlaces_andNoPlaceIsLost() throws Exception {
    // callers that give up (deadline, cancel, interrupt) just as a place is handed to them are where a
    // place could leak (the gate shrinks for good) or be counted twice (more requests in flight than the cap)
    int places = 3;
    FlightGate gate = new FlightGate(places, WAKE);
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger entered = new AtomicInteger();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      Thread t = new Thread(() -> {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int j = 0; j < 2_000; j++) {
          long deadline = System.nanoTime() + (r.nextBoolean() ? FAR : r.nextLong(0, WAKE * 3));
          boolean cancelSoon = r.nextInt(4) == 0;
          long cancelAt = System.nanoTime() + r.nextLong(0, WAKE * 3);
          FlightGate.Outcome o;
          try {
            o = gate.tryEnter() ? FlightGate.Outcome.ENTERED
                : gate.enter(deadline, () -> cancelSoon && System.nanoTime() > cancelAt);
          } catch (InterruptedException e) {
            continue;
          }
          if (o == FlightGate.Outcome.ENTERED) {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            entered.incrementAndGet();
            inside.decrementAndGet();
            gate.leave();
          }
        }
      });
      callers.add(t);
      t.start();
    }
    // interrupts land on callers while they wait, enter or leave
    for (int k = 0; k < 200; k++) {
      callers.get(k % callers.size()).interrupt();
      Thread.onSpinWait();
    }
    for (Thread t : callers) {
      t.join(TimeUnit.MINUTES.toMillis(2));
    }

    assertThat(most.get()).isLessThanOrEqualTo(places);
    assertThat(entered.get()).isPositive();
    assertThat(gate.waiting()).isZero();
    assertThat(gate.free()).isEqualTo(places);
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("the condition never held");
      }
      Thread.sleep(1);
    }
  }
}
