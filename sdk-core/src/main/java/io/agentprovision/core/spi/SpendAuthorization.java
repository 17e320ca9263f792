package io.agentprovision.core.spi;

import io.agentprovision.core.Money;
import io.agentprovision.core.payment.PaymentAuthorization;

/**
 * Money reserved for one paid call, after policy allowed it and, where policy said so, a human
 * approved it. Settle it exactly once: {@link #commit} with what was charged, or {@link #release}
 * if nothing was. An authorization left unsettled when its step ends is released by the engine
 * if the step failed and committed at the reserved amount if it succeeded. Both methods are
 * idempotent, so a resumed step may call them again.
 */
public interface SpendAuthorization {
  /** The payment permission to pass to the orchestrator call. */
  PaymentAuthorization payment();

  /** Records what was actually charged (at most the reserved amount). */
  void commit(Money actual);

  /** Gives the reservation back: nothing was charged. */
  void release();
}
