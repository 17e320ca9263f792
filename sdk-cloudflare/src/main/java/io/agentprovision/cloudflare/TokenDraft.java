package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.TokenSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The body of a token-create call: a name, policies, an optional client-IP condition and validity
 * window. Immutable; {@link #builder(String)}.
 *
 * <pre>{@code
 * TokenDraft draft = TokenDraft.builder("deploy my-app")
 *     .policy(TokenPolicy.allow(LeastPrivilege.accountResource(accountId), List.of(scriptsWrite)))
 *     .allowIps("203.0.113.0/24")
 *     .expiresOn(clock.instant().plus(Duration.ofDays(7)))
 *     .build();
 * }</pre>
 */
public final class TokenDraft {
  /** Cloudflare's longest token name. */
  public static final int MAX_NAME_LENGTH = 120;

  private final String name;
  private final List<TokenPolicy> policies;
  private final List<String> allowIps;
  private final List<String> denyIps;
  private final @Nullable Instant notBefore;
  private final @Nullable Instant expiresOn;

  private TokenDraft(Builder b) {
    this.name = b.name;
    this.policies = List.copyOf(b.policies);
    this.allowIps = List.copyOf(b.allowIps);
    this.denyIps = List.copyOf(b.denyIps);
    this.notBefore = b.notBefore;
    this.expiresOn = b.expiresOn;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  public List<TokenPolicy> policies() {
    return policies;
  }

  public List<String> allowIps() {
    return allowIps;
  }

  public List<String> denyIps() {
    return denyIps;
  }

  public @Nullable Instant notBefore() {
    return notBefore;
  }

  public @Nullable Instant expiresOn() {
    return expiresOn;
  }

  /** The request JSON. The condition key is the current {@code request_ip}. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    List<Object> ps = new ArrayList<>();
    for (TokenPolicy p : policies) {
      ps.add(p.toJson());
    }
    m.put("policies", ps);
    if (!allowIps.isEmpty() || !denyIps.isEmpty()) {
      Map<String, Object> ip = new LinkedHashMap<>();
      if (!allowIps.isEmpty()) {
        ip.put("in", allowIps);
      }
      if (!denyIps.isEmpty()) {
        ip.put("not_in", denyIps);
      }
      m.put("condition", Map.of("request_ip", ip));
    }
    if (notBefore != null) {
      m.put("not_before", Wire.timestamp(notBefore));
    }
    if (expiresOn != null) {
      m.put("expires_on", Wire.timestamp(expiresOn));
    }
    return m;
  }

  @Override
  public String toString() {
    return "TokenDraft{" + name + ", policies=" + policies.size() + ", allow=" + allowIps + ", deny=" + denyIps
        + ", expiresOn=" + expiresOn + "}";
  }

  /** Builds a {@link TokenDraft}. */
  public static final class Builder {
    private final String name;
    private final List<TokenPolicy> policies = new ArrayList<>();
    private final List<String> allowIps = new ArrayList<>();
    private final List<String> denyIps = new ArrayList<>();
    private @Nullable Instant notBefore;
    private @Nullable Instant expiresOn;

    private Builder(String name) {
      if (name == null || name.isBlank()) {
        throw new InvalidRequestException("name", "is empty", "name the token after what it is for");
      }
      this.name = name.length() > MAX_NAME_LENGTH ? name.substring(0, MAX_NAME_LENGTH) : name;
    }

    public Builder policy(TokenPolicy policy) {
      policies.add(Objects.requireNonNull(policy, "policy"));
      return this;
    }

    public Builder policies(List<TokenPolicy> list) {
      list.forEach(this::policy);
      return this;
    }

    /** Only requests from these addresses or CIDR ranges may use the token. */
    public Builder allowIps(String... cidrs) {
      for (String c : cidrs) {
        allowIps.add(TokenSpec.cidr("allowIps", c));
      }
      return this;
    }

    /** Requests from these addresses or CIDR ranges may not use the token. */
    public Builder denyIps(String... cidrs) {
      for (String c : cidrs) {
        denyIps.add(TokenSpec.cidr("denyIps", c));
      }
      return this;
    }

    public Builder notBefore(@Nullable Instant at) {
      this.notBefore = at;
      return this;
    }

    public Builder expiresOn(@Nullable Instant at) {
      this.expiresOn = at;
      return this;
    }

    public TokenDraft build() {
      if (policies.isEmpty()) {
        throw new InvalidRequestException("policies", "is empty", "add at least one policy");
      }
      if (notBefore != null && expiresOn != null && !expiresOn.isAfter(notBefore)) {
        throw new InvalidRequestException("expiresOn", "is not after notBefore", "let the token live a while");
      }
      return new TokenDraft(this);
    }
  }
}
