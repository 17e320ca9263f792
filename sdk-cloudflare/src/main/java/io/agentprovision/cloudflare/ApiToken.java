package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Fields;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An API token as Cloudflare describes it (never its value).
 *
 * @param id the token id, used to roll and delete it
 * @param name its name
 * @param status {@code active}, {@code disabled} or {@code expired}
 * @param policies what it may do
 * @param allowIps {@code condition.request_ip.in}: the only client addresses it works from (empty: any)
 * @param denyIps {@code condition.request_ip.not_in}
 * @param issuedOn when it was issued
 * @param notBefore when it starts working, when set
 * @param expiresOn when it stops working, when set
 */
public record ApiToken(String id, String name, String status, List<TokenPolicy> policies, List<String> allowIps,
    List<String> denyIps, @Nullable Instant issuedOn, @Nullable Instant notBefore, @Nullable Instant expiresOn) {
  public ApiToken {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
    policies = List.copyOf(policies);
    allowIps = List.copyOf(allowIps);
    denyIps = List.copyOf(denyIps);
  }

  /** Reads a token; accepts the current {@code condition.request_ip} and the older {@code "request.ip"}. */
  static ApiToken from(Map<String, Object> m) {
    List<TokenPolicy> policies = new ArrayList<>();
    for (Map<String, Object> p : Fields.objects(m, "policies")) {
      if (!Fields.objects(p, "permission_groups").isEmpty() && !Fields.object(p, "resources").isEmpty()) {
        policies.add(TokenPolicy.from(p));
      }
    }
    Map<String, Object> condition = Fields.object(m, "condition");
    Map<String, Object> ip = Fields.objectOrNull(condition, "request_ip");
    if (ip == null) {
      ip = Fields.object(condition, "request.ip");
    }
    return new ApiToken(Fields.string(m, "id", ""), Fields.string(m, "name", ""), Fields.string(m, "status", "active"),
        policies, Fields.strings(ip, "in"), Fields.strings(ip, "not_in"), Fields.instant(m, "issued_on"),
        Fields.instant(m, "not_before"), Fields.instant(m, "expires_on"));
  }

  /** Every permission group name across the policies, in order, without repeats. */
  public List<String> permissionNames() {
    Set<String> names = new LinkedHashSet<>();
    for (TokenPolicy p : policies) {
      names.addAll(p.permissionNames());
    }
    return List.copyOf(names);
  }
}
