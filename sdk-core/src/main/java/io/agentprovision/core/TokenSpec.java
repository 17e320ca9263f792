package io.agentprovision.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

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

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

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

  private TokenSpec(List<String> allowIps, List<String> denyIps, Duration ttl, Set<String> extraPermissions,
      BroadToken broadToken) {
    this.allowIps = List.copyOf(allowIps);
    this.denyIps = List.copyOf(denyIps);
    this.ttl = ttl;
    this.extraPermissions = Set.copyOf(extraPermissions);
    this.broadToken = broadToken;
  }

  /** Only what the deployment needs, {@link #DEFAULT_TTL}, no IP condition, broad token kept. */
  public static TokenSpec leastPrivilege() {
    return new TokenSpec(List.of(), List.of(), DEFAULT_TTL, Set.of(), BroadToken.KEEP);
  }

  /** Only requests from these addresses or CIDR ranges may use the token. */
  public TokenSpec allowIps(String... cidrs) {
    List<String> list = new ArrayList<>(allowIps);
    for (String c : cidrs) {
      list.add(cidr("allowIps", c));
    }
    return new TokenSpec(list, denyIps, ttl, extraPermissions, broadToken);
  }

  /** Requests from these addresses or CIDR ranges may not use the token. */
  public TokenSpec denyIps(String... cidrs) {
    List<String> list = new ArrayList<>(denyIps);
    for (String c : cidrs) {
      list.add(cidr("denyIps", c));
    }
    return new TokenSpec(allowIps, list, ttl, extraPermissions, broadToken);
  }

  /** How long the token lives, between {@link #MIN_TTL} and {@link #MAX_TTL}. */
  public TokenSpec ttl(Duration timeToLive) {
    Objects.requireNonNull(timeToLive, "ttl");
    if (timeToLive.compareTo(MIN_TTL) < 0 || timeToLive.compareTo(MAX_TTL) > 0) {
      throw new InvalidRequestException("ttl", "must be between " + MIN_TTL + " and " + MAX_TTL + " (was " + timeToLive + ")",
          "pass a duration such as Duration.ofDays(7) and rotate before it ends");
    }
    return new TokenSpec(allowIps, denyIps, timeToLive, extraPermissions, broadToken);
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
    return new TokenSpec(allowIps, denyIps, ttl, set, broadToken);
  }

  /** What to do with the broad credential once the narrow one works. */
  public TokenSpec retireBroadToken(BroadToken action) {
    return new TokenSpec(allowIps, denyIps, ttl, extraPermissions, Objects.requireNonNull(action, "action"));
  }

  public List<String> allowIps() {
    return allowIps;
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
   * Normalises an IP address or CIDR range ({@code "203.0.113.7"}, {@code "203.0.113.0/24"},
   * {@code "2001:db8::/32"}) and refuses anything else. Never resolves host names.
   */
  public static String cidr(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidRequestException(field, "an address is empty", "pass addresses or CIDR ranges such as \"203.0.113.0/24\"");
    }
    String v = value.trim();
    String addr = v;
    int prefix = -1;
    int slash = v.indexOf('/');
    if (slash >= 0) {
      addr = v.substring(0, slash);
      try {
        prefix = Integer.parseInt(v.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw bad(field, value);
      }
    }
    boolean v4 = IPV4.matcher(addr).matches();
    boolean v6 = !v4 && addr.contains(":") && IPV6.matcher(addr).matches();
    if (!v4 && !v6) {
      throw bad(field, value);
    }
    if (v4) {
      for (String part : addr.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          throw bad(field, value);
        }
        if (part.length() > 1 && part.startsWith("0")) {
          // some parsers read a leading zero as octal (010 = 8): an allow-list must not be ambiguous
          throw new InvalidRequestException(field, "'" + value + "' has a part with a leading zero, which some systems "
              + "read as octal", "write each part in plain decimal, such as \"10.0.0.1\"");
        }
      }
    }
    try {
      InetAddress.getByName(addr); // a literal only: the patterns above exclude host names
    } catch (UnknownHostException e) {
      throw bad(field, value);
    }
    int max = v4 ? 32 : 128;
    if (slash >= 0 && (prefix < 0 || prefix > max)) {
      throw new InvalidRequestException(field, "'" + value + "' has prefix length " + prefix + " outside 0.." + max,
          "use a prefix such as /24 for IPv4 or /48 for IPv6");
    }
    return v;
  }

  private static InvalidRequestException bad(String field, String value) {
    return new InvalidRequestException(field, "'" + value + "' is not an IP address or CIDR range",
        "pass addresses or ranges such as \"203.0.113.7\", \"203.0.113.0/24\" or \"2001:db8::/32\"");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenSpec t && t.allowIps.equals(allowIps) && t.denyIps.equals(denyIps) && t.ttl.equals(ttl)
        && t.extraPermissions.equals(extraPermissions) && t.broadToken == broadToken;
  }

  @Override
  public int hashCode() {
    return Objects.hash(allowIps, denyIps, ttl, extraPermissions, broadToken);
  }

  @Override
  public String toString() {
    return "TokenSpec{allow=" + allowIps + ", deny=" + denyIps + ", ttl=" + ttl + ", extra=" + extraPermissions
        + ", broadToken=" + broadToken + "}";
  }
}
