package io.agentprovision.stripe;

import io.agentprovision.core.policy.SpendLimit;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Stripe's payment profile for provisioning: the card that pays providers and the spend limits
 * Stripe itself enforces on it, overall and per provider.
 *
 * @param cardLast4 the last four digits of the card on file, or null when there is none
 * @param overallLimit the limit on the payment method as a whole, when Stripe reports one
 * @param providerLimits per-provider limits, keyed by the provider's catalog name in lower case
 */
public record PaymentProfile(@Nullable String cardLast4, @Nullable SpendLimit overallLimit,
    Map<String, SpendLimit> providerLimits) {
  public PaymentProfile {
    providerLimits = Map.copyOf(providerLimits);
  }

  /** Whether a payment method is on file. */
  public boolean hasPaymentMethod() {
    return cardLast4 != null;
  }

  /** The limit Stripe applies to spend with {@code provider}: its own limit, else the overall one. */
  public Optional<SpendLimit> limitFor(String provider) {
    Optional<SpendLimit> own = providerLimit(provider);
    return own.isPresent() ? own : Optional.ofNullable(overallLimit);
  }

  /** The provider's own limit (any case of its name), without falling back to the overall one. */
  public Optional<SpendLimit> providerLimit(String provider) {
    Objects.requireNonNull(provider, "provider");
    return Optional.ofNullable(providerLimits.get(provider.toLowerCase(Locale.ROOT)));
  }

  /** A safe description of the card, such as {@code "card •••• 4242"}, or null. */
  public @Nullable String display() {
    return cardLast4 == null ? null : "card •••• " + cardLast4;
  }
}
