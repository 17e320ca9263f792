package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Fields;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@code GET …/tokens/verify} says about the token making the call.
 *
 * @param id the token's id
 * @param status {@code active}, {@code disabled} or {@code expired}
 * @param notBefore when it starts working, when set
 * @param expiresOn when it stops working, when set
 */
public record TokenVerification(String id, String status, @Nullable Instant notBefore, @Nullable Instant expiresOn) {
  public TokenVerification {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
  }

  static TokenVerification from(Map<String, Object> m) {
    return new TokenVerification(Fields.string(m, "id", ""), Fields.string(m, "status", ""), Fields.instant(m, "not_before"),
        Fields.instant(m, "expires_on"));
  }

  public boolean active() {
    return "active".equals(status);
  }
}
