package io.agentprovision.core.spi;

import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.orchestration.PaymentMethodStatus;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.payment.PaymentTokenRequest;
import java.util.Optional;

/**
 * Issues payment tokens limited by amount, currency, expiry and seller, for orchestrators that pay
 * providers themselves ({@code DirectOrchestrator}). The token's own limits are only amount,
 * currency and expiry; monthly caps, budgets and approvals are the engine's job. Thread-safe.
 */
public interface PaymentTokenProvider {
  /** A name for logs and errors, such as {@code "stripe-spt"}. */
  String name();

  /** Whether a payment method is on file to back tokens. */
  PaymentMethodStatus paymentMethod();

  /** Issues a token; the same {@link PaymentTokenRequest#idempotencyKey()} returns the same token. */
  PaymentToken issue(PaymentTokenRequest request);

  /** The token's current state (captured amount, deactivation). */
  PaymentToken retrieve(PaymentToken token);

  /** Revokes a token that is no longer needed; revoking an inactive token is not an error. */
  void revoke(PaymentToken token);

  /**
   * What a price the payment provider keeps costs, looked up by its id: a catalog that prices a
   * service only as {@code {type:"stripe_price", stripe_price:"price_…"}} names such a price, whose
   * amount and interval Stripe knows. Empty when this provider keeps no such prices or does not know
   * the id; then the service's price stays unknown before buying (never guessed). The default knows none.
   *
   * @param priceId the price's id, such as {@code "price_1Qx…"}
   * @return the price as a known {@link Pricing} (with {@link Pricing#stripePrice()} set), or empty
   */
  default Optional<Pricing> lookUpPrice(String priceId) {
    return Optional.empty();
  }
}
