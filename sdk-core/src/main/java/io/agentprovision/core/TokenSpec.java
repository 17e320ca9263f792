package io.agentprovision.core;

import io.agentprovision.core.internal.IpRange;
import io.agentprovision.core.internal.Untrusted;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the deploy credential minted for a run may do and where from: least privilege (only the
 * permissions the deployment needs, on only the account and zone it touches), an optional IP
 * allow-list and deny-list, and a time to live. A {@link io.agentprovision.core.spi.Deployer} turns
 * this intent into the provider's permission set.
 *
 * <pre>{@code
 * TokenSpec.leastPrivilege()
 *     .allowIps("203.0.113.0/24", "2001:db8::/32")
 *     .ttl(Duration.ofDays(7))
 *     .retireBroadToken(TokenSpec.BroadToken.DELETE)
 * }</pre>
 */
public final class TokenSpec {
  /** Time to live when none is given. */
  public static final Duration DEFAULT_TTL = Duration.ofDays(7);
  /** The longest time to live accepted: rotate instead. */
  public static final Duration MAX_TTL = Duration.ofDays(90);
  /** The shortest time to live accepted. */
  public static final Duration MIN_TTL = Duration.ofMinutes(5);


  /** What happens to the broad credential the orchestrator revealed once the narrow one exists. */
  public enum BroadToken {
    /** Keep it as it is (it stays in the vault). */
    KEEP,
    /** Roll its value so that any copy seen before is useless; the new value goes to the vault. */
    ROLL,
    /** Delete it at the provider and from the vault. */
    DELETE
  }

  private final List<String> allowIps;
  private final List<String> denyIps;
  private final Duration ttl;
  private final Set<String> extraPermissions;
  private final BroadToken broadToken;
  private final boolean anyIpAllowed;

  private TokenSpec(List<String> allowIps, List<String> denyIps, Duration ttl, Set<String> extraPermissions,
      BroadToken broadToken) {
    this(allowIps, denyIps, ttl, extraPermissions, broadToken, false);
  }

  private TokenSpec(List<String> allowIps, List<String> denyIps, Duration ttl, Set<String> extraPermissions,
      BroadToken broadToken, boolean anyIpAllowed) {
    this.allowIps = List.copyOf(allowIps);
    this.denyIps = List.copyOf(denyIps);
    this.ttl = ttl;
    this.extraPermissions = Set.copyOf(extraPermissions);
    this.broadToken = broadToken;
    this.anyIpAllowed = anyIpAllowed;
  }

  /**
   * Only what the deployment needs, {@link #DEFAULT_TTL}, no IP condition yet (the plan notes a
   * token that is not IP-bound: add {@link #allowIps(String...)}), broad token kept.
   */
  public static TokenSpec leastPrivilege() {
    return new TokenSpec(List.of(), List.of(), DEFAULT_TTL, Set.of(), BroadToken.KEEP);
  }

  /**
   * Only requests from these addresses or CIDR ranges may use the token. Each is parsed strictly
   * ({@link #cidr}) and kept in its canonical form. Ranges that together hold every IPv4 or every
   * IPv6 address ({@code 0.0.0.0/0}, {@code ::/0}, {@code 0.0.0.0/1} with {@code 128.0.0.0/1})
   * bind nothing and are refused: say so on purpose with {@link #allowAnyIp()} instead.
   */
  public TokenSpec allowIps(String... cidrs) {
    Objects.requireNonNull(cidrs, "allowIps");
    List<String> list = new ArrayList<>(allowIps);
    List<IpRange> ranges = new ArrayList<>();
    for (String c : list) {
      ranges.add(IpRange.parse("allowIps", c));
    }
    for (String c : cidrs) {
      IpRange r = IpRange.parse("allowIps", c);
      ranges.add(r);
      if (IpRange.coverEveryAddress(ranges)) {
        throw new InvalidRequestException("allowIps", Untrusted.quote(c) + (list.isEmpty() ? "" : " with " + list)
            + " lets every " + (r.isV4() ? "IPv4" : "IPv6") + " address use the token, which binds it to no address at all",
            "list the addresses deploys come from, such as \"203.0.113.0/24\"; to let any address use the token on "
                + "purpose, call TokenSpec.allowAnyIp() instead");
      }
      list.add(r.canonical());
    }
    return new TokenSpec(list, denyIps, ttl, extraPermissions, broadToken, false);
  }

