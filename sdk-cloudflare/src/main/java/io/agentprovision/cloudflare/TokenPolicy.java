package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.core.InvalidRequestException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One policy of an API token: allow (or deny) these permission groups on these resources.
 * Resources map a resource key to {@code "*"}, such as
 * {@code {"com.cloudflare.api.account.<account id>": "*"}} or
 * {@code {"com.cloudflare.api.account.zone.<zone id>": "*"}}, or an account key to a nested map of
 * zone keys.
 *
 * @param id the policy id Cloudflare assigned, or null in a request
 * @param effect {@code allow} or {@code deny}
 * @param permissionGroups the groups (ids matter; names are for people)
 * @param resources resource key to {@code "*"} or to a nested map
 */
public record TokenPolicy(@Nullable String id, String effect, List<PermissionGroup> permissionGroups,
    Map<String, Object> resources) {
  public TokenPolicy {
    Objects.requireNonNull(effect, "effect");
    if (!effect.equals("allow") && !effect.equals("deny")) {
      throw new InvalidRequestException("effect", "'" + effect + "' is neither allow nor deny", "pass \"allow\" or \"deny\"");
    }
    if (permissionGroups.isEmpty()) {
      throw new InvalidRequestException("permissionGroups", "is empty", "grant at least one permission group");
    }
    if (resources.isEmpty()) {
      throw new InvalidRequestException("resources", "is empty", "name the account or zone the policy applies to");
    }
    permissionGroups = List.copyOf(permissionGroups);
    resources = Map.copyOf(resources);
  }

  /** Allows {@code groups} on the single resource {@code resourceKey}. */
  public static TokenPolicy allow(String resourceKey, List<PermissionGroup> groups) {
    return new TokenPolicy(null, "allow", groups, Map.of(resourceKey, "*"));
  }

  /** The permission group names, for people, summaries and audit entries. */
  public List<String> permissionNames() {
    List<String> out = new ArrayList<>();
    for (PermissionGroup g : permissionGroups) {
      out.add(g.name().isEmpty() ? g.id() : g.name());
    }
    return out;
  }

  /** The request form: {@code {effect, permission_groups[{id}], resources}}. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("effect", effect);
    List<Object> groups = new ArrayList<>();
    for (PermissionGroup g : permissionGroups) {
      groups.add(Map.of("id", g.id()));
    }
    m.put("permission_groups", groups);
    m.put("resources", new LinkedHashMap<>(resources));
    return m;
  }

  /** A policy as Cloudflare describes it; groups are named by id (names are for people, and optional). */
  static TokenPolicy from(Wire.PolicyJson j) {
    List<PermissionGroup> groups = new ArrayList<>();
    for (Wire.PermissionGroupJson g : j.groups()) {
      String name = g.name();
      groups.add(new PermissionGroup(Wire.required(g.id(), "permission_groups.id"), name == null ? "" : name, List.of()));
    }
    String effect = j.effect();
    Map<String, Object> resources = j.resources();
    return new TokenPolicy(j.id(), effect == null ? "allow" : effect, groups, resources == null ? Map.of() : resources);
  }
}
