package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.core.Secret;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One entry of a Cloudflare envelope's {@code errors[]} (or {@code messages[]}): a numeric code, a
 * message, and where present the documentation link, the JSON pointer to the offending request
 * field, and the chain of underlying errors ({@code error_chain}, such as 6003 caused by 6111).
 *
 * @param code the Cloudflare error code, such as {@code 10000} (authentication) or {@code 971} (rate limited)
 * @param message the message, cleaned of anything credential-shaped
 * @param documentationUrl a link to the documentation, when given
 * @param pointer {@code source.pointer}: the JSON pointer of the request field at fault, when given
 * @param chain the underlying errors, outermost first
 */
public record CloudflareError(int code, String message, @Nullable String documentationUrl, @Nullable String pointer,
    List<CloudflareError> chain) {
  public CloudflareError {
    Objects.requireNonNull(message, "message");
    chain = List.copyOf(chain);
  }

  /** A plain error without pointer or chain. */
  public static CloudflareError of(int code, String message) {
    return new CloudflareError(code, message, null, null, List.of());
  }

  static CloudflareError from(Wire.Message m) {
    List<CloudflareError> chain = new ArrayList<>();
    for (Wire.Message c : m.chain()) {
      chain.add(from(c));
    }
    String message = m.message();
    Wire.Source source = m.source();
    return new CloudflareError(m.code(), Secret.scrub(message == null ? "" : message), m.documentationUrl(),
        source == null ? null : source.pointer(), chain);
  }

  /** Whether this error or one in its chain has {@code wanted} as code. */
  public boolean hasCode(int wanted) {
    if (code == wanted) {
      return true;
    }
    for (CloudflareError c : chain) {
      if (c.hasCode(wanted)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append(code).append(": ").append(message);
    if (pointer != null) {
      sb.append(" (at ").append(pointer).append(')');
    }
    if (!chain.isEmpty()) {
      sb.append(" caused by ").append(chain);
    }
    return sb.toString();
  }
}
