package io.agentprovision.core.internal.engine;

import io.agentprovision.core.DomainNames;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.PlannedStep.Verdict;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.internal.spend.LimitMath;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.Deployer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Turns a request into a {@link ProvisionPlan}: resolves the catalog, prices every paid step,
 * judges each against the spend policy (counting earlier steps of the same plan), and lists the
 * checkpoints. Reads only: the catalog and the ledger's usage.
 */
final class Planner {
  private final EngineConfig config;

  Planner(EngineConfig config) {
    this.config = config;
  }

  Deployer deployer(String provider) {
    Deployer d = config.deployers().get(provider);
    if (d == null) {
      throw new InvalidRequestException("provider", "no deployer is configured for '" + provider + "' (configured: "
          + config.deployers().keySet() + ")", "add one with AgentProvisioner.builder().deployer(...)");
    }
    return d;
  }

  Catalog catalog(String provider) {
    Catalog c;
    try {
      c = config.orchestrator().catalog(provider);
    } catch (ProviderException e) {
      if (e.status() == 404) {
        throw new InvalidRequestException("provider", "'" + provider + "' is not known to orchestrator "
            + config.orchestrator().name(), "use a provider from the orchestrator's catalog, such as \"cloudflare\"");
      }
      throw e;
    }
    if (c.services().isEmpty()) {
      throw new InvalidRequestException("provider", "'" + provider + "' offers no services through orchestrator "
          + config.orchestrator().name(), "use a provider from the orchestrator's catalog, such as \"cloudflare\"");
    }
    return c;
  }

