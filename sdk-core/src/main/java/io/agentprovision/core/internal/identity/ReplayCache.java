package io.agentprovision.core.internal.identity;

import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The single-use ID tokens one issuer's verifier has accepted, each kept until it expires, so that
 * the same token presented again is refused. Bounded: when full, expired entries go first, then the
 * one that expires soonest (the token least useful to an attacker). Time is always passed in, so
 * the caller's injected clock rules. Thread-safe.
 */
public final class ReplayCache {
  private final int capacity;
  private final Map<String, Instant> until = new LinkedHashMap<>();

  public ReplayCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
    }
    this.capacity = capacity;
  }

  /** Whether {@code key} was recorded and has not yet expired at {@code now}. */
  public synchronized boolean seen(String key, Instant now) {
    Instant end = until.get(key);
    return end != null && now.isBefore(end);
  }

  /** Remembers {@code key} until {@code expiresAt}. */
  public synchronized void record(String key, Instant expiresAt, Instant now) {
    if (until.size() >= capacity && !until.containsKey(key)) {
      until.values().removeIf(end -> !now.isBefore(end));
    }
    if (until.size() >= capacity && !until.containsKey(key)) {
      Iterator<Map.Entry<String, Instant>> it = until.entrySet().iterator();
      Map.Entry<String, Instant> soonest = it.next();
      while (it.hasNext()) {
        Map.Entry<String, Instant> e = it.next();
        if (e.getValue().isBefore(soonest.getValue())) {
          soonest = e;
        }
      }
      until.remove(soonest.getKey());
    }
    until.put(key, expiresAt);
  }

  /** How many tokens are remembered. */
  public synchronized int size() {
    return until.size();
  }
}
