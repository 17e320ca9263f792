package io.agentprovision.core;

import org.jspecify.annotations.Nullable;

/**
 * A remote system answered, but not in a shape the SDK can read: a required member is missing, or a
 * member has the wrong JSON type. Its {@link #code()} is {@code malformed_response} and
 * {@link #field()} names the member as a JSON path, such as {@code $.data[2].id} or
 * {@code $.credentials.bearer.access_token}; no value from the answer is copied into the message.
 * Not retryable: the same call gets the same answer.
 */
public final class MalformedResponseException extends ProviderException {
  private static final long serialVersionUID = 1L;

  /** The {@link #code()} of every malformed answer. */
  public static final String CODE = "malformed_response";

  private final String field;

  /**
   * @param provider the remote system
   * @param status the HTTP status of the answer
   * @param requestId the remote request id, when given
   * @param what the call, such as {@code "GET /provisioning/services"}
   * @param field the member, as a JSON path
   * @param problem what is wrong with it, such as {@code "is missing"}
   */
  public MalformedResponseException(String provider, int status, @Nullable String requestId,
      String what, String field, String problem) {
    super(provider, status, CODE, requestId, what + " answered without a usable " + field + ": it " + problem, false);
    this.field = field;
  }

  /**
   * A malformed answer whose {@link #outcome()} the caller knows: {@link ProviderException.Outcome#UNKNOWN}
   * for an answer to a call that changes something (it was carried out, but what it made cannot be
   * read), {@link ProviderException.Outcome#NOT_EXECUTED} for a read.
   */
  public MalformedResponseException(String provider, int status, @Nullable String requestId,
      String what, String field, String problem, Outcome outcome) {
    super(provider, status, CODE, requestId, what + " answered without a usable " + field + ": it " + problem, false,
        null, outcome, null);
    this.field = field;
  }

  /** The member that is missing or mistyped, as a JSON path. */
  public String field() {
    return field;
  }
}
