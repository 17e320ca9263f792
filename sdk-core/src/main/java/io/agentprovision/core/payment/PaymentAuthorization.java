package io.agentprovision.core.payment;

import io.agentprovision.core.Money;
import java.time.Instant;
import java.util.Objects;

/**
 * The engine's permission for one paid call: the amount reserved under spend policy (and approved
 * where policy demanded), which no charge for the call may exceed. An orchestrator that issues
 * payment tokens itself caps the token at {@link #maxAmount} and expires it at
 * {@link #expiresAt}.
 *
 * @param reservationId the ledger reservation behind this authorization
 * @param maxAmount the most the call may charge
 * @param expiresAt when the authorization lapses
 * @param description what is being paid for
 */
public record PaymentAuthorization(String reservationId, Money maxAmount, Instant expiresAt, String description) {
  public PaymentAuthorization {
    Objects.requireNonNull(reservationId, "reservationId");
    Objects.requireNonNull(maxAmount, "maxAmount").requireNonNegative("maxAmount");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(description, "description");
  }
}
