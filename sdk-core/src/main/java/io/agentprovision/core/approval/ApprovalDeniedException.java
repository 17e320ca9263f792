package io.agentprovision.core.approval;

import io.agentprovision.core.AgentProvisionException;
import java.util.Objects;

/**
 * A human checkpoint did not approve: the approver said no, the deadline passed, or the gate
 * failed. Whatever the step was about to do was not done, and its reservation was released.
 */
public class ApprovalDeniedException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final String checkpoint;
  private final String approver;
  private final String reason;

  public ApprovalDeniedException(String checkpoint, String approver, String reason) {
    super("approval '" + checkpoint + "' was not given by " + approver + ": " + reason);
    this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
    this.approver = Objects.requireNonNull(approver, "approver");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** What was asked, such as {@code "domain purchase my-app.com"}. */
  public String checkpoint() {
    return checkpoint;
  }

  /** Who decided: a person's identity, {@code "policy"}, or {@code "timeout"}. */
  public String approver() {
    return approver;
  }

  /** Why it was not approved. */
  public String reason() {
    return reason;
  }
}
