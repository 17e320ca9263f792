/**
 * What the engine and an {@link io.agentprovision.core.spi.Orchestrator} exchange: account links,
 * resource requests and their states (including the provider's questions), access configurations,
 * payment-method status and deep links.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.orchestration;

import org.jspecify.annotations.NullMarked;
