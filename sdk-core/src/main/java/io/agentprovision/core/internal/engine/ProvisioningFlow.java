package io.agentprovision.core.internal.engine;

import io.agentprovision.core.DomainNames;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ServiceRequest;
import io.agentprovision.core.StepId;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.wire.JsonSchemas;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The first-day flow, {@code provisionAndDeploy}: the step graph of a run, in one place. Start
 * reading the engine here.
 *
 * <pre>
 *                              ┌─► account ────────┐
 *   identity ─► plan-approval ─┤                   ├─► plan ─┬─► resource ─┬─► credentials ─► deploy ─► verify
 *                              └─► payment-method ─┘         ├─► domain ───┘                  ▲
 *                                                            └─► service:&lt;id&gt;… ─────────────────┘
 * </pre>
 *
 * <ol>
 *   <li>{@link IdentityStep}: the human principal, with a verified e-mail.
 *   <li>{@link PlanApprovalStep}: a person approves the plan and its price (when the policy wants one).
 *   <li>{@link AccountStep} and {@link PaymentMethodStep}, concurrently: the provider's terms, then an
 *       account created or linked; and a payment method on file (only when something is paid).
 *   <li>{@link PlanStep}: the paid plan (only when the request names one).
 *   <li>{@link ResourceStep}, {@link DomainStep} and one {@link CatalogServiceStep} per service the
 *       request names, concurrently: the service the app runs on (only with an app), the domain
 *       (only when asked for; after the plans, because a registration cannot be undone), and the
 *       named services with their configurations, each checked against the catalog's
 *       {@code configuration_schema} here, before anything runs. Services that are plans run first.
 *   <li>{@link CredentialsStep}: the broad credential revealed, a least-privilege deploy token minted.
 *   <li>{@link DeployStep}, {@link VerifyStep}: the app uploaded and bound (after the named services),
 *       then checked.
 * </ol>
 *
 * <p>A request without an app stops after the services and the domain: no deployable resource,
 * credentials, deploy or verify step, and no deployer is needed.
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

  /** A service the request names, found in the catalog with its configuration checked. */
  private record Named(StepId id, ServiceOffering service, Map<String, Object> configuration) {}

  @Override
  public StepGraph graph(Inputs in) {
    ProvisionRequest req = in.request();
    ServiceOffering plan = plan(in);
    ServiceOffering deployable = req.hasApp() ? deployable(in) : null;
    DomainRequest domainRequest = req.domain();
    List<Named> named = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < req.services().size(); i++) {
      ServiceRequest s = req.services().get(i);
      ServiceOffering svc = named(in, i, s);
      if (svc.id().equals(in.domainService())) {
        if (domainRequest != null) {
          throw new InvalidRequestException("services[" + i + "].service", "names a second domain: the request "
              + "already has one", "ask for one domain per run");
        }
        domainRequest = domainOf(i, s);
        continue;
      }
      int nth = seen.merge(svc.id(), 1, Integer::sum);
      named.add(new Named(CatalogServiceStep.id(svc.id(), nth), svc, s.configuration()));
    }
    ServiceOffering domain = domain(in, domainRequest);
    boolean paid = (plan != null && plan.pricing().isPaid()) || (deployable != null && deployable.pricing().isPaid())
        || domain != null || named.stream().anyMatch(n -> n.service().pricing().isPaid());

    StepGraph.Builder g = StepGraph.builder();
    g.add(new IdentityStep());
    g.add(new PlanApprovalStep(List.of(IdentityStep.ID)));
    // whether anything is provisioned: the orchestrator then sets up what those calls share beside the account
    boolean provisions = plan != null || deployable != null || domain != null || !named.isEmpty();
    g.add(new AccountStep(req.provider(), in.catalog().provider().termsOfService(), provisions,
        plan == null ? null : plan.id(), List.of(PlanApprovalStep.ID)));
    if (paid) {
      // the card on file is the orchestrator's, not the account's: both are made ready at the same time
      g.add(new PaymentMethodStep(List.of(PlanApprovalStep.ID)));
    }
    // the account and the payment method, made ready side by side
    List<StepId> ready = g.present(AccountStep.ID, PaymentMethodStep.ID);
    List<StepId> plans = new ArrayList<>();
    if (plan != null) {
      g.add(new PlanStep(plan, ready));
      plans.add(PlanStep.ID);
    }
    for (Named n : named) {
      if (n.service().isPlan()) {
        g.add(new CatalogServiceStep(n.id(), n.service(), n.configuration(), ready));
        plans.add(n.id());
      }
    }
    // a provider's deployables need its plan in the account first
    List<StepId> afterPlans = plans.isEmpty() ? ready : plans;
    if (deployable != null) {
      g.add(new ResourceStep(deployable, plan == null ? null : plan.id(), afterPlans));
    }
    List<StepId> services = new ArrayList<>();
    for (Named n : named) {
      if (!n.service().isPlan()) {
        g.add(new CatalogServiceStep(n.id(), n.service(), n.configuration(), afterPlans));
        services.add(n.id());
      }
    }
    if (domain != null && domainRequest != null) {
      // a registration cannot be undone: buy it only once the plan, which can be, has gone through
      // the host's domain rules, before anything is bought: a look-alike is refused here, or marked for a person
      DomainNames.Lookalike lookalike = in.domainNames().vet(domainRequest.isExact() ? "domain" : "domain query",
          domainRequest.text()).orElse(null);
      g.add(new DomainStep(domain, domainRequest, in.domainNames(), lookalike != null,
          plans.isEmpty() ? ready : plans));
      g.note("the domain's price is known once a name is chosen: the search already carries a payment token capped at "
          + "what the policy admits for the domain (a provider may want payment credentials up front), and the name "
          + "chosen is checked against the policy and, above " + in.policy().approvalThreshold() + ", confirmed by a "
          + "human at its price, which is all its payment may charge. Registrations are not refundable.");
      if (lookalike != null) {
        g.note("the domain " + lookalike.display() + " looks like " + (lookalike.resembles() != null
            ? lookalike.resembles() : "another name") + " (" + lookalike.detail() + "); a person confirms it before it "
            + "is bought");
      }
    }
    if (req.app() == null) {
      return g.build(); // nothing to deploy: the run ends with what it provisioned
    }
    g.add(new CredentialsStep(req.token(), g.present(ResourceStep.ID, DomainStep.ID)));
    if (!req.token().isIpBound()) {
      g.note("the deploy token is not IP-bound: " + (req.token().anyIpAllowed()
          ? "the host allowed any address on purpose (TokenSpec.allowAnyIp())"
          : "no TokenSpec.allowIps(...) was given, so anyone holding it can use it from anywhere until it expires")
          + "; bind it with TokenSpec.allowIps(\"203.0.113.0/24\") to the addresses deploys come from");
    }
    List<StepId> beforeDeploy = new ArrayList<>(List.of(CredentialsStep.ID));
    beforeDeploy.addAll(services); // the app may bind to them
    g.add(new DeployStep(req.app(), g.contains(DomainStep.ID), beforeDeploy));
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

  /**
   * The catalog service {@code s} names, with its configuration checked against the service's
   * schema; every refusal names {@code services[i]}.
   */
  private static ServiceOffering named(Inputs in, int i, ServiceRequest s) {
    Catalog catalog = in.catalog();
    String field = "services[" + i + "]";
    ServiceOffering svc = catalog.service(s.serviceId()).orElseThrow(() -> new InvalidRequestException(field
        + ".service", "'" + s.serviceId() + "' is not in " + in.request().provider() + "'s catalog", "use one of "
        + ids(catalog)));
    try {
      JsonSchemas.require(svc.configurationSchema(), s.configuration(), field + ".configuration",
          "configure " + svc.id() + " as its configuration_schema in the catalog says");
    } catch (JsonSchemas.UnusableSchemaException e) {
      throw new InvalidRequestException(field + ".service", "the catalog's configuration_schema for '" + svc.id()
          + "' cannot be used (" + e.getMessage() + ")", "the provider must publish a valid schema; until it does, "
          + svc.id() + " cannot be configured safely");
    }
    Pricing priced = svc.pricing().forConfiguration(s.configuration());
    if (priced.isPaid() && priced.minimum() == null && !svc.id().equals(in.domainService())) {
      throw new InvalidRequestException(field + ".service", "the catalog lists no price for paid service '" + svc.id()
          + "' (" + priced.describe() + ")", "choose a service with a listed price; the SDK reserves the price before "
          + "paying");
    }
    return svc;
  }

  /** A domain named as a service: {@code domain} (a name to register) or {@code domain_query} (a search). */
  private static DomainRequest domainOf(int i, ServiceRequest s) {
    String field = "services[" + i + "].configuration";
    Object exact = s.configuration().get("domain");
    Object query = s.configuration().get("domain_query");
    try {
      if (exact instanceof String d && query == null) {
        return DomainRequest.exact(d);
      }
      if (query instanceof String q && exact == null) {
        return DomainRequest.query(q);
      }
    } catch (InvalidRequestException e) {
      throw new InvalidRequestException(field + "." + (exact != null ? "domain" : "domain_query"), e.problem(), e.fix());
    }
    throw new InvalidRequestException(field, "names neither one domain nor one search",
        "set \"domain\" to the name to register or \"domain_query\" to words to search for, not both");
  }

  private static String ids(Catalog c) {
    List<String> out = new ArrayList<>();
    for (ServiceOffering s : c.services()) {
      out.add(s.id());
    }
    return out.toString();
  }

  private static ServiceOffering deployable(Inputs in) {
    Deployer deployer = in.deployer();
    if (deployer == null) {
      throw new InvalidRequestException("provider", "no deployer is configured for '" + in.request().provider()
          + "' to deploy the app", "add one with AgentProvisioner.builder().deployer(...), or leave the app out");
    }
    String id = deployer.deployableService();
    return in.catalog().service(id).orElseThrow(() -> new InvalidRequestException("provider", in.request().provider()
        + "'s catalog has no '" + id + "' service for the deployer", "check that the orchestrator lists " + id));
  }

  private static @Nullable ServiceOffering domain(Inputs in, @Nullable DomainRequest domainRequest) {
    if (domainRequest == null) {
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
