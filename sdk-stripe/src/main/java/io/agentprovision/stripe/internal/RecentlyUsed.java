package io.agentprovision.stripe.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A map of at most about {@code max} entries, read without a lock, that drops the least recently
 * used when it grows past {@code max}.
 *
 * <p>An access-ordered {@code LinkedHashMap} keeps its order by moving an entry on every read, so
 * each read takes the map's one monitor: in a fleet of concurrent runs every run's lookups queued on
 * it. Here a read stamps its own entry with {@link System#nanoTime()} instead (no field that every
 * reader writes), and order is worked out only when the map outgrows {@code max}: one thread then
 * drops the tenth of the entries with the oldest stamps (others carry on), so that costs a sort per
 * {@code max / 10} additions. Stamps are written without synchronization: a stamp read stale only
 * makes the order among entries used at nearly the same moment arbitrary.
 *
 * @param <K> the key
 * @param <V> the value
 */
public final class RecentlyUsed<K, V> {
  private final int max;
  private final ConcurrentHashMap<K, Slot<V>> map = new ConcurrentHashMap<>();
  private final ReentrantLock trimming = new ReentrantLock();
  private final LongSupplier stamps;
  /** A map that keeps at most about {@code max} entries. */
  public RecentlyUsed(int max) {
    this(max, System::nanoTime);
  }

  /** The same, stamping uses with {@code stamps} (a test's counter) in place of {@link System#nanoTime()}. */
  RecentlyUsed(int max, LongSupplier stamps) {
    this.stamps = stamps;
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1: " + max);
    }
    this.max = max;
  }

  private static final class Slot<V> {
    final V value;
    /** When it was last put or read ({@link System#nanoTime()}); racy by design. */
    long used;

    Slot(V value, long used) {
      this.value = value;
      this.used = used;
    }
  }

  /** The value for {@code key}, now the most recently used; null when there is none. */
  public @Nullable V get(K key) {
    Slot<V> s = map.get(key);
    if (s == null) {
      return null;
    }
    s.used = stamps.getAsLong();
    return s.value;
  }

  /** Keeps {@code value} for {@code key}, as the most recently used. */
  public void put(K key, V value) {
    map.put(key, new Slot<>(value, stamps.getAsLong()));
    if (map.size() > max) {
      trim();
    }
  }

  /** Drops {@code key}'s entry. */
  public void remove(K key) {
    map.remove(key);
  }

  /** Drops {@code key}'s entry if {@code drop} says so of its value, atomically against other changes of that key. */
  public void removeIf(K key, Predicate<? super V> drop) {
    map.computeIfPresent(key, (k, s) -> drop.test(s.value) ? null : s);
  }

  /** How many entries it holds now. */
  public int size() {
    return map.size();
  }

  private void trim() {
    if (!trimming.tryLock()) {
      return; // another thread is trimming: it takes this map back under max
    }
    try {
      int excess = map.size() - max;
      if (excess <= 0) {
        return;
      }
      // each stamp read once: readers keep stamping while this sorts
      List<Seen<K, V>> all = new ArrayList<>(map.size());
      for (Map.Entry<K, Slot<V>> e : map.entrySet()) {
        all.add(new Seen<>(e.getKey(), e.getValue(), e.getValue().used));
      }
      all.sort((a, b) -> Long.compare(a.used - b.used, 0));
      int drop = Math.min(all.size(), excess + Math.max(1, max / 10) - 1);
      for (int i = 0; i < drop; i++) {
        Seen<K, V> e = all.get(i);
        // only the slot seen: one put again since is recent, and stays
        map.remove(e.key, e.slot);
      }
    } finally {
      trimming.unlock();
    }
  }

  private record Seen<K, V>(K key, Slot<V> slot, long used) {}
}
