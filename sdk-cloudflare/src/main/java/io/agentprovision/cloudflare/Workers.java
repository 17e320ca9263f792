package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.cloudflare.internal.ScriptUpload;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.WorkerApp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The Workers of one account: the account's workers.dev subdomain, ES-module script upload (which
 * deploys), per-script workers.dev enablement, custom domains and routes.
 *
 * <pre>{@code
 * Workers w = client.workers(accountId);
 * String sub = w.ensureSubdomain("acme");                 // acme.workers.dev, once per account
 * w.upload(app);                                           // same name again replaces it
 * w.enableOnSubdomain(app.name());                         // https://<app>.acme.workers.dev
 * w.attachDomain("app.example.com", app.name(), zoneId);   // DNS and certificate by Cloudflare
 * }</pre>
 */
public final class Workers {
  private final CloudflareClient client;
  private final String accountId;
  private final String base;

  Workers(CloudflareClient client, String accountId) {
    this.client = Objects.requireNonNull(client, "client");
    this.accountId = accountId;
    this.base = "/accounts/" + CloudflareClient.segment(accountId, "accountId") + "/workers";
  }

  public String accountId() {
    return accountId;
  }

  // ---- account subdomain --------------------------------------------------------------------

  /** The account's workers.dev subdomain ({@code <name>.workers.dev}), or empty when none was chosen yet. */
  public Optional<String> subdomain() {
    try {
      Wire.SubdomainJson r = client.get(base + "/subdomain", Map.of(), Wire.SubdomainJson.class).result();
      return Optional.ofNullable(r == null ? null : r.value());
    } catch (CloudflareException e) {
      if (e.isNotFound()) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Sets the account's workers.dev subdomain ({@code PUT …/workers/subdomain {"subdomain": name}}). */
  public String createSubdomain(String name) {
    if (name == null || !name.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
      throw new InvalidRequestException("subdomain", "'" + name + "' is not a valid workers.dev subdomain",
          "use lower-case letters, digits and inner hyphens, such as \"acme\"");
    }
    Wire.SubdomainJson r = client.put(base + "/subdomain", Map.of("subdomain", name), Wire.SubdomainJson.class).result();
    String got = r == null ? null : r.value();
    return got == null ? name : got;
  }

  /** The existing subdomain, or {@code preferred} created now. */
  public String ensureSubdomain(String preferred) {
    return subdomain().orElseGet(() -> createSubdomain(preferred));
  }

  // ---- scripts ------------------------------------------------------------------------------

  /**
   * Uploads and deploys the app as an ES-module Worker ({@code PUT …/scripts/{name}}, multipart:
   * a JSON {@code metadata} part, then one part per module). Uploading the same name again replaces
   * the script in place.
   */
  public WorkerScript upload(WorkerApp app) {
    Objects.requireNonNull(app, "app");
    String path = base + "/scripts/" + CloudflareClient.segment(app.name(), "app name");
    Wire.ScriptJson s = client.<Wire.ScriptJson>exchange("PUT", path, Map.of(), ScriptUpload.body(app), Map.of(),
        Wire.ScriptJson.class).mapOrNull(j -> j);
    return WorkerScript.from(app.name(), s == null ? new Wire.ScriptJson(null, null, null, null, null) : s);
  }

  /** The account's scripts. */
  public List<WorkerScript> scripts() {
    return client.listSingle(base + "/scripts", Map.of(), Wire.ScriptJson.class,
        j -> WorkerScript.from(Wire.required(j.id(), "id"), j));
  }

  /** The script named {@code name}, if it exists. */
  public Optional<WorkerScript> script(String name) {
    return scripts().stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /**
   * Deletes the script ({@code ?force=true} also drops what binds to it).
   *
   * @return true when it was deleted, false when there was none
   */
  public boolean deleteScript(String name) {
    try {
      client.delete(base + "/scripts/" + CloudflareClient.segment(name, "script name"), Map.of("force", true));
      return true;
    } catch (CloudflareException e) {
      if (e.isNotFound()) {
        return false;
      }
      throw e;
    }
  }

  /** Serves the script at {@code <name>.<subdomain>.workers.dev}. */
  public ScriptSubdomain enableOnSubdomain(String script) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("enabled", true);
    body.put("previews_enabled", false);
    return ScriptSubdomain.from(client.post(scriptPath(script) + "/subdomain", body, Wire.ScriptSubdomainJson.class)
        .result());
  }

  /** Whether the script is served on workers.dev. */
  public ScriptSubdomain scriptSubdomain(String script) {
    return ScriptSubdomain.from(client.get(scriptPath(script) + "/subdomain", Map.of(), Wire.ScriptSubdomainJson.class)
        .result());
  }

  private String scriptPath(String script) {
    return base + "/scripts/" + CloudflareClient.segment(script, "script name");
  }

  // ---- custom domains -----------------------------------------------------------------------

  /**
   * Attaches {@code hostname} to the script ({@code PUT /accounts/{id}/workers/domains}). The
   * hostname must be in a zone of this account; Cloudflare creates its DNS record and certificate.
   * Attaching an attached hostname again is a no-op.
   *
   * @param zoneId the zone holding the hostname, when known (else Cloudflare finds it)
   */
  public WorkerDomain attachDomain(String hostname, String service, @Nullable String zoneId) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("hostname", requireHostname(hostname));
    body.put("service", Objects.requireNonNull(service, "service"));
    if (zoneId != null) {
      body.put("zone_id", zoneId);
    }
    return client.<Wire.DomainJson>exchange("PUT", "/accounts/" + CloudflareClient.segment(accountId, "accountId")
        + "/workers/domains", Map.of(), CloudflareClient.json(body), Map.of(), Wire.DomainJson.class)
        .map(WorkerDomain::from);
  }

  /** The custom domains of the account, optionally only those of one hostname or one script. */
  public List<WorkerDomain> domains(@Nullable String hostname, @Nullable String service) {
    Map<String, Object> q = new LinkedHashMap<>();
    if (hostname != null) {
      q.put("hostname", hostname);
    }
    if (service != null) {
      q.put("service", service);
    }
    return client.listSingle("/accounts/" + CloudflareClient.segment(accountId, "accountId") + "/workers/domains", q,
        Wire.DomainJson.class, WorkerDomain::from);
  }

  /**
   * Detaches a custom domain by its id.
   *
   * @return true when it was detached, false when it was not attached
   */
  public boolean detachDomain(String domainId) {
    try {
      client.delete("/accounts/" + CloudflareClient.segment(accountId, "accountId") + "/workers/domains/"
          + CloudflareClient.segment(domainId, "domainId"));
      return true;
    } catch (CloudflareException e) {
      if (e.isNotFound()) {
        return false;
      }
      throw e;
    }
  }

  // ---- routes -------------------------------------------------------------------------------

  /** Routes {@code pattern} (such as {@code app.example.com/*}) of the zone to the script. */
  public WorkerRoute createRoute(String zoneId, String pattern, String script) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("pattern", Objects.requireNonNull(pattern, "pattern"));
    body.put("script", Objects.requireNonNull(script, "script"));
    // Cloudflare answers a new route with its id only; the pattern and script are what was sent.
    return client.<Wire.RouteJson>exchange("POST", routesPath(zoneId), Map.of(), CloudflareClient.json(body), Map.of(),
        Wire.RouteJson.class).map(r -> WorkerRoute.from(r, pattern, script));
  }

