package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
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
  static ApiToken from(Wire.TokenJson j) {
    List<TokenPolicy> policies = new ArrayList<>();
    for (Wire.PolicyJson p : j.policyList()) {
      Map<String, Object> resources = p.resources();
      if (!p.groups().isEmpty() && resources != null && !resources.isEmpty()) {
        policies.add(TokenPolicy.from(p));
      }
    }
    Wire.ConditionJson condition = j.condition();
    Wire.IpConditionJson ip = condition == null ? null : condition.ip();
    String name = j.name();
    String status = j.status();
    return new ApiToken(Wire.required(j.id(), "id"), name == null ? "" : name, status == null ? "active" : status,
        policies, ip == null ? List.of() : ip.allowedList(), ip == null ? List.of() : ip.deniedList(), j.issuedOn(),
        j.notBefore(), j.expiresOn());
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
