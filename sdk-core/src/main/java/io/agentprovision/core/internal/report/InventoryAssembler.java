package io.agentprovision.core.internal.report;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.audit.AuditEntry;
import io.agentprovision.core.audit.AuditRecord;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.report.Inventory;
import io.agentprovision.core.report.ReportFilter;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Builds an {@link Inventory} from the audit log (what happened, in order), the journal (how each
 * run stands now) and the ledger (what was charged). Reads only what the engine records; a fact
 * missing from an older log (such as a token's allowed addresses) is left empty, never guessed.
 */
public final class InventoryAssembler {
  /** Upper bound of the ledger query when the filter has none: far enough, and still a valid SQL timestamp. */
  static final Instant FAR_FUTURE = Instant.parse("9999-12-31T23:59:59Z");
  /** {@code Principal.display()}: {@code subject <email> @issuer}, the e-mail optional. */
  private static final Pattern DISPLAY = Pattern.compile("^(.+?)(?: <([^<>]*)>)? @(\\S+)$");

  private InventoryAssembler() {}

  /** What the audit log says of one run. */
  private static final class RunFacts {
    final RunId id;
    @Nullable AgentId agent;
    @Nullable String provider;
    Inventory.@Nullable Human human;
    @Nullable String plan;
    @Nullable String app;
    @Nullable Instant startedAt;
    @Nullable Instant endedAt;
    @Nullable String error;
    @Nullable RunStatus status;

    RunFacts(RunId id) {
      this.id = id;
    }
  }

  /** A mutable token while the log is read. */
  private static final class TokenFacts {
    final String id;
    final String provider;
    List<String> permissions;
    List<String> allowedIps;
    @Nullable Instant expiresAt;
    Inventory.TokenStatus status = Inventory.TokenStatus.ACTIVE;
    final Instant issuedAt;
    @Nullable Instant rotatedAt;
    @Nullable Instant endedAt;
    @Nullable String replaces;
    @Nullable String replacedBy;
    final RunId run;
    final AgentId agent;

    TokenFacts(String id, String provider, List<String> permissions, List<String> allowedIps,
        @Nullable Instant expiresAt, Instant issuedAt, RunId run, AgentId agent) {
      this.id = id;
      this.provider = provider;
      this.permissions = permissions;
      this.allowedIps = allowedIps;
      this.expiresAt = expiresAt;
      this.issuedAt = issuedAt;
      this.run = run;
      this.agent = agent;
    }
  }

  /** A mutable approval while the log is read. */
  private static final class ApprovalFacts {
    final String id;
    final @Nullable RunId run;
    final @Nullable StepId step;
    final String checkpoint;
    final String title;
    @Nullable String approver;
    String outcome = "pending";
    @Nullable Money amount;
    final Instant requestedAt;
    @Nullable Instant decidedAt;
    final @Nullable AgentId agent;
    final @Nullable String principal;
    /** The request's details: a plan approval lists the paid steps it covers by step id. */
    final Map<String, String> details;

    ApprovalFacts(String id, AuditRecord r, String checkpoint, String title) {
      this.id = id;
      this.run = r.run();
      this.step = r.step();
      this.checkpoint = checkpoint;
      this.title = title;
      this.amount = r.amount();
      this.requestedAt = r.time();
      this.agent = r.agent();
      this.principal = r.principal();
      this.details = r.details();
    }
  }

  private record StepKey(RunId run, @Nullable StepId step) {}

  private record Item<T>(T value, @Nullable AgentId agent, Inventory.@Nullable Human human, @Nullable String provider,
      Instant at) {}

  /** Mutable state of one assembly. */
  private static final class State {
    final Map<RunId, RunFacts> runs = new LinkedHashMap<>();
    final Map<String, Inventory.Human> byDisplay = new HashMap<>();

    RunFacts run(RunId id) {
      return runs.computeIfAbsent(id, RunFacts::new);
    }

    Inventory.@Nullable Human humanOf(AuditRecord r) {
      if (r.run() != null) {
        RunFacts f = runs.get(r.run());
        if (f != null && f.human != null) {
          return f.human;
        }
      }
      String p = r.principal();
      if (p == null) {
        return null;
      }
      Inventory.Human known = byDisplay.get(p);
      return known != null ? known : parseDisplay(p);
    }

    Inventory.@Nullable Human humanOfRun(@Nullable RunId run) {
      RunFacts f = run == null ? null : runs.get(run);
      return f == null ? null : f.human;
    }

    @Nullable String providerOf(@Nullable RunId run) {
      RunFacts f = run == null ? null : runs.get(run);
      return f == null ? null : f.provider;
    }
  }

  public static Inventory assemble(List<AuditEntry> entries, @Nullable RunJournal journal, @Nullable SpendLedger ledger,
      Instant now, ZoneId zone, ReportFilter filter) {
    State st = new State();
    readRuns(entries, st);
    if (journal != null) {
      mergeJournal(journal, st);
    }

    List<Item<Inventory.Account>> accounts = new ArrayList<>();
    Set<String> accountKeys = new HashSet<>();
    List<Item<Inventory.Resource>> resources = new ArrayList<>();
    Map<StepKey, Integer> resourceAt = new HashMap<>();
    List<Item<Inventory.Domain>> domains = new ArrayList<>();
    List<TokenFacts> tokens = new ArrayList<>();
    Map<String, TokenFacts> tokenById = new HashMap<>();
    Map<StepKey, TokenFacts> tokenAt = new HashMap<>();
    List<Inventory.App> appsMutable = new ArrayList<>();
    Map<StepKey, Integer> appAt = new HashMap<>();
    Map<RunId, Integer> lastAppOfRun = new HashMap<>();
    Map<String, ApprovalFacts> approvals = new LinkedHashMap<>();
    List<Item<Inventory.Refusal>> refusals = new ArrayList<>();
    List<AuditRecord> paid = new ArrayList<>();
    // for costs when there is no ledger
    List<AuditRecord> commits = new ArrayList<>();
    Map<String, AuditRecord> heldByReservation = new LinkedHashMap<>();

    for (AuditEntry e : entries) {
      AuditRecord r = e.record();
      Map<String, String> d = r.details();
      RunId run = r.run();
      String provider = st.providerOf(run);
      switch (r.action()) {
        case "account.linked": {
          String accountId = d.get("account");
          if (run == null || r.agent() == null || accountId == null) {
            break;
          }
          String p = d.getOrDefault("provider", provider == null ? "" : provider);
          if (accountKeys.add(p + "\n" + accountId)) {
            Inventory.Human h = st.humanOf(r);
            accounts.add(new Item<>(new Inventory.Account(p, accountId, linkAction(d.get("link")), h, r.agent(), run,
                r.time()), r.agent(), h, p, r.time()));
          }
          break;
        }
        case "resource.provisioned":
        case "domain.registered": {
          String resourceId = d.get("resource");
          if (run == null || r.agent() == null || resourceId == null) {
            break;
          }
          boolean domain = r.action().equals("domain.registered");
          String p = provider == null ? "" : provider;
          String service = d.getOrDefault("service", domain ? "domain" : "unknown");
          Inventory.Human h = st.humanOf(r);
          resourceAt.put(new StepKey(run, r.step()), resources.size());
          resources.add(new Item<>(new Inventory.Resource(p, service, resourceId, run, r.agent(), h, r.amount(), r.time(),
              null), r.agent(), h, p, r.time()));
          if (domain && d.get("domain") != null) {
            int years = parseInt(d.get("years"));
            Instant expires = years > 0 ? r.time().atZone(ZoneOffset.UTC).plusYears(years).toInstant() : null;
            domains.add(new Item<>(new Inventory.Domain(d.get("domain"), p, resourceId, r.amount(), r.time(), years,
                Boolean.parseBoolean(d.get("auto_renew")), expires, run, r.agent(), h), r.agent(), h, p, r.time()));
          }
          if (r.amount() != null && r.step() != null) {
            paid.add(r);
          }
          break;
        }
        case "credentials.stored": {
          String id = d.get("token");
          if (run == null || r.agent() == null || id == null) {
            break;
          }
          TokenFacts t = new TokenFacts(id, provider == null ? "" : provider, list(d.get("permissions")),
              list(d.get("allowed_ips")), instant(d.get("expires_at")), r.time(), run, r.agent());
          tokens.add(t);
          tokenById.put(id, t);
          tokenAt.put(new StepKey(run, r.step()), t);
          break;
        }
        case "credentials.rotated": {
          String id = d.get("token");
          String previous = d.get("previous_token");
          TokenFacts prev = previous == null ? null : tokenById.get(previous);
          if (id == null || prev == null) {
            break;
          }
          if (id.equals(previous)) {
            prev.rotatedAt = r.time();
            prev.expiresAt = instant(d.get("expires_at"));
          } else {
            // a new token took the old one's place, with the same grants
            prev.status = Inventory.TokenStatus.ROTATED;
            prev.endedAt = r.time();
            prev.replacedBy = id;
            TokenFacts next = new TokenFacts(id, prev.provider, prev.permissions, prev.allowedIps,
                instant(d.get("expires_at")), r.time(), prev.run, prev.agent);
            next.replaces = previous;
            tokens.add(next);
            tokenById.put(id, next);
          }
          break;
        }
        case "credentials.revoked": {
          String id = d.get("token");
          TokenFacts t = id == null ? null : tokenById.get(id);
          if (t != null && "ok".equals(r.outcome()) && t.status == Inventory.TokenStatus.ACTIVE) {
            t.status = Inventory.TokenStatus.REVOKED;
            t.endedAt = r.time();
          }
          break;
        }
        case "app.deployed": {
          String url = d.get("url");
          if (run == null || r.agent() == null || url == null) {
            break;
          }
          appAt.put(new StepKey(run, r.step()), appsMutable.size());
          lastAppOfRun.put(run, appsMutable.size());
          appsMutable.add(new Inventory.App(url, d.get("provider_url"), d.getOrDefault("script", ""),
              provider == null ? "" : provider, Inventory.AppStatus.NOT_VERIFIED, null, r.time(), null, run, r.agent(),
              st.humanOf(r)));
          break;
        }
        case "app.verified": {
          Integer i = run == null ? null : lastAppOfRun.get(run);
          if (i == null) {
            break;
          }
          Inventory.App a = appsMutable.get(i);
          appsMutable.set(i, new Inventory.App(a.url(), a.providerUrl(), a.script(), a.provider(),
              "live".equals(r.outcome()) ? Inventory.AppStatus.VERIFIED : Inventory.AppStatus.NOT_VERIFIED,
              parseStatus(d.get("status")), a.deployedAt(), r.time(), a.run(), a.agent(), a.human()));
          break;
        }
        case "compensated": {
          if (run == null || !"ok".equals(r.outcome())) {
            break;
          }
          // the step that is undone is the step that made the thing
          StepKey key = new StepKey(run, r.step());
          Integer res = resourceAt.get(key);
          if (res != null) {
            Item<Inventory.Resource> it = resources.get(res);
            Inventory.Resource x = it.value();
            resources.set(res, new Item<>(new Inventory.Resource(x.provider(), x.serviceId(), x.resourceId(), x.run(),
                x.agent(), x.human(), x.cost(), x.provisionedAt(), r.time()), it.agent(), it.human(), it.provider(),
                it.at()));
          }
          TokenFacts t = tokenAt.get(key);
          if (t != null && t.status == Inventory.TokenStatus.ACTIVE) {
            t.status = Inventory.TokenStatus.REVOKED;
            t.endedAt = r.time();
          }
          Integer app = appAt.get(key);
          if (app != null) {
            Inventory.App a = appsMutable.get(app);
            appsMutable.set(app, new Inventory.App(a.url(), a.providerUrl(), a.script(), a.provider(),
                Inventory.AppStatus.UNDEPLOYED, a.httpStatus(), a.deployedAt(), a.verifiedAt(), a.run(), a.agent(),
                a.human()));
          }
          break;
        }
        case "approval.requested": {
          String id = d.get("approval_id");
          if (id != null && !approvals.containsKey(id)) {
            approvals.put(id, new ApprovalFacts(id, r, d.getOrDefault("kind", "UNKNOWN"), d.getOrDefault("title", "")));
          }
          break;
        }
        case "approval.decided": {
          String id = d.get("approval_id");
          ApprovalFacts a = id == null ? null : approvals.get(id);
          if (a == null) {
            break;
          }
          a.approver = r.approver();
          a.outcome = r.outcome();
          a.decidedAt = r.time();
          if (a.amount == null) {
            a.amount = r.amount();
          }
          break;
        }
        case "spend.refused": {
          String reason = "used " + d.getOrDefault("used", "?") + ", remaining " + d.getOrDefault("remaining", "?")
              + (d.get("description") != null ? "; for " + d.get("description") : "");
          Inventory.Human h = st.humanOf(r);
          refusals.add(new Item<>(new Inventory.Refusal(r.time(), run, r.step(), r.agent(), h, provider,
              d.getOrDefault("limit", "unknown"), r.amount(), reason), r.agent(), h, provider, r.time()));
          break;
        }
        case "run.refused": {
          String p = d.get("provider") != null ? d.get("provider") : provider;
          Inventory.Human h = st.humanOf(r);
          refusals.add(new Item<>(new Inventory.Refusal(r.time(), run, null, r.agent(), h, p,
              d.getOrDefault("limit", "unknown"), r.amount(), d.getOrDefault("reason", "refused by the spend policy")),
              r.agent(), h, p, r.time()));
          break;
        }
        case "spend.committed": {
          if (r.amount() != null) {
            commits.add(r);
          }
          String id = d.get("reservation");
          if (id != null) {
            heldByReservation.remove(id);
          }
          break;
        }
        case "spend.reserved": {
          String id = d.get("reservation");
          if (id != null && r.amount() != null) {
            heldByReservation.put(id, r);
          }
          break;
        }
        case "spend.released": {
          String id = d.get("reservation");
          if (id != null) {
            heldByReservation.remove(id);
          }
          break;
        }
        case "spend.reconciled": {
          // an uncertain reservation settled: what the provider charged is spent, or it was given back
          if ("committed".equals(r.outcome()) && r.amount() != null) {
            commits.add(r);
          }
          String id = d.get("reservation");
          if (id != null) {
            heldByReservation.remove(id);
          }
          break;
        }
        case "velocity.refused": {
          Inventory.Human h = st.humanOf(r);
          refusals.add(new Item<>(new Inventory.Refusal(r.time(), run, r.step(), r.agent(), h, provider,
              d.getOrDefault("limit", "unknown"), null, d.getOrDefault("count", "?") + " of "
                  + d.getOrDefault("max", "?") + " " + d.getOrDefault("action", "actions").toLowerCase(java.util.Locale.ROOT)
                  + " already in the window for " + d.getOrDefault("bucket", "?")), r.agent(), h, provider, r.time()));
          break;
        }
        default:
          break;
      }
    }

    List<Inventory.Run> runs = new ArrayList<>();
    for (RunFacts f : st.runs.values()) {
      if (f.agent == null || f.startedAt == null || f.provider == null) {
        continue; // refused before it started, or only mentioned: not a run
      }
      if (filter.matchesAgent(f.agent) && filter.matchesHuman(f.human) && filter.matchesProvider(f.provider)
          && filter.matchesTime(f.startedAt)) {
        runs.add(new Inventory.Run(f.id, f.agent, f.human, f.provider,
            f.status == null ? RunStatus.RUNNING : f.status, f.plan, f.app, f.startedAt, f.endedAt, f.error));
      }
    }

    List<Inventory.Token> tokenList = new ArrayList<>();
    for (TokenFacts t : tokens) {
      Inventory.TokenStatus status = t.status;
      if (status == Inventory.TokenStatus.ACTIVE && t.expiresAt != null && !now.isBefore(t.expiresAt)) {
        status = Inventory.TokenStatus.EXPIRED;
      }
      Inventory.Human h = st.humanOfRun(t.run);
      if (keep(filter, t.agent, h, t.provider, t.issuedAt)) {
        tokenList.add(new Inventory.Token(t.id, t.provider, t.permissions, t.allowedIps, t.expiresAt, status, t.issuedAt,
            t.rotatedAt, t.endedAt, t.replaces, t.replacedBy, t.run, t.agent, h));
      }
    }

    List<Inventory.App> apps = new ArrayList<>();
    for (Inventory.App a : appsMutable) {
      if (keep(filter, a.agent(), a.human(), a.provider(), a.deployedAt())) {
        apps.add(a);
      }
    }

    Map<String, Inventory.Approval> approvalValues = new LinkedHashMap<>();
    List<Inventory.Approval> approvalList = new ArrayList<>();
    for (ApprovalFacts a : approvals.values()) {
      Inventory.Human h = st.humanOfRun(a.run);
      if (h == null && a.principal != null) {
        h = st.byDisplay.getOrDefault(a.principal, parseDisplay(a.principal));
      }
      Inventory.Approval v = new Inventory.Approval(a.id, a.run, a.step, a.checkpoint, a.title, a.approver, a.outcome,
          a.amount, a.requestedAt, a.decidedAt, a.agent, h);
      approvalValues.put(a.id, v);
      if (keep(filter, a.agent, h, st.providerOf(a.run), a.requestedAt)) {
        approvalList.add(v);
      }
    }

    List<Inventory.PaidStep> paidSteps = new ArrayList<>();
    for (AuditRecord r : paid) {
      RunId run = Objects.requireNonNull(r.run());
      StepId step = Objects.requireNonNull(r.step());
      Inventory.Human h = st.humanOf(r);
      String provider = st.providerOf(run);
      if (!keep(filter, r.agent(), h, provider, r.time())) {
        continue;
      }
      List<Inventory.Approval> behind = new ArrayList<>();
      for (ApprovalFacts a : approvals.values()) {
        if (!Objects.equals(run, a.run)) {
          continue;
        }
        boolean inStep = Objects.equals(step, a.step);
        boolean inPlan = "PLAN_APPROVAL".equals(a.checkpoint) && a.details.containsKey(step.value());
        if (inStep || inPlan) {
          behind.add(approvalValues.get(a.id));
        }
      }
      String what = r.action().equals("domain.registered")
          ? r.details().getOrDefault("domain", "domain")
          : r.details().getOrDefault("service", "resource");
      paidSteps.add(new Inventory.PaidStep(run, step, what, provider == null ? "" : provider,
          Objects.requireNonNull(r.amount()), r.time(), Objects.requireNonNull(r.agent()), h, behind));
    }

    List<Inventory.Delegation> delegations = delegations(runs);
    Inventory.Costs costs = ledger != null
        ? ledgerCosts(ledger, st, now, zone, filter)
        : auditCosts(commits, heldByReservation.values(), st, zone, filter);
    return new Inventory(now, filter, zone, runs, values(accounts, filter), values(resources, filter),
        values(domains, filter), tokenList, apps, delegations, approvalList, paidSteps, values(refusals, filter), costs);
  }

  /** First pass: what each run is, whom it is for and how it ended, so later entries can be placed. */
  private static void readRuns(List<AuditEntry> entries, State st) {
    for (AuditEntry e : entries) {
      AuditRecord r = e.record();
      Map<String, String> d = r.details();
      if (r.action().equals("identity.attested") || r.action().equals("identity.stepped_up")) {
        Inventory.Human h = human(r);
        if (h != null && r.principal() != null) {
          st.byDisplay.put(r.principal(), h);
        }
        if (h != null && r.run() != null && st.run(r.run()).human == null) {
          st.run(r.run()).human = h;
        }
      }
      RunId id = r.run();
      if (id == null) {
        continue;
      }
      switch (r.action()) {
        case "run.started": {
          RunFacts f = st.run(id);
          f.agent = r.agent();
          f.provider = d.get("provider");
          f.plan = "null".equals(d.get("plan")) ? null : d.get("plan");
          f.app = d.get("app");
          f.startedAt = r.time();
          f.status = RunStatus.RUNNING;
          break;
        }
        case "run.resumed":
          st.run(id).status = RunStatus.RUNNING;
          st.run(id).endedAt = null;
          st.run(id).error = null;
          break;
        case "run.finished":
          st.run(id).status = RunStatus.SUCCEEDED;
          st.run(id).endedAt = r.time();
          break;
        case "run.failed":
          st.run(id).status = RunStatus.FAILED;
          st.run(id).endedAt = r.time();
          st.run(id).error = d.get("error");
          break;
        case "run.suspended":
          st.run(id).status = RunStatus.SUSPENDED;
          st.run(id).endedAt = r.time();
          st.run(id).error = d.getOrDefault("error", r.outcome());
          break;
        default:
          break;
      }
    }
  }

  /** The journal says how each run stands now; it also knows runs the log saw only in part. */
  private static void mergeJournal(RunJournal journal, State st) {
    for (RunRecord rec : journal.runs()) {
      RunFacts f = st.runs.get(rec.id());
      if (f == null) {
        f = st.run(rec.id());
        f.startedAt = rec.createdAt();
      }
      if (f.agent == null) {
        f.agent = rec.agent();
      }
      if (f.provider == null) {
        f.provider = rec.provider();
      }
      if (f.startedAt == null) {
        f.startedAt = rec.createdAt();
      }
      f.status = rec.status();
      if (rec.status() == RunStatus.FAILED || rec.status() == RunStatus.SUSPENDED) {
        f.error = rec.error();
        if (f.endedAt == null) {
          f.endedAt = rec.updatedAt();
        }
      } else if (rec.status() == RunStatus.SUCCEEDED && f.endedAt == null) {
        f.endedAt = rec.updatedAt();
      }
    }
  }

  private static List<Inventory.Delegation> delegations(List<Inventory.Run> runs) {
    Map<String, Inventory.Delegation> out = new LinkedHashMap<>();
    for (Inventory.Run r : runs) {
      String key = r.agent().value() + "\n" + (r.human() == null ? "" : r.human().subject() + "\n" + r.human().issuer());
      Inventory.Delegation d = out.get(key);
      if (d == null) {
        out.put(key, new Inventory.Delegation(r.agent(), r.human(), 1, r.startedAt(), r.startedAt()));
      } else {
        out.put(key, new Inventory.Delegation(d.agent(), d.human(), d.runs() + 1, d.firstAt(),
            r.startedAt().isAfter(d.lastAt()) ? r.startedAt() : d.lastAt()));
      }
    }
    return new ArrayList<>(out.values());
  }

  private static Inventory.Costs ledgerCosts(SpendLedger ledger, State st, Instant now, ZoneId zone, ReportFilter f) {
    Instant from = f.from() != null ? f.from() : Instant.EPOCH;
    Instant to = f.to() != null ? f.to() : FAR_FUTURE;
    Sums sums = new Sums();
    for (Reservation r : ledger.reservations(f.agent(), null, from, to)) {
      if (!f.matchesProvider(r.provider())) {
        continue;
      }
      if (f.human() != null) {
        RunFacts facts = r.run() == null ? null : st.runs.get(r.run());
        if (facts == null || !f.matchesHuman(facts.human)) {
          continue;
        }
      }
      if (r.status() == Reservation.Status.COMMITTED && r.committed() != null) {
        sums.commit(r.committed(), YearMonth.from(r.createdAt().atZone(zone)));
      } else if (r.held() && r.counted(now).isPositive()) { // reserved, or uncertain (held until reconciled)
        sums.held.merge(r.amount().currencyCode(), r.amount(), Money::plus);
      }
    }
    return sums.costs("ledger");
  }

  private static Inventory.Costs auditCosts(List<AuditRecord> commits, java.util.Collection<AuditRecord> held, State st,
      ZoneId zone, ReportFilter f) {
    Sums sums = new Sums();
    for (AuditRecord r : commits) {
      if (keep(f, r.agent(), st.humanOf(r), st.providerOf(r.run()), r.time())) {
        sums.commit(Objects.requireNonNull(r.amount()), YearMonth.from(r.time().atZone(zone)));
      }
    }
    for (AuditRecord r : held) {
      String provider = r.details().get("provider") != null ? r.details().get("provider") : st.providerOf(r.run());
      if (keep(f, r.agent(), st.humanOf(r), provider, r.time())) {
        Money m = Objects.requireNonNull(r.amount());
        sums.held.merge(m.currencyCode(), m, Money::plus);
      }
    }
    return sums.costs("audit");
  }

  /** Totals per currency, and per month and currency. */
  private static final class Sums {
    final Map<String, Money> toDate = new TreeMap<>();
    final Map<String, Money> held = new TreeMap<>();
    final TreeMap<YearMonth, Map<String, Money>> byMonth = new TreeMap<>();

    void commit(Money m, YearMonth month) {
      toDate.merge(m.currencyCode(), m, Money::plus);
      byMonth.computeIfAbsent(month, k -> new TreeMap<>()).merge(m.currencyCode(), m, Money::plus);
    }

    Inventory.Costs costs(String source) {
      List<Inventory.MonthlyCost> months = new ArrayList<>();
      byMonth.forEach((month, perCurrency) -> perCurrency.values().forEach(m -> months.add(new Inventory.MonthlyCost(month, m))));
      return new Inventory.Costs(new ArrayList<>(toDate.values()), new ArrayList<>(held.values()), months, source);
    }
  }

  private static boolean keep(ReportFilter f, @Nullable AgentId agent, Inventory.@Nullable Human human,
      @Nullable String provider, Instant at) {
    return f.matchesAgent(agent) && f.matchesHuman(human) && f.matchesProvider(provider) && f.matchesTime(at);
  }

  private static <T> List<T> values(List<Item<T>> items, ReportFilter f) {
    List<T> out = new ArrayList<>();
    for (Item<T> i : items) {
      if (keep(f, i.agent(), i.human(), i.provider(), i.at())) {
        out.add(i.value());
      }
    }
    return out;
  }

  /** The human of an identity entry: its details name subject, e-mail and issuer; older logs only the display. */
  private static Inventory.@Nullable Human human(AuditRecord r) {
    Map<String, String> d = r.details();
    String subject = d.get("subject");
    if (subject != null) {
      String email = d.get("email");
      return new Inventory.Human(subject, email == null || email.equals("null") ? null : email, d.get("issuer"));
    }
    return r.principal() == null ? null : parseDisplay(r.principal());
  }

  /** Reads {@code subject <email> @issuer}; a display that does not parse is taken whole as the subject. */
  static Inventory.Human parseDisplay(String display) {
    Matcher m = DISPLAY.matcher(display);
    if (m.matches()) {
      return new Inventory.Human(m.group(1), m.group(2), m.group(3));
    }
    return new Inventory.Human(display, null, null);
  }

  private static ProviderAccount.@Nullable LinkAction linkAction(@Nullable String s) {
    if (s == null) {
      return null;
    }
    try {
      return ProviderAccount.LinkAction.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null; // a newer engine's link kind: shown as unknown rather than guessed
    }
  }

  private static List<String> list(@Nullable String csv) {
    if (csv == null || csv.isBlank()) {
      return List.of();
    }
    return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static @Nullable Instant instant(@Nullable String s) {
    if (s == null || s.isBlank() || s.equals("null")) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static int parseInt(@Nullable String s) {
    if (s == null) {
      return 0;
    }
    try {
      return Math.max(0, Integer.parseInt(s.trim()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static @Nullable Integer parseStatus(@Nullable String s) {
    if (s == null) {
      return null;
    }
    try {
      int v = Integer.parseInt(s.trim());
      return v == 0 ? null : v;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
