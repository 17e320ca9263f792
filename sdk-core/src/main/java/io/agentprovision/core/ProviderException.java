package io.agentprovision.core;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A remote system (an orchestrator, a provider, a payment or deploy API) refused or failed a call.
 * Carries what a support ticket needs: which system, the HTTP status, the error code and the
 * request id, and, when the system asked the caller to wait ({@code Retry-After}), for how long.
 */
public class ProviderException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final String provider;
  private final int status;
  private final @Nullable String code;
  private final @Nullable String requestId;
  private final @Nullable Duration retryAfter;

  public ProviderException(String provider, int status, @Nullable String code, @Nullable String requestId,
      String message, boolean retryable, @Nullable Throwable cause) {
    this(provider, status, code, requestId, message, retryable, cause, null);
  }

  /**
   * A failure the remote system asked to be retried after {@code retryAfter} (its {@code Retry-After}
   * header, or the SDK's own estimate for a client-side limit).
   */
  public ProviderException(String provider, int status, @Nullable String code, @Nullable String requestId,
      String message, boolean retryable, @Nullable Throwable cause, @Nullable Duration retryAfter) {
    super(provider + " " + (status > 0 ? "HTTP " + status + " " : "") + (code != null ? "[" + code + "] " : "")
        + message + (requestId != null ? " (request id " + requestId + ")" : ""), cause, retryable);
    this.provider = provider;
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }

  public ProviderException(String provider, int status, @Nullable String code, @Nullable String requestId,
      String message, boolean retryable) {
    this(provider, status, code, requestId, message, retryable, null);
  }

  /** The remote system, such as {@code "stripe"} or {@code "cloudflare"}. */
  public String provider() {
    return provider;
  }

  /** The HTTP status, or 0 when no response arrived (connection failure, timeout). */
  public int status() {
    return status;
  }

  /** The remote error code, when the system gave one. */
  public @Nullable String code() {
    return code;
  }

  /** The remote request id, when the system gave one. */
  public @Nullable String requestId() {
    return requestId;
  }

  /** How long the remote system asked to wait before a retry ({@code Retry-After}), when it said. */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  /** Whether {@code status} is the conventional retryable set: 0, 408, 409, 429 or 5xx. */
  public static boolean retryableStatus(int status) {
    return status == 0 || status == 408 || status == 409 || status == 429 || status >= 500;
  }
}
