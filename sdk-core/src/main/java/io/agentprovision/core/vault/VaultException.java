package io.agentprovision.core.vault;

import io.agentprovision.core.AgentProvisionException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link io.agentprovision.core.spi.CredentialVault} could not open or store a credential: the
 * key is wrong or unknown, a record was altered, or the store is unreadable. A vault never returns
 * a value it could not authenticate, so this is thrown instead of garbage. The message names the
 * entry and the key id, never a secret.
 *
 * <pre>{@code
 * try {
 *   vault.get("run_1/cloudflare/deploy-token");
 * } catch (VaultException e) {
 *   if (e.reason() == VaultException.Reason.UNKNOWN_KEY) {
 *     // add the retired key to the KeyProvider (KeyProvider.rotating) to read old records
 *   }
 * }
 * }</pre>
 */
public class VaultException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  /** Why the vault refused. */
  public enum Reason {
    /** The key supplied under a key id is not the key the vault was sealed with. */
    WRONG_KEY,
    /** A record is sealed under a key id the {@link io.agentprovision.core.spi.KeyProvider} does not have. */
    UNKNOWN_KEY,
    /** A record failed authentication: it was altered, or moved to another entry. */
    TAMPERED,
    /** The store is not a vault this SDK can read (malformed, another format or version). */
    CORRUPT,
    /** Reading or writing the store failed. */
    IO
  }

  private final Reason reason;
  private final @Nullable String entry;

  public VaultException(Reason reason, @Nullable String entry, String message, @Nullable Throwable cause) {
    super(message, cause, reason == Reason.IO);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.entry = entry;
  }

  public VaultException(Reason reason, @Nullable String entry, String message) {
    this(reason, entry, message, null);
  }

  public Reason reason() {
    return reason;
  }

  /** The entry's key in the vault, when one entry is concerned. */
  public @Nullable String entry() {
    return entry;
  }
}
