package io.agentprovision.core.policy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A cap on how many times something is created in a rolling window, besides any cap on money: so
 * many domains a day, so many tokens an hour. Counted for the whole host, per agent, or per person
 * (the signed-in principal the agent acts for). Immutable; each scoping method returns a new limit.
 *
 * <pre>{@code
 * SpendPolicy.builder()
 *     .velocity(VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 3).perAgent())
 *     .velocity(VelocityLimit.perHour(VelocityAction.CREATE_TOKEN, 10).perPrincipal())
 *     .velocity(VelocityLimit.perDay(VelocityAction.CREATE_ACCOUNT, 20))   // the whole host
 *     .build();
 * }</pre>
 *
 * <p>The window is rolling: a limit of 3 a day admits a fourth action 24 hours after the first,
 * not at midnight, so a burst across midnight is still capped. Exceeding a limit is a
 * {@link VelocityLimitException} before anything is created.
 */
public final class VelocityLimit {
  /** Whose actions a limit counts together. */
  public enum Scope {
    /** Every agent and person on the host (everything sharing the {@code VelocityStore}). */
    HOST,
    /** Each agent separately. */
    PER_AGENT,
    /** Each person separately (by the principal's issuer and subject), whichever agent acts for them. */
    PER_PRINCIPAL
  }

  private final VelocityAction action;
  private final int max;
  private final Duration window;
  private final Scope scope;

  private VelocityLimit(VelocityAction action, int max, Duration window, Scope scope) {
    this.action = Objects.requireNonNull(action, "action");
    if (max < 0) {
      throw new InvalidRequestException("max", "is " + max, "pass 0 (nothing allowed) or more");
    }
    Objects.requireNonNull(window, "window");
    if (window.compareTo(Duration.ofMinutes(1)) < 0 || window.compareTo(Duration.ofDays(31)) > 0) {
      throw new InvalidRequestException("window", "must be between 1 minute and 31 days (was " + window + ")",
          "use perHour, perDay, or within(action, max, Duration.ofHours(6))");
    }
    this.max = max;
    this.window = window;
    this.scope = Objects.requireNonNull(scope, "scope");
  }

  /** At most {@code max} of {@code action} in any hour, for the whole host. */
  public static VelocityLimit perHour(VelocityAction action, int max) {
    return new VelocityLimit(action, max, Duration.ofHours(1), Scope.HOST);
  }

  /** At most {@code max} of {@code action} in any 24 hours, for the whole host. */
  public static VelocityLimit perDay(VelocityAction action, int max) {
    return new VelocityLimit(action, max, Duration.ofDays(1), Scope.HOST);
  }

  /** At most {@code max} of {@code action} in any {@code window} (1 minute to 31 days), for the whole host. */
  public static VelocityLimit within(VelocityAction action, int max, Duration window) {
    return new VelocityLimit(action, max, window, Scope.HOST);
  }

  /** This limit counted for each agent separately. */
  public VelocityLimit perAgent() {
    return new VelocityLimit(action, max, window, Scope.PER_AGENT);
  }

  /** This limit counted for each person separately, whichever agent acts for them. */
  public VelocityLimit perPrincipal() {
    return new VelocityLimit(action, max, window, Scope.PER_PRINCIPAL);
  }

  /** This limit counted once for the whole host (the default). */
  public VelocityLimit perHost() {
    return new VelocityLimit(action, max, window, Scope.HOST);
  }

  /** This limit with another maximum. */
  public VelocityLimit withMax(int newMax) {
    return new VelocityLimit(action, newMax, window, scope);
  }

  public VelocityAction action() {
    return action;
  }

  /** How many actions the window admits. */
  public int max() {
    return max;
  }

  /** The rolling window. */
  public Duration window() {
    return window;
  }

  public Scope scope() {
    return scope;
  }

  /** Identifies the limit in a policy, such as {@code "create_domain/1d/per-agent"}: one limit per key. */
  public String key() {
    return action.name().toLowerCase(Locale.ROOT) + "/" + describe(window) + "/"
        + scope.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Whose count an action by {@code agent} for {@code principal} (its issuer and subject, such as
   * {@code "https://id.example.com|user-1"}) falls in: {@code "host"}, {@code "agent=…"} or
   * {@code "principal=…"}; null for a per-principal limit when the principal is not known yet (at
   * plan time), which cannot be judged then.
   */
  public @Nullable String bucket(AgentId agent, @Nullable String principal) {
    switch (scope) {
      case PER_AGENT:
        return "agent=" + agent.value();
      case PER_PRINCIPAL:
        return principal == null ? null : "principal=" + principal;
      default:
        return "host";
    }
  }

  private static String describe(Duration d) {
    if (d.toMinutes() % (24 * 60) == 0) {
      return d.toDays() + "d";
    }
    if (d.toMinutes() % 60 == 0) {
      return d.toHours() + "h";
    }
    return d.toMinutes() + "m";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VelocityLimit l && l.action == action && l.max == max && l.window.equals(window)
        && l.scope == scope;
  }

  @Override
  public int hashCode() {
    return Objects.hash(action, max, window, scope);
  }

  @Override
  public String toString() {
    return "VelocityLimit{" + max + " " + action + " per " + window + ", " + scope + "}";
  }
}
