package io.agentprovision.core;

import org.jspecify.annotations.Nullable;

/**
 * A provisioner's file stores could not force what they wrote to disk before something outside the
 * process could depend on it (a request that may change something, an approval question, a run's
 * end), so that step was not taken: the request was not sent. Only runs of the provisioner whose
 * stores failed see it. Typical causes are a stores' directory deleted or unmounted, a full disk, or
 * an I/O error; the cause says which. Fix the directory, then resume the run: what its steps
 * journaled before the failure is repeated under the same idempotency keys.
 */
public final class DurabilityException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  /**
   * @param owner whose files could not be forced (for example "the provisioner's file stores")
   * @param cause the failed force
   */
  public DurabilityException(String owner, @Nullable Throwable cause) {
    super("cannot force " + owner + " to disk, so nothing that may change something outside the process was done ("
        + cause + "); check that the stores' directory exists, is writable and has room, then resume the run",
        cause, false);
  }
}
