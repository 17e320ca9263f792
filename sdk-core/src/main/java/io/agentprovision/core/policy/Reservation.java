package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Money held, spent or given back.
 *
 * @param id the reservation id
 * @param agent who spends
 * @param provider who charges
 * @param run the run, when part of one
 * @param step the step, when part of one
 * @param amount how much was reserved
 * @param committed how much was spent, once committed
 * @param status where it stands
 * @param createdAt when it was reserved (decides its windows)
 * @param expiresAt when it stops counting if still unsettled
 * @param usage each applicable limit's usage right after this reservation
 * @param description what it is for
 */
public record Reservation(String id, AgentId agent, String provider, @Nullable RunId run, @Nullable StepId step,
    Money amount, @Nullable Money committed, Status status, Instant createdAt, Instant expiresAt, List<LimitUsage> usage,
    String description) {
  /** Reservation states. */
  public enum Status {
    /** Held before a paid call; stops counting at {@code expiresAt} if never settled. */
    RESERVED,
    /** Spent: {@code committed} was charged. */
    COMMITTED,
    /** Given back: nothing was charged. */
    RELEASED,
    /** Stopped counting at its expiry without being settled. */
    EXPIRED,
    /**
     * Held because the paid call may have charged it (the answer was lost, or could not be read):
     * it counts in full until reconciliation finds out, never expires, and only
     * {@link io.agentprovision.core.spi.SpendLedger#reconcile} (or a commit) settles it.
     */
    UNCERTAIN
  }

  /** Whether the money is held: reserved and not yet settled, or uncertain. */
  public boolean held() {
    return status == Status.RESERVED || status == Status.UNCERTAIN;
  }

  public Reservation {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    usage = List.copyOf(usage);
    Objects.requireNonNull(description, "description");
  }

  /**
   * What this reservation counts against limits at {@code now}: the reserved amount while held
   * (until its expiry, or for as long as it is uncertain), the committed amount once spent, else zero.
   */
  public Money counted(Instant now) {
    switch (status) {
      case COMMITTED:
        return Objects.requireNonNull(committed);
      case UNCERTAIN:
        return amount;
      case RESERVED:
        return now.isBefore(expiresAt) ? amount : Money.zero(amount.currency());
      default:
        return Money.zero(amount.currency());
    }
  }
}
