package io.agentprovision.core.orchestration;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A single-use link into the provider's own interface (such as its dashboard), valid for minutes.
 *
 * @param purpose what it opens, such as {@code "dashboard"}
 * @param url the link; it signs the person in, so treat it like a short-lived credential
 * @param expiresAt when it stops working, when the provider said
 */
public record DeepLink(String purpose, URI url, @Nullable Instant expiresAt) {
  public DeepLink {
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(url, "url");
  }

  @Override
  public String toString() {
    return "DeepLink{purpose=" + purpose + ", host=" + url.getHost() + ", expiresAt=" + expiresAt + "}";
  }
}
