package io.agentprovision.core.internal.report;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.report.Inventory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The inventory as one CSV table with a {@code kind} column (RFC 4180: a header row, commas,
 * CRLF line ends, a field quoted when it holds a comma, a quote or a line break, quotes doubled).
 * Values come from providers and agents and are untrusted: a field a spreadsheet would evaluate as
 * a formula is prefixed with an apostrophe, which spreadsheets show as text.
 */
public final class CsvRenderer {
  /** The columns, in order; {@code docs/operations.md} says what each holds per kind. */
  public static final List<String> COLUMNS = List.of("kind", "time", "run", "agent", "human", "provider", "id", "name",
      "status", "amount", "currency", "approver", "expires", "detail");

  private CsvRenderer() {}

  public static String render(Inventory inv) {
    StringBuilder sb = new StringBuilder();
    row(sb, new ArrayList<>(COLUMNS));
    for (Inventory.Run r : inv.runs()) {
      row(sb, "run", r.startedAt(), r.id(), r.agent(), r.human(), r.provider(), r.id().value(), r.app(),
          lower(r.status().name()), null, null, null,
          join(r.plan() == null ? null : "plan=" + r.plan(), r.endedAt() == null ? null : "ended=" + r.endedAt(),
              r.error() == null ? null : "error=" + r.error()));
    }
    for (Inventory.Account a : inv.accounts()) {
      row(sb, "account", a.at(), a.run(), a.agent(), a.human(), a.provider(), a.accountId(), null,
          a.link() == null ? "unknown" : lower(a.link().name()), null, null, null, null);
    }
    for (Inventory.Resource r : inv.resources()) {
      row(sb, "resource", r.provisionedAt(), r.run(), r.agent(), r.human(), r.provider(), r.resourceId(), r.serviceId(),
          r.removedAt() == null ? "provisioned" : "removed", r.cost(), null, null,
          r.removedAt() == null ? null : "removed=" + r.removedAt());
    }
    for (Inventory.Domain d : inv.domains()) {
      row(sb, "domain", d.registeredAt(), d.run(), d.agent(), d.human(), d.provider(), d.resourceId(), d.name(),
          "registered", d.price(), null, d.expiresAt(), "years=" + d.years() + "; auto_renew=" + d.autoRenew());
    }
    for (Inventory.Token t : inv.tokens()) {
      row(sb, "token", t.issuedAt(), t.run(), t.agent(), t.human(), t.provider(), t.tokenId(),
          String.join("; ", t.permissions()), lower(t.status().name()), null, null, t.expiresAt(),
          join("allowed_ips=" + (t.allowedIps().isEmpty() ? "any" : String.join(" ", t.allowedIps())),
              t.rotatedAt() == null ? null : "rotated=" + t.rotatedAt(),
              t.replaces() == null ? null : "replaces=" + t.replaces(),
              t.replacedBy() == null ? null : "replaced_by=" + t.replacedBy(),
              t.endedAt() == null ? null : "ended=" + t.endedAt()));
    }
    for (Inventory.App a : inv.apps()) {
      row(sb, "app", a.deployedAt(), a.run(), a.agent(), a.human(), a.provider(), a.url(), a.script(),
          lower(a.status().name()), null, null, null,
          join(a.providerUrl() == null ? null : "provider_url=" + a.providerUrl(),
              a.httpStatus() == null ? null : "http_status=" + a.httpStatus()));
    }
    for (Inventory.Delegation d : inv.delegations()) {
      row(sb, "delegation", d.firstAt(), null, d.agent(), d.human(), null, null, null, null, null, null, null,
          "runs=" + d.runs() + "; last=" + d.lastAt());
    }
    for (Inventory.Approval a : inv.approvals()) {
      row(sb, "approval", a.requestedAt(), a.run(), a.agent(), a.human(), null, a.approvalId(), a.checkpoint(),
          a.outcome(), a.amount(), a.approver(), null, join(a.step() == null ? null : "step=" + a.step(), a.title()));
    }
    for (Inventory.PaidStep p : inv.paidSteps()) {
      List<String> approvers = new ArrayList<>();
      List<String> how = new ArrayList<>();
      for (Inventory.Approval a : p.approvals()) {
        if (a.approver() != null && !approvers.contains(a.approver())) {
          approvers.add(a.approver());
        }
        how.add(a.checkpoint() + " " + a.outcome() + (a.approver() != null ? " by " + a.approver() : "")
            + (a.amount() != null ? " at " + a.amount() : ""));
      }
      row(sb, "paid_step", p.at(), p.run(), p.agent(), p.human(), p.provider(), p.step().value(), p.what(),
          p.approvals().isEmpty() ? "no approval needed" : "approved", p.amount(), String.join("; ", approvers), null,
          String.join("; ", how));
    }
    for (Inventory.Refusal r : inv.refusals()) {
      row(sb, "refusal", r.at(), r.run(), r.agent(), r.human(), r.provider(), r.limit(), r.step() == null ? null
          : r.step().value(), "refused", r.requested(), null, null, r.reason());
    }
    Inventory.Costs c = inv.costs();
    for (Money m : c.toDate()) {
      row(sb, "cost", null, null, null, null, null, "to_date", c.source(), "committed", m, null, null, null);
    }
    for (Money m : c.held()) {
      row(sb, "cost", null, null, null, null, null, "held", c.source(), "held", m, null, null, null);
    }
    for (Inventory.MonthlyCost m : c.byMonth()) {
      row(sb, "cost", null, null, null, null, null, m.month().toString(), c.source(), "committed", m.amount(), null,
          null, null);
    }
    return sb.toString();
  }

  private static void row(StringBuilder sb, String kind, @Nullable Instant time, @Nullable RunId run,
      @Nullable AgentId agent, Inventory.@Nullable Human human, @Nullable String provider, @Nullable String id,
      @Nullable String name, @Nullable String status, @Nullable Money amount, @Nullable String approver,
      @Nullable Instant expires, @Nullable String detail) {
    List<@Nullable String> cells = new ArrayList<>();
    cells.add(kind);
    cells.add(time == null ? null : time.toString());
    cells.add(run == null ? null : run.value());
    cells.add(agent == null ? null : agent.value());
    cells.add(human == null ? null : human.display());
    cells.add(provider);
    cells.add(id);
    cells.add(name);
    cells.add(status);
    cells.add(amount == null ? null : amount.toDecimal().toPlainString());
    cells.add(amount == null ? null : amount.currencyCode());
    cells.add(approver);
    cells.add(expires == null ? null : expires.toString());
    cells.add(detail);
    row(sb, cells);
  }

  private static void row(StringBuilder sb, List<@Nullable String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(field(cells.get(i)));
    }
    sb.append("\r\n");
  }

  /** One field: defused against formula injection, then quoted when RFC 4180 requires it. */
  static String field(@Nullable String value) {
    if (value == null || value.isEmpty()) {
      return "";
    }
    String v = value;
    char first = v.charAt(0);
    if (first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' || first == '\r') {
      v = "'" + v;
    }
    if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
      return '"' + v.replace("\"", "\"\"") + '"';
    }
    return v;
  }

  private static @Nullable String join(@Nullable String... parts) {
    StringBuilder sb = new StringBuilder();
    for (String p : parts) {
      if (p == null) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(p);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
