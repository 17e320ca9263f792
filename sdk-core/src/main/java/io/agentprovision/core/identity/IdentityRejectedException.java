package io.agentprovision.core.identity;

import io.agentprovision.core.AgentProvisionException;

/**
 * The principal could not be established, or was not strong enough for the step: an ID token
 * failed verification, an e-mail was not verified, or a sensitive step needed multi-factor
 * authentication that the principal did not show. The message says which check failed, never the
 * token.
 */
public class IdentityRejectedException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final String check;

  public IdentityRejectedException(String check, String message) {
    this(check, message, null);
  }

  public IdentityRejectedException(String check, String message, @org.jspecify.annotations.Nullable Throwable cause) {
    super("identity rejected (" + check + "): " + message, cause);
    this.check = check;
  }

  /** The check that failed, such as {@code "signature"}, {@code "aud"}, {@code "mfa"}. */
  public String check() {
    return check;
  }
}
