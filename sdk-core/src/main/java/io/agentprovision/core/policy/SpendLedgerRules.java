package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.internal.spend.LimitMath;
import io.agentprovision.core.internal.spend.Settlement;
import io.agentprovision.core.internal.spend.SpendBucket;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The rules every {@link io.agentprovision.core.spi.SpendLedger} shares, for stores written outside
 * this module (such as the JDBC ledger): which reservations a limit adds up, in which window, whether
 * an amount fits, and what commit and release may do. The in-memory ledger and the planner apply
 * these same rules, from one owner, so a store that calls them judges every request exactly as they
 * do; a store only decides how it keeps reservations and their running totals.
 *
 * <p>The rules, in short (see {@code docs/extending.md}, "A spend ledger"):
 * <ul>
 *   <li>A limit adds up one {@link Bucket} for a spender ({@link #bucketOf}); a reservation falls in
 *       exactly the four buckets of {@link #bucketsFed}. Keep running totals per bucket and window:
 *       a limit raised, lowered, added or removed then finds the same totals.
 *   <li>A reservation counts in the window of each calendar (an interval in the
 *       {@linkplain #calendarZone calendar's zone}) that contains its creation, for its whole life.
 *   <li>It counts {@link Reservation#counted}: its amount while held and unexpired, what was
 *       committed once committed, nothing once released or expired.
 *   <li>{@link #admit} decides a reservation against the usages before it; {@link #commit} and
 *       {@link #release} decide settlements.
 * </ul>
 *
 * <pre>{@code
 * List<LimitUsage> before = ...;                 // each limit's bucket use in its window, from your totals
 * List<LimitUsage> after = SpendLedgerRules.admit(request, before);   // throws PolicyViolationException
 * }</pre>
 */
public final class SpendLedgerRules {
  private SpendLedgerRules() {}

  /**
   * A set of reservations a limit adds up, before its window is applied: those in {@code currency}
   * made by {@code agent} (by anyone when null) with {@code provider} (with any provider when null).
   * Every limit that selects the same reservations has the same bucket, whatever its amount.
   *
   * @param currency the currency of the reservations counted (a limit never converts)
   * @param agent the agent whose spend counts, or null for every agent
   * @param provider the provider whose spend counts, or null for every provider
   */
  public record Bucket(Currency currency, @Nullable AgentId agent, @Nullable String provider) {
    public Bucket {
      Objects.requireNonNull(currency, "currency");
    }

    /** Whether reservation {@code r} falls in this bucket (in any window). */
    public boolean holds(Reservation r) {
      return internal().holds(r);
    }

    private SpendBucket internal() {
      return new SpendBucket(currency, agent, provider);
    }

    private static Bucket of(SpendBucket b) {
      return new Bucket(b.currency(), b.agent(), b.provider());
    }
  }

  /**
   * The bucket {@code limit} adds up for a spend by {@code agent} with {@code provider}, or null when
   * it adds up nobody's spend (its filter names another agent or provider than its scope picks).
   * Per-transaction limits have a bucket too; they never add it up.
   */
  public static @Nullable Bucket bucketOf(SpendLimit limit, AgentId agent, String provider) {
    SpendBucket b = LimitMath.bucketOf(limit, agent, provider);
    return b == null ? null : Bucket.of(b);
  }

  /** The four buckets a spend falls in, and the only ones: everyone's, the agent's, the provider's, the pair's. */
  public static List<Bucket> bucketsFed(Currency currency, AgentId agent, String provider) {
    List<Bucket> out = new ArrayList<>(4);
    for (SpendBucket b : LimitMath.bucketsFed(currency, agent, provider)) {
      out.add(Bucket.of(b));
    }
    return out;
  }

  /** The zone whose calendar of {@code interval} a total is kept in: UTC for all-time totals, else {@code zone}. */
  public static ZoneId calendarZone(SpendInterval interval, ZoneId zone) {
    return LimitMath.calendarZone(interval, zone);
  }

  /**
   * Checks {@code request} against each of its limits given their usages before it (one per limit,
   * in order) and returns the usages after it.
   *
   * @throws PolicyViolationException naming the first limit that refuses
   */
  public static List<LimitUsage> admit(ReservationRequest request, List<LimitUsage> before) {
    return LimitMath.admit(request, before);
  }

  /**
   * Why a limit whose bucket stands at {@code before} refuses {@code amount}, or null when it
   * admits it.
   */
  public static @Nullable PolicyViolationException refusal(LimitUsage before, Money amount) {
    return LimitMath.refusal(before, amount);
  }

  /**
   * Commits {@code actual} on {@code r}, handing the committed reservation to {@code store}, or
   * returns {@code r} unchanged when it is already committed at that amount.
   *
   * @throws io.agentprovision.core.InvalidRequestException for a released reservation, more than
   *     reserved, another currency, or another amount than an earlier commit
   */
  public static Reservation commit(Reservation r, Money actual, UnaryOperator<Reservation> store) {
    return Settlement.commit(r, actual, store);
  }

  /**
   * Releases {@code r}, handing the released reservation to {@code store}; a released or expired one
   * is returned unchanged.
   *
   * @throws io.agentprovision.core.InvalidRequestException for a committed reservation
   */
  public static Reservation release(Reservation r, UnaryOperator<Reservation> store) {
    return Settlement.release(r, store);
  }

  /**
   * Holds {@code r} as {@link Reservation.Status#UNCERTAIN uncertain}, handing it to {@code store};
   * an uncertain or committed one is returned unchanged.
   *
   * @throws io.agentprovision.core.InvalidRequestException for a released reservation
   */
  public static Reservation markUncertain(Reservation r, UnaryOperator<Reservation> store) {
    return Settlement.markUncertain(r, store);
  }

  /**
   * Settles {@code r} by what the provider {@code charged} (zero releases it, more commits that
   * much), handing the settled reservation to {@code store}; the same settlement again is a no-op.
   *
   * @throws io.agentprovision.core.InvalidRequestException for more than reserved, another currency,
   *     or an answer that contradicts an earlier settlement
   */
  public static Reservation reconcile(Reservation r, Money charged, UnaryOperator<Reservation> store) {
    return Settlement.reconcile(r, charged, store);
  }
}
