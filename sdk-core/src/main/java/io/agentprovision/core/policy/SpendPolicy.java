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
 *     .velocity(VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 3).perAgent())
 *     .build();
 * }</pre>
 *
 * <p>{@link VelocityLimit}s cap how many accounts, paid plans, domains and tokens are created in a
 * rolling window, for the host, per agent or per person, whatever they cost; there are none unless
 * configured.
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
  /**
   * A step-up counts only for a sign-in ({@code auth_time}) at most this old, and a run's principal
   * who showed a second factor longer ago than this is asked to step up again.
   */
  public static final Duration DEFAULT_STEP_UP_MAX_AGE = Duration.ofMinutes(5);
  /** The shortest {@link Builder#stepUpMaxAge} accepted. */
  public static final Duration MIN_STEP_UP_MAX_AGE = Duration.ofSeconds(30);
  /** The longest {@link Builder#stepUpMaxAge} accepted. */
  public static final Duration MAX_STEP_UP_MAX_AGE = Duration.ofHours(12);

  private final List<SpendLimit> limits;
  private final Money approvalThreshold;
  private final List<Integer> alertPercents;
  private final ZoneId zone;
  private final Duration reservationTtl;
  private final Set<CheckpointKind> mfaRequired;
  private final List<VelocityLimit> velocityLimits;
  private final Duration stepUpMaxAge;

  private SpendPolicy(Builder b) {
    this.limits = b.limits.isEmpty() ? List.of(DEFAULT_LIMIT) : List.copyOf(b.limits.values());
    this.approvalThreshold = b.approvalThreshold;
    this.alertPercents = List.copyOf(b.alertPercents);
    this.zone = b.zone;
    this.reservationTtl = b.reservationTtl;
    this.mfaRequired = Set.copyOf(b.mfaRequired);
    this.velocityLimits = List.copyOf(b.velocityLimits.values());
    this.stepUpMaxAge = b.stepUpMaxAge;
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
    for (VelocityLimit v : velocityLimits) {
      b.velocity(v);
    }
    b.stepUpMaxAge = stepUpMaxAge;
    return b;
  }

  /** The velocity limits: how many of each action may be created in their windows. */
  public List<VelocityLimit> velocityLimits() {
    return velocityLimits;
  }

  /** The velocity limits that count {@code action}. */
  public List<VelocityLimit> velocityLimitsFor(VelocityAction action) {
    List<VelocityLimit> out = new ArrayList<>();
    for (VelocityLimit v : velocityLimits) {
      if (v.action() == action) {
        out.add(v);
      }
    }
    return out;
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
   * How old a sign-in may be and still count as a second factor: a step-up's {@code auth_time} must
   * be within this of the engine's clock, and a run whose principal showed a second factor longer
   * ago steps up again. {@link #DEFAULT_STEP_UP_MAX_AGE} unless configured.
   */
  public Duration stepUpMaxAge() {
    return stepUpMaxAge;
  }

  /**
   * Every way in which <b>this</b> policy may admit a spend that {@code other} refuses, or ask people
   * less than {@code other} does; empty when this policy is at least as strict in every respect. Call
   * it as {@code proposed.loosens(current)}: a policy change with any loosening is a raise, which a
   * person approves after a step-up where {@code current} requires MFA for
   * {@link CheckpointKind#RAISE_LIMIT} (see {@link AgentProvisioner#updateSpendPolicy}).
   *
   * <p>What counts, one {@link Loosening} each, in this order:
   * <ul>
   *   <li>a limit of {@code other} that this policy does not have with the same interval, scope,
   *       provider, agent and currency ({@link Loosening.Aspect#LIMIT_REMOVED}: changing a limit's
   *       interval or scope removes it and adds another, which may admit more), or has with a higher
   *       amount ({@link Loosening.Aspect#LIMIT_RAISED});</li>
   *   <li>a higher approval threshold, or one in another currency
   *       ({@link Loosening.Aspect#APPROVAL_THRESHOLD_RAISED});</li>
   *   <li>a checkpoint kind {@code other} requires MFA for and this one does not
   *       ({@link Loosening.Aspect#MFA_DROPPED}), or a longer {@link #stepUpMaxAge}
   *       ({@link Loosening.Aspect#STEP_UP_MAX_AGE_LONGER});</li>
   *   <li>an alert percentage {@code other} has and this one does not
   *       ({@link Loosening.Aspect#ALERT_DROPPED});</li>
   *   <li>another zone ({@link Loosening.Aspect#ZONE_CHANGED}): calendar windows then start at another
   *       midnight, so spend counted in one month can fall into another;</li>
   *   <li>a longer reservation lifetime ({@link Loosening.Aspect#RESERVATION_TTL_LONGER}): payment
   *       authorisations made for reservations stay valid longer;</li>
   *   <li>a velocity limit of {@code other} that this policy does not have
   *       ({@link Loosening.Aspect#VELOCITY_LIMIT_REMOVED}) or has with a higher maximum
   *       ({@link Loosening.Aspect#VELOCITY_LIMIT_RAISED}).</li>
   * </ul>
   * Adding limits, lowering amounts or the threshold, requiring MFA for more, a shorter step-up age,
   * more alerts and a shorter reservation lifetime are tightenings and are not listed. The rule is
   * deliberately conservative: a change that might admit more counts, even where a given history
   * of spend would not show it.
   */
  public List<Loosening> loosens(SpendPolicy other) {
    Objects.requireNonNull(other, "other");
    List<Loosening> out = new ArrayList<>();
    Map<String, SpendLimit> mine = new LinkedHashMap<>();
    for (SpendLimit l : limits) {
      mine.put(limitKey(l), l);
    }
    for (SpendLimit old : other.limits) {
      SpendLimit n = mine.get(limitKey(old));
      if (n == null) {
        out.add(new Loosening(Loosening.Aspect.LIMIT_REMOVED, "removes limit " + old));
      } else if (n.amount().greaterThan(old.amount())) {
        out.add(new Loosening(Loosening.Aspect.LIMIT_RAISED, "raises limit " + old.key() + " from " + old.amount()
            + " to " + n.amount()));
      }
    }
    if (!approvalThreshold.sameCurrency(other.approvalThreshold)
        || approvalThreshold.greaterThan(other.approvalThreshold)) {
      out.add(new Loosening(Loosening.Aspect.APPROVAL_THRESHOLD_RAISED, "raises the approval threshold from "
          + other.approvalThreshold + " to " + approvalThreshold));
    }
    for (CheckpointKind k : new TreeSet<>(other.mfaRequired)) {
      if (!mfaRequired.contains(k)) {
        out.add(new Loosening(Loosening.Aspect.MFA_DROPPED, "no longer requires MFA for " + k));
      }
    }
    if (stepUpMaxAge.compareTo(other.stepUpMaxAge) > 0) {
      out.add(new Loosening(Loosening.Aspect.STEP_UP_MAX_AGE_LONGER, "accepts a step-up sign-in up to " + stepUpMaxAge
          + " old instead of " + other.stepUpMaxAge));
    }
    for (int p : other.alertPercents) {
      if (!alertPercents.contains(p)) {
        out.add(new Loosening(Loosening.Aspect.ALERT_DROPPED, "drops the budget alert at " + p + " %"));
      }
    }
    if (!zone.normalized().equals(other.zone.normalized())) {
      out.add(new Loosening(Loosening.Aspect.ZONE_CHANGED, "moves the calendar zone from " + other.zone + " to " + zone
          + " (spend already counted can fall into another window)"));
    }
    if (reservationTtl.compareTo(other.reservationTtl) > 0) {
      out.add(new Loosening(Loosening.Aspect.RESERVATION_TTL_LONGER, "holds unsettled reservations for "
          + reservationTtl + " instead of " + other.reservationTtl));
    }
    Map<String, VelocityLimit> myVelocity = new LinkedHashMap<>();
    for (VelocityLimit v : velocityLimits) {
      myVelocity.put(v.key(), v);
    }
    for (VelocityLimit old : other.velocityLimits) {
      VelocityLimit n = myVelocity.get(old.key());
      if (n == null) {
        out.add(new Loosening(Loosening.Aspect.VELOCITY_LIMIT_REMOVED, "removes velocity limit " + old.key()));
      } else if (n.max() > old.max()) {
        out.add(new Loosening(Loosening.Aspect.VELOCITY_LIMIT_RAISED, "raises velocity limit " + old.key() + " from "
            + old.max() + " to " + n.max()));
      }
    }
    return out;
  }

  /**
   * Equal when every setting is: the same limits in the same order (the first that refuses is the one
   * named), threshold, alert percentages, zone, reservation TTL, MFA checkpoints, step-up age and velocity limits (in order).
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof SpendPolicy p && p.limits.equals(limits) && p.approvalThreshold.equals(approvalThreshold)
        && p.alertPercents.equals(alertPercents) && p.zone.equals(zone) && p.reservationTtl.equals(reservationTtl)
        && p.mfaRequired.equals(mfaRequired) && p.stepUpMaxAge.equals(stepUpMaxAge)
        && p.velocityLimits.equals(velocityLimits);
  }

  @Override
  public int hashCode() {
    return Objects.hash(limits, approvalThreshold, alertPercents, zone, reservationTtl, mfaRequired, stepUpMaxAge,
        velocityLimits);
  }

  /** A limit's identity for {@link #loosens}: everything but its amount, with the currency. */
  private static String limitKey(SpendLimit l) {
    return l.key() + "|" + l.amount().currencyCode();
  }

  /**
   * The policy as canonical JSON (keys sorted, limits in the order given, checkpoint kinds sorted):
   * equal policies give equal text. What the audit log keeps of a policy before and after a change;
   * a policy holds no secret.
   */
  public String canonical() {
    Map<String, Object> m = new LinkedHashMap<>();
    List<Object> ls = new ArrayList<>();
    for (SpendLimit l : limits) {
      Map<String, Object> lm = new LinkedHashMap<>();
      lm.put("amount", l.amount().toDecimal().toPlainString());
      lm.put("currency", l.amount().currencyCode());
      lm.put("interval", l.interval().name().toLowerCase(java.util.Locale.ROOT));
      lm.put("scope", l.scope().name().toLowerCase(java.util.Locale.ROOT));
      lm.put("provider", l.provider());
      lm.put("agent", l.agent() == null ? null : l.agent().value());
      ls.add(lm);
    }
    m.put("limits", ls);
    m.put("approval_above", Map.of("amount", approvalThreshold.toDecimal().toPlainString(), "currency",
        approvalThreshold.currencyCode()));
    m.put("alert_percents", alertPercents);
    m.put("zone", zone.getId());
    m.put("reservation_ttl", reservationTtl.toString());
    m.put("mfa_required_for", new TreeSet<>(mfaRequired.stream().map(Enum::name).toList()));
    m.put("step_up_max_age", stepUpMaxAge.toString());
    if (!velocityLimits.isEmpty()) {
      List<Object> vs = new ArrayList<>();
      for (VelocityLimit v : velocityLimits) {
        Map<String, Object> vm = new LinkedHashMap<>();
        vm.put("key", v.key());
        vm.put("max", v.max());
        vs.add(vm);
      }
      m.put("velocity", vs);
    }
    return io.agentprovision.core.wire.Json.canonical(m);
  }

  @Override
  public String toString() {
    return "SpendPolicy{limits=" + limits + ", approvalAbove=" + approvalThreshold + ", alertAt=" + alertPercents
        + ", zone=" + zone + ", mfaFor=" + mfaRequired + ", stepUpMaxAge=" + stepUpMaxAge
        + (velocityLimits.isEmpty() ? "" : ", velocity=" + velocityLimits) + "}";
  }

  /** Builds a {@link SpendPolicy}; every setter checks its argument at once. */
  public static final class Builder {
    private final Map<String, SpendLimit> limits = new LinkedHashMap<>();
    private Money approvalThreshold = DEFAULT_APPROVAL_THRESHOLD;
    private SortedSet<Integer> alertPercents = new TreeSet<>(DEFAULT_ALERT_PERCENTS);
    private ZoneId zone = DEFAULT_ZONE;
    private Duration reservationTtl = DEFAULT_RESERVATION_TTL;
    private Set<CheckpointKind> mfaRequired = EnumSet.noneOf(CheckpointKind.class);
    private final Map<String, VelocityLimit> velocityLimits = new LinkedHashMap<>();
    private Duration stepUpMaxAge = DEFAULT_STEP_UP_MAX_AGE;

    private Builder() {}

    /**
     * Adds a velocity limit: how many of an action may be created in a rolling window. Two limits
     * with the same {@link VelocityLimit#key() key} (action, window and scope) are refused.
     */
    public Builder velocity(VelocityLimit limit) {
      Objects.requireNonNull(limit, "velocity");
      if (velocityLimits.containsKey(limit.key())) {
        throw new InvalidRequestException("velocity", "a velocity limit " + limit.key() + " is already set",
            "set each action, window and scope once; use toBuilder().replaceVelocityLimits(...) to change one");
      }
      velocityLimits.put(limit.key(), limit);
      return this;
    }

    /** Replaces all velocity limits with {@code limits}. */
    public Builder replaceVelocityLimits(List<VelocityLimit> limits) {
      velocityLimits.clear();
      for (VelocityLimit v : limits) {
        velocity(v);
      }
      return this;
    }

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

    /**
     * The checkpoints before which the principal must show a recent second factor: the engine steps up
     * (a {@link CheckpointKind#STEP_UP} checkpoint) before such a checkpoint is put to the approval
     * gate, and before a paid step of such a kind is paid even when no person is asked. Every kind can
     * be listed but {@link CheckpointKind#STEP_UP} itself, which is refused.
     */
    public Builder requireMfaFor(CheckpointKind... kinds) {
      Objects.requireNonNull(kinds, "requireMfaFor");
      Set<CheckpointKind> set = EnumSet.noneOf(CheckpointKind.class);
      for (CheckpointKind k : kinds) {
        Objects.requireNonNull(k, "requireMfaFor");
        if (k == CheckpointKind.STEP_UP) {
          // a step-up is the second factor: requiring one before it would ask for it forever
          throw new InvalidRequestException("requireMfaFor", "STEP_UP cannot require a step-up: it is the step-up",
              "list the checkpoints a second factor must precede, such as PAID_PLAN, DOMAIN_PURCHASE or RAISE_LIMIT");
        }
        set.add(k);
      }
      this.mfaRequired = set;
      return this;
    }

    /**
     * How old a sign-in may be and still count as the second factor ({@code auth_time}); between
     * {@link #MIN_STEP_UP_MAX_AGE} and {@link #MAX_STEP_UP_MAX_AGE}, {@link #DEFAULT_STEP_UP_MAX_AGE}
     * by default.
     */
    public Builder stepUpMaxAge(Duration maxAge) {
      Objects.requireNonNull(maxAge, "stepUpMaxAge");
      if (maxAge.compareTo(MIN_STEP_UP_MAX_AGE) < 0 || maxAge.compareTo(MAX_STEP_UP_MAX_AGE) > 0) {
        throw new InvalidRequestException("stepUpMaxAge", "must be between 30 seconds and 12 hours (was " + maxAge
            + ")", "pass a duration such as Duration.ofMinutes(5)");
      }
      this.stepUpMaxAge = maxAge;
      return this;
    }

    public SpendPolicy build() {
      return new SpendPolicy(this);
    }
  }
}
