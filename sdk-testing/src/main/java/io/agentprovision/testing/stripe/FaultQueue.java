package io.agentprovision.testing.stripe;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Fault}s a sandbox still has to inject, each for as many matching requests as it says,
 * in the order they were added. Thread-safe: a sandbox's dispatcher takes from it while the test
 * adds or clears.
 */
public final class FaultQueue {
  private final List<Slot> slots = new ArrayList<>();

  /** Adds {@code fault} after those already waiting. */
  public synchronized void add(Fault fault) {
    slots.add(new Slot(Objects.requireNonNull(fault, "fault")));
  }

  /** Drops every fault still waiting (a test "repairs the network" before a resume). */
  public synchronized void clear() {
    slots.clear();
  }

  /** The first waiting fault for this request, counted as used; null when none applies. */
  public synchronized @Nullable Fault take(String method, String path) {
    for (Iterator<Slot> it = slots.iterator(); it.hasNext(); ) {
      Slot slot = it.next();
      if (slot.fault.matches(method, path)) {
        if (--slot.left == 0) {
          it.remove();
        }
        return slot.fault;
      }
    }
    return null;
  }

  private static final class Slot {
    final Fault fault;
    int left;

    Slot(Fault fault) {
      this.fault = fault;
      this.left = fault.times();
    }
  }
}