  /** The zone's routes. */
  public List<WorkerRoute> routes(String zoneId) {
    return client.listSingle(routesPath(zoneId), Map.of(), Wire.RouteJson.class,
        r -> WorkerRoute.from(r, Wire.required(r.pattern(), "pattern"), r.script() == null ? "" : r.script()));
  }

  /** Points an existing route at another script or pattern. */
  public WorkerRoute updateRoute(String zoneId, String routeId, String pattern, String script) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("pattern", pattern);
    body.put("script", script);
    Wire.RouteJson r = client.put(routesPath(zoneId) + "/" + CloudflareClient.segment(routeId, "routeId"), body,
        Wire.RouteJson.class).result();
    return WorkerRoute.from(r == null ? new Wire.RouteJson(routeId, null, null) : r, pattern, script);
  }

  /**
   * Deletes a route.
   *
   * @return true when it was deleted, false when there was none
   */
  public boolean deleteRoute(String zoneId, String routeId) {
    try {
      client.delete(routesPath(zoneId) + "/" + CloudflareClient.segment(routeId, "routeId"));
      return true;
    } catch (CloudflareException e) {
      if (e.isNotFound()) {
        return false;
      }
      throw e;
    }
  }

  private static String routesPath(String zoneId) {
    return "/zones/" + CloudflareClient.segment(zoneId, "zoneId") + "/workers/routes";
  }

  private static String requireHostname(String hostname) {
    if (hostname == null || !hostname.matches("(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}")) {
      throw new InvalidRequestException("hostname", "'" + hostname + "' is not a host name",
          "pass a name such as \"app.example.com\"");
    }
    return hostname.toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * A deployed script.
   *
   * @param name the script name
   * @param etag its content hash, when given
   * @param compatibilityDate the date it runs with, when given
   * @param modifiedOn when it last changed, when given
   * @param startupTimeMs its measured startup time, or -1
   */
  public record WorkerScript(String name, @Nullable String etag, @Nullable String compatibilityDate,
      @Nullable Instant modifiedOn, long startupTimeMs) {
    static WorkerScript from(String name, Wire.ScriptJson j) {
      String id = j.id();
      Long startup = j.startupTimeMs();
      return new WorkerScript(id != null && !id.isEmpty() ? id : name, j.etag(), j.compatibilityDate(), j.modifiedOn(),
          startup == null ? -1 : startup);
    }
  }

  /**
   * Whether a script is served on workers.dev.
   *
   * @param enabled served at {@code <script>.<subdomain>.workers.dev}
   * @param previewsEnabled preview URLs served too
   */
  public record ScriptSubdomain(boolean enabled, boolean previewsEnabled) {
    static ScriptSubdomain from(Wire.@Nullable ScriptSubdomainJson j) {
      return j == null ? new ScriptSubdomain(false, false)
          : new ScriptSubdomain(Boolean.TRUE.equals(j.enabled()), Boolean.TRUE.equals(j.previewsEnabled()));
    }
  }

  /**
   * A hostname bound to a Worker.
   *
   * @param id the binding's id, to detach it
   * @param hostname the hostname
   * @param service the script name
   * @param zoneId the zone holding the hostname
   * @param zoneName that zone's name
   */
  public record WorkerDomain(String id, String hostname, String service, @Nullable String zoneId, @Nullable String zoneName) {
    static WorkerDomain from(Wire.DomainJson j) {
      return new WorkerDomain(Wire.required(j.id(), "id"), Wire.required(j.hostname(), "hostname"),
          Wire.required(j.service(), "service"), j.zoneId(), j.zoneName());
    }
  }

  /**
   * A route: requests matching {@code pattern} go to {@code script}.
   *
   * @param id the route id
   * @param pattern such as {@code app.example.com/*}
   * @param script the script name
   */
  public record WorkerRoute(String id, String pattern, String script) {
    /** A route as answered, with {@code pattern} and {@code script} for what the answer leaves out. */
    static WorkerRoute from(Wire.RouteJson j, String pattern, String script) {
      String p = j.pattern();
      String s = j.script();
      return new WorkerRoute(Wire.required(j.id(), "id"), p == null ? pattern : p, s == null ? script : s);
    }
  }
}