  ProvisionPlan plan(ProvisionRequest req, RunId run) {
    Deployer deployer = deployer(req.provider());
    Catalog catalog = catalog(req.provider());
    SpendPolicy policy = config.policy().get();
    Instant now = config.clock().instant();
    List<String> notes = new ArrayList<>();

    ServiceOffering planSvc = null;
    if (req.plan() != null) {
      planSvc = catalog.service(req.plan()).orElseThrow(() -> new InvalidRequestException("plan", "'" + req.plan()
          + "' is not in " + req.provider() + "'s catalog", "use one of " + ids(catalog, true)));
      if (!planSvc.isPlan()) {
        throw new InvalidRequestException("plan", "'" + req.plan() + "' is a " + planSvc.kind() + ", not a plan",
            "use one of " + ids(catalog, true));
      }
    }
    ServiceOffering deployable = catalog.service(deployer.deployableService()).orElseThrow(() ->
        new InvalidRequestException("provider", req.provider() + "'s catalog has no '" + deployer.deployableService()
            + "' service for the deployer", "check that the orchestrator lists " + deployer.deployableService()));
    ServiceOffering domainSvc = null;
    if (req.domain() != null) {
      domainSvc = catalog.service(config.domainService()).orElseThrow(() -> new InvalidRequestException("domain",
          req.provider() + "'s catalog has no '" + config.domainService() + "' service",
          "drop .domain(...) or use a provider that sells domains"));
    }
    // the host's domain rules, before anything is bought: a look-alike is refused here, or marked for a person
    DomainNames.Lookalike lookalike = req.domain() == null ? null
        : config.domainNames().vet(req.domain().isExact() ? "domain" : "domain query", req.domain().text()).orElse(null);

    Budget budget = new Budget(policy, req, now);
    List<PlannedStep> steps = new ArrayList<>();
    boolean anyPaid = (planSvc != null && planSvc.pricing().isPaid()) || deployable.pricing().isPaid() || domainSvc != null;

    steps.add(step(StepIds.IDENTITY, StepKind.IDENTITY, "establish the human principal", List.of(), List.of()));
    PlannedStep planStep = null;
    if (planSvc != null) {
      planStep = paid(StepIds.PLAN, StepKind.PLAN, "subscribe to plan " + planSvc.id()
              + (planSvc.pricing().description() != null ? " (" + planSvc.pricing().description() + ")" : ""),
          List.of(anyPaid ? StepIds.PAYMENT : StepIds.ACCOUNT), planSvc, CheckpointKind.PAID_PLAN,
          planSvc.pricing().minimum(), true, budget);
    }
    PlannedStep resourceStep = paid(StepIds.RESOURCE, StepKind.RESOURCE, "provision " + deployable.id(),
        List.of(planStep != null ? StepIds.PLAN : anyPaid ? StepIds.PAYMENT : StepIds.ACCOUNT), deployable,
        CheckpointKind.PAID_RESOURCE, deployable.pricing().minimum(), true, budget);
    PlannedStep domainStep = null;
    if (domainSvc != null) {
      Money quote = req.domain().maxPrice() != null ? req.domain().maxPrice() : domainSvc.pricing().minimum();
      domainStep = paid(StepIds.DOMAIN, StepKind.DOMAIN, (req.domain().isExact() ? "register " : "find and register a "
          + "domain like ") + req.domain().display() + " for " + req.domain().years() + " year(s)",
          // a registration cannot be undone: buy it only once the plan, which can be, has gone through
          List.of(planStep != null ? StepIds.PLAN : StepIds.PAYMENT), domainSvc, CheckpointKind.DOMAIN_PURCHASE, quote,
          false, budget);
      notes.add("the domain's price is known once a name is chosen; it is checked against the policy and, above "
          + policy.approvalThreshold() + ", confirmed by a human at that price. Registrations are not refundable.");
      if (lookalike != null) {
        List<CheckpointKind> asks = new ArrayList<>(domainStep.approvals());
        asks.add(CheckpointKind.LOOKALIKE_DOMAIN);
        domainStep = new PlannedStep(domainStep.id(), domainStep.kind(), domainStep.description(), domainStep.dependsOn(),
            domainStep.serviceId(), domainStep.quote(), domainStep.priceFinal(), domainStep.verdict(),
            domainStep.verdictDetail(), asks);
        notes.add("the domain " + lookalike.display() + " looks like " + (lookalike.resembles() != null
            ? lookalike.resembles() : "another name") + " (" + lookalike.detail() + "); a person confirms it before it "
            + "is bought");
      }
    }

    // the plan is approved for the prices known now; a price known only later is approved when it is
    boolean planApproval = false;
    for (PlannedStep s : java.util.Arrays.asList(planStep, resourceStep, domainStep)) {
      planApproval |= s != null && s.verdict() == Verdict.NEEDS_APPROVAL && s.quote() != null;
    }
    steps.add(step(StepIds.APPROVAL, StepKind.PLAN_APPROVAL, "a human approves the plan and its price",
        List.of(StepIds.IDENTITY), planApproval ? List.of(CheckpointKind.PLAN_APPROVAL) : List.of()));
    List<CheckpointKind> accountApprovals = new ArrayList<>();
    if (catalog.provider().termsOfService() != null) {
      accountApprovals.add(CheckpointKind.TERMS_OF_SERVICE);
    }
    accountApprovals.add(CheckpointKind.ACCOUNT_CONSENT);
    steps.add(step(StepIds.ACCOUNT, StepKind.ACCOUNT, "accept the terms and create or link the " + req.provider()
        + " account", List.of(StepIds.APPROVAL), accountApprovals));
    if (anyPaid) {
      steps.add(step(StepIds.PAYMENT, StepKind.PAYMENT_METHOD, "make sure a payment method is on file",
          List.of(StepIds.ACCOUNT), List.of(CheckpointKind.PAYMENT_METHOD)));
    }
    if (planStep != null) {
      steps.add(planStep);
    }
    steps.add(resourceStep);
    if (domainStep != null) {
      steps.add(domainStep);
    }
    List<StepId> credDeps = new ArrayList<>(List.of(StepIds.RESOURCE));
    if (domainStep != null) {
      credDeps.add(StepIds.DOMAIN);
    }
    steps.add(step(StepIds.CREDENTIALS, StepKind.CREDENTIALS, "reveal the credential, mint a least-privilege deploy token"
        + (req.token().isIpBound() ? " bound to " + req.token().allowIps() : " NOT bound to any IP address")
        + " for " + req.token().ttl(), credDeps, List.of()));
    if (!req.token().isIpBound()) {
      notes.add("the deploy token is not IP-bound: " + (req.token().anyIpAllowed()
          ? "the host allowed any address on purpose (TokenSpec.allowAnyIp())"
          : "no TokenSpec.allowIps(...) was given, so anyone holding it can use it from anywhere until it expires")
          + "; bind it with TokenSpec.allowIps(\"203.0.113.0/24\") to the addresses deploys come from");
    }
    steps.add(step(StepIds.DEPLOY, StepKind.DEPLOY, "deploy " + req.app().name()
        + (domainStep != null ? " and bind the domain" : ""), List.of(StepIds.CREDENTIALS), List.of()));
    steps.add(step(StepIds.VERIFY, StepKind.VERIFY, "check that the app answers", List.of(StepIds.DEPLOY), List.of()));
    return new ProvisionPlan(run, req, catalog, steps, now, notes);
  }

