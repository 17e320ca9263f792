package io.agentprovision.testing;

import io.agentprovision.core.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A clock that stands still until told to move, and a {@link Sleeper} that moves it instead of
 * blocking: a poll that "waits" 30 seconds returns at once with the clock 30 seconds later. Pass
 * the same instance as the SDK's clock and sleeper. Thread-safe.
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.at(Instant.parse("2026-11-01T10:00:00Z"));
 * AgentProvisioner p = AgentProvisioner.builder().clock(time).sleeper(time)...;
 * time.advance(Duration.ofDays(31));   // into the next month's budget window
 * }</pre>
 */
public final class VirtualTime extends Clock implements Sleeper {
  /** The instant {@link #create()} starts at. */
  public static final Instant DEFAULT_START = Instant.parse("2026-11-02T09:00:00Z");

  private final ZoneId zone;
  private final Object lock = new Object();
  private Instant now;
  private final List<Duration> sleeps = new ArrayList<>();

  private VirtualTime(Instant start, ZoneId zone) {
    this.now = start;
    this.zone = zone;
  }

  /** Starts at {@link #DEFAULT_START}, in UTC. */
  public static VirtualTime create() {
    return at(DEFAULT_START);
  }

  public static VirtualTime at(Instant start) {
    return new VirtualTime(Objects.requireNonNull(start, "start"), ZoneOffset.UTC);
  }

  @Override
  public Instant instant() {
    synchronized (lock) {
      return now;
    }
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId z) {
    VirtualTime t = new VirtualTime(instant(), z);
    return t;
  }

  /** Moves the clock forward. */
  public Instant advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("time does not go backwards: " + d);
    }
    synchronized (lock) {
      now = now.plus(d);
      return now;
    }
  }

  /** Records the wait and moves the clock by it; never blocks. */
  @Override
  public void sleep(Duration duration) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted before a virtual sleep");
    }
    synchronized (lock) {
      sleeps.add(duration);
      now = now.plus(duration.isNegative() ? Duration.ZERO : duration);
    }
  }

  /** Every wait requested so far, in order. */
  public List<Duration> sleeps() {
    synchronized (lock) {
      return List.copyOf(sleeps);
    }
  }

  /** The sum of every wait requested so far. */
  public Duration totalSlept() {
    synchronized (lock) {
      return sleeps.stream().reduce(Duration.ZERO, Duration::plus);
    }
  }

  @Override
  public String toString() {
    return "VirtualTime{" + instant() + "}";
  }
}
