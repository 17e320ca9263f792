package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import java.util.List;
import java.util.Objects;

/**
 * A permission group an API token policy can grant, such as "Workers Scripts Write". Ids differ
 * between accounts and over time, so the SDK always looks them up by name.
 *
 * @param id the group id to put in a policy
 * @param name the name Cloudflare shows
 * @param scopes the resource kinds it applies to, such as {@code com.cloudflare.api.account} or
 *     {@code com.cloudflare.api.account.zone}
 */
public record PermissionGroup(String id, String name, List<String> scopes) {
  /** Scope of groups that apply to an account's own resources. */
  public static final String ACCOUNT_SCOPE = "com.cloudflare.api.account";
  /** Scope of groups that apply to zones. */
  public static final String ZONE_SCOPE = "com.cloudflare.api.account.zone";

  public PermissionGroup {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    scopes = List.copyOf(scopes);
  }

  static PermissionGroup from(Wire.PermissionGroupJson j) {
    return new PermissionGroup(Wire.required(j.id(), "id"), Wire.required(j.name(), "name"), j.scopeList());
  }

  /** Whether the group can be granted on zones. */
  public boolean appliesToZones() {
    return scopes.contains(ZONE_SCOPE);
  }

  /** Whether the group can be granted on an account (also true when Cloudflare lists no scopes). */
  public boolean appliesToAccounts() {
    return scopes.isEmpty() || scopes.contains(ACCOUNT_SCOPE);
  }
}
