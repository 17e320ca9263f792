package io.agentprovision.core;

import org.jspecify.annotations.Nullable;

/**
 * The root of every exception this SDK throws. Unchecked, so that a host can catch one type at the
 * boundary of a provisioning call and branch on {@link #retryable()}.
 *
 * <p>Messages never contain secrets: values of type {@link Secret} are redacted, and code that
 * builds messages from remote responses strips credential-looking fields.
 */
public class AgentProvisionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  public AgentProvisionException(String message) {
    this(message, null, false);
  }

  public AgentProvisionException(String message, @Nullable Throwable cause) {
    this(message, cause, false);
  }

  public AgentProvisionException(String message, @Nullable Throwable cause, boolean retryable) {
    super(message, cause);
    this.retryable = retryable;
  }

  /**
   * Whether repeating the same call later may succeed (a timeout, a rate limit, a 5xx). Policy
   * denials, bad input and rejected identities are never retryable.
   */
  public boolean retryable() {
    return retryable;
  }
}
