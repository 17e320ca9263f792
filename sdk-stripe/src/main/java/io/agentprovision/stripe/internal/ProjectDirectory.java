package io.agentprovision.stripe.internal;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.wire.Digests;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Finds or creates Provisioning projects by name, one directory per {@code StripeApi} (that is, per
 * account and API version), shared by every {@code StripeProjects} built on it. Stripe's
 * generated SDKs show only project creation (C); listing ({@code GET /v2/provisioning/projects}) is
 * tried and, when Stripe answers 404, not tried again (M).
 *
 * <p>What it costs does not grow with the account's history. A project found or created is kept
 * by name (at most about {@link #MAX_KNOWN}, least recently used dropped first, read without a lock) and asked for again
 * without a request. A name not known is looked up in the account's list of projects, read once
 * and then reused for {@link #LISTING_FRESH}: before, every run read the whole list, page by page,
 * and in a fleet sharing one account that list grows by a project per run. Concurrent lookups share
 * one listing, and steps wanting the same name share one lookup.
 *
 * <p>A name the listing does not hold is created with an idempotency key derived from the catalog
 * and the name, so every step, run and host that wants the same project while the key is kept by
 * Stripe (a day or more, far longer than {@link #LISTING_FRESH}) gets the same one: a creation made by
 * another host after the listing is answered again, not made twice. A project that turns out to be
 * gone ({@link #forget}) drops the listing, so the next lookup reads the list again, and its
 * replacement is created under a key that names the project it replaces: hosts that saw the same
 * project gone make one replacement between them, and the old key's answer is not replayed.
 */
public final class ProjectDirectory {
  /** Where projects are created. */
  public static final String PATH = "/v2/provisioning/projects";
  /** Projects kept by name at most. */
  public static final int MAX_KNOWN = 10_000;
  /** How long a listing of the account's projects is used to tell that a name has no project yet. */
  public static final Duration LISTING_FRESH = Duration.ofSeconds(30);

  private final StripeCalls calls;
  private final String version;
  private final Clock clock;
  /** Read by every run's lookup, without a lock ({@link RecentlyUsed}). */
  private final RecentlyUsed<String, ProvisioningJson.ProjectJson> known = new RecentlyUsed<>(MAX_KNOWN);
  /** The project each name's next creation replaces, when one was found gone. */
  private final RecentlyUsed<String, String> replacing = new RecentlyUsed<>(1_000);
  /** Lookups under way, by the same key as {@link #known}: a second caller waits for the first's answer. */
  private final Map<String, CompletableFuture<Found>> inFlight = new ConcurrentHashMap<>();
  private volatile boolean listingUnsupported;
  private @Nullable Listing listing;
  private @Nullable CompletableFuture<Listing> listingUnderWay;
  /** Increases whenever a project is found gone: a listing begun before is not kept. */
  private long generation;

  /** A directory for the client {@code calls} uses; {@code StripeApi} keeps the one its users share. */
  public ProjectDirectory(StripeCalls calls, String version, Clock clock) {
    this.calls = calls;
    this.version = version;
    this.clock = clock;
  }

  /** A project found or created. */
  public record Found(ProvisioningJson.ProjectJson project, boolean created) {
    public String id() {
      return project.id();
    }
  }

  /** The account's projects by name, as one listing read them. */
  private record Listing(Map<String, List<ProvisioningJson.ProjectJson>> byName, Instant readAt) {
    ProvisioningJson.@Nullable ProjectJson find(String name, String catalog) {
      for (ProvisioningJson.ProjectJson p : byName.getOrDefault(name, List.of())) {
        if (p.catalog() == null || catalog.equals(p.catalog())) {
          return p;
        }
      }
      return null;
    }
  }

  /** The project called {@code name} in {@code catalog}, created when there is none. */
  public Found ensure(String name, String catalog, RetryObserver observer) {
    String cacheKey = key(catalog, name);
    ProvisioningJson.ProjectJson cached = known.get(cacheKey);
    if (cached != null) {
      return new Found(cached, false);
    }
    CompletableFuture<Found> mine = new CompletableFuture<>();
    CompletableFuture<Found> theirs = inFlight.putIfAbsent(cacheKey, mine);
    if (theirs != null) {
      try {
        Found f = theirs.join();
        return new Found(f.project(), false); // the caller that made it reports the creation
      } catch (CompletionException e) {
        // the other lookup failed: its caller reports that; this one tries on its own
        return lookUp(name, catalog, cacheKey, observer);
      }
    }
    try {
      Found f = lookUp(name, catalog, cacheKey, observer);
      mine.complete(f);
      return f;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(cacheKey, mine);
    }
  }

  /**
   * Says that the project {@code id}, known as {@code name} in {@code catalog}, was refused as
   * missing (deleted behind the SDK's back, say): it is no longer answered from memory, the next
   * lookup reads the list again, and a creation then makes a replacement.
   */
  public void forget(String name, String catalog, String id) {
    String cacheKey = key(catalog, name);
    synchronized (this) {
      known.removeIf(cacheKey, k -> id.equals(k.id()));
      replacing.put(cacheKey, id);
      listing = null;
      generation++;
    }
  }

  private Found lookUp(String name, String catalog, String cacheKey, RetryObserver observer) {
    Listing l = listingUnsupported ? null : listing(observer);
    ProvisioningJson.ProjectJson listed = l == null ? null : l.find(name, catalog);
    if (listed != null) {
      known.put(cacheKey, listed);
      return new Found(listed, false);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    body.put("catalog", catalog);
    String replaces = replacing.get(cacheKey);
    String key = replaces == null ? idempotencyKey(catalog, name) : idempotencyKey(catalog, name, replaces);
    ProvisioningJson.ProjectJson project = calls.post("create Stripe project '" + name + "'", PATH, body, key,
        version, observer, ProvisioningJson.ProjectJson.class).body();
    known.put(cacheKey, project);
    return new Found(project, true);
  }

  /**
   * A listing younger than {@link #LISTING_FRESH}, the one under way, or a new one; null once
   * Stripe has said it does not list projects.
   */
  private @Nullable Listing listing(RetryObserver observer) {
    CompletableFuture<Listing> underWay;
    boolean reader = false;
    long gen;
    synchronized (this) {
      Listing l = listing;
      if (l != null && clock.instant().isBefore(l.readAt().plus(LISTING_FRESH))) {
        return l;
      }
      underWay = listingUnderWay;
      if (underWay == null) {
        underWay = new CompletableFuture<>();
        listingUnderWay = underWay;
        reader = true;
      }
      gen = generation;
    }
    if (!reader) {
      try {
        return underWay.join();
      } catch (CompletionException e) {
        // the reader's caller reports its failure; this one reads for itself
        return read(observer);
      }
    }
    try {
      Listing l = read(observer);
      synchronized (this) {
        if (generation == gen) {
          listing = l;
        }
        listingUnderWay = null;
      }
      underWay.complete(l);
      return l;
    } catch (RuntimeException e) {
      synchronized (this) {
        listingUnderWay = null;
      }
      underWay.completeExceptionally(e);
      throw e;
    }
  }

  private @Nullable Listing read(RetryObserver observer) {
    Instant at = clock.instant();
    try {
      List<ProvisioningJson.ProjectJson> all = calls.list("list Stripe projects", PATH, Map.of("limit", 100), version,
          observer, ProvisioningJson.ProjectJson.class);
      Map<String, List<ProvisioningJson.ProjectJson>> byName = new HashMap<>();
      for (ProvisioningJson.ProjectJson p : all) {
        String n = p.name();
        if (n != null) {
          byName.computeIfAbsent(n, x -> new ArrayList<>(1)).add(p);
        }
      }
      return new Listing(byName, at);
    } catch (ProviderException e) {
      if (e.status() != 404) {
        throw e;
      }
      listingUnsupported = true;
      return null;
    }
  }

  private static String key(String catalog, String name) {
    return catalog + "\u0000" + name;
  }

  /** The idempotency key for creating the project {@code name} in {@code catalog}. */
  public static String idempotencyKey(String catalog, String name) {
    return "agentprovision-project-" + HexFormat.of().formatHex(Digests.sha256(catalog + "\n" + name), 0, 16);
  }

  /** The idempotency key for creating the project {@code name} in {@code catalog} in place of the gone project {@code replaced}. */
  public static String idempotencyKey(String catalog, String name, String replaced) {
    return "agentprovision-project-" + HexFormat.of().formatHex(
        Digests.sha256(catalog + "\n" + name + "\nreplacing " + replaced), 0, 16);
  }
}
