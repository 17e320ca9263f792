package io.agentprovision.core.spi;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.internal.concurrent.ForkedCall;
import io.agentprovision.core.policy.SpendRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;

/**
 * What the engine gives a plug-in for the duration of one step: who and what the step is for, the
 * step's idempotency key, injected time, and the engine's services for human checkpoints, spend,
 * progress and audit. Plug-ins never reach the {@link ApprovalGate} or {@link SpendLedger}
 * directly, so that policy, events and audit apply uniformly.
 */
public interface StepContext {
  RunId runId();

  StepId stepId();

  AgentId agent();

  /** The attested human, or null before the identity step. */
  @Nullable Principal principal();

  Clock clock();

  /** The sleeper for every wait in this step (polling, backoff). */
  Sleeper sleeper();

  /**
   * The provisioner's HTTP stack ({@code AgentProvisioner.builder().http(...)}), for plug-ins that
   * call out and were not given a stack of their own; {@link HttpStack#shared()} unless the host set one.
   */
  default HttpStack http() {
    return HttpStack.shared();
  }

  /**
   * The step's idempotency key: derived from the run, the step and its canonical parameters,
   * journaled before the first call, and identical on retries and on resume.
   */
  String idempotencyKey();

  /** A key for one of several calls in the step: {@code idempotencyKey() + ":" + operation}. */
  default String idempotencyKey(String operation) {
    return idempotencyKey() + ":" + operation;
  }

  /** When the step must give up waiting (polling a pending resource, a registrar workflow). */
  Instant deadline();

  /**
   * Puts a checkpoint to the human and waits for the answer.
   *
   * @return the approving decision, with any data the human's action returned
   * @throws io.agentprovision.core.approval.ApprovalDeniedException when it is denied, times out or the gate fails
   */
  ApprovalDecision checkpoint(CheckpointRequest request);

  /**
   * Checks the spend against policy, reserves it in the ledger, asks for step-up and approval where
   * policy says so, and returns the authorization to pass to the paid call. The reservation is
   * keyed to this step, so calling again on resume returns the same reservation.
   *
   * @throws io.agentprovision.core.policy.PolicyViolationException when a limit refuses (nothing reserved)
   * @throws io.agentprovision.core.approval.ApprovalDeniedException when the human does not approve (released)
   * @throws io.agentprovision.core.identity.IdentityRejectedException when MFA was required and not shown (released)
   */
  SpendAuthorization authorizeSpend(SpendRequest request);

  /** Reports progress on a wait, such as {@code "resource pending (attempt 3)"}, as an event. */
  void progress(String message);

  /** Reports that a call is being retried after {@code delay}, as an event. */
  void retrying(int attempt, Duration delay, String reason);

  /**
   * Appends an audit entry for a side effect the plug-in performed (a token minted, a script
   * uploaded). Details must not hold secrets.
   */
  void audit(String action, String outcome, Map<String, String> details);

  /**
   * Starts {@code call} beside the step's own work, so that independent calls of one step (a zone
   * lookup and the permission groups, say) wait on the network at the same time rather than one
   * after another. {@link Forked#join} returns its result; when no thread has picked the call up by
   * then, the joining thread runs it itself, so a step never waits for a call that has not started.
   *
   * <pre>{@code
   * StepContext.Forked<List<Zone>> zones = ctx.fork(() -> client.zones().list(accountId));
   * Map<String, PermissionGroup> groups = tokens.permissionGroups(names);   // meanwhile, on this thread
   * Zone zone = pick(zones.join());
   * }</pre>
   *
   * <p>Fork only calls that the step needs anyway and that may run even if the step fails before
   * joining them (reads, or writes that repeat harmlessly), and join every call you fork. The
   * engine runs forked calls on the provisioner's step executor; this default runs each one at its
   * {@code join}, on the joining thread.
   */
  default <T> Forked<T> fork(Callable<T> call) {
    return ForkedCall.atJoin(call);
  }

  /** A call started with {@link #fork}. */
  interface Forked<T> {
    /**
     * Waits for the call, running it on this thread when it has not started, and returns its result.
     * An unchecked exception it threw is thrown here as it was.
     */
    T join();
  }
}
