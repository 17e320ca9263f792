package io.agentprovision.testing.stripe;

import io.agentprovision.core.Money;
import org.jspecify.annotations.Nullable;

/**
 * Charges a Shared Payment Token as a seller does with a confirmed PaymentIntent
 * ({@code payment_method_data[shared_payment_granted_token]}): the same rules as the sandbox's
 * {@code POST /v1/payment_intents}, in process, for providers that live in the test's JVM.
 */
@FunctionalInterface
public interface TokenCharger {
  /**
   * Charges {@code amount} to {@code token} on behalf of {@code seller} (a network business profile).
   * A repeated {@code idempotencyKey} returns the first result and charges nothing more.
   */
  ChargeResult charge(String token, Money amount, String seller, @Nullable String idempotencyKey);
}
