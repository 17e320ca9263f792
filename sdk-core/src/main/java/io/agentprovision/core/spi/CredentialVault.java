package io.agentprovision.core.spi;

import io.agentprovision.core.internal.vault.EncryptedFileVault;
import io.agentprovision.core.internal.vault.InMemoryVault;
import io.agentprovision.core.vault.VaultEntry;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Keeps credentials at rest, encrypted where it persists them, and out of every log. The engine
 * stores each revealed or minted credential here and keeps only its key in the journal and audit
 * log. Thread-safe.
 *
 * <pre>{@code
 * CredentialVault vault = CredentialVault.encryptedFile(Path.of("vault.json"),
 *     KeyProvider.fromBase64("k1", System.getenv("AGENTPROVISION_VAULT_KEY")));
 * }</pre>
 */
public interface CredentialVault {
  /** A vault in memory, for tests and short-lived hosts. */
  static CredentialVault inMemory() {
    return new InMemoryVault();
  }

  /**
   * A vault in one file, each record sealed with AES-256-GCM under {@code keys}' current key (a
   * fresh random nonce per record; the entry's name and the key id authenticated with it). Entry
   * names and key ids are the only clear text in the file. Records sealed under an older key id
   * open while {@code keys} still has that key; {@link #put} re-seals under the current one. Every
   * change appends one line to the file and forces it, under a lock that holds across processes, so
   * its cost does not grow with what the vault holds; the file is compacted (replaced atomically) as
   * replaced and removed entries pile up. On POSIX file systems the file is readable by its owner only.
   *
   * <pre>{@code
   * KeyProvider keys = KeyProvider.rotating("k2", Map.of("k1", oldKey, "k2", newKey));
   * CredentialVault vault = CredentialVault.encryptedFile(Path.of("vault.json"), keys);
   * for (String k : vault.keys("")) {            // move every record to the current key
   *   vault.get(k).ifPresent(vault::put);
   * }
   * }</pre>
   *
   * @throws io.agentprovision.core.vault.VaultException when the file is not a vault or a supplied key
   *     is not the one its records were sealed with
   */
  static CredentialVault encryptedFile(Path file, KeyProvider keys) {
    return EncryptedFileVault.open(file, keys);
  }

  /** Stores (or replaces) an entry. */
  void put(VaultEntry entry);

  /**
   * The entry under {@code key}, if any.
   *
   * @throws io.agentprovision.core.vault.VaultException when the stored record cannot be opened (wrong or
   *     unknown key, altered record): a vault never returns a value it could not authenticate
   */
  Optional<VaultEntry> get(String key);

  /** Deletes the entry; returns whether there was one. */
  boolean delete(String key);

  /** The keys that start with {@code prefix}, sorted. */
  List<String> keys(String prefix);
}
