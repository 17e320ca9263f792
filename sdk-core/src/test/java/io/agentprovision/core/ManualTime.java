package io.agentprovision.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * A clock that moves only when told, and a {@link Sleeper} that records each wait and moves the
 * clock by it instead of blocking. sdk-core's own tests cannot use sdk-testing's VirtualTime
 * (sdk-testing depends on sdk-core), so this is its small in-module counterpart.
 */
public final class ManualTime extends Clock implements Sleeper {
  private Instant now;
  private final List<Duration> sleeps = new ArrayList<>();

  public ManualTime(Instant start) {
    this.now = start;
  }

  public static ManualTime at(String isoInstant) {
    return new ManualTime(Instant.parse(isoInstant));
  }

  @Override
  public synchronized Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("tests use UTC");
  }

  public synchronized void advance(Duration d) {
    now = now.plus(d);
  }

  public synchronized void set(Instant t) {
    now = t;
  }

  @Override
  public synchronized void sleep(Duration duration) {
    sleeps.add(duration);
    now = now.plus(duration);
  }

  /** Every wait asked for, in order. */
  public synchronized List<Duration> sleeps() {
    return List.copyOf(sleeps);
  }
}
