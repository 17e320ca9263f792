package io.agentprovision.cloudflare;

import io.agentprovision.core.ProviderException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Cloudflare refused or failed a call: a non-2xx status, or a 2xx whose envelope said
 * {@code success: false}. Carries every envelope error (code, message, {@code source.pointer},
 * {@code error_chain}), the HTTP status, the request id (the {@code CF-Ray} header) and, for rate
 * limits, how long Cloudflare asked to wait. {@link #code()} is the first error's code.
 *
 * <pre>{@code
 * try {
 *   zones.create("example.com", accountId);
 * } catch (CloudflareException e) {
 *   if (e.hasCode(1061)) { ... }            // the zone already exists
 *   e.errors().forEach(err -> log.warn("{}", err));
 * }
 * }</pre>
 */
public class CloudflareException extends ProviderException {
  private static final long serialVersionUID = 1L;

  /** Cloudflare's code for "too many requests". */
  public static final int RATE_LIMITED = 971;
  /** Cloudflare's code for "authentication error": the token may not do this. */
  public static final int AUTHENTICATION_ERROR = 10000;
  /** Cloudflare's code for a missing Workers resource. */
  public static final int NOT_FOUND_WORKERS = 10007;

  private final transient List<CloudflareError> errors;
  private final transient List<CloudflareError> messages;
  private final @Nullable Duration retryAfter;

  /** Code of an answer that does not have the documented shape (a required field missing, a wrong type). */
  public static final String MALFORMED_RESPONSE = "malformed_response";

  public CloudflareException(int status, List<CloudflareError> errors, List<CloudflareError> messages,
      @Nullable String requestId, @Nullable Duration retryAfter, String context) {
    super(CloudflareClient.PROVIDER, status, errors.isEmpty() ? null : String.valueOf(errors.get(0).code()), requestId,
        context + ": " + describe(errors), retryable(status, errors), null, retryAfter);
    this.errors = List.copyOf(errors);
    this.messages = List.copyOf(messages);
    this.retryAfter = retryAfter;
  }

  private CloudflareException(int status, String problem, @Nullable String requestId, String context) {
    super(CloudflareClient.PROVIDER, status, MALFORMED_RESPONSE, requestId, context + ": " + problem, false, null, null);
    this.errors = List.of(CloudflareError.of(0, problem));
    this.messages = List.of();
    this.retryAfter = null;
  }

  /**
   * An answer Cloudflare sent that the SDK cannot read: code {@link #MALFORMED_RESPONSE}, not
   * retryable, the problem (such as the missing field's name) in the message.
   */
  static CloudflareException malformed(int status, String problem, @Nullable String requestId, String context) {
    return new CloudflareException(status, problem, requestId, context);
  }

  private static String describe(List<CloudflareError> errors) {
    if (errors.isEmpty()) {
      return "no error details in the response";
    }
    return errors.stream().map(CloudflareError::toString).collect(Collectors.joining("; "));
  }

  private static boolean retryable(int status, List<CloudflareError> errors) {
    if (ProviderException.retryableStatus(status)) {
      return true;
    }
    for (CloudflareError e : errors) {
      if (e.hasCode(RATE_LIMITED)) {
        return true;
      }
    }
    return false;
  }

  /** Every error in the envelope, in order. */
  public List<CloudflareError> errors() {
    return errors;
  }

  /** The envelope's {@code messages[]}. */
  public List<CloudflareError> messages() {
    return messages;
  }

  /** Whether any error (or any error in a chain) has this code. */
  public boolean hasCode(int code) {
    for (CloudflareError e : errors) {
      if (e.hasCode(code)) {
        return true;
      }
    }
    return false;
  }

  /** How long Cloudflare asked to wait ({@code Retry-After}), when it did. */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  /** Whether the resource was not there (HTTP 404, or a not-found code in a 2xx/4xx envelope). */
  public boolean isNotFound() {
    return status() == 404 || hasCode(NOT_FOUND_WORKERS);
  }
}
