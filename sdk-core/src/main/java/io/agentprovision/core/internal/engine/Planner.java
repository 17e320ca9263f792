package io.agentprovision.core.internal.engine;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.PlannedStep.Verdict;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.CatalogCache;
import io.agentprovision.core.internal.spend.LimitMath;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.spi.Deployer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Turns a request into a {@link RunPlan}: reads the catalog, has the flow make the step graph,
 * prices every paid step, judges each against the spend policy (counting earlier steps of the same
 * plan), and lists the checkpoints. Reads only: the catalog and the ledger's usage.
 */
final class Planner {
  private final EngineConfig config;
  private final Flow flow;
  private final CatalogCache<Catalog> catalogs;

  Planner(EngineConfig config, Flow flow) {
    this.config = config;
    this.flow = flow;
    this.catalogs = CatalogCache.of(config.catalogTtl(), config.clock());
  }

  Deployer deployer(String provider) {
    Deployer d = config.deployers().get(provider);
    if (d == null) {
      throw new InvalidRequestException("provider", "no deployer is configured for '" + provider + "' (configured: "
          + config.deployers().keySet() + ") to deploy the app", "add one with AgentProvisioner.builder().deployer(...), "
          + "or leave the app out to provision services only");
    }
    return d;
  }

  /**
   * The provider's catalog: read through the orchestrator at most once per catalog TTL
   * ({@code AgentProvisioner.Builder.catalogTtl}), and again after a run at that provider failed.
   */
  Catalog catalog(String provider) {
    return catalogs.get(provider, this::read);
  }

  /** Drops the provider's catalog, so the next plan reads it again (after a run there failed). */
  void invalidate(String provider) {
    catalogs.invalidate(provider);
  }

