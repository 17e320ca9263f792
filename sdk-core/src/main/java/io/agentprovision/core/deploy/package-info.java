/**
 * What the engine and a {@link io.agentprovision.core.spi.Deployer} exchange: the credentials to
 * mint, the deploy token, the deployed app and its verification.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.deploy;

import org.jspecify.annotations.NullMarked;
