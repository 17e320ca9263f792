package io.agentprovision.stripe.internal;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.wire.Digests;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds or creates Provisioning projects by name. Stripe's generated SDKs show only project
 * creation (C); listing ({@code GET /v2/provisioning/projects}) is tried first and, when Stripe
 * answers 404, not tried again (M). Creation carries an idempotency key derived from the catalog
 * and the name, so every step and every run that wants the same project asks for the same one.
 * Steps that want a project not yet known at the same time (a run's resource and domain steps) share
 * one lookup: one list and at most one creation, not one each.
 */
public final class ProjectDirectory {
  /** Where projects are created. */
  public static final String PATH = "/v2/provisioning/projects";

  private final StripeCalls calls;
  private final String version;
  private final Map<String, ProvisioningJson.ProjectJson> known = new ConcurrentHashMap<>();
  /** Lookups under way, by the same key as {@link #known}: a second caller waits for the first's answer. */
  private final Map<String, CompletableFuture<Found>> inFlight = new ConcurrentHashMap<>();
  private volatile boolean listingUnsupported;

  public ProjectDirectory(StripeCalls calls, String version) {
    this.calls = calls;
    this.version = version;
  }

  /** A project found or created. */
  public record Found(ProvisioningJson.ProjectJson project, boolean created) {
    public String id() {
      return project.id();
    }
  }

  /** The project called {@code name} in {@code catalog}, created when there is none. */
  public Found ensure(String name, String catalog, RetryObserver observer) {
    String cacheKey = catalog + "\u0000" + name;
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

  private Found lookUp(String name, String catalog, String cacheKey, RetryObserver observer) {
    if (!listingUnsupported) {
      try {
        List<ProvisioningJson.ProjectJson> all = calls.list("list Stripe projects", PATH, Map.of("limit", 100), version,
            observer, ProvisioningJson.ProjectJson.class);
        for (ProvisioningJson.ProjectJson p : all) {
          if (name.equals(p.name()) && (p.catalog() == null || catalog.equals(p.catalog()))) {
            known.put(cacheKey, p);
            return new Found(p, false);
          }
        }
      } catch (ProviderException e) {
        if (e.status() != 404) {
          throw e;
        }
        listingUnsupported = true;
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    body.put("catalog", catalog);
    ProvisioningJson.ProjectJson project = calls.post("create Stripe project '" + name + "'", PATH, body,
        idempotencyKey(catalog, name), version, observer, ProvisioningJson.ProjectJson.class).body();
    known.put(cacheKey, project);
    return new Found(project, true);
  }

  /** The idempotency key for creating the project {@code name} in {@code catalog}. */
  public static String idempotencyKey(String catalog, String name) {
    return "agentprovision-project-" + HexFormat.of().formatHex(Digests.sha256(catalog + "\n" + name), 0, 16);
  }
}
