package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import java.time.Instant;
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

  static TokenVerification from(Wire.VerifyJson j) {
    return new TokenVerification(Wire.required(j.id(), "id"), Wire.required(j.status(), "status"), j.notBefore(),
        j.expiresOn());
  }

  public boolean active() {
    return "active".equals(status);
  }
}
