package io.agentprovision.core.approval;

/** A human checkpoint reached its deadline without a decision; approval gates fail closed. */
public class ApprovalTimeoutException extends ApprovalDeniedException {
  private static final long serialVersionUID = 1L;

  public ApprovalTimeoutException(String checkpoint, String reason) {
    super(checkpoint, "timeout", reason);
  }
}