  /**
   * Lets the token be used from any address, on purpose: clears {@link #allowIps()}. The plan says
   * that the token is not IP-bound. Prefer {@link #allowIps(String...)} with the addresses deploys
   * come from; a later call to it binds the token again.
   */
  public TokenSpec allowAnyIp() {
    return new TokenSpec(List.of(), denyIps, ttl, extraPermissions, broadToken, true);
  }

  /** Requests from these addresses or CIDR ranges may not use the token; parsed like {@link #allowIps(String...)}. */
  public TokenSpec denyIps(String... cidrs) {
    Objects.requireNonNull(cidrs, "denyIps");
    List<String> list = new ArrayList<>(denyIps);
    for (String c : cidrs) {
      list.add(cidr("denyIps", c));
    }
    return new TokenSpec(allowIps, list, ttl, extraPermissions, broadToken, anyIpAllowed);
  }

  /** How long the token lives, between {@link #MIN_TTL} and {@link #MAX_TTL}. */
  public TokenSpec ttl(Duration timeToLive) {
    Objects.requireNonNull(timeToLive, "ttl");
    if (timeToLive.compareTo(MIN_TTL) < 0 || timeToLive.compareTo(MAX_TTL) > 0) {
      throw new InvalidRequestException("ttl", "must be between " + MIN_TTL + " and " + MAX_TTL + " (was " + timeToLive + ")",
          "pass a duration such as Duration.ofDays(7) and rotate before it ends");
    }
    return new TokenSpec(allowIps, denyIps, timeToLive, extraPermissions, broadToken, anyIpAllowed);
  }

  /**
   * A permission beyond what the deployment itself needs, by the provider's name (such as
   * {@code "Workers KV Storage Write"}). Each one widens the token; prefer none.
   */
  public TokenSpec extraPermission(String permissionName) {
    if (permissionName == null || permissionName.isBlank()) {
      throw new InvalidRequestException("extraPermission", "is empty", "name a provider permission group");
    }
    Set<String> set = new LinkedHashSet<>(extraPermissions);
    set.add(permissionName);
    return new TokenSpec(allowIps, denyIps, ttl, set, broadToken, anyIpAllowed);
  }

  /** What to do with the broad credential once the narrow one works. */
  public TokenSpec retireBroadToken(BroadToken action) {
    return new TokenSpec(allowIps, denyIps, ttl, extraPermissions, Objects.requireNonNull(action, "action"),
        anyIpAllowed);
  }

  /** The allowed addresses and ranges, each in canonical form; empty when the token is not IP-bound. */
  public List<String> allowIps() {
    return allowIps;
  }

  /** Whether only listed addresses may use the token. */
  public boolean isIpBound() {
    return !allowIps.isEmpty();
  }

  /** Whether the host said on purpose, with {@link #allowAnyIp()}, that any address may use the token. */
  public boolean anyIpAllowed() {
    return anyIpAllowed;
  }

  public List<String> denyIps() {
    return denyIps;
  }

  public Duration ttl() {
    return ttl;
  }

  public Set<String> extraPermissions() {
    return extraPermissions;
  }

  public BroadToken broadToken() {
    return broadToken;
  }

  /**
   * Parses an IP address or CIDR range strictly and returns its canonical form: IPv4 in plain
   * dotted decimal ({@code "203.0.113.7"}, {@code "203.0.113.0/24"}), IPv6 as RFC 5952 writes it
   * ({@code "2001:DB8:0:0:0:0:0:1"} becomes {@code "2001:db8::1"}), the prefix kept when one was
   * written. Refuses host names (nothing is resolved), zone ids, leading zeros, a prefix out of
   * range and host bits set under the prefix ({@code "203.0.113.7/24"}).
   *
   * @throws InvalidRequestException naming {@code field}
   */
  public static String cidr(String field, String value) {
    return IpRange.parse(field, value).canonical();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenSpec t && t.allowIps.equals(allowIps) && t.denyIps.equals(denyIps) && t.ttl.equals(ttl)
        && t.extraPermissions.equals(extraPermissions) && t.broadToken == broadToken && t.anyIpAllowed == anyIpAllowed;
  }

  @Override
  public int hashCode() {
    return Objects.hash(allowIps, denyIps, ttl, extraPermissions, broadToken, anyIpAllowed);
  }

  @Override
  public String toString() {
    return "TokenSpec{allow=" + (anyIpAllowed ? "any" : allowIps) + ", deny=" + denyIps + ", ttl=" + ttl
        + ", extra=" + extraPermissions + ", broadToken=" + broadToken + "}";
  }
}
