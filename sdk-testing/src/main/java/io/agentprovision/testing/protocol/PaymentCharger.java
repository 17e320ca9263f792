package io.agentprovision.testing.protocol;

import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import java.util.Objects;

/**
 * How the {@link ProviderSandbox}, as the seller, charges the payment token an orchestrator sent in
 * {@code payment_credentials}: what a real provider does with a Stripe PaymentIntent confirmed with
 * {@code shared_payment_granted_token}. The default, {@link InMemoryPaymentCharger}, validates tokens
 * it issued itself; another implementation can charge a Stripe sandbox or another fake. Thread-safe.
 */
@FunctionalInterface
public interface PaymentCharger {
  /**
   * Charges {@code amount} on {@code token} for {@code seller}. The same {@code idempotencyKey}
   * returns the same charge without charging again.
   *
   * @throws Declined when the token cannot be charged (unknown, revoked, expired, another seller,
   *     another currency, above its cap, already used)
   */
  Charge charge(Secret token, Money amount, String seller, String description, String idempotencyKey);

  /**
   * A successful charge.
   *
   * @param id the charge's id
   * @param amount what was charged
   * @param seller who charged
   * @param description what for
   */
  record Charge(String id, Money amount, String seller, String description) {
    public Charge {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(amount, "amount");
      Objects.requireNonNull(seller, "seller");
      Objects.requireNonNull(description, "description");
    }
  }

  /** A refused charge; the sandbox answers {@code 402 payment_declined} with the code as reason. */
  final class Declined extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;

    public Declined(String code, String message) {
      super(message);
      this.code = Objects.requireNonNull(code, "code");
    }

    /** Why, such as {@code token_expired} or {@code amount_exceeds_limit}. */
    public String code() {
      return code;
    }
  }
}
