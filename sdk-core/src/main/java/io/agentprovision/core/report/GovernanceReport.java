package io.agentprovision.core.report;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.internal.report.InventoryAssembler;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Clock;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Answers the governance questions from the record a provisioner keeps: who created which account,
 * what was bought, for whom, approved by whom, and where the code runs. Reads the
 * {@link AuditLog} (authoritative for what happened), the {@link RunJournal} (how each run stands
 * now) and the {@link SpendLedger} (what was charged), through their public interfaces only, and
 * never changes them. Immutable and thread-safe; each {@link #generate} reads the stores anew.
 *
 * <pre>{@code
 * GovernanceReport report = GovernanceReport.builder()
 *     .audit(AuditLog.jsonl(Path.of("audit.jsonl")))
 *     .journal(RunJournal.directory(Path.of("runs")))
 *     .ledger(ledger)
 *     .build();
 * Inventory all = report.generate(ReportFilter.all());
 * Files.writeString(Path.of("report.html"), all.toHtml());
 * }</pre>
 *
 * <p>Without a journal, each run's status comes from the audit log alone; without a ledger, the
 * money is summed from the audit log's commits ({@link Inventory.Costs#source()} says which).
 * {@link io.agentprovision.core.AgentProvisioner#report} builds one over the provisioner's own stores.
 */
public final class GovernanceReport {
  /** The zone of calendar months when none is set. */
  public static final ZoneId DEFAULT_ZONE = ZoneOffset.UTC;

  private final AuditLog audit;
  private final @Nullable RunJournal journal;
  private final @Nullable SpendLedger ledger;
  private final Clock clock;
  private final ZoneId zone;

  private GovernanceReport(Builder b, AuditLog audit) {
    this.audit = audit;
    this.journal = b.journal;
    this.ledger = b.ledger;
    this.clock = b.clock;
    this.zone = b.zone;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The inventory of everything {@code filter} lets through, as the stores hold it now. */
  public Inventory generate(ReportFilter filter) {
    Objects.requireNonNull(filter, "filter");
    return InventoryAssembler.assemble(audit.entries(), journal, ledger, clock.instant(), zone, filter);
  }

  /** {@link #generate} of everything. */
  public Inventory generate() {
    return generate(ReportFilter.all());
  }

  @Override
  public String toString() {
    return "GovernanceReport{journal=" + (journal != null) + ", ledger=" + (ledger != null) + ", zone=" + zone + "}";
  }

  /** Builds a {@link GovernanceReport}; the audit log is required. */
  public static final class Builder {
    private @Nullable AuditLog audit;
    private @Nullable RunJournal journal;
    private @Nullable SpendLedger ledger;
    private Clock clock = Clock.systemUTC();
    private ZoneId zone = DEFAULT_ZONE;

    private Builder() {}

    /** The audit log to read: every account, resource, token, approval and refusal comes from it. */
    public Builder audit(AuditLog log) {
      this.audit = Objects.requireNonNull(log, "audit");
      return this;
    }

    /** The run journal: the status of each run. Optional. */
    public Builder journal(RunJournal j) {
      this.journal = Objects.requireNonNull(j, "journal");
      return this;
    }

    /** The spend ledger: the money committed and held. Optional. */
    public Builder ledger(SpendLedger l) {
      this.ledger = Objects.requireNonNull(l, "ledger");
      return this;
    }

    /** What "now" is: when the report is dated, and which tokens have expired. The system clock by default. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** The zone calendar months are counted in; {@link #DEFAULT_ZONE} by default (use the spend policy's). */
    public Builder zone(ZoneId z) {
      this.zone = Objects.requireNonNull(z, "zone");
      return this;
    }

    /**
     * @throws InvalidRequestException when no audit log was given
     */
    public GovernanceReport build() {
      if (audit == null) {
        throw new InvalidRequestException("audit", "is missing",
            "call .audit(log) with the audit log the provisioner writes (AgentProvisioner.audit())");
      }
      return new GovernanceReport(this, audit);
    }
  }
}
