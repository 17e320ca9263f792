package io.agentprovision.core.internal.protocol;

import io.agentprovision.core.InvalidRequestException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import okhttp3.HttpUrl;

/** The rule for remote endpoints: https, or plain http only to this machine (a loopback sandbox). */
public final class SecureUrls {
  private SecureUrls() {}

  /** Parses {@code url} and refuses anything but https or loopback http. */
  public static HttpUrl require(String field, String url) {
    HttpUrl u = url == null ? null : HttpUrl.parse(url);
    if (u == null) {
      throw new InvalidRequestException(field, "'" + url + "' is not an http(s) URL",
          "pass an absolute URL such as \"https://example.com\"");
    }
    if (!u.isHttps() && !isLoopback(u.host())) {
      throw new InvalidRequestException(field, "'" + u + "' is plain http to another machine",
          "use https (plain http is accepted only for a loopback sandbox)");
    }
    return u;
  }

  /** Whether {@code host} is {@code localhost} or a loopback address literal; names are never resolved. */
  public static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!host.matches("[0-9.]+") && !host.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
