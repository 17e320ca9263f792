package io.agentprovision.core.audit;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.spi.AuditLog;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * What happened, to be appended to the {@link AuditLog}: who did what on whose behalf, who approved
 * it, what it cost, and how it ended. Never holds secrets.
 *
 * <p>Build one with {@link #builder}, which leaves every optional part out until set, so that an
 * {@link AuditLog} implementation or a host writing its own entries need not pass runs of nulls (the
 * canonical constructor is public only because records require it, and may gain components):
 *
 * <pre>{@code
 * AuditRecord r = AuditRecord.builder(clock.instant(), "spend.commit", "ok")
 *     .run(run).step(step).agent(agent).amount(Money.usd("15.00")).detail("reservation", "run_1:domain:1")
 *     .build();
 * }</pre>
 *
 * @param time when it happened
 * @param run the run, when part of one
 * @param step the step, when part of one
 * @param action what was done, such as {@code "resource.provision"}, {@code "spend.commit"}, {@code "approval.decided"}
 * @param agent the acting agent
 * @param principal the human on whose behalf (their {@link io.agentprovision.core.identity.Principal#display()})
 * @param approver who approved, when someone did
 * @param amount money reserved, committed or released, when any
 * @param outcome how it ended, such as {@code "ok"}, {@code "denied"}, {@code "failed"}
 * @param idempotencyKey the key the call was made with, when any
 * @param details further facts, sorted by key (never secrets)
 */
public record AuditRecord(Instant time, @Nullable RunId run, @Nullable StepId step, String action, @Nullable AgentId agent,
    @Nullable String principal, @Nullable String approver, @Nullable Money amount, String outcome,
    @Nullable String idempotencyKey, Map<String, String> details) {
  public AuditRecord {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(outcome, "outcome");
    details = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(details));
  }

  /**
   * A builder for an entry saying {@code action} happened at {@code time} and ended as
   * {@code outcome}; every other part is absent (details empty) until set.
   *
   * @throws NullPointerException naming the first argument that is null
   * @throws InvalidRequestException naming {@code action} or {@code outcome} when it is blank
   */
  public static Builder builder(Instant time, String action, String outcome) {
    return new Builder(time, action, outcome);
  }

  /** A builder holding this entry's values. */
  public Builder toBuilder() {
    return new Builder(time, action, outcome).run(run).step(step).agent(agent).principal(principal).approver(approver)
        .amount(amount).idempotencyKey(idempotencyKey).details(details);
  }

  /** Builds {@link AuditRecord}s. */
  public static final class Builder {
    private final Instant time;
    private final String action;
    private final String outcome;
    private @Nullable RunId run;
    private @Nullable StepId step;
    private @Nullable AgentId agent;
    private @Nullable String principal;
    private @Nullable String approver;
    private @Nullable Money amount;
    private @Nullable String idempotencyKey;
    private Map<String, String> details = new LinkedHashMap<>();

    private Builder(Instant time, String action, String outcome) {
      this.time = Objects.requireNonNull(time, "time");
      this.action = nonBlank("action", action, "name what was done, such as \"spend.commit\"");
      this.outcome = nonBlank("outcome", outcome, "say how it ended, such as \"ok\" or \"failed\"");
    }

    private static String nonBlank(String field, String value, String fix) {
      Objects.requireNonNull(value, field);
      if (value.isBlank()) {
        // a blank action or outcome makes the entry unsearchable, and the chain keeps it forever
        throw new InvalidRequestException(field, "is blank", fix);
      }
      return value;
    }

    /** The run the entry is part of; null (the default) when none. */
    public Builder run(@Nullable RunId r) {
      this.run = r;
      return this;
    }

    /** The step the entry is part of; null (the default) when none. */
    public Builder step(@Nullable StepId s) {
      this.step = s;
      return this;
    }

    /** The acting agent; null (the default) for what the SDK does by itself. */
    public Builder agent(@Nullable AgentId a) {
      this.agent = a;
      return this;
    }

    /** The human on whose behalf, as {@link io.agentprovision.core.identity.Principal#display()}; null by default. */
    public Builder principal(@Nullable String p) {
      this.principal = p;
      return this;
    }

    /** Who approved, when someone did; null by default. */
    public Builder approver(@Nullable String a) {
      this.approver = a;
      return this;
    }

    /** The money reserved, committed or released, when any; null by default. */
    public Builder amount(@Nullable Money m) {
      this.amount = m;
      return this;
    }

    /** The key the call was made with, when any; null by default. */
    public Builder idempotencyKey(@Nullable String key) {
      this.idempotencyKey = key;
      return this;
    }

    /** Replaces the details (never secrets); none by default. */
    public Builder details(Map<String, String> d) {
      Objects.requireNonNull(d, "details");
      Map<String, String> copy = new LinkedHashMap<>();
      d.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "details key"),
          Objects.requireNonNull(v, "details[" + k + "]")));
      this.details = copy;
      return this;
    }

    /** Adds one detail (never a secret), replacing one under the same key. */
    public Builder detail(String key, String value) {
      details.put(Objects.requireNonNull(key, "details key"), Objects.requireNonNull(value, "details[" + key + "]"));
      return this;
    }

    /** The entry, its details sorted by key. */
    public AuditRecord build() {
      return new AuditRecord(time, run, step, action, agent, principal, approver, amount, outcome, idempotencyKey,
          details);
    }
  }
}
