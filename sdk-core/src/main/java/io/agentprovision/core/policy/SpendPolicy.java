package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.approval.CheckpointKind;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * How much an agent may spend of a human's money, when a human must confirm, when to alert, and
 * which checkpoints need multi-factor authentication. Immutable and thread-safe.
 *
 * <pre>{@code
 * SpendPolicy policy = SpendPolicy.builder()
 *     .limit(SpendLimit.monthly(Money.usd("100.00")).perProvider())
 *     .limit(SpendLimit.perTransaction(Money.usd("25.00")))
 *     .requireApprovalAbove(Money.usd("20.00"))
 *     .alertAt(50, 80, 100)
 *     .requireMfaFor(CheckpointKind.DOMAIN_PURCHASE, CheckpointKind.RAISE_LIMIT)
 *     .build();
 * }</pre>
 *
 * <p>Without any {@link Builder#limit limit}, the policy holds {@link #DEFAULT_LIMIT}: USD 100.00
 * per month per provider, the cap the orchestrator itself applies until a human raises it. A
 * policy always has at least one limit. Raising a limit at run time is a human checkpoint (see
 * {@link AgentProvisioner#updateSpendPolicy}).
 */
public final class SpendPolicy {
  /** USD 100.00 per calendar month, each provider separately. */
  public static final SpendLimit DEFAULT_LIMIT = SpendLimit.monthly(Money.usd("100.00")).perProvider();
  /** Every spend above zero needs a human's confirmation unless configured otherwise. */
  public static final Money DEFAULT_APPROVAL_THRESHOLD = Money.usd("0.00");
  /** Alerts at half, four fifths and all of each limit. */
  public static final List<Integer> DEFAULT_ALERT_PERCENTS = List.of(50, 80, 100);
  /** Calendar intervals start at midnight UTC. */
  public static final ZoneId DEFAULT_ZONE = ZoneOffset.UTC;
  /** A reservation never settled (a crashed host) stops counting after this long. */
  public static final Duration DEFAULT_RESERVATION_TTL = Duration.ofHours(1);

  private final List<SpendLimit> limits;
  private final Money approvalThreshold;
  private final List<Integer> alertPercents;
  private final ZoneId zone;
  private final Duration reservationTtl;
  private final Set<CheckpointKind> mfaRequired;

  private SpendPolicy(Builder b) {
    this.limits = b.limits.isEmpty() ? List.of(DEFAULT_LIMIT) : List.copyOf(b.limits.values());
    this.approvalThreshold = b.approvalThreshold;
    this.alertPercents = List.copyOf(b.alertPercents);
    this.zone = b.zone;
    this.reservationTtl = b.reservationTtl;
    this.mfaRequired = Set.copyOf(b.mfaRequired);
  }

  /** The default policy: {@link #DEFAULT_LIMIT}, approval above {@link #DEFAULT_APPROVAL_THRESHOLD}, alerts at 50/80/100 %. */
  public static SpendPolicy defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    for (SpendLimit l : limits) {
      b.limit(l);
    }
    b.approvalThreshold = approvalThreshold;
    b.alertPercents = new TreeSet<>(alertPercents);
    b.zone = zone;
    b.reservationTtl = reservationTtl;
    b.mfaRequired = mfaRequired.isEmpty() ? EnumSet.noneOf(CheckpointKind.class) : EnumSet.copyOf(mfaRequired);
    return b;
  }

  public List<SpendLimit> limits() {
    return limits;
  }

  /** The limits that count spend by {@code agent} with {@code provider}. */
  public List<SpendLimit> limitsFor(AgentId agent, String provider) {
    List<SpendLimit> out = new ArrayList<>();
    for (SpendLimit l : limits) {
      if (l.appliesTo(agent, provider)) {
        out.add(l);
      }
    }
    return out;
  }

  /**
   * The monthly limits that cap all of {@code provider}'s spend (global or per provider, for every
   * agent), tightest first: what an orchestrator that keeps its own monthly cap per provider can
   * mirror, so that the cap holds on both sides.
   */
  public List<SpendLimit> monthlyCapsFor(String provider) {
    List<SpendLimit> out = new ArrayList<>();
    for (SpendLimit l : limits) {
      if (l.interval() == SpendInterval.MONTHLY && l.agent() == null
          && (l.provider() == null || l.provider().equals(provider))
          && (l.scope() == SpendLimit.Scope.GLOBAL || l.scope() == SpendLimit.Scope.PER_PROVIDER)) {
        out.add(l);
      }
    }
    out.sort((a, b) -> Long.compare(a.amount().minorUnits(), b.amount().minorUnits()));
    return out;
  }

  /**
   * A change of an orchestrator's own monthly cap for a provider, so that this policy's cap holds on
   * both sides.
   *
   * @param from the orchestrator's cap it tightens
   * @param to the cap to set: monthly, for the provider, at this policy's amount
   */
  public record CapChange(SpendLimit from, SpendLimit to) {
    public CapChange {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }
  }

  /**
   * The cap mirroring rule, owned here and applied by the engine and by every orchestrator that
   * keeps caps of its own (such as Stripe's payment-profile limits): given the caps the orchestrator
   * enforces for {@code provider} ({@code Orchestrator.providerLimits}), the change that lowers its
   * tightest monthly cap in the same currency to this policy's tightest {@link #monthlyCapsFor
   * monthly cap} for the provider. Empty when the orchestrator's cap is already at or below it, when
   * the policy has no such cap, or when the orchestrator holds no monthly cap in that currency:
   * mirroring only ever lowers a comparable cap; raising one, or replacing one in another currency
   * or interval, is a human's decision.
   *
   * <pre>{@code
   * policy.capToMirror("cloudflare", orchestrator.providerLimits("cloudflare"))
   *     .ifPresent(c -> orchestrator.updateProviderLimit("cloudflare", c.to(), ctx));
   * }</pre>
   */
  public Optional<CapChange> capToMirror(String provider, List<SpendLimit> orchestratorCaps) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(orchestratorCaps, "orchestratorCaps");
    for (SpendLimit mine : monthlyCapsFor(provider)) {
      SpendLimit current = null;
      for (SpendLimit theirs : orchestratorCaps) {
        if (theirs.interval() == SpendInterval.MONTHLY && theirs.amount().sameCurrency(mine.amount())
            && (theirs.provider() == null || theirs.provider().equals(provider))
            && (current == null || theirs.amount().lessThan(current.amount()))) {
          current = theirs;
        }
      }
      if (current == null) {
        continue; // no cap in this currency to compare with: the next currency's tightest may have one
      }
      if (mine.amount().lessThan(current.amount())) {
        return Optional.of(new CapChange(current, SpendLimit.monthly(mine.amount()).forProvider(provider)));
      }
      return Optional.empty(); // the tightest comparable cap already holds
    }
    return Optional.empty();
  }

  /** Spends strictly above this amount need a human's confirmation. */
  public Money approvalThreshold() {
    return approvalThreshold;
  }

  /** Whether a spend of {@code amount} needs a human's confirmation. */
  public boolean requiresApproval(Money amount) {
    if (!amount.sameCurrency(approvalThreshold)) {
      return true; // an amount the threshold cannot judge is never waved through
    }
    return amount.greaterThan(approvalThreshold);
  }

  /** Percentages of a limit at which a budget alert fires, ascending. */
  public List<Integer> alertPercents() {
    return alertPercents;
  }

  public ZoneId zone() {
    return zone;
  }

  public Duration reservationTtl() {
    return reservationTtl;
  }

  /** The checkpoints before which the principal must show multi-factor authentication. */
  public Set<CheckpointKind> mfaRequiredFor() {
    return mfaRequired;
  }

  public boolean requiresMfa(CheckpointKind kind) {
    return mfaRequired.contains(kind);
  }

  /**
   * What {@code proposed} loosens compared with this policy: limits raised or removed, a higher
   * approval threshold, fewer checkpoints needing MFA. Empty when it only tightens. Loosening is a
   * human checkpoint.
   */
  public List<String> loosenings(SpendPolicy proposed) {
    List<String> out = new ArrayList<>();
    Map<String, SpendLimit> next = new LinkedHashMap<>();
    for (SpendLimit l : proposed.limits) {
      next.put(l.key() + "|" + l.amount().currencyCode(), l);
    }
    for (SpendLimit old : limits) {
      SpendLimit n = next.get(old.key() + "|" + old.amount().currencyCode());
      if (n == null) {
        out.add("removes limit " + old);
      } else if (n.amount().greaterThan(old.amount())) {
        out.add("raises limit " + old.key() + " from " + old.amount() + " to " + n.amount());
      }
    }
    if (!proposed.approvalThreshold.sameCurrency(approvalThreshold)
        || proposed.approvalThreshold.greaterThan(approvalThreshold)) {
      out.add("raises the approval threshold from " + approvalThreshold + " to " + proposed.approvalThreshold);
    }
    for (CheckpointKind k : mfaRequired) {
      if (!proposed.mfaRequired.contains(k)) {
        out.add("no longer requires MFA for " + k);
      }
    }
    return out;
  }

  /**
   * Equal when every setting is: the same limits in the same order (the first that refuses is the one
   * named), threshold, alert percentages, zone, reservation TTL and MFA checkpoints.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof SpendPolicy p && p.limits.equals(limits) && p.approvalThreshold.equals(approvalThreshold)
        && p.alertPercents.equals(alertPercents) && p.zone.equals(zone) && p.reservationTtl.equals(reservationTtl)
        && p.mfaRequired.equals(mfaRequired);
  }

  @Override
  public int hashCode() {
    return Objects.hash(limits, approvalThreshold, alertPercents, zone, reservationTtl, mfaRequired);
  }

  @Override
  public String toString() {
    return "SpendPolicy{limits=" + limits + ", approvalAbove=" + approvalThreshold + ", alertAt=" + alertPercents
        + ", zone=" + zone + ", mfaFor=" + mfaRequired + "}";
  }

  /** Builds a {@link SpendPolicy}; every setter checks its argument at once. */
  public static final class Builder {
    private final Map<String, SpendLimit> limits = new LinkedHashMap<>();
    private Money approvalThreshold = DEFAULT_APPROVAL_THRESHOLD;
    private SortedSet<Integer> alertPercents = new TreeSet<>(DEFAULT_ALERT_PERCENTS);
    private ZoneId zone = DEFAULT_ZONE;
    private Duration reservationTtl = DEFAULT_RESERVATION_TTL;
    private Set<CheckpointKind> mfaRequired = EnumSet.noneOf(CheckpointKind.class);

    private Builder() {}

    /** Adds a limit. Two limits with the same {@link SpendLimit#key() key} and currency are refused. */
    public Builder limit(SpendLimit limit) {
      Objects.requireNonNull(limit, "limit");
      String k = limit.key() + "|" + limit.amount().currencyCode();
      if (limits.containsKey(k)) {
        throw new InvalidRequestException("limit", "a limit " + limit.key() + " in " + limit.amount().currencyCode()
            + " is already set", "set each interval and scope once; use toBuilder().replaceLimits(...) to change one");
      }
      limits.put(k, limit);
      return this;
    }

    /** Replaces all limits with {@code newLimits}. */
    public Builder replaceLimits(List<SpendLimit> newLimits) {
      limits.clear();
      for (SpendLimit l : newLimits) {
        limit(l);
      }
      return this;
    }

    /** Spends strictly above {@code threshold} need a human's confirmation; {@code Money.usd("0")} means every paid spend. */
    public Builder requireApprovalAbove(Money threshold) {
      this.approvalThreshold = Objects.requireNonNull(threshold, "threshold").requireNonNegative("requireApprovalAbove");
      return this;
    }

    /** Percentages (1–100) of each limit at which a budget alert fires once per window. */
    public Builder alertAt(int... percents) {
      SortedSet<Integer> set = new TreeSet<>();
      for (int p : percents) {
        if (p < 1 || p > 100) {
          throw new InvalidRequestException("alertAt", "percentage " + p + " is outside 1..100",
              "pass percentages such as 50, 80, 100");
        }
        set.add(p);
      }
      this.alertPercents = set;
      return this;
    }

    /** The zone whose midnight starts calendar intervals. */
    public Builder zone(ZoneId zoneId) {
      this.zone = Objects.requireNonNull(zoneId, "zone");
      return this;
    }

    /** How long an unsettled reservation keeps counting; between one minute and one day. */
    public Builder reservationTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "reservationTtl");
      if (ttl.compareTo(Duration.ofMinutes(1)) < 0 || ttl.compareTo(Duration.ofDays(1)) > 0) {
        throw new InvalidRequestException("reservationTtl", "must be between 1 minute and 1 day (was " + ttl + ")",
            "pass a duration such as Duration.ofHours(1)");
      }
      this.reservationTtl = ttl;
      return this;
    }

    /** The checkpoints that need the principal to show multi-factor authentication (step-up otherwise). */
    public Builder requireMfaFor(CheckpointKind... kinds) {
      Set<CheckpointKind> set = EnumSet.noneOf(CheckpointKind.class);
      set.addAll(Arrays.asList(kinds));
      this.mfaRequired = set;
      return this;
    }

    public SpendPolicy build() {
      return new SpendPolicy(this);
    }
  }
}
