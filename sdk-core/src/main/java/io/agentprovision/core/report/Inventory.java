package io.agentprovision.core.report;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.internal.report.CsvRenderer;
import io.agentprovision.core.internal.report.HtmlRenderer;
import io.agentprovision.core.internal.report.JsonRenderer;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.orchestration.ProviderAccount;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link GovernanceReport} found: every run, provider account, resource, domain, deploy
 * token and deployed app, which agent acted for which human, every approval and who gave it, the
 * approvals behind each paid step, refusals by the spend policy, and the money spent. Holds no
 * secret: tokens appear by id only. Lists are in the order things happened.
 *
 * <p>{@link #toJson()}, {@link #toCsv()} and {@link #toHtml()} render it; {@code docs/operations.md}
 * describes each shape.
 *
 * @param generatedAt when the report was made
 * @param filter what it was limited to
 * @param zone the time zone of calendar months (the spend policy's)
 * @param runs every run
 * @param accounts every provider account created or linked
 * @param resources every resource provisioned (plans, deployables, the domain's registrar resource)
 * @param domains every domain registered
 * @param tokens every deploy token issued
 * @param apps where code runs
 * @param delegations which agent acted for which human
 * @param approvals every human checkpoint put to the approval gate, with its decision
 * @param paidSteps every step that charged money, with the approvals behind it
 * @param refusals every spend the policy refused
 * @param costs the money spent and held
 */
public record Inventory(Instant generatedAt, ReportFilter filter, ZoneId zone, List<Run> runs, List<Account> accounts,
    List<Resource> resources, List<Domain> domains, List<Token> tokens, List<App> apps, List<Delegation> delegations,
    List<Approval> approvals, List<PaidStep> paidSteps, List<Refusal> refusals, Costs costs) {
  /** The version of the JSON shape; it changes only when a field is removed or changes meaning. */
  public static final String SCHEMA = "agentprovision.inventory/1";

  public Inventory {
    Objects.requireNonNull(generatedAt, "generatedAt");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(zone, "zone");
    runs = List.copyOf(runs);
    accounts = List.copyOf(accounts);
    resources = List.copyOf(resources);
    domains = List.copyOf(domains);
    tokens = List.copyOf(tokens);
    apps = List.copyOf(apps);
    delegations = List.copyOf(delegations);
    approvals = List.copyOf(approvals);
    paidSteps = List.copyOf(paidSteps);
    refusals = List.copyOf(refusals);
    Objects.requireNonNull(costs, "costs");
  }

  /** The report as one JSON object of schema {@link #SCHEMA}, indented, every key always present. */
  public String toJson() {
    return JsonRenderer.render(this);
  }

  /**
   * The report as one CSV table (RFC 4180: comma-separated, CRLF line ends, quoted where needed),
   * one row per item with a {@code kind} column. A value that a spreadsheet would take for a
   * formula (starting with {@code = + - @}, a tab or a carriage return) is prefixed with {@code '}.
   */
  public String toCsv() {
    return CsvRenderer.render(this);
  }

  /**
   * The report as one self-contained HTML page: inline CSS, no scripts, no external assets, a
   * content security policy that forbids both, and every value escaped.
   */
  public String toHtml() {
    return HtmlRenderer.render(this);
  }

  /**
   * A human as the identity provider attested them.
   *
   * @param subject the issuer's stable identifier for them
   * @param email their e-mail, when known
   * @param issuer who attested them, when known
   */
  public record Human(String subject, @Nullable String email, @Nullable String issuer) {
    public Human {
      Objects.requireNonNull(subject, "subject");
    }

    /** {@code subject <email>}, or the subject alone. */
    public String display() {
      return subject + (email != null ? " <" + email + ">" : "");
    }
  }

  /**
   * A run: one agent's request, for one human, at one provider.
   *
   * @param id the run
   * @param agent the acting agent
   * @param human for whom, once attested
   * @param provider the provider
   * @param status where it stands (from the journal when it has the run, else from the audit log)
   * @param plan the plan asked for, if any
   * @param app the app deployed
   * @param startedAt when it started
   * @param endedAt when it finished, failed or was suspended, if it did
   * @param error why it failed, if it did
   */
  public record Run(RunId id, AgentId agent, @Nullable Human human, String provider, RunStatus status,
      @Nullable String plan, @Nullable String app, Instant startedAt, @Nullable Instant endedAt, @Nullable String error) {
    public Run {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(agent, "agent");
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(startedAt, "startedAt");
    }
  }

  /**
   * A provider account the SDK created or linked.
   *
   * @param provider the provider
   * @param accountId the provider's id of the account
   * @param link created for the human, or their existing account linked (null when the log names neither)
   * @param human whose account it is
   * @param agent the agent that created or linked it
   * @param run the run that did
   * @param at when
   */
  public record Account(String provider, String accountId, ProviderAccount.@Nullable LinkAction link,
      @Nullable Human human, AgentId agent, RunId run, Instant at) {
    public Account {
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(accountId, "accountId");
      Objects.requireNonNull(agent, "agent");
      Objects.requireNonNull(run, "run");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * A resource provisioned at a provider.
   *
   * @param provider the provider
   * @param serviceId the catalog service, such as {@code "workers:paid"}
   * @param resourceId the provider's id of the resource
   * @param run the run that provisioned it
   * @param agent the agent
   * @param human for whom
   * @param cost what it was charged, when it was paid
   * @param provisionedAt when
   * @param removedAt when a failed run removed it again, if it did
   */
  public record Resource(String provider, String serviceId, String resourceId, RunId run, AgentId agent,
      @Nullable Human human, @Nullable Money cost, Instant provisionedAt, @Nullable Instant removedAt) {
    public Resource {
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(serviceId, "serviceId");
      Objects.requireNonNull(resourceId, "resourceId");
      Objects.requireNonNull(run, "run");
      Objects.requireNonNull(agent, "agent");
      Objects.requireNonNull(provisionedAt, "provisionedAt");
    }
  }

  /**
   * A registered domain. A registration is not refundable: the domain stays registered until
   * {@code expiresAt} even when its run failed and everything else was undone.
   *
   * @param name the domain
   * @param provider the registrar
   * @param resourceId the registrar resource
   * @param price what it was charged, when known
   * @param registeredAt when
   * @param years for how many years (0 when the log does not say)
   * @param autoRenew whether it renews at expiry
   * @param expiresAt when the registration ends, when the number of years is known
   * @param run the run that registered it
   * @param agent the agent
   * @param human for whom
   */
  public record Domain(String name, String provider, @Nullable String resourceId, @Nullable Money price,
      Instant registeredAt, int years, boolean autoRenew, @Nullable Instant expiresAt, RunId run, AgentId agent,
      @Nullable Human human) {
    public Domain {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(registeredAt, "registeredAt");
      Objects.requireNonNull(run, "run");
      Objects.requireNonNull(agent, "agent");
    }
  }

  /**
   * A deploy token the SDK minted, by id (its value stays in the vault).
   *
   * @param tokenId the provider's id of the token
   * @param provider the provider
   * @param permissions what it may do
   * @param allowedIps the addresses it may be used from (empty: anywhere, or not recorded)
   * @param expiresAt when it expires, if it does
   * @param status where it stands now
   * @param issuedAt when it was minted
   * @param rotatedAt when its value was last rolled (same id, new value), if ever
   * @param endedAt when it was replaced by another token or revoked, if it was
   * @param replaces the token it replaced by rotation, if any
   * @param replacedBy the token that replaced it, if rotated
   * @param run the run it was minted for
   * @param agent the agent
   * @param human for whom
   */
  public record Token(String tokenId, String provider, List<String> permissions, List<String> allowedIps,
      @Nullable Instant expiresAt, TokenStatus status, Instant issuedAt, @Nullable Instant rotatedAt, @Nullable Instant endedAt,
      @Nullable String replaces, @Nullable String replacedBy, RunId run, AgentId agent, @Nullable Human human) {
    public Token {
      Objects.requireNonNull(tokenId, "tokenId");
      Objects.requireNonNull(provider, "provider");
      permissions = List.copyOf(permissions);
      allowedIps = List.copyOf(allowedIps);
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(issuedAt, "issuedAt");
      Objects.requireNonNull(run, "run");
      Objects.requireNonNull(agent, "agent");
    }
  }

  /** Where a deploy token stands. */
  public enum TokenStatus {
    /** Usable until it expires. */
    ACTIVE,
    /** Its expiry has passed. */
    EXPIRED,
    /** Replaced by rotation; see {@link Token#replacedBy()}. */
    ROTATED,
    /** Deleted when its run failed, or revoked on demand ({@code AgentProvisioner.revokeCredentials}). */
    REVOKED
  }

  /**
   * Where code runs.
   *
   * @param url the app's address (its custom domain when bound)
   * @param providerUrl the provider's own address for it, when recorded
   * @param script the deployed script
   * @param provider the provider
   * @param status whether it was seen answering
   * @param httpStatus the status it answered the check with, when checked
   * @param deployedAt when it was deployed
   * @param verifiedAt when it was checked, if it was
   * @param run the run that deployed it
   * @param agent the agent
   * @param human for whom
   */
  public record App(String url, @Nullable String providerUrl, String script, String provider, AppStatus status,
      @Nullable Integer httpStatus, Instant deployedAt, @Nullable Instant verifiedAt, RunId run, AgentId agent,
      @Nullable Human human) {
    public App {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(script, "script");
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(deployedAt, "deployedAt");
      Objects.requireNonNull(run, "run");
      Objects.requireNonNull(agent, "agent");
    }
  }

  /** Whether a deployed app was seen answering. */
  public enum AppStatus {
    /** It answered at its URL. */
    VERIFIED,
    /** Deployed, but not seen answering (not checked, or not run where the SDK could check). */
    NOT_VERIFIED,
    /** Deleted again when its run failed. */
    UNDEPLOYED
  }

  /**
   * An agent acting for a human.
   *
   * @param agent the agent
   * @param human the human (null for runs that never attested one)
   * @param runs how many runs
   * @param firstAt the first run's start
   * @param lastAt the last run's start
   */
  public record Delegation(AgentId agent, @Nullable Human human, int runs, Instant firstAt, Instant lastAt) {
    public Delegation {
      Objects.requireNonNull(agent, "agent");
      Objects.requireNonNull(firstAt, "firstAt");
      Objects.requireNonNull(lastAt, "lastAt");
    }
  }

  /**
   * A human checkpoint and its decision.
   *
   * @param approvalId the approval request's id
   * @param run the run, when part of one
   * @param step the step, when part of one
   * @param checkpoint the checkpoint's kind, such as {@code "PLAN_APPROVAL"} or {@code "DOMAIN_PURCHASE"}
   * @param title what the human was asked
   * @param approver who decided, when someone did
   * @param outcome {@code "approved"}, {@code "denied"}, {@code "timed_out"}, {@code "error"}, or
   *     {@code "pending"} while undecided
   * @param amount the money at stake, when any
   * @param requestedAt when it was asked
   * @param decidedAt when it was decided, if it was
   * @param agent the asking agent
   * @param human on whose behalf
   */
  public record Approval(String approvalId, @Nullable RunId run, @Nullable StepId step, String checkpoint, String title,
      @Nullable String approver, String outcome, @Nullable Money amount, Instant requestedAt, @Nullable Instant decidedAt,
      @Nullable AgentId agent, @Nullable Human human) {
    public Approval {
      Objects.requireNonNull(approvalId, "approvalId");
      Objects.requireNonNull(checkpoint, "checkpoint");
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(requestedAt, "requestedAt");
    }

    /** Whether it was approved. */
    public boolean approved() {
      return "approved".equals(outcome);
    }
  }

  /**
   * A step that charged money, and the approvals behind it: the checkpoints asked in the step
   * itself, and the run's plan approval when it listed the step. Empty when the policy let it
   * through without a human (under its approval threshold).
   *
   * @param run the run
   * @param step the step
   * @param what the service bought, or the domain registered
   * @param provider the provider
   * @param amount what was charged
   * @param at when
   * @param agent the agent
   * @param human for whom
   * @param approvals the approvals behind it
   */
  public record PaidStep(RunId run, StepId step, String what, String provider, Money amount, Instant at, AgentId agent,
      @Nullable Human human, List<Approval> approvals) {
    public PaidStep {
      Objects.requireNonNull(run, "run");
      Objects.requireNonNull(step, "step");
      Objects.requireNonNull(what, "what");
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(amount, "amount");
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(agent, "agent");
      approvals = List.copyOf(approvals);
    }
  }

  /**
   * A spend the policy refused; nothing was reserved or charged for it.
   *
   * @param at when
   * @param run the run
   * @param step the step, or null when the whole run was refused before it started
   * @param agent the agent
   * @param human for whom, when known
   * @param provider the provider, when known
   * @param limit the key of the limit that refused
   * @param requested the amount asked for
   * @param reason why, as the policy put it
   */
  public record Refusal(Instant at, @Nullable RunId run, @Nullable StepId step, @Nullable AgentId agent,
      @Nullable Human human, @Nullable String provider, String limit, @Nullable Money requested, String reason) {
    public Refusal {
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(limit, "limit");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * Money spent and held, per currency.
   *
   * @param toDate everything committed (charged), one amount per currency
   * @param held reserved before a paid call and not yet settled (including money held as uncertain,
   *     which a provider may have charged, until it is reconciled), one amount per currency
   * @param byMonth committed per calendar month (in the report's zone) and currency, oldest first
   * @param source {@code "ledger"} when read from the spend ledger, {@code "audit"} when the report
   *     had no ledger and summed the audit log's commits
   */
  public record Costs(List<Money> toDate, List<Money> held, List<MonthlyCost> byMonth, String source) {
    public Costs {
      toDate = List.copyOf(toDate);
      held = List.copyOf(held);
      byMonth = List.copyOf(byMonth);
      Objects.requireNonNull(source, "source");
    }
  }

  /**
   * Money committed in one calendar month, in one currency.
   *
   * @param month the month
   * @param amount what was committed
   */
  public record MonthlyCost(YearMonth month, Money amount) {
    public MonthlyCost {
      Objects.requireNonNull(month, "month");
      Objects.requireNonNull(amount, "amount");
    }
  }
}
