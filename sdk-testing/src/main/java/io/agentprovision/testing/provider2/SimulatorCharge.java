package io.agentprovision.testing.provider2;

import io.agentprovision.core.Money;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One attempt of the {@link IndependentProviderSimulator}, as seller, to charge the payment token an
 * orchestrator sent in {@code payment_credentials}: for what, how much, under which idempotency key,
 * and whether the {@link io.agentprovision.testing.protocol.PaymentCharger} took it. The token itself
 * is not kept.
 *
 * @param at when, on the simulator's clock
 * @param accountId the provider account charged for
 * @param serviceId what was bought, such as {@code workers:paid} or {@code registrar:domain}
 * @param resourceId the resource the charge is for
 * @param description what the charge says, such as {@code "registrar:domain my-app.com, 1 year"}
 * @param amount the amount asked
 * @param idempotencyKey the key passed to the charger, derived from the request's {@code Idempotency-Key}
 * @param chargeId the charger's id of the charge, or null when declined
 * @param declineCode the charger's reason when declined, or null when charged
 */
public record SimulatorCharge(Instant at, String accountId, String serviceId, String resourceId, String description,
    Money amount, String idempotencyKey, @Nullable String chargeId, @Nullable String declineCode) {
  public SimulatorCharge {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(serviceId, "serviceId");
    Objects.requireNonNull(resourceId, "resourceId");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
  }

  /** Whether the money moved. */
  public boolean succeeded() {
    return chargeId != null;
  }
}
