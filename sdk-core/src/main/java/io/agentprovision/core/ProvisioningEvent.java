package io.agentprovision.core;

import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Reservation;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Something that happened during a run, delivered to every
 * {@link io.agentprovision.core.spi.ProvisioningListener}. Events never hold secrets.
 *
 * <pre>{@code
 * ProvisioningListener listener = event -> {
 *   if (event instanceof ProvisioningEvent.BudgetAlert alert) {
 *     notifyHuman(alert.percent() + "% of " + alert.usage().limit());
 *   }
 * };
 * }</pre>
 */
public sealed interface ProvisioningEvent {
  /** When it happened. */
  Instant time();

  /** The run, when the event belongs to one. */
  @Nullable RunId run();

  /** A run started executing (or resumed). */
  record RunStarted(Instant time, RunId run, AgentId agent, String provider, boolean resumed) implements ProvisioningEvent {}

  /** A run ended. */
  record RunFinished(Instant time, RunId run, RunStatus status, Duration took, @Nullable String error)
      implements ProvisioningEvent {}

  /** A step started. */
  record StepStarted(Instant time, RunId run, StepId step, String description, int attempt) implements ProvisioningEvent {}

  /** A step ended: succeeded, failed, skipped (already done before a resume), or compensated. */
  record StepFinished(Instant time, RunId run, StepId step, StepStatus status, Duration took, @Nullable String summary)
      implements ProvisioningEvent {}

  /** A call inside a step is retried after a delay. */
  record StepRetry(Instant time, RunId run, StepId step, int attempt, Duration delay, String reason)
      implements ProvisioningEvent {}

  /** A step is waiting (polling, backing off) and says how it goes. */
  record Progress(Instant time, RunId run, StepId step, String message) implements ProvisioningEvent {}

  /** A human checkpoint was put to the approval gate. */
  record ApprovalRequested(Instant time, @Nullable RunId run, ApprovalRequest request) implements ProvisioningEvent {}

  /** A human checkpoint was decided. */
  record ApprovalDecided(Instant time, @Nullable RunId run, ApprovalRequest request, ApprovalDecision decision)
      implements ProvisioningEvent {}

  /** Spend crossed an alert threshold of a limit; fires once per limit bucket, window and threshold. */
  record BudgetAlert(Instant time, @Nullable RunId run, int percent, LimitUsage usage) implements ProvisioningEvent {}

  /** Something done by an earlier step was undone after a failure, or could not be. */
  record Compensation(Instant time, RunId run, StepId step, boolean undone, String what) implements ProvisioningEvent {}

  /**
   * Money was reserved in the ledger before a paid call: it counts against every applicable limit
   * until it is committed or released. {@link Reservation#usage()} is each limit's use right after.
   */
  record SpendHeld(Instant time, RunId run, StepId step, Reservation reservation) implements ProvisioningEvent {}

  /** A held reservation was committed: {@code amount} (at most what was held) was charged. */
  record SpendCommitted(Instant time, RunId run, StepId step, Reservation reservation, Money amount)
      implements ProvisioningEvent {}

  /** A held reservation was given back: the paid call certainly charged nothing. */
  record SpendReleased(Instant time, RunId run, StepId step, Reservation reservation) implements ProvisioningEvent {}

  /**
   * The spend policy refused money: a whole run at its start ({@code step} null) or one paid step.
   * Nothing was reserved or charged for it.
   *
   * @param limit the key of the limit that refused, such as {@code "monthly/per-provider"}
   * @param remaining what remained under that limit
   */
  record SpendRefused(Instant time, RunId run, @Nullable StepId step, AgentId agent, String provider, Money requested,
      String limit, Money remaining) implements ProvisioningEvent {}

  /**
   * A {@link io.agentprovision.core.policy.VelocityLimit} refused an action before anything was
   * created: a whole run at its start ({@code step} null) or one step.
   *
   * @param limit the key of the limit that refused, such as {@code "create_domain/1d/per-agent"}
   * @param bucket whose count it was: {@code "host"}, {@code "agent=…"} or {@code "principal=…"}
   * @param count how many were created in the window already
   * @param max how many the window admits
   */
  record VelocityRefused(Instant time, RunId run, @Nullable StepId step, AgentId agent,
      io.agentprovision.core.policy.VelocityAction action, String limit, String bucket, int count, int max)
      implements ProvisioningEvent {}

  /**
   * A paid call may have charged money and nobody knows yet (its answer was lost or could not be
   * read): the reservation is held as {@link Reservation.Status#UNCERTAIN uncertain}, counting in
   * full and never expiring, until reconciliation finds out.
   *
   * @param reason the failure that left it uncertain
   */
  record SpendUncertain(Instant time, RunId run, StepId step, Reservation reservation, String reason)
      implements ProvisioningEvent {}

  /**
   * Reconciliation settled an uncertain reservation: the provider {@code charged} that much (zero:
   * nothing, and the reservation was given back).
   *
   * @param how what settled it, such as "the call repeated with its idempotency key succeeded"
   */
  record SpendReconciled(Instant time, RunId run, StepId step, Reservation reservation, Money charged, String how)
      implements ProvisioningEvent {}
}
