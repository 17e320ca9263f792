package io.agentprovision.core.vault;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.CredentialVault;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One credential in a {@link CredentialVault}.
 *
 * @param key where it is stored, such as {@code "run_…/cloudflare/deploy-token"}
 * @param secret the value
 * @param attributes non-secret facts about it (provider, account id, token id, permissions)
 * @param storedAt when it was stored
 * @param expiresAt when the credential expires, when it does
 */
public record VaultEntry(String key, Secret secret, Map<String, String> attributes, Instant storedAt,
    @Nullable Instant expiresAt) {
  public VaultEntry {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(secret, "secret");
    attributes = Map.copyOf(attributes);
    Objects.requireNonNull(storedAt, "storedAt");
  }
}
