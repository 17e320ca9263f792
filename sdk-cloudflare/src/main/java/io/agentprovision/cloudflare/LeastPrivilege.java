package io.agentprovision.cloudflare;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.TokenSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns the intent "deploy this Worker (to this domain)" into the smallest Cloudflare token that
 * can do it. The grants, and why each is needed:
 *
 * <ul>
 *   <li><b>Workers Scripts Write</b> on {@code com.cloudflare.api.account.<account id>}: uploading the
 *       script ({@code PUT /accounts/{id}/workers/scripts/{name}}), enabling it on workers.dev
 *       ({@code POST …/scripts/{name}/subdomain}, whose documented permission is exactly this group),
 *       reading or creating the account's workers.dev subdomain, and deleting the script on
 *       undeploy. Nothing narrower exists for script upload, and it is account-scoped by nature.</li>
 *   <li>With a custom domain, <b>Workers Routes Write</b> on
 *       {@code com.cloudflare.api.account.zone.<zone id>} of that zone only: attaching the hostname
 *       ({@code PUT /accounts/{id}/workers/domains}, permission
 *       {@code com.cloudflare.edge.worker.domain.update}) or creating a route
 *       ({@code POST /zones/{zone}/workers/routes}), and detaching it on undeploy. It is the zone
 *       half of Cloudflare's own "Edit Cloudflare Workers" template.</li>
 * </ul>
 *
 * <p>Deliberately not granted: <b>Zone Read</b> (the deployer looks the zone id up with the broad
 * credential while minting, and passes {@code zone_id} explicitly), <b>DNS Write</b> and <b>SSL and
 * Certificates Write</b> (for a Worker custom domain Cloudflare creates the DNS record and the
 * certificate itself), any KV/D1/R2 write (bindings only reference existing namespaces by id), and
 * <b>Account API Tokens Write</b> (the narrow token must not be able to mint others). Anything more
 * comes only from {@link TokenSpec#extraPermissions()}, granted on the zone when the group applies
 * to zones and a zone is known, else on the account.
 *
 * <pre>{@code
 * List<String> names = LeastPrivilege.permissionNames(zoneId, spec);
 * TokenDraft draft = LeastPrivilege.deployToken("deploy my-app", accountId, zoneId, spec,
 *     tokens.permissionGroups(names), clock.instant());
 * }</pre>
 */
public final class LeastPrivilege {
  /** Upload, enable and delete Worker scripts; account-scoped. */
  public static final String WORKERS_SCRIPTS_WRITE = "Workers Scripts Write";
  /** Bind custom domains and routes to Workers; zone-scoped. */
  public static final String WORKERS_ROUTES_WRITE = "Workers Routes Write";

  private static final String ACCOUNT_PREFIX = "com.cloudflare.api.account.";
  private static final String ZONE_PREFIX = "com.cloudflare.api.account.zone.";

  private LeastPrivilege() {}

  /** Where a grant applies. */
  public enum Scope { ACCOUNT, ZONE }

  /**
   * One permission on one resource, and the reason it is needed.
   *
   * @param permission the permission group name
   * @param scope account or zone
   * @param resourceKey the resource key, such as {@code com.cloudflare.api.account.<id>}
   * @param reason why the deployment needs it
   */
  public record Grant(String permission, Scope scope, String resourceKey, String reason) {
    public Grant {
      Objects.requireNonNull(permission, "permission");
      Objects.requireNonNull(scope, "scope");
      Objects.requireNonNull(resourceKey, "resourceKey");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** The resource key of an account. */
  public static String accountResource(String accountId) {
    return ACCOUNT_PREFIX + CloudflareClient.segment(accountId, "accountId");
  }

  /** The resource key of one zone. */
  public static String zoneResource(String zoneId) {
    return ZONE_PREFIX + CloudflareClient.segment(zoneId, "zoneId");
  }

  /** What deploying one Worker needs: the account grant, and the zone grant when a zone is bound. */
  public static List<Grant> forDeploy(String accountId, @Nullable String zoneId) {
    List<Grant> out = new ArrayList<>();
    out.add(new Grant(WORKERS_SCRIPTS_WRITE, Scope.ACCOUNT, accountResource(accountId),
        "upload and delete the script, enable it on workers.dev, read or create the workers.dev subdomain"));
    if (zoneId != null) {
      out.add(new Grant(WORKERS_ROUTES_WRITE, Scope.ZONE, zoneResource(zoneId),
          "attach and detach the custom domain (or route) on this zone only"));
    }
    return out;
  }

  /** Every permission group name to look up for a deploy token: the needed ones, then the spec's extras. */
  public static List<String> permissionNames(@Nullable String zoneId, TokenSpec spec) {
    Set<String> names = new LinkedHashSet<>();
    names.add(WORKERS_SCRIPTS_WRITE);
    if (zoneId != null) {
      names.add(WORKERS_ROUTES_WRITE);
    }
    names.addAll(spec.extraPermissions());
    return List.copyOf(names);
  }

  /**
   * The policies for {@link #forDeploy} plus the spec's extra permissions, one {@code allow} policy
   * per resource.
   *
   * @param groups permission groups by name, holding at least {@link #permissionNames}
   */
  public static List<TokenPolicy> deployPolicies(String accountId, @Nullable String zoneId, TokenSpec spec,
      Map<String, PermissionGroup> groups) {
    Map<String, List<PermissionGroup>> byResource = new LinkedHashMap<>();
    for (Grant g : forDeploy(accountId, zoneId)) {
      byResource.computeIfAbsent(g.resourceKey(), k -> new ArrayList<>()).add(group(groups, g.permission()));
    }
    for (String extra : spec.extraPermissions()) {
      PermissionGroup g = group(groups, extra);
      String resource;
      if (zoneId != null && g.appliesToZones()) {
        resource = zoneResource(zoneId);
      } else if (g.appliesToAccounts()) {
        resource = accountResource(accountId);
      } else {
        throw new InvalidRequestException("extraPermission", "'" + extra + "' applies only to zones and the deployment "
            + "binds no zone", "bind a custom domain, or drop the permission");
      }
      List<PermissionGroup> list = byResource.computeIfAbsent(resource, k -> new ArrayList<>());
      if (list.stream().noneMatch(x -> x.id().equals(g.id()))) {
        list.add(g);
      }
    }
    List<TokenPolicy> out = new ArrayList<>();
    byResource.forEach((resource, list) -> out.add(TokenPolicy.allow(resource, list)));
    return out;
  }

  /**
   * The whole draft of a deploy token: {@link #deployPolicies}, the spec's IP allow- and deny-lists,
   * and {@code expires_on} = {@code now} + {@link TokenSpec#ttl()}. No {@code not_before} is set: a
   * local clock a few seconds ahead of Cloudflare's would make a fresh token fail its own verify.
   */
  public static TokenDraft deployToken(String name, String accountId, @Nullable String zoneId, TokenSpec spec,
      Map<String, PermissionGroup> groups, Instant now) {
    return TokenDraft.builder(name)
        .policies(deployPolicies(accountId, zoneId, spec, groups))
        .allowIps(spec.allowIps().toArray(String[]::new))
        .denyIps(spec.denyIps().toArray(String[]::new))
        .expiresOn(now.plus(spec.ttl()))
        .build();
  }

  private static PermissionGroup group(Map<String, PermissionGroup> groups, String name) {
    PermissionGroup g = groups.get(name);
    if (g == null) {
      for (Map.Entry<String, PermissionGroup> e : groups.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue();
        }
      }
      throw new InvalidRequestException("permission", "'" + name + "' was not looked up",
          "pass the groups for LeastPrivilege.permissionNames(...)");
    }
    return g;
  }
}
