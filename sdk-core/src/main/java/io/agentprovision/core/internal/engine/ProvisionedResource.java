package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Deployment;

/** A step output that is something provisioned at the provider: it is listed in the {@link Deployment}. */
interface ProvisionedResource {
  Deployment.ResourceSummary resourceSummary();
}
