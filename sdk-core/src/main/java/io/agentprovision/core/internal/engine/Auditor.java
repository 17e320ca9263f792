package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.spi.AuditLog;
import java.time.Clock;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Appends audit records with the run's who-and-when filled in. */
final class Auditor {
  private final AuditLog log;
  private final Clock clock;

  Auditor(AuditLog log, Clock clock) {
    this.log = log;
    this.clock = clock;
  }

  AuditEntry record(@Nullable RunId run, @Nullable StepId step, String action, @Nullable AgentId agent,
      @Nullable Principal principal, @Nullable String approver, @Nullable Money amount, String outcome,
      @Nullable String idempotencyKey, Map<String, String> details) {
    return log.append(new AuditRecord(clock.instant(), run, step, action, agent,
        principal == null ? null : principal.display(), approver, amount, outcome, idempotencyKey, details));
  }
}
