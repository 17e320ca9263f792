package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.core.InvalidRequestException;
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
 * <p>{@link ApiTokens} reads these from Cloudflare's answers; to make one (a test double, say)
 * use {@link #builder}, which keeps working when a component is added (the canonical constructor is
 * public only because records require it):
 *
 * <pre>{@code
 * ApiToken t = ApiToken.builder("tok_1", "my-app deploy").policy(policy)
 *     .allowIps(List.of("203.0.113.7/32")).expiresOn(now.plus(Duration.ofDays(7))).build();
 * }</pre>
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

  /**
   * A builder for the {@code active} token {@code id} named {@code name}: no policies, usable from any
   * address, no dates, until set otherwise.
   *
   * @throws NullPointerException naming the first argument that is null
   * @throws InvalidRequestException naming {@code id} when it is blank
   */
  public static Builder builder(String id, String name) {
    return new Builder(id, name);
  }

  /** A builder holding this token's values. */
  public Builder toBuilder() {
    return new Builder(id, name).status(status).policies(policies).allowIps(allowIps).denyIps(denyIps)
        .issuedOn(issuedOn).notBefore(notBefore).expiresOn(expiresOn);
  }

  /** Builds {@link ApiToken}s. */
  public static final class Builder {
    private final String id;
    private final String name;
    private String status = "active";
    private List<TokenPolicy> policies = new ArrayList<>();
    private List<String> allowIps = List.of();
    private List<String> denyIps = List.of();
    private @Nullable Instant issuedOn;
    private @Nullable Instant notBefore;
    private @Nullable Instant expiresOn;

    private Builder(String id, String name) {
      this.id = Objects.requireNonNull(id, "id");
      if (id.isBlank()) {
        // the id is what rolls and deletes the token: a blank one would address no token at all
        throw new InvalidRequestException("id", "is blank", "pass the token id Cloudflare assigned");
      }
      this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * {@code active} (the default), {@code disabled} or {@code expired}; other values Cloudflare may add
     * are kept as they are.
     *
     * @throws InvalidRequestException naming {@code status} when it is blank
     */
    public Builder status(String s) {
      Objects.requireNonNull(s, "status");
      if (s.isBlank()) {
        throw new InvalidRequestException("status", "is blank", "pass \"active\", \"disabled\" or \"expired\"");
      }
      this.status = s;
      return this;
    }

    /** Replaces the policies; none by default. */
    public Builder policies(List<TokenPolicy> p) {
      Objects.requireNonNull(p, "policies");
      List<TokenPolicy> copy = new ArrayList<>(p.size());
      for (TokenPolicy policy : p) {
        copy.add(Objects.requireNonNull(policy, "policies[" + copy.size() + "]"));
      }
      this.policies = copy;
      return this;
    }

    /** Adds a policy after those already set. */
    public Builder policy(TokenPolicy p) {
      policies.add(Objects.requireNonNull(p, "policy"));
      return this;
    }

    /** The only client addresses or CIDR ranges the token works from; empty (the default): any. */
    public Builder allowIps(List<String> ips) {
      this.allowIps = List.copyOf(Objects.requireNonNull(ips, "allowIps"));
      return this;
    }

    /** The client addresses or CIDR ranges the token does not work from; none by default. */
    public Builder denyIps(List<String> ips) {
      this.denyIps = List.copyOf(Objects.requireNonNull(ips, "denyIps"));
      return this;
    }

    /** When it was issued; null (the default) when not known. */
    public Builder issuedOn(@Nullable Instant t) {
      this.issuedOn = t;
      return this;
    }

    /** When it starts working; null (the default) for at once. */
    public Builder notBefore(@Nullable Instant t) {
      this.notBefore = t;
      return this;
    }

    /** When it stops working; null (the default) for never. */
    public Builder expiresOn(@Nullable Instant t) {
      this.expiresOn = t;
      return this;
    }

    /**
     * The token.
     *
     * @throws InvalidRequestException naming {@code expiresOn} when it is before {@code notBefore}
     */
    public ApiToken build() {
      Instant from = notBefore;
      Instant until = expiresOn;
      if (from != null && until != null && until.isBefore(from)) {
        throw new InvalidRequestException("expiresOn", "is " + until + ", before notBefore " + from,
            "set expiresOn after notBefore, or leave one of them out");
      }
      return new ApiToken(id, name, status, policies, allowIps, denyIps, issuedOn, from, until);
    }
  }
}
