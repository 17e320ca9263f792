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
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The limit arithmetic every ledger shares: which reservations count against a limit's bucket and
 * window, and whether a new amount fits. Stores supply the reservations; this decides.
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

  /** The use of {@code limit}'s bucket at {@code now} among {@code candidates}. */
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
