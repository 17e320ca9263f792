package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The limit arithmetic every ledger shares: which reservations count against a limit's bucket and
 * window, and whether a new amount fits. Stores supply the reservations or their running totals;
 * this decides.
 *
 * <p>The rules, in one place for every store (in memory, JDBC):
 *
 * <ul>
 *   <li><b>Bucket.</b> A limit, for a spend by an agent with a provider, adds up the reservations of
 *       one {@link SpendBucket}: {@link #bucketOf}. A reservation falls in the four buckets of
 *       {@link #bucketsFed}. A store that keeps running totals keeps one per bucket and window, and
 *       updates the four buckets' totals whenever a reservation's counted amount changes.
 *   <li><b>Window.</b> A reservation counts in the window of each calendar ({@link SpendInterval} in
 *       a zone) that contains its {@link Reservation#createdAt()}, for its whole life: committed in
 *       the next month, it still counts in the month it was reserved in. Windows are
 *       {@link SpendInterval#windowAt}; a total is keyed by its window's start, and a window that
 *       has passed is simply never asked for again. {@link SpendInterval#PER_TRANSACTION} limits add
 *       nothing up.
 *   <li><b>Amount.</b> A reservation counts {@link Reservation#counted}: its amount while held and
 *       unexpired, what was committed once committed, nothing once released or expired.
 *   <li><b>Admission.</b> {@link #refusal}: used plus the new amount must not exceed the limit, in
 *       the limit's currency. The planner applies the same rule to a plan's quotes.
 * </ul>
 */
public final class LimitMath {
  private LimitMath() {}

  /** Whether reservation {@code r} counts in {@code limit}'s bucket for (agent, provider) in {@code window}. */
  public static boolean counts(SpendLimit limit, SpendInterval.Window window, AgentId agent, String provider, Reservation r) {
    return limit.appliesTo(r.agent(), r.provider())
        && limit.sameBucket(agent, provider, r.agent(), r.provider())
        && window.contains(r.createdAt())
        && r.amount().sameCurrency(limit.amount());
  }

  /**
   * The bucket {@code limit} adds up for a spend by {@code agent} with {@code provider}, or null when
   * it adds up nobody's spend: when its filter names another agent (or provider) than the one its
   * per-agent (per-provider) scope picks. Whatever the limit's interval: a per-transaction limit has
   * a bucket too, it just never adds it up. For every reservation {@code r} and window {@code w},
   * {@code counts(limit, w, agent, provider, r)} exactly when this bucket is non-null,
   * {@linkplain SpendBucket#holds(Reservation) holds} {@code r}, and {@code w} contains
   * {@code r.createdAt()}.
   */
  public static @Nullable SpendBucket bucketOf(SpendLimit limit, AgentId agent, String provider) {
    AgentId byAgent = limit.agent();
    String withProvider = limit.provider();
    SpendLimit.Scope scope = limit.scope();
    if (scope == SpendLimit.Scope.PER_AGENT || scope == SpendLimit.Scope.PER_AGENT_AND_PROVIDER) {
      if (byAgent != null && !byAgent.equals(agent)) {
        return null;
      }
      byAgent = agent;
    }
    if (scope == SpendLimit.Scope.PER_PROVIDER || scope == SpendLimit.Scope.PER_AGENT_AND_PROVIDER) {
      if (withProvider != null && !withProvider.equals(provider)) {
        return null;
      }
      withProvider = provider;
    }
    return new SpendBucket(limit.amount().currency(), byAgent, withProvider);
  }

  /**
   * The zone a calendar of {@code interval} in {@code zone} is kept in: {@code zone} itself, except
   * for {@link SpendInterval#ALL_TIME}, whose one window is the same in every zone, so that all-time
   * totals are kept once (in UTC) whatever zone a policy names.
   */
  public static ZoneId calendarZone(SpendInterval interval, ZoneId zone) {
    return interval == SpendInterval.ALL_TIME ? java.time.ZoneOffset.UTC : zone;
  }

  /**
   * The four buckets a spend of {@code currency} by {@code agent} with {@code provider} falls in, and
   * the only ones: everyone's, the agent's, the provider's, the pair's (in that order).
   */
  public static List<SpendBucket> bucketsFed(Currency currency, AgentId agent, String provider) {
    return List.of(new SpendBucket(currency, null, null), new SpendBucket(currency, agent, null),
        new SpendBucket(currency, null, provider), new SpendBucket(currency, agent, provider));
  }

  /**
   * The use of {@code limit}'s bucket at {@code now} among {@code candidates}, added up one by one:
   * for a store without running totals, and the reference the running totals are tested against.
   */
  public static LimitUsage usage(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone,
      Iterable<Reservation> candidates, Instant now) {
    SpendInterval.Window window = limit.interval().windowAt(at, zone);
    Money used = Money.zero(limit.amount().currency());
    if (limit.interval() != SpendInterval.PER_TRANSACTION) {
      for (Reservation r : candidates) {
        if (counts(limit, window, agent, provider, r)) {
          used = used.plus(r.counted(now));
        }
      }
    }
    return new LimitUsage(limit, limit.bucket(agent, provider), window, used);
  }

  /**
   * Checks {@code request} against each of its limits given the current usages (one per limit, in
   * order) and returns the usages after the reservation.
   *
   * @throws PolicyViolationException naming the first limit that refuses
   */
  public static List<LimitUsage> admit(ReservationRequest request, List<LimitUsage> before) {
    List<LimitUsage> after = new ArrayList<>();
    for (LimitUsage u : before) {
      PolicyViolationException refused = refusal(u, request.amount());
      if (refused != null) {
        throw refused;
      }
      after.add(new LimitUsage(u.limit(), u.bucket(), u.window(), u.used().plus(request.amount())));
    }
    return after;
  }

  /**
   * Why a limit whose bucket stands at {@code before} refuses {@code amount}, or null when it
   * admits it. The one rule the ledger applies when reserving and the planner when judging a plan.
   */
  public static @Nullable PolicyViolationException refusal(LimitUsage before, Money amount) {
    SpendLimit limit = before.limit();
    if (!amount.sameCurrency(limit.amount())) {
      return new PolicyViolationException(limit.key(), amount, before.used(), before.remaining(),
          "the limit is in " + limit.amount().currencyCode() + " and a spend in " + amount.currencyCode()
              + " cannot be counted against it; add a limit in " + amount.currencyCode());
    }
    if (before.used().plus(amount).greaterThan(limit.amount())) {
      String what = limit.interval() == SpendInterval.PER_TRANSACTION
          ? "a single spend may not exceed " + limit.amount()
          : "the " + limit.interval().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " limit of "
              + limit.amount() + " for " + before.bucket() + " would be exceeded";
      return new PolicyViolationException(limit.key() + " [" + before.bucket() + "]", amount, before.used(),
          before.remaining(), what);
    }
    return null;
  }
}
