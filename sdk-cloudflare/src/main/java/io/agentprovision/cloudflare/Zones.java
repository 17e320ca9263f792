package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.core.InvalidRequestException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Zones: the DNS zones Cloudflare serves. A zone registered through Cloudflare Registrar is
 * created with the registration; a zone added by hand is {@code pending} until its name servers
 * point at Cloudflare.
 *
 * <pre>{@code
 * Zone z = client.zones().ensure("example.com", accountId);   // find, or create (type full)
 * if (!z.active()) { show(z.nameServers()); }
 * Optional<Zone> holder = client.zones().findForHostname("app.example.com", accountId);
 * }</pre>
 */
public final class Zones {
  /** Cloudflare's code for "the zone already exists". */
  public static final int ZONE_EXISTS = 1061;

  private final CloudflareClient client;

  Zones(CloudflareClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** The zone named exactly {@code name}, optionally in one account. */
  public Optional<Zone> find(String name, @Nullable String accountId) {
    Map<String, Object> q = new LinkedHashMap<>();
    q.put("name", normalize(name));
    if (accountId != null) {
      q.put("account.id", accountId);
    }
    List<Zone> zones = client.listPages("/zones", q, Wire.ZoneJson.class, Zone::from);
    return zones.stream().filter(z -> z.name().equalsIgnoreCase(normalize(name))).findFirst();
  }

  /**
   * The zone that holds {@code hostname}: the hostname itself, else its parent, and so on up to the
   * registrable part ({@code app.example.com} → {@code example.com}).
   */
  public Optional<Zone> findForHostname(String hostname, @Nullable String accountId) {
    String h = normalize(hostname);
    while (h.contains(".")) {
      Optional<Zone> z = find(h, accountId);
      if (z.isPresent()) {
        return z;
      }
      h = h.substring(h.indexOf('.') + 1);
    }
    return Optional.empty();
  }

  /** Every zone the token can see, optionally only one account's. */
  public List<Zone> list(@Nullable String accountId) {
    Map<String, Object> q = new LinkedHashMap<>();
    if (accountId != null) {
      q.put("account.id", accountId);
    }
    return client.listPages("/zones", q, Wire.ZoneJson.class, Zone::from);
  }

  /** The zone {@code id}. */
  public Zone get(String id) {
    return client.<Wire.ZoneJson>exchange("GET", "/zones/" + CloudflareClient.segment(id, "zoneId"), Map.of(), null,
        Map.of(), Wire.ZoneJson.class).map(Zone::from);
  }

  /**
   * Adds a full zone to the account ({@code POST /zones}).
   *
   * @throws CloudflareException with code {@link #ZONE_EXISTS} when it already exists
   */
  public Zone create(String name, String accountId) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", normalize(name));
    body.put("account", Map.of("id", Objects.requireNonNull(accountId, "accountId")));
    body.put("type", "full");
    return client.<Wire.ZoneJson>exchange("POST", "/zones", Map.of(), CloudflareClient.json(body), Map.of(),
        Wire.ZoneJson.class).map(Zone::from);
  }

  /** The zone named {@code name} in the account, created when missing (read before create). */
  public Zone ensure(String name, String accountId) {
    Optional<Zone> found = find(name, accountId);
    if (found.isPresent()) {
      return found.get();
    }
    try {
      return create(name, accountId);
    } catch (CloudflareException e) {
      if (e.hasCode(ZONE_EXISTS)) {
        // Created meanwhile (or it exists in an account this token cannot see: then surface the error).
        return find(name, accountId).orElseThrow(() -> e);
      }
      throw e;
    }
  }

  /** Asks Cloudflare to check a pending zone's name servers again (rate-limited by Cloudflare). */
  public void activationCheck(String zoneId) {
    client.put("/zones/" + CloudflareClient.segment(zoneId, "zoneId") + "/activation_check", Map.of(), Wire.IdJson.class);
  }

  /** Deletes the zone. */
  public boolean delete(String zoneId) {
    try {
      client.delete("/zones/" + CloudflareClient.segment(zoneId, "zoneId"));
      return true;
    } catch (CloudflareException e) {
      if (e.isNotFound()) {
        return false;
      }
      throw e;
    }
  }

  private static String normalize(String name) {
    if (name == null || name.isBlank()) {
      throw new InvalidRequestException("zone name", "is empty", "pass a domain such as \"example.com\"");
    }
    String n = name.trim().toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  /**
   * A zone.
   *
   * @param id the zone id
   * @param name the domain
   * @param status {@code initializing}, {@code pending}, {@code active} or {@code moved}
   * @param accountId the owning account
   * @param nameServers the Cloudflare name servers to delegate to
   * @param activatedOn when it became active, when it did
   */
  public record Zone(String id, String name, String status, @Nullable String accountId, List<String> nameServers,
      @Nullable Instant activatedOn) {
    public Zone {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(status, "status");
      nameServers = List.copyOf(nameServers);
    }

    static Zone from(Wire.ZoneJson j) {
      String status = j.status();
      Wire.AccountJson account = j.account();
      return new Zone(Wire.required(j.id(), "id"), Wire.required(j.name(), "name"), status == null ? "pending" : status,
          account == null ? null : account.id(), j.nameServerList(), j.activatedOn());
    }

    /** Whether Cloudflare serves the zone (its name servers are delegated). */
    public boolean active() {
      return "active".equals(status);
    }
  }
}
