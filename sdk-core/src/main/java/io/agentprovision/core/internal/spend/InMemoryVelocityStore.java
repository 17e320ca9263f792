package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.policy.VelocityRequest;
import io.agentprovision.core.spi.VelocityStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@link VelocityStore} in memory. One lock makes each {@link #record} atomic against all its
 * limits. Actions are kept per (action, bucket) in the order they were counted; counting a window
 * reads the tail of that list, and entries older than the longest window ever asked about are
 * dropped as new ones arrive, so memory follows the rate, not the history.
 */
public final class InMemoryVelocityStore implements VelocityStore {
  private record Entry(String id, Instant at) {}

  private final Map<String, List<Entry>> byBucket = new HashMap<>();
  /** Each counted id, with the buckets it was counted in. */
  private final Map<String, List<String>> counted = new HashMap<>();
  private java.time.Duration longest = java.time.Duration.ZERO;

  @Override
  public synchronized void record(VelocityRequest request) {
    Objects.requireNonNull(request, "request");
    if (counted.containsKey(request.id())) {
      return;
    }
    List<String> buckets = new ArrayList<>();
    for (VelocityLimit limit : request.limits()) {
      if (limit.action() != request.action()) {
        continue;
      }
      String bucket = limit.bucket(request.agent(), request.principal());
      if (bucket == null) {
        continue;
      }
      List<Entry> entries = byBucket.getOrDefault(key(request.action(), bucket), List.of());
      List<Entry> inWindow = within(entries, limit, request.at());
      if (inWindow.size() + 1 > limit.max()) {
        Instant next = inWindow.isEmpty() ? null : inWindow.get(inWindow.size() - limit.max()).at().plus(limit.window());
        throw new VelocityLimitException(request.action(), limit.key(), bucket, inWindow.size(), limit.max(),
            limit.max() == 0 ? null : next);
      }
      if (!buckets.contains(bucket)) {
        buckets.add(bucket);
      }
      if (limit.window().compareTo(longest) > 0) {
        longest = limit.window();
      }
    }
    for (String bucket : buckets) {
      List<Entry> entries = byBucket.computeIfAbsent(key(request.action(), bucket), k -> new ArrayList<>());
      entries.add(new Entry(request.id(), request.at()));
      prune(entries, request.at());
    }
    counted.put(request.id(), buckets.isEmpty() ? List.of() : buckets.stream()
        .map(b -> key(request.action(), b)).toList());
  }

  /** The bucket keys {@code id} was counted in, or null when it is not counted (for a store that writes them down). */
  synchronized @Nullable List<String> countedKeys(String id) {
    return counted.get(id);
  }

  /** Whether {@code id} is counted. */
  synchronized boolean isCounted(String id) {
    return counted.containsKey(id);
  }

  /**
   * Counts {@code id} at {@code at} in the bucket keys a store wrote down when it was admitted, without
   * judging it again (replaying a log); {@code window} is the longest window it was judged under.
   */
  synchronized void restore(String id, Instant at, List<String> keys, java.time.Duration window) {
    if (counted.containsKey(id)) {
      return;
    }
    for (String k : keys) {
      byBucket.computeIfAbsent(k, x -> new ArrayList<>()).add(new Entry(id, at));
    }
    counted.put(id, List.copyOf(keys));
    if (window.compareTo(longest) > 0) {
      longest = window;
    }
  }

  /** The longest window any limit was judged under so far. */
  synchronized java.time.Duration longestWindow() {
    return longest;
  }

  @Override
  public synchronized void release(String id) {
    List<String> keys = counted.remove(Objects.requireNonNull(id, "id"));
    if (keys == null) {
      return;
    }
    for (String k : keys) {
      List<Entry> entries = byBucket.get(k);
      if (entries != null) {
        entries.removeIf(e -> e.id().equals(id));
      }
    }
  }

  @Override
  public synchronized int count(VelocityLimit limit, AgentId agent, @Nullable String principal, Instant at) {
    String bucket = limit.bucket(agent, principal);
    if (bucket == null) {
      return 0;
    }
    return within(byBucket.getOrDefault(key(limit.action(), bucket), List.of()), limit, at).size();
  }

  /** The entries inside the window {@code (at - window, at]}, oldest first. */
  private static List<Entry> within(List<Entry> entries, VelocityLimit limit, Instant at) {
    Instant from = at.minus(limit.window());
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries) {
      if (e.at().isAfter(from) && !e.at().isAfter(at)) {
        out.add(e);
      }
    }
    return out;
  }

  /** Drops entries no window can count any more (older than the longest window asked about). */
  private void prune(List<Entry> entries, Instant now) {
    Instant horizon = now.minus(longest);
    for (java.util.Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (!e.at().isAfter(horizon)) {
        it.remove();
        counted.remove(e.id());
      }
    }
  }

  private static String key(VelocityAction action, String bucket) {
    return action.name() + "|" + bucket;
  }

  @Override
  public synchronized String toString() {
    return "InMemoryVelocityStore{actions=" + counted.size() + "}";
  }
}
