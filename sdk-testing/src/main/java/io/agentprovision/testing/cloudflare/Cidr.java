package io.agentprovision.testing.cloudflare;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 address range, for the sandbox's {@code condition.request_ip} checks. */
final class Cidr {
  private final byte[] network;
  private final int prefix;

  private Cidr(byte[] network, int prefix) {
    this.network = network;
    this.prefix = prefix;
  }

  /** Parses {@code 203.0.113.0/24}, {@code 2001:db8::/32} or a bare address; null when it is neither. */
  static @org.jspecify.annotations.Nullable Cidr parse(String text) {
    if (text == null) {
      return null;
    }
    String t = text.trim();
    String addr = t;
    int prefix = -1;
    int slash = t.indexOf('/');
    if (slash >= 0) {
      addr = t.substring(0, slash);
      try {
        prefix = Integer.parseInt(t.substring(slash + 1));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    if (!addr.matches("[0-9A-Fa-f:.]+") || (!addr.contains(".") && !addr.contains(":"))) {
      return null; // never resolve host names
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(addr).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
    int max = bytes.length * 8;
    if (prefix < 0) {
      prefix = max;
    }
    if (prefix > max) {
      return null;
    }
    return new Cidr(bytes, prefix);
  }

  boolean contains(String ip) {
    Cidr other = parse(ip);
    if (other == null || other.network.length != network.length) {
      return false;
    }
    int bits = network.length * 8;
    BigInteger mask = prefix == 0 ? BigInteger.ZERO
        : BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftRight(bits - prefix).shiftLeft(bits - prefix);
    return new BigInteger(1, network).and(mask).equals(new BigInteger(1, other.network).and(mask));
  }
}
