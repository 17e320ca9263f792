package io.agentprovision.core.internal.report;

import com.squareup.moshi.JsonAdapter;
import io.agentprovision.core.Money;
import io.agentprovision.core.report.Inventory;
import io.agentprovision.core.report.ReportFilter;
import io.agentprovision.core.wire.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The inventory as JSON: one object, keys in a fixed order and always present (null when unknown),
 * times as ISO-8601 instants, money as {@code {"amount":"5.00","currency":"USD","minor_units":500}}.
 * The shape is documented in {@code docs/operations.md}; a change that removes a key or changes its
 * meaning bumps {@link Inventory#SCHEMA}.
 */
public final class JsonRenderer {
  private static final JsonAdapter<Object> PRETTY = Json.moshi().adapter(Object.class).serializeNulls().indent("  ");

  private JsonRenderer() {}

  public static String render(Inventory inv) {
    Map<String, @Nullable Object> root = new LinkedHashMap<>();
    root.put("schema", Inventory.SCHEMA);
    root.put("generated_at", time(inv.generatedAt()));
    root.put("zone", inv.zone().equals(java.time.ZoneOffset.UTC) ? "UTC" : inv.zone().getId());
    root.put("filter", filter(inv.filter()));
    root.put("runs", list(inv.runs(), r -> obj(
        "run", r.id().value(),
        "agent", r.agent().value(),
        "human", human(r.human()),
        "provider", r.provider(),
        "status", lower(r.status().name()),
        "plan", r.plan(),
        "app", r.app(),
        "started_at", time(r.startedAt()),
        "ended_at", time(r.endedAt()),
        "error", r.error())));
    root.put("accounts", list(inv.accounts(), a -> obj(
        "provider", a.provider(),
        "account_id", a.accountId(),
        "link", a.link() == null ? null : lower(a.link().name()),
        "human", human(a.human()),
        "agent", a.agent().value(),
        "run", a.run().value(),
        "at", time(a.at()))));
    root.put("resources", list(inv.resources(), r -> obj(
        "provider", r.provider(),
        "service", r.serviceId(),
        "resource_id", r.resourceId(),
        "run", r.run().value(),
        "agent", r.agent().value(),
        "human", human(r.human()),
        "cost", money(r.cost()),
        "provisioned_at", time(r.provisionedAt()),
        "removed_at", time(r.removedAt()))));
    root.put("domains", list(inv.domains(), d -> obj(
        "name", d.name(),
        "provider", d.provider(),
        "resource_id", d.resourceId(),
        "price", money(d.price()),
        "registered_at", time(d.registeredAt()),
        "years", d.years(),
        "auto_renew", d.autoRenew(),
        "expires_at", time(d.expiresAt()),
        "run", d.run().value(),
        "agent", d.agent().value(),
        "human", human(d.human()))));
    root.put("tokens", list(inv.tokens(), t -> obj(
        "token_id", t.tokenId(),
        "provider", t.provider(),
        "permissions", t.permissions(),
        "allowed_ips", t.allowedIps(),
        "expires_at", time(t.expiresAt()),
        "status", lower(t.status().name()),
        "issued_at", time(t.issuedAt()),
        "rotated_at", time(t.rotatedAt()),
        "ended_at", time(t.endedAt()),
        "replaces", t.replaces(),
        "replaced_by", t.replacedBy(),
        "run", t.run().value(),
        "agent", t.agent().value(),
        "human", human(t.human()))));
    root.put("apps", list(inv.apps(), a -> obj(
        "url", a.url(),
        "provider_url", a.providerUrl(),
        "script", a.script(),
        "provider", a.provider(),
        "status", lower(a.status().name()),
        "http_status", a.httpStatus(),
        "deployed_at", time(a.deployedAt()),
        "verified_at", time(a.verifiedAt()),
        "run", a.run().value(),
        "agent", a.agent().value(),
        "human", human(a.human()))));
    root.put("delegations", list(inv.delegations(), d -> obj(
        "agent", d.agent().value(),
        "human", human(d.human()),
        "runs", d.runs(),
        "first_at", time(d.firstAt()),
        "last_at", time(d.lastAt()))));
    root.put("approvals", list(inv.approvals(), JsonRenderer::approval));
    root.put("paid_steps", list(inv.paidSteps(), p -> obj(
        "run", p.run().value(),
        "step", p.step().value(),
        "what", p.what(),
        "provider", p.provider(),
        "amount", money(p.amount()),
        "at", time(p.at()),
        "agent", p.agent().value(),
        "human", human(p.human()),
        "approvals", list(p.approvals(), JsonRenderer::approval))));
    root.put("refusals", list(inv.refusals(), r -> obj(
        "at", time(r.at()),
        "run", r.run() == null ? null : r.run().value(),
        "step", r.step() == null ? null : r.step().value(),
        "agent", r.agent() == null ? null : r.agent().value(),
        "human", human(r.human()),
        "provider", r.provider(),
        "limit", r.limit(),
        "requested", money(r.requested()),
        "reason", r.reason())));
    Inventory.Costs c = inv.costs();
    root.put("costs", obj(
        "source", c.source(),
        "to_date", list(c.toDate(), JsonRenderer::money),
        "held", list(c.held(), JsonRenderer::money),
        "by_month", list(c.byMonth(), m -> obj("month", m.month().toString(), "amount", money(m.amount())))));
    return PRETTY.toJson(root) + "\n";
  }

  private static Map<String, @Nullable Object> approval(Inventory.Approval a) {
    return obj(
        "approval_id", a.approvalId(),
        "run", a.run() == null ? null : a.run().value(),
        "step", a.step() == null ? null : a.step().value(),
        "checkpoint", a.checkpoint(),
        "title", a.title(),
        "approver", a.approver(),
        "outcome", a.outcome(),
        "amount", money(a.amount()),
        "requested_at", time(a.requestedAt()),
        "decided_at", time(a.decidedAt()),
        "agent", a.agent() == null ? null : a.agent().value(),
        "human", human(a.human()));
  }

  private static Map<String, @Nullable Object> filter(ReportFilter f) {
    return obj(
        "agent", f.agent() == null ? null : f.agent().value(),
        "human", f.human(),
        "provider", f.provider(),
        "from", time(f.from()),
        "to", time(f.to()));
  }

  static @Nullable Map<String, @Nullable Object> human(Inventory.@Nullable Human h) {
    return h == null ? null : obj("subject", h.subject(), "email", h.email(), "issuer", h.issuer());
  }

  static @Nullable Map<String, @Nullable Object> money(@Nullable Money m) {
    return m == null ? null : obj("amount", m.toDecimal().toPlainString(), "currency", m.currencyCode(),
        "minor_units", m.minorUnits());
  }

  private static @Nullable String time(@Nullable Instant t) {
    return t == null ? null : t.toString();
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  private static <T> List<@Nullable Object> list(List<T> items, Function<T, @Nullable Object> f) {
    List<@Nullable Object> out = new ArrayList<>(items.size());
    for (T t : items) {
      out.add(f.apply(t));
    }
    return out;
  }

  private static Map<String, @Nullable Object> obj(@Nullable Object... kv) {
    Map<String, @Nullable Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(String.valueOf(kv[i]), kv[i + 1]);
    }
    return m;
  }
}
