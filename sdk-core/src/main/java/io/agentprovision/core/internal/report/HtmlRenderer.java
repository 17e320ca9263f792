package io.agentprovision.core.internal.report;

import io.agentprovision.core.Money;
import io.agentprovision.core.report.Inventory;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The inventory as one HTML page a person opens in a browser: self-contained (inline CSS, no
 * scripts, no fonts, images or other fetches, and a content security policy forbidding them), and
 * every value escaped, since account names, URLs and messages come from providers and agents.
 * A link is made only of an {@code http} or {@code https} address.
 */
public final class HtmlRenderer {
  private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
      .withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT)
      .withZone(ZoneOffset.UTC);

  private static final String CSS = String.join("\n",
      ":root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--head:#f6f8fa;"
          + "--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e}",
      "@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--bg:#0d1117;"
          + "--head:#161b22;--ok:#3fb950;--warn:#d29922;--bad:#f85149}}",
      "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);background:var(--bg);"
          + "margin:0 auto;padding:24px;max-width:1400px}",
      "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);"
          + "padding-bottom:4px}",
      "p.meta,p.note,td.none{color:var(--muted)}",
      ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}",
      ".card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:120px}",
      ".card b{display:block;font-size:18px}",
      "table{border-collapse:collapse;width:100%;font-size:13px}",
      "th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}",
      "th{background:var(--head);font-weight:600}",
      "td{overflow-wrap:break-word}",
      "code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}",
      "code,.ok,.warn,.bad{white-space:nowrap}",
      ".ok{color:var(--ok);font-weight:600}.warn{color:var(--warn);font-weight:600}.bad{color:var(--bad);font-weight:600}",
      "ul.plain{margin:0;padding-left:16px}",
      "footer{margin-top:32px;color:var(--muted);font-size:12px}");

  private HtmlRenderer() {}

  public static String render(Inventory inv) {
    StringBuilder h = new StringBuilder(16_384);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            + "base-uri 'none'; form-action 'none'\">\n")
        .append("<meta name=\"referrer\" content=\"no-referrer\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>Inventory and governance report — agentprovision</title>\n<style>\n").append(CSS)
        .append("\n</style>\n</head>\n<body>\n");
    h.append("<header>\n<h1>Inventory and governance report</h1>\n<p class=\"meta\">Generated ")
        .append(esc(when(inv.generatedAt()))).append(" · showing ").append(esc(inv.filter().toString()))
        .append(" · calendar months in ").append(esc(zone(inv.zone()))).append("</p>\n</header>\n");
    summary(h, inv);
    delegations(h, inv);
    runs(h, inv);
    accounts(h, inv);
    resources(h, inv);
    domains(h, inv);
    tokens(h, inv);
    apps(h, inv);
    paidSteps(h, inv);
    approvals(h, inv);
    refusals(h, inv);
    costs(h, inv);
    h.append("<footer>Read from the audit log (what happened), the run journal (how each run stands) and the spend "
        + "ledger (what was charged); money ").append(esc(inv.costs().source().equals("ledger")
            ? "from the ledger" : "summed from the audit log's commits"))
        .append(". Deploy tokens are listed by id only: their values stay in the vault and never appear here.")
        .append(" Schema ").append(esc(Inventory.SCHEMA)).append(".</footer>\n</body>\n</html>\n");
    return h.toString();
  }

  private static void summary(StringBuilder h, Inventory inv) {
    long activeTokens = inv.tokens().stream().filter(t -> t.status() == Inventory.TokenStatus.ACTIVE).count();
    long verified = inv.apps().stream().filter(a -> a.status() == Inventory.AppStatus.VERIFIED).count();
    h.append("<section class=\"cards\" id=\"summary\">\n");
    card(h, "Spent to date", inv.costs().toDate().isEmpty() ? "nothing" : moneys(inv.costs().toDate()));
    card(h, "Held, unsettled", inv.costs().held().isEmpty() ? "nothing" : moneys(inv.costs().held()));
    card(h, "Runs", String.valueOf(inv.runs().size()));
    card(h, "Accounts", String.valueOf(inv.accounts().size()));
    card(h, "Resources", String.valueOf(inv.resources().size()));
    card(h, "Domains", String.valueOf(inv.domains().size()));
    card(h, "Tokens active", activeTokens + " of " + inv.tokens().size());
    card(h, "Apps verified", verified + " of " + inv.apps().size());
    card(h, "Refusals", String.valueOf(inv.refusals().size()));
    h.append("</section>\n");
  }

  private static void card(StringBuilder h, String label, String value) {
    h.append("<div class=\"card\">").append(esc(label)).append("<b>").append(esc(value)).append("</b></div>\n");
  }

  private static void delegations(StringBuilder h, Inventory inv) {
    section(h, "delegations", "Who acted for whom", null);
    table(h, inv.delegations().isEmpty(), "Agent", "Human", "Runs", "First", "Last");
    for (Inventory.Delegation d : inv.delegations()) {
      tr(h, code(d.agent().value()), human(d.human()), esc(String.valueOf(d.runs())), esc(when(d.firstAt())),
          esc(when(d.lastAt())));
    }
    end(h);
  }

  private static void runs(StringBuilder h, Inventory inv) {
    section(h, "runs", "Runs", null);
    table(h, inv.runs().isEmpty(), "Run", "Agent", "Human", "Provider", "Status", "App", "Plan", "Started", "Ended",
        "Error");
    for (Inventory.Run r : inv.runs()) {
      String status = r.status().name().toLowerCase(Locale.ROOT);
      String cls = switch (r.status()) {
        case SUCCEEDED -> "ok";
        case FAILED -> "bad";
        default -> "warn";
      };
      tr(h, code(r.id().value()), code(r.agent().value()), human(r.human()), esc(r.provider()),
          "<span class=\"" + cls + "\">" + esc(status) + "</span>", esc(r.app()), esc(r.plan()), esc(when(r.startedAt())),
          esc(when(r.endedAt())), esc(r.error()));
    }
    end(h);
  }

  private static void accounts(StringBuilder h, Inventory inv) {
    section(h, "accounts", "Provider accounts", null);
    table(h, inv.accounts().isEmpty(), "Provider", "Account", "How", "For", "By agent", "Run", "When");
    for (Inventory.Account a : inv.accounts()) {
      String how = a.link() == null ? "unknown"
          : a.link() == io.agentprovision.core.orchestration.ProviderAccount.LinkAction.CREATED ? "created"
          : a.link() == io.agentprovision.core.orchestration.ProviderAccount.LinkAction.UNKNOWN ? "unknown"
          : "existing account linked";
      tr(h, esc(a.provider()), code(a.accountId()), esc(how), human(a.human()), code(a.agent().value()),
          code(a.run().value()), esc(when(a.at())));
    }
    end(h);
  }

  private static void resources(StringBuilder h, Inventory inv) {
    section(h, "resources", "Resources", null);
    table(h, inv.resources().isEmpty(), "Provider", "Service", "Resource", "Run", "Agent", "For", "Cost", "Provisioned",
        "Removed");
    for (Inventory.Resource r : inv.resources()) {
      tr(h, esc(r.provider()), esc(r.serviceId()), code(r.resourceId()), code(r.run().value()), code(r.agent().value()),
          human(r.human()), r.cost() == null ? "free" : esc(r.cost().toString()), esc(when(r.provisionedAt())),
          r.removedAt() == null ? "" : "<span class=\"warn\">" + esc(when(r.removedAt())) + "</span>");
    }
    end(h);
  }

  private static void domains(StringBuilder h, Inventory inv) {
    section(h, "domains", "Domains", "A registration is not refundable: each domain stays registered until it "
        + "expires, even when the run that bought it failed and everything else was undone.");
    table(h, inv.domains().isEmpty(), "Domain", "Provider", "Price", "Registered", "Registered until", "Auto-renew",
        "Run", "Agent", "For");
    for (Inventory.Domain d : inv.domains()) {
      tr(h, "<b>" + esc(d.name()) + "</b>", esc(d.provider()), esc(d.price() == null ? null : d.price().toString()),
          esc(when(d.registeredAt())), d.expiresAt() == null ? "its registration's end (years not recorded)"
              : esc(DAY.format(d.expiresAt())), d.autoRenew() ? "yes" : "no", code(d.run().value()),
          code(d.agent().value()), human(d.human()));
    }
    end(h);
  }

  private static void tokens(StringBuilder h, Inventory inv) {
    section(h, "tokens", "Deploy tokens", "By id only; the token values stay in the vault.");
    table(h, inv.tokens().isEmpty(), "Token", "Provider", "Permissions", "Allowed IPs", "Expires", "Status", "Issued",
        "Run", "Agent", "For");
    for (Inventory.Token t : inv.tokens()) {
      String cls = t.status() == Inventory.TokenStatus.ACTIVE ? "ok" : "warn";
      StringBuilder status = new StringBuilder("<span class=\"" + cls + "\">")
          .append(esc(t.status().name().toLowerCase(Locale.ROOT))).append("</span>");
      if (t.rotatedAt() != null) {
        status.append("<br>value rolled ").append(esc(when(t.rotatedAt())));
      }
      if (t.replacedBy() != null) {
        status.append("<br>replaced by ").append(code(t.replacedBy()));
      }
      if (t.replaces() != null) {
        status.append("<br>replaces ").append(code(t.replaces()));
      }
      if (t.endedAt() != null) {
        status.append("<br>since ").append(esc(when(t.endedAt())));
      }
      tr(h, code(t.tokenId()), esc(t.provider()), list(t.permissions()),
          t.allowedIps().isEmpty() ? "any address" : list(t.allowedIps()),
          t.expiresAt() == null ? "never" : esc(when(t.expiresAt())), status.toString(), esc(when(t.issuedAt())),
          code(t.run().value()), code(t.agent().value()), human(t.human()));
    }
    end(h);
  }

  private static void apps(StringBuilder h, Inventory inv) {
    section(h, "apps", "Where code runs", null);
    table(h, inv.apps().isEmpty(), "URL", "Provider URL", "Script", "Provider", "Status", "Checked", "Run", "Agent",
        "For");
    for (Inventory.App a : inv.apps()) {
      String cls = switch (a.status()) {
        case VERIFIED -> "ok";
        case NOT_VERIFIED -> "warn";
        case UNDEPLOYED -> "bad";
      };
      String status = "<span class=\"" + cls + "\">" + esc(a.status().name().toLowerCase(Locale.ROOT).replace('_', ' '))
          + "</span>" + (a.httpStatus() != null ? " (HTTP " + a.httpStatus() + ")" : "");
      tr(h, link(a.url()), a.providerUrl() == null ? "" : link(a.providerUrl()), code(a.script()), esc(a.provider()),
          status, esc(when(a.verifiedAt())), code(a.run().value()), code(a.agent().value()), human(a.human()));
    }
    end(h);
  }

  private static void paidSteps(StringBuilder h, Inventory inv) {
    section(h, "paid-steps", "Paid steps and who approved them", "Each step that charged money, with the "
        + "checkpoints asked in the step and the plan approval that listed it. A step without any was under the "
        + "policy's approval threshold.");
    table(h, inv.paidSteps().isEmpty(), "Run", "Step", "What", "Provider", "Charged", "When", "Agent", "For",
        "Approved by (checkpoint, amount)");
    for (Inventory.PaidStep p : inv.paidSteps()) {
      StringBuilder who = new StringBuilder();
      if (p.approvals().isEmpty()) {
        who.append("no approval needed (under the approval threshold)");
      } else {
        who.append("<ul class=\"plain\">");
        for (Inventory.Approval a : p.approvals()) {
          who.append("<li>").append(a.approved() ? "" : "<span class=\"bad\">" + esc(a.outcome()) + "</span> ")
              .append("<b>").append(esc(a.approver() == null ? "nobody" : a.approver())).append("</b> (")
              .append(esc(a.checkpoint())).append(a.amount() != null ? ", " + esc(a.amount().toString()) : "")
              .append(")</li>");
        }
        who.append("</ul>");
      }
      tr(h, code(p.run().value()), esc(p.step().value()), esc(p.what()), esc(p.provider()), esc(p.amount().toString()),
          esc(when(p.at())), code(p.agent().value()), human(p.human()), who.toString());
    }
    end(h);
  }

  private static void approvals(StringBuilder h, Inventory inv) {
    section(h, "approvals", "Every approval", null);
    table(h, inv.approvals().isEmpty(), "Asked", "Checkpoint", "Question", "Approver", "Outcome", "Amount", "Run",
        "Step", "Agent", "For");
    for (Inventory.Approval a : inv.approvals()) {
      String cls = a.approved() ? "ok" : "pending".equals(a.outcome()) ? "warn" : "bad";
      tr(h, esc(when(a.requestedAt())), esc(a.checkpoint()), esc(a.title()), esc(a.approver()),
          "<span class=\"" + cls + "\">" + esc(a.outcome()) + "</span>", esc(a.amount() == null ? null
              : a.amount().toString()), a.run() == null ? "" : code(a.run().value()),
          esc(a.step() == null ? null : a.step().value()), a.agent() == null ? "" : code(a.agent().value()),
          human(a.human()));
    }
    end(h);
  }

  private static void refusals(StringBuilder h, Inventory inv) {
    section(h, "refusals", "Refusals by the spend policy", "Nothing was reserved or charged for these.");
    table(h, inv.refusals().isEmpty(), "When", "Run", "Step", "Agent", "For", "Provider", "Limit", "Requested", "Why");
    for (Inventory.Refusal r : inv.refusals()) {
      tr(h, esc(when(r.at())), r.run() == null ? "" : code(r.run().value()),
          esc(r.step() == null ? "the whole run" : r.step().value()), r.agent() == null ? "" : code(r.agent().value()),
          human(r.human()), esc(r.provider()), code(r.limit()), esc(r.requested() == null ? null
              : r.requested().toString()), esc(r.reason()));
    }
    end(h);
  }

  private static void costs(StringBuilder h, Inventory inv) {
    Inventory.Costs c = inv.costs();
    section(h, "costs", "Money", "Committed (charged) to date: " + (c.toDate().isEmpty() ? "nothing" : moneys(c.toDate()))
        + ". Held before paid calls and not yet settled: " + (c.held().isEmpty() ? "nothing" : moneys(c.held())) + ".");
    table(h, c.byMonth().isEmpty(), "Month (" + zone(inv.zone()) + ")", "Committed");
    for (Inventory.MonthlyCost m : c.byMonth()) {
      tr(h, esc(m.month().toString()), esc(m.amount().toString()));
    }
    end(h);
  }

  // ---------------------------------------------------------------- building blocks

  private static void section(StringBuilder h, String id, String title, @Nullable String note) {
    h.append("<section id=\"").append(id).append("\">\n<h2>").append(esc(title)).append("</h2>\n");
    if (note != null) {
      h.append("<p class=\"note\">").append(esc(note)).append("</p>\n");
    }
  }

  private static void table(StringBuilder h, boolean empty, String... headers) {
    h.append("<table>\n<thead><tr>");
    for (String s : headers) {
      h.append("<th>").append(esc(s)).append("</th>");
    }
    h.append("</tr></thead>\n<tbody>\n");
    if (empty) {
      h.append("<tr><td class=\"none\" colspan=\"").append(headers.length).append("\">none</td></tr>\n");
    }
  }

  /** A row of cells that are already HTML (each built from escaped values). */
  private static void tr(StringBuilder h, String... cells) {
    h.append("<tr>");
    for (String c : cells) {
      h.append("<td>").append(c).append("</td>");
    }
    h.append("</tr>\n");
  }

  private static void end(StringBuilder h) {
    h.append("</tbody>\n</table>\n</section>\n");
  }

  private static String code(@Nullable String s) {
    return s == null ? "" : "<code>" + esc(s) + "</code>";
  }

  private static String human(Inventory.@Nullable Human who) {
    if (who == null) {
      return "<span class=\"warn\">not attested</span>";
    }
    return esc(who.subject()) + (who.email() != null ? "<br>" + esc(who.email()) : "");
  }

  private static String list(List<String> items) {
    StringBuilder sb = new StringBuilder("<ul class=\"plain\">");
    for (String s : items) {
      sb.append("<li>").append(esc(s)).append("</li>");
    }
    return sb.append("</ul>").toString();
  }

  /** A link for web addresses only: anything else (a {@code javascript:} URL) is shown as text. */
  private static String link(String url) {
    String lower = url.trim().toLowerCase(Locale.ROOT);
    if (lower.startsWith("https://") || lower.startsWith("http://")) {
      return "<a href=\"" + esc(url.trim()) + "\" rel=\"noopener noreferrer nofollow\">" + esc(url) + "</a>";
    }
    return code(url);
  }

  private static String moneys(List<Money> amounts) {
    StringBuilder sb = new StringBuilder();
    for (Money m : amounts) {
      if (sb.length() > 0) {
        sb.append(" + ");
      }
      sb.append(m);
    }
    return sb.toString();
  }

  private static String zone(java.time.ZoneId z) {
    return z.equals(ZoneOffset.UTC) ? "UTC" : z.getId();
  }

  private static String when(@Nullable Instant t) {
    return t == null ? "" : WHEN.format(t);
  }

  /** Escapes text for HTML element content and quoted attribute values alike. */
  static String esc(@Nullable String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> {
          // control characters other than tab and line breaks have no business in a page
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            sb.append('\uFFFD');
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.toString();
  }
}
