package io.agentprovision.core.internal;

import io.agentprovision.core.InvalidRequestException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An IPv4 or IPv6 address or CIDR range parsed strictly from text, with one canonical spelling:
 * IPv4 in plain dotted decimal, IPv6 as RFC 5952 writes it (lower case, no leading zeros, the
 * longest run of zero groups as {@code ::}, IPv4-mapped addresses with a dotted tail), and the
 * prefix kept only when one was written. Refused: host names, zone ids, leading zeros (which some
 * parsers read as octal), any other spelling of a number, a prefix out of range, and host bits set
 * under the prefix ({@code 203.0.113.7/24}). Never resolves anything.
 *
 * @param address the address bytes (4 or 16)
 * @param prefix the prefix length (32 or 128 for a single address)
 * @param prefixWritten whether the text had a {@code /prefix}
 */
public record IpRange(byte[] address, int prefix, boolean prefixWritten) {
  private static final String EXAMPLES = "pass addresses or ranges such as \"203.0.113.7\", \"203.0.113.0/24\" or "
      + "\"2001:db8::/32\"";
  private static final int MAX_INPUT_CHARS = 64;

  /** Parses {@code value}, naming {@code field} in the error. */
  public static IpRange parse(String field, @Nullable String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidRequestException(field, "an address is empty", "pass addresses or CIDR ranges such as \"203.0.113.0/24\"");
    }
    String v = value.strip();
    if (v.length() > MAX_INPUT_CHARS) {
      throw bad(field, value);
    }
    String addr = v;
    int prefix = -1;
    int slash = v.indexOf('/');
    if (slash >= 0) {
      addr = v.substring(0, slash);
      String p = v.substring(slash + 1);
      if (!p.matches("0|[1-9][0-9]{0,2}")) {
        throw new InvalidRequestException(field, Untrusted.quote(value) + " has prefix length " + Untrusted.quote(p)
            + ", which is not a plain decimal number", EXAMPLES);
      }
      prefix = Integer.parseInt(p);
    }
    byte[] bytes = addr.contains(":") ? parseV6(field, value, addr) : parseV4(field, value, addr);
    int max = bytes.length * 8;
    if (slash >= 0 && prefix > max) {
      throw new InvalidRequestException(field, Untrusted.quote(value) + " has prefix length " + prefix + " outside 0.." + max,
          "use a prefix such as /24 for IPv4 or /48 for IPv6");
    }
    IpRange r = new IpRange(bytes, slash >= 0 ? prefix : max, slash >= 0);
    if (!r.first().equals(new BigInteger(1, bytes))) {
      IpRange network = new IpRange(r.networkBytes(), r.prefix, true);
      throw new InvalidRequestException(field, Untrusted.quote(value) + " has host bits set under its /" + prefix
          + " prefix", "write \"" + network.canonical() + "\" for the range, or \"" + new IpRange(bytes, max, false)
          .canonical() + "\" for the one address");
    }
    return r;
  }

  public IpRange {
    address = address.clone();
  }

  @Override
  public byte[] address() {
    return address.clone();
  }

  public boolean isV4() {
    return address.length == 4;
  }

  /** The canonical text: the address, and {@code /prefix} when one was written. */
  public String canonical() {
    String a = isV4() ? v4(address, 0) : v6(address);
    return prefixWritten ? a + "/" + prefix : a;
  }

  /** The first address of the range, as an unsigned number. */
  public BigInteger first() {
    return new BigInteger(1, networkBytes());
  }

  /** The last address of the range, as an unsigned number. */
  public BigInteger last() {
    int bits = address.length * 8;
    return first().add(BigInteger.ONE.shiftLeft(bits - prefix)).subtract(BigInteger.ONE);
  }

  /** Whether the ranges together hold every IPv4 address, or every IPv6 address. */
  public static boolean coverEveryAddress(Collection<IpRange> ranges) {
    return covers(ranges, true) || covers(ranges, false);
  }

  private static boolean covers(Collection<IpRange> ranges, boolean v4) {
    List<IpRange> family = new ArrayList<>();
    for (IpRange r : ranges) {
      if (r.isV4() == v4) {
        family.add(r);
      }
    }
    family.sort(Comparator.comparing(IpRange::first));
    BigInteger next = BigInteger.ZERO; // the lowest address not yet covered
    for (IpRange r : family) {
      if (r.first().compareTo(next) > 0) {
        return false;
      }
      next = next.max(r.last().add(BigInteger.ONE));
    }
    return next.equals(BigInteger.ONE.shiftLeft(v4 ? 32 : 128));
  }

  private byte[] networkBytes() {
    byte[] out = address.clone();
    for (int bit = prefix; bit < out.length * 8; bit++) {
      out[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    return out;
  }

  private static byte[] parseV4(String field, String value, String addr) {
    String[] parts = addr.split("\\.", -1);
    if (parts.length != 4) {
      throw bad(field, value);
    }
    byte[] out = new byte[4];
    for (int i = 0; i < 4; i++) {
      out[i] = (byte) octet(field, value, parts[i]);
    }
    return out;
  }

  private static int octet(String field, String value, String part) {
    if (!part.matches("[0-9]{1,3}")) {
      throw bad(field, value);
    }
    if (part.length() > 1 && part.startsWith("0")) {
      // some parsers read a leading zero as octal (010 = 8): an allow-list must not be ambiguous
      throw new InvalidRequestException(field, Untrusted.quote(value) + " has a part with a leading zero, which some "
          + "systems read as octal", "write each part in plain decimal, such as \"10.0.0.1\"");
    }
    int n = Integer.parseInt(part);
    if (n > 255) {
      throw bad(field, value);
    }
    return n;
  }

  private static byte[] parseV6(String field, String value, String addr) {
    if (!addr.matches("[0-9A-Fa-f:.]+")) {
      throw bad(field, value); // also a zone id ("%eth0"), which an allow-list cannot mean
    }
    byte[] tail4 = null;
    String hex = addr;
    int lastColon = addr.lastIndexOf(':');
    if (addr.indexOf('.') >= 0) {
      if (addr.indexOf('.') < lastColon) {
        throw bad(field, value);
      }
      tail4 = parseV4(field, value, addr.substring(lastColon + 1));
      hex = addr.substring(0, lastColon + 1) + "0:0"; // the dotted tail stands for two groups
    }
    int dc = hex.indexOf("::");
    if (dc >= 0 && hex.indexOf("::", dc + 1) >= 0) {
      throw bad(field, value);
    }
    List<String> head = groups(field, value, dc >= 0 ? hex.substring(0, dc) : hex);
    List<String> rest = dc >= 0 ? groups(field, value, hex.substring(dc + 2)) : List.of();
    int total = head.size() + rest.size();
    if ((dc < 0 && total != 8) || (dc >= 0 && total > 7)) {
      throw bad(field, value);
    }
    byte[] out = new byte[16];
    int i = 0;
    for (String g : head) {
      put(out, i++, g);
    }
    i = 8 - rest.size();
    for (String g : rest) {
      put(out, i++, g);
    }
    if (tail4 != null) {
      System.arraycopy(tail4, 0, out, 12, 4);
    }
    return out;
  }

  private static List<String> groups(String field, String value, String s) {
    List<String> out = new ArrayList<>();
    if (s.isEmpty()) {
      return out;
    }
    for (String g : s.split(":", -1)) {
      if (!g.matches("[0-9A-Fa-f]{1,4}")) {
        throw bad(field, value);
      }
      out.add(g);
    }
    return out;
  }

  private static void put(byte[] out, int group, String hex) {
    int n = Integer.parseInt(hex, 16);
    out[group * 2] = (byte) (n >>> 8);
    out[group * 2 + 1] = (byte) n;
  }

  private static String v4(byte[] b, int from) {
    return (b[from] & 0xFF) + "." + (b[from + 1] & 0xFF) + "." + (b[from + 2] & 0xFF) + "." + (b[from + 3] & 0xFF);
  }

  private static String v6(byte[] b) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[i * 2] & 0xFF) << 8) | (b[i * 2 + 1] & 0xFF);
    }
    boolean mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xFFFF;
    if (mapped) {
      return "::ffff:" + v4(b, 12);
    }
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (bestLen < 2) {
      bestStart = -1; // RFC 5952 4.2.2: "::" never stands for a single zero group
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  private static InvalidRequestException bad(String field, String value) {
    return new InvalidRequestException(field, Untrusted.quote(value) + " is not an IP address or CIDR range", EXAMPLES);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpRange r && java.util.Arrays.equals(r.address, address) && r.prefix == prefix
        && r.prefixWritten == prefixWritten;
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(address) * 31 + prefix * 2 + (prefixWritten ? 1 : 0);
  }

  @Override
  public String toString() {
    return canonical();
  }
}
