package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.policy.Reservation;
import java.util.Currency;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A set of reservations a limit adds up, before its window is applied: those in {@code currency}
 * made by {@code agent} (by anyone when null) with {@code provider} (with any provider when null).
 * {@link LimitMath#bucketOf} says which bucket a limit adds up for a spend; every limit that selects
 * the same reservations maps to the same bucket, whatever its amount, so raising, lowering, adding
 * or removing a limit never changes what a bucket holds.
 *
 * <p>A spend by agent {@code a} with provider {@code p} falls in exactly the four buckets of
 * {@link LimitMath#bucketsFed}: everyone's, the agent's, the provider's and the pair's.
 *
 * @param currency the currency of the reservations counted (a limit never converts)
 * @param agent the agent whose spend counts, or null for every agent
 * @param provider the provider whose spend counts, or null for every provider
 */
public record SpendBucket(Currency currency, @Nullable AgentId agent, @Nullable String provider) {
  public SpendBucket {
    Objects.requireNonNull(currency, "currency");
  }

  /** Whether a spend of {@code currency} by {@code byAgent} with {@code withProvider} falls in this bucket. */
  public boolean holds(Currency spendCurrency, AgentId byAgent, String withProvider) {
    return currency.equals(spendCurrency) && (agent == null || agent.equals(byAgent))
        && (provider == null || provider.equals(withProvider));
  }

  /** Whether reservation {@code r} falls in this bucket (in any window). */
  public boolean holds(Reservation r) {
    return holds(r.amount().currency(), r.agent(), r.provider());
  }

  // Written out rather than generated: a bucket is a hash key on every reserve, and comparing the
  // three fields by their own types keeps those calls direct.
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    return o instanceof SpendBucket b && currency.equals(b.currency)
        && (agent == null ? b.agent == null : agent.equals(b.agent))
        && (provider == null ? b.provider == null : provider.equals(b.provider));
  }

  @Override
  public int hashCode() {
    int h = currency.hashCode();
    h = 31 * h + (agent == null ? 0 : agent.hashCode());
    return 31 * h + (provider == null ? 0 : provider.hashCode());
  }
}