  private Catalog read(String provider) {
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

  RunPlan plan(ProvisionRequest req, RunId run) {
    if (req.hasApp()) {
      deployer(req.provider()); // an app needs a deployer: refused here, before the catalog is read
    }
    return plan(req, run, catalog(req.provider()));
  }

  /**
   * The plan {@code given} should be now: its request and catalog, with the steps, prices, verdicts
   * and checkpoints derived again from this engine's flow, the spend policy in force and the ledger.
   * What {@code execute} runs, so that nothing a plan object carries (a graph without the plan
   * approval, verdicts judged under a policy since tightened) is taken on trust.
   */
  RunPlan rederive(RunPlan given) {
    return plan(given.request(), given.runId(), given.catalog());
  }

  private RunPlan plan(ProvisionRequest req, RunId run, Catalog catalog) {
    @Nullable Deployer deployer = req.hasApp() ? deployer(req.provider()) : null;
    return plan(req, run, flow, catalog, deployer);
  }

  /**
   * The plan of a run whose graph {@code runFlow} makes from {@code req} and a catalog already read
   * (a change to an existing deployment reads it first, to know what the change touches).
   */
  RunPlan plan(ProvisionRequest req, RunId run, Flow runFlow, Catalog catalog, @Nullable Deployer deployer) {
    SpendPolicy policy = config.spendPolicy();
    Instant now = config.clock().instant();
    StepGraph graph = runFlow.graph(new Flow.Inputs(req, catalog, deployer, config.domainService(), policy,
        config.domainNames()));

    Budget budget = new Budget(policy, req, now);
    Counts counts = new Counts(policy, req, now);
    List<PlannedStep> judged = new ArrayList<>();
    for (Step<?> s : graph.steps()) {
      PlannedStep p = judge(s, budget, catalog);
      VelocityLimitException tooMany = counts.admit(s.velocity());
      if (tooMany != null && p.verdict() != Verdict.DENIED) {
        p = p.toBuilder().verdict(Verdict.DENIED).verdictDetail(tooMany.getMessage()).build();
      }
      judged.add(p);
    }
    // a step's own checkpoints may depend on how the others were judged (the plan approval does)
    List<PlannedStep> steps = new ArrayList<>();
    Set<CheckpointKind> needMfa = new TreeSet<>();
    for (int i = 0; i < judged.size(); i++) {
      List<CheckpointKind> own = graph.steps().get(i).approvals(judged);
      PlannedStep p = judged.get(i);
      List<CheckpointKind> all = new ArrayList<>(p.approvals());
      for (CheckpointKind k : own) {
        if (policy.requiresMfa(k) && !all.contains(CheckpointKind.STEP_UP)) {
          all.add(CheckpointKind.STEP_UP); // the step-up comes before the checkpoint the policy lists
        }
        all.add(k);
      }
      if (!own.isEmpty()) {
        p = p.toBuilder().approvals(all).build();
      }
      for (CheckpointKind k : all) {
        if (policy.requiresMfa(k)) {
          needMfa.add(k);
        }
      }
      Step.Price price = graph.steps().get(i).price();
      if (price != null && price.paid() && policy.requiresMfa(price.checkpoint())) {
        needMfa.add(price.checkpoint());
      }
      steps.add(p);
    }
    if (!needMfa.isEmpty()) {
      // refused now, with the fix, rather than at the paid step after an account was made
      StepUp.requireSupport(config.identity(), needMfa, ", which this run may meet");
    }
    return new RunPlan(run, req, catalog, graph, steps, now);
  }

  /** The step as the plan shows it: its price and the spend policy's verdict. */
  private static PlannedStep judge(Step<?> s, Budget budget, Catalog catalog) {
    PlannedStep.Builder b = PlannedStep.builder(s.id(), s.kind(), s.description()).dependsOn(s.dependsOn());
    Step.Price price = s.price();
    if (price == null) {
      return b.build();
    }
    b.serviceId(price.serviceId());
    if (!price.paid()) {
      return b.build();
    }
    SpendPolicy policy = budget.policy;
    List<CheckpointKind> approvals = new ArrayList<>();
    if (policy.requiresMfa(price.checkpoint())) {
      approvals.add(CheckpointKind.STEP_UP);
    }
    Money quote = price.quote();
    b.priceFinal(price.priceFinal());
    if (quote == null) {
      if (price.priceFinal()) {
        throw new InvalidRequestException("plan", "the catalog lists no price for paid service '" + price.serviceId()
            + "'" + catalog.service(price.serviceId()).map(o -> " (" + o.pricing().describe() + ")").orElse(""),
            "choose a service with a listed price; the SDK reserves the price before paying");
      }
      approvals.add(price.checkpoint());
      return b.verdict(Verdict.NEEDS_APPROVAL).verdictDetail("price known once a name is chosen").approvals(approvals)
          .build();
    }
    b.quote(quote);
    PolicyViolationException denial = budget.admit(quote);
    if (denial != null) {
      return b.verdict(Verdict.DENIED).verdictDetail(denial.getMessage()).approvals(approvals).build();
    }
    if (policy.requiresApproval(quote)) {
      approvals.add(price.checkpoint());
      return b.verdict(Verdict.NEEDS_APPROVAL).verdictDetail("above the approval threshold of "
          + policy.approvalThreshold()).approvals(approvals).build();
    }
    return b.verdict(Verdict.ALLOWED).approvals(approvals).build();
  }

  /**
   * Why executing {@code plan} would be refused by the spend policy as it stands now, or null when
   * nothing refuses any more: the plan's paid steps judged again, in order, by the same rule.
   */
  @Nullable PolicyViolationException violation(RunPlan plan) {
    Budget budget = new Budget(config.spendPolicy(), plan.request(), config.clock().instant());
    for (PlannedStep s : plan.steps()) {
      Money quote = s.quote();
      if (s.paid() && quote != null) {
        PolicyViolationException refused = budget.admit(quote);
        if (refused != null) {
          return refused;
        }
      }
    }
    return null;
  }

  /**
   * Why executing {@code plan} would be refused by a velocity limit as things stand now, or null:
   * what each step creates counted again, in order, against the store's counts. Accounts are not
   * judged here (whether one is created or linked is known only when it happens), nor limits per
   * person (the person is known once the identity step has run); the steps count those.
   */
  @Nullable VelocityLimitException velocityRefusal(RunPlan plan) {
    Counts counts = new Counts(config.spendPolicy(), plan.request(), config.clock().instant());
    for (Step<?> s : plan.graph().steps()) {
      VelocityLimitException tooMany = counts.admit(s.velocity());
      if (tooMany != null) {
        return tooMany;
      }
    }
    return null;
  }

  /** The plan's running view of each velocity limit it can judge: the store's count now plus the plan's earlier actions. */
  private final class Counts {
    final SpendPolicy policy;
    final ProvisionRequest req;
    final Instant now;
    final Map<VelocityLimit, Integer> used = new HashMap<>();

    Counts(SpendPolicy policy, ProvisionRequest req, Instant now) {
      this.policy = policy;
      this.req = req;
      this.now = now;
    }

    @Nullable VelocityLimitException admit(@Nullable VelocityAction action) {
      if (action == null || action == VelocityAction.CREATE_ACCOUNT) {
        return null;
      }
      for (VelocityLimit limit : policy.velocityLimitsFor(action)) {
        String bucket = limit.bucket(req.agent(), null);
        if (bucket == null) {
          continue; // per person: judged when the person is known
        }
        int before = used.computeIfAbsent(limit, l -> config.velocity().count(l, req.agent(), null, now));
        if (before + 1 > limit.max()) {
          return new VelocityLimitException(action, limit.key(), bucket, before, limit.max(), null);
        }
        used.put(limit, before + 1);
      }
      return null;
    }
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
