package io.agentprovision.benchmarks;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditRecord;
import java.time.Instant;
import java.util.Map;

/** Audit records shaped like the engine's: a committed domain purchase with its usual details. */
final class AuditRecords {
  static final Instant START = Instant.parse("2026-11-22T12:00:00Z");

  private AuditRecords() {}

  static AuditRecord record(long n) {
    return new AuditRecord(START.plusMillis(n), RunId.of("run_" + (n / 40)), StepId.of("domain"), "spend.commit",
        AgentId.of("coding-agent-7"), "Ada <ada@example.com>", "test-human", Money.usd("10.44"), "ok",
        "run_" + (n / 40) + "/domain/" + n,
        Map.of("provider", "cloudflare", "service", "registrar:domain", "domain", "my-app.com",
            "reservation", "run_" + (n / 40) + "/domain"));
  }
}
