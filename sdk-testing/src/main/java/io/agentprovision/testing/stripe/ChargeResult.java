package io.agentprovision.testing.stripe;

import io.agentprovision.core.Money;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of charging a Shared Payment Token.
 *
 * @param succeeded whether money moved
 * @param paymentIntent the PaymentIntent id, when one was created
 * @param amount what was asked
 * @param declineCode why it was declined: {@code token_not_found}, {@code token_inactive},
 *     {@code token_expired}, {@code seller_mismatch}, {@code currency_mismatch}, {@code amount_too_large}
 * @param message a description of the decline
 */
public record ChargeResult(boolean succeeded, @Nullable String paymentIntent, Money amount, @Nullable String declineCode,
    @Nullable String message) {
  public ChargeResult {
    Objects.requireNonNull(amount, "amount");
  }

  static ChargeResult ok(String paymentIntent, Money amount) {
    return new ChargeResult(true, paymentIntent, amount, null, null);
  }

  static ChargeResult declined(Money amount, String code, String message) {
    return new ChargeResult(false, null, amount, code, message);
  }
}
