package io.agentprovision.core;

import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.VelocityLimitException;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A remote system (an orchestrator, a provider, a payment or deploy API) refused or failed a call.
 * Carries what a support ticket needs: which system, the HTTP status, the error code and the
 * request id; when the system asked the caller to wait ({@code Retry-After}), for how long; and
 * what the failure says about the call's effect, {@link #outcome()}: whether the
 * remote system certainly did not carry it out, certainly did, or may have. The engine keeps the
 * money of a paid call that may have gone through held until it is reconciled, so an adapter says
 * {@link Outcome#NOT_EXECUTED} only when it knows.
 *
 * <pre>{@code
 * throw ProviderException.builder("stripe", "creating the resource failed: connection reset")
 *     .code("connection_failed").retryable(true).outcome(ProviderException.Outcome.UNKNOWN).cause(e).build();
 * }</pre>
 */
public class ProviderException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  /**
   * What a failed call did at the remote system. For a paid call it is what the engine settles
   * the money by: released for {@link #NOT_EXECUTED}, committed for {@link #EXECUTED}, and held as
   * uncertain, then reconciled, for {@link #UNKNOWN}.
   */
  public enum Outcome {
    /**
     * Certainly not carried out: the request never reached the system (connection refused, no
     * such host), or the system refused it before acting (a 4xx validation or authorization
     * refusal), or a lookup showed nothing happened.
     */
    NOT_EXECUTED,
    /** Carried out, although the caller sees a failure (such as a charge found on the payment token). */
    EXECUTED,
    /**
     * May have been carried out: the request was sent and no trustworthy answer came back (a reset
     * or a timeout after sending, a 5xx or 429 to a call that changes something, an answer that
     * could not be read).
     */
    UNKNOWN;

    /**
     * The outcome a status implies when an adapter says nothing more: a 4xx refusal (other than 408,
     * 409 and 429) was not carried out; anything else (no answer, a 5xx, a 408, 409 or 429, an
     * unreadable 2xx) may have been.
     */
    public static Outcome forStatus(int status) {
      if (status >= 400 && status < 500 && status != 408 && status != 409 && status != 429) {
        return NOT_EXECUTED;
      }
      return UNKNOWN;
    }

    /**
     * The outcome of a call that failed for want of an answer ({@code cause}, an I/O failure):
     * a call that changes nothing ({@code changes} false) did nothing; a change whose connection
     * could not be made (no such host, connection refused, a connect timeout) was never sent, so
     * {@link #NOT_EXECUTED}; any other failure (a reset, a read timeout) may come after the remote
     * system received it, so {@link #UNKNOWN}.
     */
    public static Outcome ofConnectionFailure(@Nullable Throwable cause, boolean changes) {
      if (!changes) {
        return NOT_EXECUTED;
      }
      for (Throwable t = cause; t != null; t = t.getCause()) {
        if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
            || t instanceof java.net.NoRouteToHostException) {
          return NOT_EXECUTED;
        }
        String m = t.getMessage();
        if (t instanceof java.net.SocketTimeoutException && m != null
            && m.toLowerCase(java.util.Locale.ROOT).contains("connect")) {
          return NOT_EXECUTED;
        }
      }
      return UNKNOWN;
    }

    /**
     * What {@code failure} says about the call it ended: a {@link ProviderException}'s own outcome;
     * {@link #NOT_EXECUTED} for the SDK's refusals that come before any side effect (bad input, a
     * spend or velocity limit, a denied approval, a rejected identity); {@link #UNKNOWN} for anything else,
     * since an unexpected error may come after the remote system acted.
     */
    public static Outcome of(@Nullable Throwable failure) {
      if (failure instanceof ProviderException p) {
        return p.outcome();
      }
      if (failure instanceof InvalidRequestException || failure instanceof PolicyViolationException
          || failure instanceof ApprovalDeniedException || failure instanceof IdentityRejectedException
          || failure instanceof VelocityLimitException) {
        return NOT_EXECUTED;
      }
      return UNKNOWN;
    }
  }

  private final String provider;
  private final int status;
  private final @Nullable String code;
  private final @Nullable String requestId;
  private final Outcome outcome;
  private final @Nullable Money charged;
  private final @Nullable Duration retryAfter;

  /** A failure whose outcome follows from its status ({@link Outcome#forStatus}). */
  public ProviderException(String provider, int status, @Nullable String code, @Nullable String requestId,
      String message, boolean retryable, @Nullable Throwable cause) {
    this(provider, status, code, requestId, message, retryable, cause, Outcome.forStatus(status), null, null);
  }

  /**
   * A failure the remote system asked to be retried after {@code retryAfter} (its {@code Retry-After}
   * header, or the SDK's own estimate for a client-side limit); its outcome follows from its status.
   */
  public ProviderException(String provider, int status, @Nullable String code, @Nullable String requestId,
      String message, boolean retryable, @Nullable Throwable cause, @Nullable Duration retryAfter) {
    this(provider, status, code, requestId, message, retryable, cause, Outcome.forStatus(status), null, retryAfter);
  }

  /** A failure whose outcome follows from its status ({@link Outcome#forStatus}). */
  public ProviderException(String provider, int status, @Nullable String code, @Nullable String requestId,
      String message, boolean retryable) {
    this(provider, status, code, requestId, message, retryable, null);
  }

  /** A failure with an explicit outcome, for subclasses; others use {@link #builder}. */
  protected ProviderException(String provider, int status, @Nullable String code, @Nullable String requestId,
      String message, boolean retryable, @Nullable Throwable cause, Outcome outcome, @Nullable Duration retryAfter) {
    this(provider, status, code, requestId, message, retryable, cause, outcome, null, retryAfter);
  }

  private ProviderException(String provider, int status, @Nullable String code, @Nullable String requestId,
      String message, boolean retryable, @Nullable Throwable cause, Outcome outcome, @Nullable Money charged,
      @Nullable Duration retryAfter) {
    super(provider + " " + (status > 0 ? "HTTP " + status + " " : "") + (code != null ? "[" + code + "] " : "")
        + message + (requestId != null ? " (request id " + requestId + ")" : ""), cause, retryable);
    this.provider = provider;
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.outcome = Objects.requireNonNull(outcome, "outcome");
    if (charged != null && (charged.isPositive() ? outcome != Outcome.EXECUTED : outcome != Outcome.NOT_EXECUTED)) {
      throw new IllegalArgumentException("a charge of " + charged + " contradicts outcome " + outcome);
    }
    this.charged = charged;
    this.retryAfter = retryAfter;
  }

  /** A builder for a failure of {@code provider}; {@code message} says what was attempted and what went wrong. */
  public static Builder builder(String provider, String message) {
    return new Builder(provider, message);
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

  /** What the failed call did at the remote system: not carried out, carried out, or unknown. */
  public Outcome outcome() {
    return outcome;
  }

  /**
   * What the failed call is known to have charged, when the adapter found out (a lookup of the
   * payment token after the failure): more than zero with {@link Outcome#EXECUTED}; zero with
   * {@link Outcome#NOT_EXECUTED} when it made sure nothing can be charged any more (the token was
   * revoked having captured nothing). Null when nobody looked: the outcome is then about this
   * request alone, not about earlier attempts under the same idempotency key.
   */
  public @Nullable Money charged() {
    return charged;
  }

  /**
   * This failure with another outcome, for an adapter that knows more than the status said (the
   * call was never sent; an answer to a call that changes something could not be read). The copy
   * is a plain {@code ProviderException} with this one's message, status, code, request id,
   * retryability, cause and stack trace, and no {@link #charged()}.
   */
  public ProviderException withOutcome(Outcome newOutcome) {
    Objects.requireNonNull(newOutcome, "outcome");
    if (newOutcome == outcome) {
      return this;
    }
    return copy(newOutcome, null, retryable());
  }

  /**
   * This failure reconciled: a lookup found that the call charged {@code amount} (zero: nothing,
   * and nothing can be charged any more), so the outcome is {@link Outcome#EXECUTED} or
   * {@link Outcome#NOT_EXECUTED}. {@code retryable} says whether repeating the call (with the same
   * idempotency key) may yet finish it.
   */
  public ProviderException reconciled(Money amount, boolean retryable) {
    Objects.requireNonNull(amount, "amount");
    amount.requireNonNegative("charged");
    return copy(amount.isPositive() ? Outcome.EXECUTED : Outcome.NOT_EXECUTED, amount, retryable);
  }

  private ProviderException copy(Outcome newOutcome, @Nullable Money newCharged, boolean newRetryable) {
    ProviderException copy = new ProviderException(provider, status, code, requestId, bareMessage(), newRetryable,
        getCause(), newOutcome, newCharged, retryAfter);
    copy.setStackTrace(getStackTrace());
    for (Throwable s : getSuppressed()) {
      copy.addSuppressed(s);
    }
    return copy;
  }

  /** The message as given, without the provider, status, code and request id the constructor added. */
  private String bareMessage() {
    String m = String.valueOf(getMessage());
    String prefix = provider + " " + (status > 0 ? "HTTP " + status + " " : "") + (code != null ? "[" + code + "] " : "");
    String suffix = requestId != null ? " (request id " + requestId + ")" : "";
    if (m.startsWith(prefix)) {
      m = m.substring(prefix.length());
    }
    if (!suffix.isEmpty() && m.endsWith(suffix)) {
      m = m.substring(0, m.length() - suffix.length());
    }
    return m;
  }

  /** Whether {@code status} is the conventional retryable set: 0, 408, 409, 429 or 5xx. */
  public static boolean retryableStatus(int status) {
    return status == 0 || status == 408 || status == 409 || status == 429 || status >= 500;
  }

  /** Builds a {@link ProviderException}; unset parts are absent, retryability follows the status, the outcome too. */
  public static final class Builder {
    private final String provider;
    private final String message;
    private int status;
    private @Nullable String code;
    private @Nullable String requestId;
    private @Nullable Boolean retryable;
    private @Nullable Outcome outcome;
    private @Nullable Throwable cause;
    private @Nullable Duration retryAfter;

    private Builder(String provider, String message) {
      this.provider = Objects.requireNonNull(provider, "provider");
      this.message = Objects.requireNonNull(message, "message");
    }

    /** The HTTP status; 0 (the default) when no answer arrived. */
    public Builder status(int httpStatus) {
      if (httpStatus < 0 || httpStatus > 599) {
        throw new InvalidRequestException("status", "is " + httpStatus, "pass an HTTP status, or 0 for no answer");
      }
      this.status = httpStatus;
      return this;
    }

    public Builder code(@Nullable String errorCode) {
      this.code = errorCode;
      return this;
    }

    public Builder requestId(@Nullable String id) {
      this.requestId = id;
      return this;
    }

    /** Whether repeating the call may succeed; default {@link ProviderException#retryableStatus}. */
    public Builder retryable(boolean value) {
      this.retryable = value;
      return this;
    }

    /** What the call did; default {@link Outcome#forStatus}. */
    public Builder outcome(Outcome value) {
      this.outcome = Objects.requireNonNull(value, "outcome");
      return this;
    }

    public Builder cause(@Nullable Throwable value) {
      this.cause = value;
      return this;
    }

    /** How long the remote system asked to wait before a retry ({@code Retry-After}). */
    public Builder retryAfter(@Nullable Duration wait) {
      this.retryAfter = wait;
      return this;
    }

    public ProviderException build() {
      return new ProviderException(provider, status, code, requestId, message,
          retryable != null ? retryable : retryableStatus(status), cause,
          outcome != null ? outcome : Outcome.forStatus(status), null, retryAfter);
    }
  }
}
