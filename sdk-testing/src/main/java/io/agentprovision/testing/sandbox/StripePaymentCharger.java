package io.agentprovision.testing.sandbox;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.testing.protocol.PaymentCharger;
import io.agentprovision.testing.stripe.ChargeResult;
import io.agentprovision.testing.stripe.TokenCharger;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The provider sandbox, as seller, charging a Shared Payment Token in the Stripe sandbox: the same
 * charge as a confirmed {@code POST /v1/payment_intents}, made in process. So a token's amount,
 * currency, expiry and seller are enforced where Stripe enforces them, and every charge is a
 * PaymentIntent there. The charger is looked up per charge because the Stripe sandbox is started
 * after the provider it reaches.
 */
final class StripePaymentCharger implements PaymentCharger {
  private final Supplier<TokenCharger> stripe;

  StripePaymentCharger(Supplier<TokenCharger> stripe) {
    this.stripe = Objects.requireNonNull(stripe, "stripe");
  }

  @Override
  public Charge charge(Secret token, Money amount, String seller, String description, String idempotencyKey) {
    ChargeResult r = stripe.get().charge(token.reveal(), amount, seller, idempotencyKey);
    if (!r.succeeded() || r.paymentIntent() == null) {
      throw new Declined(r.declineCode() == null ? "declined" : r.declineCode(),
          r.message() == null ? "the payment was declined" : r.message());
    }
    return new Charge(r.paymentIntent(), amount, seller, description);
  }
}
