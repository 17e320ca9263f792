package io.agentprovision.core.internal.engine;

import io.agentprovision.core.DomainNames;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.ServiceOffering;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The first-day flow, {@code provisionAndDeploy}: the step graph of a run, in one place. Start
 * reading the engine here.
 *
 * <pre>
 *                            ┌─► account ────────┐
 *   identity ─► plan-approval ─┤                   ├─► plan ─┬─► resource ─┬─► credentials ─► deploy ─► verify
 *                            └─► payment-method ─┘         └─► domain ───┘
 * </pre>
 *
 * <ol>
 *   <li>{@link IdentityStep}: the human principal, with a verified e-mail.
 *   <li>{@link PlanApprovalStep}: a person approves the plan and its price (when the policy wants one).
 *   <li>{@link AccountStep} and {@link PaymentMethodStep}, concurrently: the provider's terms, then an
 *       account created or linked; and a payment method on file (only when something is paid).
 *   <li>{@link PlanStep}: the paid plan (only when the request names one).
 *   <li>{@link ResourceStep} and {@link DomainStep}, concurrently: the service the app runs on, and
 *       the domain (only when asked for; after the plan, because a registration cannot be undone).
 *   <li>{@link CredentialsStep}: the broad credential revealed, a least-privilege deploy token minted.
 *   <li>{@link DeployStep}, {@link VerifyStep}: the app uploaded and bound, then checked.
 * </ol>
 *
 * <p>Each step is one class that runs, compensates and summarises itself; the engine
 * ({@link Engine}) runs the graph, journaling every step before its first side effect and its
 * output when it succeeds. To add a step: write its class (see {@link Step}), then register it
 * below with the steps it waits for. {@link StepGraph.Builder#first} names "the latest of these that
 * the run has", for steps whose predecessor depends on the request.
 */
final class ProvisioningFlow implements Flow {
  static final ProvisioningFlow INSTANCE = new ProvisioningFlow();

  private ProvisioningFlow() {}

  @Override
  public StepGraph graph(Inputs in) {
    ProvisionRequest req = in.request();
    ServiceOffering plan = plan(in);
    ServiceOffering deployable = deployable(in);
    ServiceOffering domain = domain(in);
    boolean paid = (plan != null && plan.pricing().isPaid()) || deployable.pricing().isPaid() || domain != null;

    StepGraph.Builder g = StepGraph.builder();
    g.add(new IdentityStep());
    g.add(new PlanApprovalStep(List.of(IdentityStep.ID)));
    g.add(new AccountStep(req.provider(), in.catalog().provider().termsOfService(), List.of(PlanApprovalStep.ID)));
    if (paid) {
      // the card on file is the orchestrator's, not the account's: both are made ready at the same time
      g.add(new PaymentMethodStep(List.of(PlanApprovalStep.ID)));
    }
    List<StepId> ready = g.present(AccountStep.ID, PaymentMethodStep.ID);
    if (plan != null) {
      g.add(new PlanStep(plan, ready));
    }
    List<StepId> afterPlan = g.contains(PlanStep.ID) ? List.of(PlanStep.ID) : ready;
    g.add(new ResourceStep(deployable, afterPlan));
    if (domain != null && req.domain() != null) {
      // a registration cannot be undone: buy it only once the plan, which can be, has gone through
      // the host's domain rules, before anything is bought: a look-alike is refused here, or marked for a person
      DomainNames.Lookalike lookalike = in.domainNames().vet(req.domain().isExact() ? "domain" : "domain query",
          req.domain().text()).orElse(null);
      g.add(new DomainStep(domain, req.domain(), in.domainNames(), lookalike != null, afterPlan));
      g.note("the domain's price is known once a name is chosen; it is checked against the policy and, above "
          + in.policy().approvalThreshold() + ", confirmed by a human at that price. Registrations are not refundable.");
      if (lookalike != null) {
        g.note("the domain " + lookalike.display() + " looks like " + (lookalike.resembles() != null
            ? lookalike.resembles() : "another name") + " (" + lookalike.detail() + "); a person confirms it before it "
            + "is bought");
      }
    }
    g.add(new CredentialsStep(req.token(), g.present(ResourceStep.ID, DomainStep.ID)));
    if (!req.token().isIpBound()) {
      g.note("the deploy token is not IP-bound: " + (req.token().anyIpAllowed()
          ? "the host allowed any address on purpose (TokenSpec.allowAnyIp())"
          : "no TokenSpec.allowIps(...) was given, so anyone holding it can use it from anywhere until it expires")
          + "; bind it with TokenSpec.allowIps(\"203.0.113.0/24\") to the addresses deploys come from");
    }
    g.add(new DeployStep(req.app(), g.contains(DomainStep.ID), List.of(CredentialsStep.ID)));
    g.add(new VerifyStep(List.of(DeployStep.ID)));
    return g.build();
  }

  private static @Nullable ServiceOffering plan(Inputs in) {
    ProvisionRequest req = in.request();
    String id = req.plan();
    if (id == null) {
      return null;
    }
    Catalog catalog = in.catalog();
    ServiceOffering svc = catalog.service(id).orElseThrow(() -> new InvalidRequestException("plan", "'" + id
        + "' is not in " + req.provider() + "'s catalog", "use one of " + plans(catalog)));
    if (!svc.isPlan()) {
      throw new InvalidRequestException("plan", "'" + id + "' is a " + svc.kind() + ", not a plan",
          "use one of " + plans(catalog));
    }
    return svc;
  }

  private static ServiceOffering deployable(Inputs in) {
    String id = in.deployer().deployableService();
    return in.catalog().service(id).orElseThrow(() -> new InvalidRequestException("provider", in.request().provider()
        + "'s catalog has no '" + id + "' service for the deployer", "check that the orchestrator lists " + id));
  }

  private static @Nullable ServiceOffering domain(Inputs in) {
    if (in.request().domain() == null) {
      return null;
    }
    return in.catalog().service(in.domainService()).orElseThrow(() -> new InvalidRequestException("domain",
        in.request().provider() + "'s catalog has no '" + in.domainService() + "' service",
        "drop .domain(...) or use a provider that sells domains"));
  }

  private static String plans(Catalog c) {
    List<String> out = new ArrayList<>();
    for (ServiceOffering s : c.services()) {
      if (s.isPlan()) {
        out.add(s.id());
      }
    }
    return out.toString();
  }
}
