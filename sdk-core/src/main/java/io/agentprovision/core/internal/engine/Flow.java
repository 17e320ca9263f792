package io.agentprovision.core.internal.engine;

import io.agentprovision.core.DomainNames;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.Deployer;
import org.jspecify.annotations.Nullable;

/**
 * Makes the step graph of one run from its request. {@link ProvisioningFlow} is the first-day flow
 * (account, plan, domain, deploy); day-two operations (upgrade a plan, remove a resource, tear
 * down) are other flows over the same kind of steps.
 */
interface Flow {
  /**
   * The graph for {@code in}; reads nothing remote (the catalog is given).
   *
   * @throws io.agentprovision.core.InvalidRequestException when the request asks for what the catalog does not offer
   */
  StepGraph graph(Inputs in);

  /**
   * What a flow is made from.
   *
   * @param request the request
   * @param catalog the provider's catalog as read for the plan
   * @param deployer the deployer for the request's provider; null for a request without an app
   * @param domainService the catalog service that sells domains
   * @param policy the spend policy in force
   * @param domainNames the host's rules for domain names and look-alikes
   */
  record Inputs(ProvisionRequest request, Catalog catalog, @Nullable Deployer deployer, String domainService,
      SpendPolicy policy, DomainNames domainNames) {}
}