  private static String ids(Catalog c, boolean plans) {
    List<String> out = new ArrayList<>();
    for (ServiceOffering s : c.services()) {
      if (!plans || s.isPlan()) {
        out.add(s.id());
      }
    }
    return out.toString();
  }

  private static PlannedStep step(StepId id, StepKind kind, String description, List<StepId> deps,
      List<CheckpointKind> approvals) {
    return new PlannedStep(id, kind, description, deps, null, null, true, Verdict.FREE, null, approvals);
  }

  private PlannedStep paid(StepId id, StepKind kind, String description, List<StepId> deps, ServiceOffering svc,
      CheckpointKind checkpoint, @Nullable Money quote, boolean priceFinal, Budget budget) {
    if (!svc.pricing().isPaid()) {
      return new PlannedStep(id, kind, description, deps, svc.id(), null, true, Verdict.FREE, null, List.of());
    }
    SpendPolicy policy = budget.policy;
    List<CheckpointKind> approvals = new ArrayList<>();
    if (policy.requiresMfa(checkpoint)) {
      approvals.add(CheckpointKind.STEP_UP);
    }
    if (quote == null) {
      if (priceFinal) {
        throw new InvalidRequestException("plan", "the catalog lists no price for paid service '" + svc.id() + "' ("
            + svc.pricing().describe() + ")",
            "choose a service with a listed price; the SDK reserves the price before paying");
      }
      approvals.add(checkpoint);
      return new PlannedStep(id, kind, description, deps, svc.id(), null, false, Verdict.NEEDS_APPROVAL,
          "price known once a name is chosen", approvals);
    }
    PolicyViolationException denial = budget.admit(quote);
    if (denial != null) {
      return new PlannedStep(id, kind, description, deps, svc.id(), quote, priceFinal, Verdict.DENIED,
          denial.getMessage(), approvals);
    }
    if (policy.requiresApproval(quote)) {
      approvals.add(checkpoint);
      return new PlannedStep(id, kind, description, deps, svc.id(), quote, priceFinal, Verdict.NEEDS_APPROVAL,
          "above the approval threshold of " + policy.approvalThreshold(), approvals);
    }
    return new PlannedStep(id, kind, description, deps, svc.id(), quote, priceFinal, Verdict.ALLOWED, null, approvals);
  }

  /**
   * Why executing {@code plan} would be refused by the spend policy as it stands now, or null when
   * nothing refuses any more: the plan's paid steps judged again, in order, by the same rule.
   */
  @Nullable PolicyViolationException violation(ProvisionPlan plan) {
    Budget budget = new Budget(config.policy().get(), plan.request(), config.clock().instant());
    for (PlannedStep s : plan.steps()) {
      if (s.paid() && s.quote() != null) {
        PolicyViolationException refused = budget.admit(s.quote());
        if (refused != null) {
          return refused;
        }
      }
    }
    return null;
  }

  /**
   * The plan's running view of each limit: the ledger's use now plus the plan's earlier quotes,
   * judged by {@link LimitMath#refusal}, the rule the ledger itself applies when reserving.
   */
  private final class Budget {
    final SpendPolicy policy;
    final ProvisionRequest req;
    final Instant now;
    final Map<SpendLimit, LimitUsage> usage = new HashMap<>();

    Budget(SpendPolicy policy, ProvisionRequest req, Instant now) {
      this.policy = policy;
      this.req = req;
      this.now = now;
    }

    @Nullable PolicyViolationException admit(Money quote) {
      for (SpendLimit limit : policy.limitsFor(req.agent(), req.provider())) {
        LimitUsage before = usage.computeIfAbsent(limit,
            l -> config.ledger().usage(l, req.agent(), req.provider(), now, policy.zone()));
        PolicyViolationException refused = LimitMath.refusal(before, quote);
        if (refused != null) {
          return refused;
        }
        if (limit.interval() != SpendInterval.PER_TRANSACTION) {
          usage.put(limit, new LimitUsage(limit, before.bucket(), before.window(), before.used().plus(quote)));
        }
      }
      return null;
    }
  }
}
