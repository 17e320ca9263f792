package io.agentprovision.core.payment;

import io.agentprovision.core.Money;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Asks for a payment token for one paid step.
 *
 * @param seller the seller allowed to charge it (the provider's network business profile)
 * @param sellerExternalId the seller's own reference, such as the orchestrator resource id
 * @param maxAmount the quoted price of the step: the token's cap
 * @param expiresAt a short expiry
 * @param idempotencyKey the intent-derived key, so a retry issues no second token
 * @param metadata non-secret labels (run, step)
 */
public record PaymentTokenRequest(String seller, @Nullable String sellerExternalId, Money maxAmount, Instant expiresAt,
    String idempotencyKey, Map<String, String> metadata) {
  public PaymentTokenRequest {
    Objects.requireNonNull(seller, "seller");
    Objects.requireNonNull(maxAmount, "maxAmount").requireNonNegative("maxAmount");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    metadata = Map.copyOf(metadata);
  }
}
