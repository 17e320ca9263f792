package io.agentprovision.core.protocol;

import io.agentprovision.core.ProviderException;
import org.jspecify.annotations.Nullable;

/**
 * A provider refused the form an answer to {@code needs_information} was sent in (such as
 * {@code update_service} on a resource that waits for information, answered {@code invalid_state},
 * or a route it does not have); nothing was done, and the other {@link InformationAnswer} form may
 * be accepted. Not retryable as it stands.
 */
public final class InformationAnswerRefusedException extends ProviderException {
  private static final long serialVersionUID = 1L;

  private final String form;

  /**
   * @param form the refused form: {@code "update_service"} or {@code "create"}
   */
  public InformationAnswerRefusedException(String provider, int status, @Nullable String code,
      @Nullable String requestId, String form, String message) {
    super(provider, status, code, requestId, "the answer to needs_information sent as " + form + " was refused: "
        + message, false);
    this.form = form;
  }

  /** The refused form: {@code "update_service"} or {@code "create"}. */
  public String form() {
    return form;
  }
}
