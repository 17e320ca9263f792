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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Appends audit records, stamped with the time. An entry is built by name, so that what is left
 * out is simply absent:
 *
 * <pre>{@code
 * auditor.entry("spend.reserved").run(run).step(step).agent(agent).principal(p)
 *     .amount(r.amount()).key(idempotencyKey).detail("reservation", r.id()).record();
 * }</pre>
 *
 * <p>A step's entries start from {@link StepRun#audit(String)}, which fills in the run, the step,
 * the agent and the principal.
 */
final class Auditor {
  private final AuditLog log;
  private final Clock clock;

  Auditor(AuditLog log, Clock clock) {
    this.log = log;
    this.clock = clock;
  }

  /** Starts an entry for {@code action}; its outcome is {@code "ok"} unless set. */
  Entry entry(String action) {
    return new Entry(Objects.requireNonNull(action, "action"));
  }

  /**
   * Appends {@code entries} together ({@link AuditLog#appendAll}: one disk sync for all of them in a
   * log that syncs), for entries recorded with nothing done outside the SDK between them.
   */
  List<AuditEntry> recordAll(List<Entry> entries) {
    List<AuditRecord> records = new java.util.ArrayList<>(entries.size());
    for (Entry e : entries) {
      records.add(e.build());
    }
    return log.appendAll(records);
  }

  /** One audit entry being filled in; {@link #record()} appends it. */
  final class Entry {
    private final String action;
    private @Nullable RunId run;
    private @Nullable StepId step;
    private @Nullable AgentId agent;
    private @Nullable String principal;
    private @Nullable String approver;
    private @Nullable Money amount;
    private String outcome = "ok";
    private @Nullable String key;
    private final Map<String, String> details = new LinkedHashMap<>();

    private Entry(String action) {
      this.action = action;
    }

    Entry run(@Nullable RunId r) {
      this.run = r;
      return this;
    }

    Entry step(@Nullable StepId s) {
      this.step = s;
      return this;
    }

    Entry agent(@Nullable AgentId a) {
      this.agent = a;
      return this;
    }

    /** Who the entry is on behalf of, as already shown (such as a parked approval's {@code principal}). */
    Entry principal(@Nullable String display) {
      this.principal = display;
      return this;
    }

    /** Who the entry is on behalf of; recorded as the principal's display name. */
    Entry principal(@Nullable Principal p) {
      this.principal = p == null ? null : p.display();
      return this;
    }

    Entry approver(@Nullable String a) {
      this.approver = a;
      return this;
    }

    Entry amount(@Nullable Money m) {
      this.amount = m;
      return this;
    }

    Entry outcome(String o) {
      this.outcome = Objects.requireNonNull(o, "outcome");
      return this;
    }

    /** The idempotency key of the side effect the entry records. */
    Entry key(@Nullable String k) {
      this.key = k;
      return this;
    }

    /** A detail; never a secret. */
    Entry detail(String name, String value) {
      details.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, name));
      return this;
    }

    /** A detail when {@code value} is present. */
    Entry detailIfPresent(String name, @Nullable String value) {
      if (value != null) {
        details.put(name, value);
      }
      return this;
    }

    Entry details(Map<String, String> more) {
      details.putAll(more);
      return this;
    }

    AuditEntry record() {
      return log.append(build());
    }

    AuditRecord build() {
      return new AuditRecord(clock.instant(), run, step, action, agent, principal, approver, amount, outcome, key,
          details);
    }
  }
}
