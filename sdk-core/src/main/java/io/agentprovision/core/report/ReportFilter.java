package io.agentprovision.core.report;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which part of the record a {@link GovernanceReport} shows: one agent's doings, one human's
 * (matched by the identity provider's subject or by e-mail, ignoring case), one provider's, a time
 * range, or any combination. Each criterion left unset matches everything. Immutable.
 *
 * <pre>{@code
 * ReportFilter lastMonth = ReportFilter.builder()
 *     .human("ada@example.com")
 *     .from(Instant.parse("2026-05-01T00:00:00Z"))
 *     .to(Instant.parse("2026-06-01T00:00:00Z"))
 *     .build();
 * }</pre>
 */
public final class ReportFilter {
  private static final ReportFilter ALL = new ReportFilter(new Builder());

  private final @Nullable AgentId agent;
  private final @Nullable String human;
  private final @Nullable String provider;
  private final @Nullable Instant from;
  private final @Nullable Instant to;

  private ReportFilter(Builder b) {
    this.agent = b.agent;
    this.human = b.human;
    this.provider = b.provider;
    this.from = b.from;
    this.to = b.to;
  }

  /** Everything the record holds. */
  public static ReportFilter all() {
    return ALL;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.agent = agent;
    b.human = human;
    b.provider = provider;
    b.from = from;
    b.to = to;
    return b;
  }

  /** Only what this agent did; null for every agent. */
  public @Nullable AgentId agent() {
    return agent;
  }

  /** Only what was done for this human (subject or e-mail); null for every human. */
  public @Nullable String human() {
    return human;
  }

  /** Only what concerns this provider; null for every provider. */
  public @Nullable String provider() {
    return provider;
  }

  /** Only what happened at or after this instant; null for no lower bound. */
  public @Nullable Instant from() {
    return from;
  }

  /** Only what happened before this instant; null for no upper bound. */
  public @Nullable Instant to() {
    return to;
  }

  /** Whether nothing is filtered out. */
  public boolean isAll() {
    return agent == null && human == null && provider == null && from == null && to == null;
  }

  /** Whether {@code agent} passes (an unknown agent passes only when no agent is asked for). */
  public boolean matchesAgent(@Nullable AgentId candidate) {
    return agent == null || Objects.equals(agent, candidate);
  }

  /** Whether {@code candidate} passes: its subject equals the filter's, or its e-mail does ignoring case. */
  public boolean matchesHuman(Inventory.@Nullable Human candidate) {
    if (human == null) {
      return true;
    }
    if (candidate == null) {
      return false;
    }
    String email = candidate.email();
    return human.equals(candidate.subject()) || (email != null && human.equalsIgnoreCase(email));
  }

  /** Whether {@code candidate} passes (provider names compared ignoring case). */
  public boolean matchesProvider(@Nullable String candidate) {
    return provider == null || (candidate != null && provider.equalsIgnoreCase(candidate));
  }

  /** Whether {@code at} lies in {@code [from, to)}. */
  public boolean matchesTime(Instant at) {
    return (from == null || !at.isBefore(from)) && (to == null || at.isBefore(to));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReportFilter f && Objects.equals(f.agent, agent) && Objects.equals(f.human, human)
        && Objects.equals(f.provider, provider) && Objects.equals(f.from, from) && Objects.equals(f.to, to);
  }

  @Override
  public int hashCode() {
    return Objects.hash(agent, human, provider, from, to);
  }

  @Override
  public String toString() {
    if (isAll()) {
      return "everything";
    }
    StringBuilder sb = new StringBuilder();
    if (agent != null) {
      sb.append("agent ").append(agent);
    }
    if (human != null) {
      sb.append(sb.length() > 0 ? ", " : "").append("human ").append(human);
    }
    if (provider != null) {
      sb.append(sb.length() > 0 ? ", " : "").append("provider ").append(provider);
    }
    if (from != null) {
      sb.append(sb.length() > 0 ? ", " : "").append("from ").append(from);
    }
    if (to != null) {
      sb.append(sb.length() > 0 ? ", " : "").append("before ").append(to);
    }
    return sb.toString();
  }

  /** Builds a {@link ReportFilter}; each setter refuses a bad value at once. */
  public static final class Builder {
    private @Nullable AgentId agent;
    private @Nullable String human;
    private @Nullable String provider;
    private @Nullable Instant from;
    private @Nullable Instant to;

    private Builder() {}

    /** Only what this agent did. */
    public Builder agent(AgentId a) {
      this.agent = Objects.requireNonNull(a, "agent");
      return this;
    }

    /** Only what was done for this human: the identity provider's subject, or an e-mail (case ignored). */
    public Builder human(String subjectOrEmail) {
      if (subjectOrEmail == null || subjectOrEmail.isBlank()) {
        throw new InvalidRequestException("human", "is empty",
            "pass the human's subject (as the identity provider names them) or their e-mail");
      }
      this.human = subjectOrEmail.trim();
      return this;
    }

    /** Only what concerns this provider, such as {@code "cloudflare"}. */
    public Builder provider(String name) {
      if (name == null || name.isBlank()) {
        throw new InvalidRequestException("provider", "is empty", "pass a provider name such as \"cloudflare\"");
      }
      this.provider = name.trim().toLowerCase(Locale.ROOT);
      return this;
    }

    /** Only what happened at or after {@code instant}. */
    public Builder from(Instant instant) {
      this.from = Objects.requireNonNull(instant, "from");
      return this;
    }

    /** Only what happened before {@code instant}. */
    public Builder to(Instant instant) {
      this.to = Objects.requireNonNull(instant, "to");
      return this;
    }

    /**
     * @throws InvalidRequestException when {@code to} is not after {@code from}
     */
    public ReportFilter build() {
      if (from != null && to != null && !to.isAfter(from)) {
        throw new InvalidRequestException("to", "is " + to + ", not after from (" + from + ")",
            "pass a time range whose end comes after its start");
      }
      return new ReportFilter(this);
    }
  }
}
