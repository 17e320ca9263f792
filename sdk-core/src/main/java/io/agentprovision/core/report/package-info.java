/**
 * The inventory and governance report: who created which account, what was bought, for whom,
 * approved by whom, and where the code runs, read from the audit log (what happened), the run
 * journal (how each run stands) and the spend ledger (what was charged). Exported as JSON, CSV and
 * one self-contained HTML page.
 *
 * <pre>{@code
 * Inventory inv = GovernanceReport.builder()
 *     .audit(auditLog).journal(journal).ledger(ledger)
 *     .build()
 *     .generate(ReportFilter.builder().human("ada@example.com").build());
 * Files.writeString(dir.resolve("report.html"), inv.toHtml());
 * }</pre>
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.report;

import org.jspecify.annotations.NullMarked;
