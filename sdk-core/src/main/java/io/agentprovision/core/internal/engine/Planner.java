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
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.CatalogCache;
import io.agentprovision.core.internal.spend.LimitMath;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.policy.VelocityLimit;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.spi.Deployer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Currency;
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

    Budget budget = new Budget(policy, req, run, now);
    List<Step<?>> all = graph.steps();
    PlannedStep[] judged = new PlannedStep[all.size()];
    List<String> notes = new ArrayList<>();
    // known prices and minimums first, in graph order, each counted for the next; then every step whose
    // price is not known before buying gets what the limits still admit after all of them, so that a
    // cap never crowds out a priced step of the same plan
    for (int i = 0; i < all.size(); i++) {
      if (!capped(all.get(i).price())) {
        judged[i] = judge(all.get(i), budget, notes);
      }
    }
    for (int i = 0; i < all.size(); i++) {
      if (capped(all.get(i).price())) {
        judged[i] = judgeCapped(all.get(i), budget, notes);
      }
    }
    // then what each step creates, in graph order, against the velocity limits the plan can judge
    Counts counts = new Counts(policy, req, now);
    for (int i = 0; i < all.size(); i++) {
      VelocityLimitException tooMany = counts.admit(all.get(i).velocity());
      if (tooMany != null && judged[i].verdict() != Verdict.DENIED) {
        judged[i] = judged[i].toBuilder().verdict(Verdict.DENIED).verdictDetail(tooMany.getMessage()).build();
      }
    }
    List<PlannedStep> priced = List.of(judged);
    // a step's own checkpoints may depend on how the others were judged (the plan approval does)
    List<PlannedStep> steps = new ArrayList<>();
    Set<CheckpointKind> needMfa = new TreeSet<>();
    for (int i = 0; i < priced.size(); i++) {
      List<CheckpointKind> own = all.get(i).approvals(priced);
      PlannedStep p = priced.get(i);
      List<CheckpointKind> merged = new ArrayList<>(p.approvals());
      for (CheckpointKind k : own) {
        if (policy.requiresMfa(k) && !merged.contains(CheckpointKind.STEP_UP)) {
          merged.add(CheckpointKind.STEP_UP); // the step-up comes before the checkpoint the policy lists
        }
        merged.add(k);
      }
      if (!own.isEmpty()) {
        p = p.toBuilder().approvals(merged).build();
      }
      for (CheckpointKind k : merged) {
        if (policy.requiresMfa(k)) {
          needMfa.add(k);
        }
      }
      Step.Price price = all.get(i).price();
      if (price != null && price.paid() && policy.requiresMfa(price.checkpoint())) {
        needMfa.add(price.checkpoint());
      }
      steps.add(p);
    }
    if (!needMfa.isEmpty()) {
      // refused now, with the fix, rather than at the paid step after an account was made
      StepUp.requireSupport(config.identity(), needMfa, ", which this run may meet");
    }
    return new RunPlan(run, req, catalog, graph, steps, now, notes);
  }

  /** Whether the step's price is not known before buying, so that the plan gives it a cap. */
  private static boolean capped(Step.@Nullable Price price) {
    return price != null && price.paid() && !price.billedWithParent() && price.fixed() == null;
  }

  /** The step as the plan shows it: its known price (or minimum) and the spend policy's verdict. */
  private static PlannedStep judge(Step<?> s, Budget budget, List<String> notes) {
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
    if (price.billedWithParent()) {
      String detail = "billed with its parent plan (" + price.pricing().describe() + "): nothing is paid when it is "
          + "created";
      notes.add(price.serviceId() + ": " + detail);
      return b.verdict(Verdict.ALLOWED).verdictDetail(detail).approvals(approvals).build();
    }
    Money quote = java.util.Objects.requireNonNull(price.fixed());
    String minimum = null;
    if (price.pricing().kind() == Pricing.Kind.MINIMUM) {
      minimum = PriceTerms.minimum(price.pricing());
      notes.add(price.serviceId() + ": " + minimum + "; the minimum is what is held and paid when it is bought, and "
          + "the provider bills anything more later");
    }
    b.quote(quote).priceFinal(true);
    String prefix = minimum == null ? "" : minimum + "; ";
    PolicyViolationException denial = budget.admit(quote);
    if (denial != null) {
      return b.verdict(Verdict.DENIED).verdictDetail(prefix + denial.getMessage()).approvals(approvals).build();
    }
    if (policy.requiresApproval(quote)) {
      approvals.add(price.checkpoint());
      return b.verdict(Verdict.NEEDS_APPROVAL).verdictDetail(prefix + "above the approval threshold of "
          + policy.approvalThreshold()).approvals(approvals).build();
    }
    return b.verdict(Verdict.ALLOWED).verdictDetail(minimum).approvals(approvals).build();
  }

  /**
   * A step whose price is not known before buying (unknown, estimated, or set later by a choice):
   * the plan gives it a cap, the largest amount every limit still admits for it after the plan's
   * priced steps, and no more than the request's maximum for it. The step reserves the cap, pays
   * with a payment token capped at it, and commits what was actually charged. Never a price of zero.
   */
  private PlannedStep judgeCapped(Step<?> s, Budget budget, List<String> notes) {
    Step.Price price = java.util.Objects.requireNonNull(s.price());
    SpendPolicy policy = budget.policy;
    PlannedStep.Builder b = PlannedStep.builder(s.id(), s.kind(), s.description()).dependsOn(s.dependsOn())
        .serviceId(price.serviceId()).priceFinal(false);
    List<CheckpointKind> approvals = new ArrayList<>();
    if (policy.requiresMfa(price.checkpoint())) {
      approvals.add(CheckpointKind.STEP_UP);
    }
    String why = price.pricedByChoice() ? "price known once a name is chosen"
        : PriceTerms.unknownBeforeBuying(price.pricing());
    Money maximum = price.maximum();
    Currency currency = maximum != null ? maximum.currency() : budget.currency(price.pricing());
    Headroom room = budget.headroom(currency);
    if (room.refusal() != null) {
      return b.quote(Money.zero(currency)).verdict(Verdict.DENIED).verdictDetail(why + "; "
          + room.refusal().getMessage()).approvals(approvals).build();
    }
    Money remaining = room.remaining();
    if (remaining == null && maximum == null) {
      throw new InvalidRequestException("spendPolicy", "nothing bounds what " + price.serviceId() + " may cost ("
          + why + "): the policy sets no limit for agent " + budget.req.agent() + " at " + budget.req.provider(),
          "add a limit, such as SpendPolicy.builder().limit(SpendLimit.monthly(Money.usd(\"100.00\")).perProvider()),"
              + " or give the step a maximum (DomainRequest.maxPrice)");
    }
    boolean byMaximum = maximum != null && (remaining == null || !remaining.lessThan(maximum));
    Money cap = java.util.Objects.requireNonNull(byMaximum ? maximum : remaining);
    if (!cap.isPositive()) {
      LimitUsage bound = java.util.Objects.requireNonNull(room.bound());
      return b.quote(Money.zero(currency)).verdict(Verdict.DENIED).verdictDetail(why + "; nothing remains under '"
          + bound.limit().key() + "' (used " + bound.used() + " of " + bound.limit().amount() + ")")
          .approvals(approvals).build();
    }
    String bounded = byMaximum ? "the request's maximum"
        : "what '" + java.util.Objects.requireNonNull(room.bound()).limit().key() + "' still admits";
    notes.add(price.serviceId() + ": " + why + "; the step holds and pays with at most " + cap + " (" + bounded + ")"
        + (price.pricedByChoice()
            ? ", a person confirms the price of the name chosen before it is bought, and what is charged is committed"
            : ", a person confirms that before it is bought, and what the provider charges is what is committed"));
    b.quote(cap).verdictDetail(why + "; up to " + cap + ", " + bounded);
    if (policy.requiresApproval(cap)) {
      approvals.add(price.checkpoint());
      return b.verdict(Verdict.NEEDS_APPROVAL).approvals(approvals).build();
    }
    return b.verdict(Verdict.ALLOWED).approvals(approvals).build();
  }

  /**
   * Why executing {@code plan} would be refused by the spend policy as it stands now, or null when
   * nothing refuses any more: the plan's paid steps judged again by the same rules, priced steps in
   * order, then each cap against what they leave.
   */
  @Nullable PolicyViolationException violation(RunPlan plan) {
    Budget budget = new Budget(config.spendPolicy(), plan.request(), plan.runId(), config.clock().instant());
    for (PlannedStep s : plan.steps()) {
      Money quote = s.quote();
      if (s.paid() && quote != null && s.priceFinal()) {
        PolicyViolationException refused = budget.admit(quote);
        if (refused != null) {
          return refused;
        }
      }
    }
    for (PlannedStep s : plan.steps()) {
      Money cap = s.quote();
      if (s.paid() && cap != null && !s.priceFinal()) {
        PolicyViolationException refused = budget.check(cap.isPositive() ? cap : Money.ofMinor(1, cap.currency()));
        if (refused == null && !cap.isPositive()) {
          refused = new PolicyViolationException("plan", cap, cap, cap, "the plan left nothing for step " + s.id()
              + " when it was made; plan the run again");
        }
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
   * What every limit still admits for a spend in one currency: the least remaining and the limit
   * that has it; null remaining when no limit applies; a refusal when a limit cannot count that currency.
   */
  private record Headroom(@Nullable Money remaining, @Nullable LimitUsage bound,
      @Nullable PolicyViolationException refusal) {}

  /**
   * The plan's running view of each limit: the ledger's use now (without the run's own
   * reservations, so that a resumed run is judged as it was first) plus the plan's earlier quotes,
   * judged by {@link LimitMath#refusal}, the rule the ledger itself applies when reserving.
   */
  private final class Budget {
    final SpendPolicy policy;
    final ProvisionRequest req;
    final Instant now;
    final List<Reservation> own;
    final Map<SpendLimit, LimitUsage> usage = new HashMap<>();

    Budget(SpendPolicy policy, ProvisionRequest req, RunId run, Instant now) {
      this.policy = policy;
      this.req = req;
      this.now = now;
      this.own = config.ledger().reservations(run);
    }

    private LimitUsage usage(SpendLimit limit) {
      return usage.computeIfAbsent(limit, l -> {
        LimitUsage u = config.ledger().usage(l, req.agent(), req.provider(), now, policy.zone());
        Money used = u.used();
        if (l.interval() != SpendInterval.PER_TRANSACTION) {
          for (Reservation r : own) {
            if (LimitMath.counts(l, u.window(), req.agent(), req.provider(), r)) {
              used = used.minus(r.counted(now));
            }
          }
        }
        return used.equals(u.used()) ? u : new LimitUsage(l, u.bucket(), u.window(), used.isNegative()
            ? Money.zero(used.currency()) : used);
      });
    }

    @Nullable PolicyViolationException admit(Money quote) {
      for (SpendLimit limit : policy.limitsFor(req.agent(), req.provider())) {
        LimitUsage before = usage(limit);
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

    /** {@link #admit} without counting {@code amount} for what follows. */
    @Nullable PolicyViolationException check(Money amount) {
      for (SpendLimit limit : policy.limitsFor(req.agent(), req.provider())) {
        PolicyViolationException refused = LimitMath.refusal(usage(limit), amount);
        if (refused != null) {
          return refused;
        }
      }
      return null;
    }

    Headroom headroom(Currency currency) {
      Money least = null;
      LimitUsage bound = null;
      for (SpendLimit limit : policy.limitsFor(req.agent(), req.provider())) {
        LimitUsage u = usage(limit);
        if (!limit.amount().currency().equals(currency)) {
          return new Headroom(null, u, LimitMath.refusal(u, Money.ofMinor(1, currency)));
        }
        Money r = u.remaining();
        if (least == null || r.lessThan(least)) {
          least = r;
          bound = u;
        }
      }
      return new Headroom(least, bound, null);
    }

    /** The currency of a cap: the catalog's when it names one, else the policy's first limit's, else US dollars. */
    Currency currency(Pricing p) {
      Money named = p.minimum() != null ? p.minimum() : p.amount();
      if (named != null) {
        return named.currency();
      }
      List<SpendLimit> limits = policy.limitsFor(req.agent(), req.provider());
      return limits.isEmpty() ? Currency.getInstance("USD") : limits.get(0).amount().currency();
    }
  }
}
