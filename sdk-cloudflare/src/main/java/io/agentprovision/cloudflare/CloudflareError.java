package io.agentprovision.cloudflare;

import io.agentprovision.core.Secret;
import io.agentprovision.cloudflare.internal.Fields;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  static CloudflareError from(Map<String, Object> m) {
    List<CloudflareError> chain = new ArrayList<>();
    for (Map<String, Object> c : Fields.objects(m, "error_chain")) {
      chain.add(from(c));
    }
    return new CloudflareError((int) Fields.number(m, "code", 0), Secret.scrub(Fields.string(m, "message", "")),
        Fields.string(m, "documentation_url"), Fields.string(Fields.object(m, "source"), "pointer"), chain);
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
