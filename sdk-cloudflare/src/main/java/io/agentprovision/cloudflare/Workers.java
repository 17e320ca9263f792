package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Fields;
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
      Map<String, Object> r = client.get(base + "/subdomain").object();
      String name = Fields.string(r, "subdomain");
      if (name == null) {
        name = Fields.string(r, "name");
      }
      return Optional.ofNullable(name == null || name.isBlank() ? null : name);
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
    Map<String, Object> r = client.put(base + "/subdomain", Map.of("subdomain", name)).object();
    String got = Fields.string(r, "subdomain");
    return got == null ? Fields.string(r, "name", name) : got;
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
    return WorkerScript.from(app.name(), client.call("PUT", path, Map.of(), ScriptUpload.body(app), Map.of()).object());
  }

  /** The account's scripts. */
  public List<WorkerScript> scripts() {
    return client.listSingle(base + "/scripts", Map.of(), m -> WorkerScript.from(Fields.string(m, "id", ""), m));
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
    return ScriptSubdomain.from(client.post(scriptPath(script) + "/subdomain", body).object());
  }

  /** Whether the script is served on workers.dev. */
  public ScriptSubdomain scriptSubdomain(String script) {
    return ScriptSubdomain.from(client.get(scriptPath(script) + "/subdomain").object());
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
    return WorkerDomain.from(client.put("/accounts/" + CloudflareClient.segment(accountId, "accountId")
        + "/workers/domains", body).requireObject("worker domain"));
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
        WorkerDomain::from);
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
    Map<String, Object> r = client.post(routesPath(zoneId), body).object();
    return new WorkerRoute(Fields.string(r, "id", ""), Fields.string(r, "pattern", pattern), Fields.string(r, "script", script));
  }

  /** The zone's routes. */
  public List<WorkerRoute> routes(String zoneId) {
    return client.listSingle(routesPath(zoneId), Map.of(), WorkerRoute::from);
  }

  /** Points an existing route at another script or pattern. */
  public WorkerRoute updateRoute(String zoneId, String routeId, String pattern, String script) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("pattern", pattern);
    body.put("script", script);
    Map<String, Object> r = client.put(routesPath(zoneId) + "/" + CloudflareClient.segment(routeId, "routeId"), body)
        .object();
    return new WorkerRoute(Fields.string(r, "id", routeId), Fields.string(r, "pattern", pattern), Fields.string(r, "script", script));
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
    static WorkerScript from(String name, Map<String, Object> m) {
      String id = Fields.string(m, "id");
      return new WorkerScript(id != null && !id.isEmpty() ? id : name, Fields.string(m, "etag"),
          Fields.string(m, "compatibility_date"), Fields.instant(m, "modified_on"), Fields.number(m, "startup_time_ms", -1));
    }
  }

  /**
   * Whether a script is served on workers.dev.
   *
   * @param enabled served at {@code <script>.<subdomain>.workers.dev}
   * @param previewsEnabled preview URLs served too
   */
  public record ScriptSubdomain(boolean enabled, boolean previewsEnabled) {
    static ScriptSubdomain from(Map<String, Object> m) {
      return new ScriptSubdomain(Fields.bool(m, "enabled", false), Fields.bool(m, "previews_enabled", false));
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
    static WorkerDomain from(Map<String, Object> m) {
      return new WorkerDomain(Fields.string(m, "id", ""), Fields.string(m, "hostname", ""), Fields.string(m, "service", ""),
          Fields.string(m, "zone_id"), Fields.string(m, "zone_name"));
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
    static WorkerRoute from(Map<String, Object> m) {
      return new WorkerRoute(Fields.string(m, "id", ""), Fields.string(m, "pattern", ""), Fields.string(m, "script", ""));
    }
  }
}
