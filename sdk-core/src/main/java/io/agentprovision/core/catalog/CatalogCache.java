package io.agentprovision.core.catalog;

import io.agentprovision.core.InvalidRequestException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Each provider's catalog (or what an orchestrator derives from it), kept for a time-to-live so that
 * a long-lived host does not read it again for every run, and dropped at once when a call shows it
 * stale ({@link #invalidate}). Concurrent readers of a missing or expired entry share one load: a
 * thousand runs planned at once read the catalog once. A failed load is not kept; the next reader
 * loads again. A time-to-live of zero loads every time. Thread-safe.
 *
 * <pre>{@code
 * CatalogCache<Catalog> catalogs = CatalogCache.of(CatalogCache.DEFAULT_TTL, clock);
 * Catalog c = catalogs.get("cloudflare", p -> client.catalog(p));   // read once per five minutes
 * catalogs.invalidate("cloudflare");                                 // a price it listed was refused
 * }</pre>
 *
 * @param <T> what is kept per provider
 */
public final class CatalogCache<T> {
  /** How long a catalog is used before it is read again, unless configured otherwise. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

  private final Duration ttl;
  private final Clock clock;
  private final ConcurrentMap<String, Entry<T>> entries = new ConcurrentHashMap<>();

  private record Entry<T>(CompletableFuture<T> value, Instant loadedAt) {}

  private CatalogCache(Duration ttl, Clock clock) {
    this.ttl = ttl;
    this.clock = clock;
  }

  /**
   * A cache keeping each entry for {@code ttl} on {@code clock}.
   *
   * @throws InvalidRequestException when {@code ttl} is negative
   */
  public static <T> CatalogCache<T> of(Duration ttl, Clock clock) {
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(clock, "clock");
    if (ttl.isNegative()) {
      throw new InvalidRequestException("catalogTtl", "must not be negative (was " + ttl + ")",
          "pass zero to read the catalog for every run, or a duration such as " + DEFAULT_TTL);
    }
    return new CatalogCache<>(ttl, clock);
  }

  /** How long an entry is kept. */
  public Duration ttl() {
    return ttl;
  }

  /**
   * The entry for {@code provider}, loaded with {@code load} when missing or older than the TTL
   * (by this thread, or by the one already loading it, whose result or exception this one shares).
   */
  public T get(String provider, Function<String, T> load) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(load, "load");
    if (ttl.isZero()) {
      return load.apply(provider);
    }
    while (true) {
      Instant now = clock.instant();
      Entry<T> e = entries.get(provider);
      if (e != null && (!e.value().isDone() || now.isBefore(e.loadedAt().plus(ttl)))) {
        try {
          return e.value().get();
        } catch (ExecutionException ex) {
          throw rethrow(ex.getCause());
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while another thread read the catalog of " + provider, ex);
        }
      }
      Entry<T> mine = new Entry<>(new CompletableFuture<>(), now);
      boolean installed = e == null ? entries.putIfAbsent(provider, mine) == null : entries.replace(provider, e, mine);
      if (!installed) {
        continue; // another thread installed a load first: wait for it
      }
      try {
        T v = Objects.requireNonNull(load.apply(provider), "the catalog loaded");
        mine.value().complete(v);
        return v;
      } catch (RuntimeException | Error ex) {
        entries.remove(provider, mine);
        mine.value().completeExceptionally(ex);
        throw ex;
      }
    }
  }

  /**
   * The entry for {@code provider} when one has been loaded, however old, without loading: for
   * reading names back where a missing entry is no reason to call out. Null when there is none.
   */
  public @Nullable T ifLoaded(String provider) {
    Entry<T> e = entries.get(Objects.requireNonNull(provider, "provider"));
    if (e == null || !e.value().isDone() || e.value().isCompletedExceptionally()) {
      return null;
    }
    return e.value().getNow(null);
  }

  /** Drops the entry for {@code provider}: the next reader loads it again. */
  public void invalidate(String provider) {
    entries.remove(Objects.requireNonNull(provider, "provider"));
  }

  /** Drops every entry. */
  public void invalidateAll() {
    entries.clear();
  }

  private static RuntimeException rethrow(@Nullable Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error err) {
      throw err;
    }
    return new IllegalStateException(t);
  }

  @Override
  public String toString() {
    return "CatalogCache{ttl=" + ttl + ", providers=" + entries.keySet() + "}";
  }
}
