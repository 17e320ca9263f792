package io.agentprovision.core.spi;

import io.agentprovision.core.internal.vault.InMemoryVault;
import java.util.List;
import java.util.Optional;

/**
 * Keeps credentials at rest, encrypted where it persists them, and out of every log. The engine
 * stores each revealed or minted credential here and keeps only its key in the journal and audit
 * log. Thread-safe.
 *
 * <pre>{@code
 * CredentialVault vault = CredentialVault.encryptedFile(Path.of("vault.bin"),
 *     KeyProvider.fromBase64("k1", System.getenv("AGENTPROVISION_VAULT_KEY")));
 * }</pre>
 */
public interface CredentialVault {
  /** A vault in memory, for tests and short-lived hosts. */
  static CredentialVault inMemory() {
    return new InMemoryVault();
  }


  /** Stores (or replaces) an entry. */
  void put(VaultEntry entry);

  /** The entry under {@code key}, if any. */
  Optional<VaultEntry> get(String key);

  /** Deletes the entry; returns whether there was one. */
  boolean delete(String key);

  /** The keys that start with {@code prefix}, sorted. */
  List<String> keys(String prefix);
}
