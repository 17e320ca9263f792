package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A cap on spend: an amount, an {@link SpendInterval interval}, and a scope that says whose spend
 * accumulates together. Immutable; each scoping method returns a new limit.
 *
 * <pre>{@code
 * SpendLimit.monthly(Money.usd("100.00")).perProvider()   // each provider has its own $100/month
 * SpendLimit.daily(Money.usd("20.00")).perAgent()         // each agent $20/day, all providers together
 * SpendLimit.perTransaction(Money.usd("15.00"))           // no single spend above $15
 * SpendLimit.yearly(Money.usd("500.00")).forProvider("cloudflare")
 * }</pre>
 *
 * <p>A limit has one currency; a spend in another currency is refused by it rather than converted.
 */
public final class SpendLimit {
  /** Whose spend a limit adds together. */
  public enum Scope {
    /** All agents and providers share the limit. */
    GLOBAL,
    /** Each provider has its own bucket. */
    PER_PROVIDER,
    /** Each agent has its own bucket. */
    PER_AGENT,
    /** Each (agent, provider) pair has its own bucket. */
    PER_AGENT_AND_PROVIDER
  }

  private final Money amount;
  private final SpendInterval interval;
  private final Scope scope;
  private final @Nullable String provider;
  private final @Nullable AgentId agent;

  private SpendLimit(Money amount, SpendInterval interval, Scope scope, @Nullable String provider,
      @Nullable AgentId agent) {
    this.amount = Objects.requireNonNull(amount, "amount").requireNonNegative("limit amount");
    this.interval = Objects.requireNonNull(interval, "interval");
    this.scope = scope;
    this.provider = provider;
    this.agent = agent;
  }

  public static SpendLimit of(Money amount, SpendInterval interval) {
    return new SpendLimit(amount, interval, Scope.GLOBAL, null, null);
  }

  public static SpendLimit perTransaction(Money amount) {
    return of(amount, SpendInterval.PER_TRANSACTION);
  }

  public static SpendLimit daily(Money amount) {
    return of(amount, SpendInterval.DAILY);
  }

  public static SpendLimit weekly(Money amount) {
    return of(amount, SpendInterval.WEEKLY);
  }

  public static SpendLimit monthly(Money amount) {
    return of(amount, SpendInterval.MONTHLY);
  }

  public static SpendLimit yearly(Money amount) {
    return of(amount, SpendInterval.YEARLY);
  }

  public static SpendLimit allTime(Money amount) {
    return of(amount, SpendInterval.ALL_TIME);
  }

  /** Each provider gets its own bucket. */
  public SpendLimit perProvider() {
    return new SpendLimit(amount, interval, scope == Scope.PER_AGENT ? Scope.PER_AGENT_AND_PROVIDER : Scope.PER_PROVIDER,
        provider, agent);
  }

  /** Each agent gets its own bucket. */
  public SpendLimit perAgent() {
    return new SpendLimit(amount, interval, scope == Scope.PER_PROVIDER ? Scope.PER_AGENT_AND_PROVIDER : Scope.PER_AGENT,
        provider, agent);
  }

  /** Applies only to spend with this provider. */
  public SpendLimit forProvider(String providerName) {
    if (providerName == null || providerName.isBlank()) {
      throw new InvalidRequestException("provider", "is empty", "name the provider, such as \"cloudflare\"");
    }
    return new SpendLimit(amount, interval, scope, providerName, agent);
  }

  /** Applies only to spend by this agent. */
  public SpendLimit forAgent(AgentId agentId) {
    return new SpendLimit(amount, interval, scope, provider, Objects.requireNonNull(agentId, "agentId"));
  }

  /** The same limit with another amount (used when a human raises or lowers it). */
  public SpendLimit withAmount(Money newAmount) {
    return new SpendLimit(newAmount, interval, scope, provider, agent);
  }

  public Money amount() {
    return amount;
  }

  public SpendInterval interval() {
    return interval;
  }

  public Scope scope() {
    return scope;
  }

  /** The provider filter, or null when the limit applies to every provider. */
  public @Nullable String provider() {
    return provider;
  }

  /** The agent filter, or null when the limit applies to every agent. */
  public @Nullable AgentId agent() {
    return agent;
  }

  /** Whether spend by {@code agentId} with {@code providerName} counts against this limit. */
  public boolean appliesTo(AgentId agentId, String providerName) {
    return (provider == null || provider.equals(providerName)) && (agent == null || agent.equals(agentId));
  }

  /** Whether two spends fall in the same bucket of this limit. */
  public boolean sameBucket(AgentId agentA, String providerA, AgentId agentB, String providerB) {
    switch (scope) {
      case GLOBAL:
        return true;
      case PER_PROVIDER:
        return providerA.equals(providerB);
      case PER_AGENT:
        return agentA.equals(agentB);
      case PER_AGENT_AND_PROVIDER:
        return providerA.equals(providerB) && agentA.equals(agentB);
      default:
        throw new AssertionError(scope);
    }
  }

  /**
   * A stable name of this limit (without its amount), such as {@code "monthly/per-provider"} or
   * {@code "daily/per-agent/provider=cloudflare"}. Two limits with the same key describe the same
   * cap; {@link SpendPolicy} refuses duplicates.
   */
  public String key() {
    StringBuilder sb = new StringBuilder(interval.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    sb.append('/').append(scope.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    if (provider != null) {
      sb.append("/provider=").append(provider);
    }
    if (agent != null) {
      sb.append("/agent=").append(agent);
    }
    return sb.toString();
  }

  /** The bucket a spend by {@code agentId} with {@code providerName} falls in, such as {@code "provider=cloudflare"}. */
  public String bucket(AgentId agentId, String providerName) {
    switch (scope) {
      case GLOBAL:
        return "all";
      case PER_PROVIDER:
        return "provider=" + providerName;
      case PER_AGENT:
        return "agent=" + agentId;
      case PER_AGENT_AND_PROVIDER:
        return "agent=" + agentId + ",provider=" + providerName;
      default:
        throw new AssertionError(scope);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpendLimit l && l.amount.equals(amount) && l.interval == interval && l.scope == scope
        && Objects.equals(l.provider, provider) && Objects.equals(l.agent, agent);
  }

  @Override
  public int hashCode() {
    return Objects.hash(amount, interval, scope, provider, agent);
  }

  @Override
  public String toString() {
    return amount + " " + key();
  }
}
