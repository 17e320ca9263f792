package io.agentprovision.core.audit;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.spi.AuditLog;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * What happened, to be appended to the {@link AuditLog}: who did what on whose behalf, who approved
 * it, what it cost, and how it ended. Never holds secrets.
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
}
