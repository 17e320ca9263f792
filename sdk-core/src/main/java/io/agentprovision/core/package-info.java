/**
 * The public API of agentprovision: {@link io.agentprovision.core.AgentProvisioner}, the request and
 * result types, values such as {@link io.agentprovision.core.Money} and
 * {@link io.agentprovision.core.Secret}, spend policy, and the exception hierarchy rooted at
 * {@link io.agentprovision.core.AgentProvisionException}.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core;

import org.jspecify.annotations.NullMarked;
